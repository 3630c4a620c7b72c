//! XMP sidecars beside the photos, for Lightroom Classic, darktable and
//! digiKam: opt-in per root (`hma root add --sidecars`, `hma root set NAME
//! --sidecars on`), off by default. With it on, every decision (pick or
//! reject, stars, colour label) and the capture's named people (as
//! keywords: `Anna` and `People|Anna`) are written into the capture's
//! sidecar; the photo itself is never opened for writing.
//!
//! - **Which file**: an existing `NAME.EXT.xmp` (darktable's, digiKam's) or
//!   `NAME.xmp` (Lightroom's) is updated; otherwise `NAME.xmp` is made, as
//!   Lightroom does, one per capture (a RAW+JPEG pair shares it). The
//!   scanner reads both names.
//! - **What changes**: only our properties (see `hma_media::xmp_write`);
//!   every other byte of an existing sidecar is kept. Written through a
//!   temporary file in the same folder and renamed over it (atomic).
//! - **Another program's changes win when newer**: we remember each
//!   sidecar's size and time after our write. A sidecar found otherwise was
//!   changed by someone else; its values for the fields this change does not
//!   touch replace ours when it is newer than our decision (said in the log),
//!   and on a rescan the same rule applies ([`newer_sidecar_wins`]; in roots
//!   with sidecars off a decision made here stays over XMP). Writing
//!   what the sidecar already says changes nothing on disk.
//! - **Never out of the root**: a sidecar that is a symbolic link, or a
//!   folder that resolves outside the root, is refused.
//! - **Failures** (read-only folder, full disk) never lose the decision: it
//!   is stored first; the error comes back to be said once per folder.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use hma_catalog::{Catalog, DecisionRow, FileRow, SidecarRow};
use hma_media::xmp::Xmp;
use hma_media::xmp_write;
use hma_media::Kind;

use crate::marks::from_xmp;
use crate::report::Places;
use crate::{JobContext, Result};

/// Which fields a decision changed (those are ours to write; the others
/// may take a newer sidecar's value).
#[derive(Debug, Clone, Copy, Default)]
pub struct Changed {
    pub flag: bool,
    pub rating: bool,
    pub label: bool,
}

/// What a sync did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Synced {
    /// The capture's root does not write sidecars.
    Off,
    /// The sidecar already said all this.
    Unchanged(PathBuf),
    Written(PathBuf),
}

/// A sidecar that could not be written: the folder it is in, and why.
#[derive(Debug, Clone)]
pub struct SidecarError {
    pub folder: PathBuf,
    pub message: String,
}

/// Says each folder's sidecar failure once (a read-only folder of 500
/// photos is one message, not 500).
#[derive(Debug, Default)]
pub struct Reporter {
    told: HashSet<PathBuf>,
}

impl Reporter {
    /// The message to show for this failure, or None when its folder was told already.
    pub fn first(&mut self, e: &SidecarError) -> Option<String> {
        self.told.insert(e.folder.clone()).then(|| {
            format!(
                "no XMP sidecar written in {}: {} (the decision is saved in the catalogue)",
                e.folder.display(),
                e.message
            )
        })
    }
}

/// The capture's files that carry a sidecar: one per copy (root, folder and
/// name without extension), a RAW over a JPEG (as Lightroom), present.
fn primaries(files: &[FileRow]) -> Vec<&FileRow> {
    let stem = |f: &FileRow| {
        let r = f.rel_path.as_str();
        let name_at = r.rfind('/').map_or(0, |i| i + 1);
        match r[name_at..].rfind('.') {
            Some(dot) => r[..name_at + dot].to_string(),
            None => r.to_string(),
        }
    };
    let mut media: Vec<&FileRow> =
        files.iter().filter(|f| !f.missing && matches!(f.kind, Kind::Image | Kind::Raw)).collect();
    // RAWs first, so each copy's first file is its RAW when it has one.
    media.sort_by_key(|f| (f.root_id, stem(f), f.kind != Kind::Raw, f.id));
    media.dedup_by_key(|f| (f.root_id, stem(f)));
    media
}

/// The sidecar's path in its root for a photo at `rel`: an existing
/// `NAME.EXT.xmp` or `NAME.xmp` (looked for under `root`), else `NAME.xmp`.
fn sidecar_rel(root: &Path, rel: &str) -> String {
    let long = format!("{rel}.xmp");
    let short = match rel.rfind('.') {
        Some(dot) if !rel[dot..].contains('/') => format!("{}.xmp", &rel[..dot]),
        _ => long.clone(),
    };
    let exists = |r: &str| std::fs::symlink_metadata(root.join(r)).is_ok();
    if exists(&long) {
        long
    } else {
        short
    }
}

/// Modification time in ms of a file's metadata.
fn mtime_ms(m: &std::fs::Metadata) -> i64 {
    m.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The XMP flag, rating and label of a sidecar as our marks read them:
/// each None when the sidecar does not say (a rejected photo's rating −1
/// says nothing about its stars).
fn expressed(x: &Xmp, ours_before: bool) -> (Option<i16>, Option<i16>, Option<Option<String>>) {
    let (flag, rating, label) = from_xmp(x.pick, x.rating, x.label.as_deref());
    // No label: a removal only in a file we wrote before (we always write ours).
    let label = (x.label.is_some() || ours_before).then_some(label);
    (flag, rating, label)
}

/// Where a sidecar from another program, newer than the decision, says
/// otherwise for a field this change leaves alone, its value replaces the
/// decision's (the field is no longer "decided here": the XMP value shows).
/// Returns the decision to store when something changed.
fn merge(d: &DecisionRow, x: &Xmp, ours_before: bool, leave: Changed) -> Option<DecisionRow> {
    let (flag, rating, label) = expressed(x, ours_before);
    let mut out = d.clone();
    if !leave.flag && flag.is_some() && d.flag.is_some() && d.flag != flag {
        out.flag = None;
    }
    if !leave.rating && rating.is_some() && d.rating.is_some() && d.rating != rating {
        out.rating = None;
    }
    if let (false, Some(l), Some(mine)) = (leave.label, label, &d.label) {
        let mine = Some(mine.clone()).filter(|m| !m.is_empty());
        if mine != l {
            out.label = None;
        }
    }
    (out != *d).then_some(out)
}

/// A rescan read a sidecar: when another program wrote it (not the size
/// and time of our last write) after the decision here, its values win
/// where they differ (the decision's fields are cleared, the XMP shows).
///
/// Only for roots with sidecars on (the caller checks, once per batch):
/// there the sidecar is the record both sides write. Elsewhere XMP is what
/// other programs said before, and a decision made here stays over it (as
/// it always has).
pub fn newer_sidecar_wins(cat: &mut Catalog, capture_id: i64, sidecar: &FileRow, x: &Xmp) -> Result<bool> {
    let last = cat
        .sidecars_of(capture_id)?
        .into_iter()
        .find(|l| l.root_id == sidecar.root_id && l.rel_path == sidecar.rel_path);
    let ours_before = last.is_some();
    let sidecar_ms = sidecar.mtime_ns / 1_000_000;
    if last.is_some_and(|l| l.size == sidecar.size && l.mtime_ms == sidecar_ms) {
        return Ok(false);
    }
    let Some(d) = cat.decisions_of(&[capture_id])?.into_iter().next() else { return Ok(false) };
    if d.updated_ms >= sidecar_ms {
        return Ok(false);
    }
    let Some(merged) = merge(&d, x, ours_before, Changed::default()) else { return Ok(false) };
    tracing::info!(capture_id, "a sidecar changed by another program is newer than the decision here: its values win");
    tracing::debug!(capture_id, sidecar = sidecar.rel_path, "newer sidecar");
    cat.put_decision(&merged)?;
    Ok(true)
}

/// The named people and pets of a capture's content, as keywords.
fn people_of(cat: &mut Catalog, f: &FileRow) -> Result<Vec<String>> {
    let Some(h) = f.content_hash else { return Ok(vec![]) };
    let mut names: Vec<String> = crate::faces::faces_of(cat, h)?.into_iter().filter_map(|f| f.person).collect();
    names.extend(crate::faces::pets_of(cat, h)?.into_iter().map(|p| p.pet));
    names.sort();
    names.dedup();
    Ok(names)
}

/// The keywords to write: the sidecar's own, with our `People|…` branch
/// (and those names in the flat list) replaced by today's people.
fn keywords(existing: &Xmp, people: &[String]) -> (Vec<String>, Vec<String>) {
    let old_people: HashSet<&str> = existing.hierarchical.iter().filter_map(|h| h.strip_prefix("People|")).collect();
    let mut flat: Vec<String> =
        existing.keywords.iter().filter(|k| !old_people.contains(k.as_str()) || people.contains(k)).cloned().collect();
    let mut hier: Vec<String> = existing.hierarchical.iter().filter(|h| !h.starts_with("People|")).cloned().collect();
    for p in people {
        if !flat.contains(p) {
            flat.push(p.clone());
        }
        hier.push(format!("People|{p}"));
    }
    (flat, hier)
}

/// Lightroom's spelling of our colour labels ("red" → "Red").
fn label_name(l: &str) -> String {
    let mut c = l.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// Writes (or updates) the capture's sidecar with its marks and people,
/// when its root has sidecars on. `before` is the decision as it was
/// before this change and `changed` the fields the change set: the other
/// fields take a newer sidecar's values (see the module). Call after the
/// decision is stored.
pub fn sync(
    cat: &mut Catalog,
    places: &Places,
    capture_id: i64,
    before: Option<&DecisionRow>,
    changed: Changed,
    now_ms: i64,
) -> Result<std::result::Result<Synced, SidecarError>> {
    let files = cat.files_of_capture(capture_id)?;
    let mut result = Ok(Synced::Off);
    for f in primaries(&files) {
        if !cat.root(f.root_id)?.sidecars {
            continue;
        }
        let one = sync_one(cat, places, capture_id, f, before, changed, now_ms)?;
        // The first failure is told; else "written" when any copy was.
        result = match (result, one) {
            (Err(e), _) | (_, Err(e)) => Err(e),
            (Ok(Synced::Written(p)), _) | (_, Ok(Synced::Written(p))) => Ok(Synced::Written(p)),
            (_, other) => other,
        };
    }
    Ok(result)
}

/// One copy's sidecar (see [`sync`]).
fn sync_one(
    cat: &mut Catalog,
    places: &Places,
    capture_id: i64,
    f: &FileRow,
    before: Option<&DecisionRow>,
    changed: Changed,
    now_ms: i64,
) -> Result<std::result::Result<Synced, SidecarError>> {
    let Some(root) = places.root_path(f.root_id) else {
        let e = SidecarError {
            folder: PathBuf::from(places.path_in(f.root_id, hma_media::path::dir_of(&f.rel_path))),
            message: "its folder is not connected on this machine".into(),
        };
        return Ok(Err(e));
    };
    let rel = sidecar_rel(&root, &f.rel_path);
    let path = hma_media::RelPath { text: rel.clone(), raw: None }.to_os_path(&root);
    let folder = path.parent().map(Path::to_path_buf).unwrap_or_else(|| root.clone());
    let fail = |message: String| SidecarError { folder: folder.clone(), message };

    // Never out of the root: no symlinked sidecar, no folder resolving elsewhere.
    let inside = match (folder.canonicalize(), root.canonicalize()) {
        (Ok(dir), Ok(r)) => dir.starts_with(&r),
        _ => false,
    };
    if !inside {
        return Ok(Err(fail("the folder is outside the root (a link?): not followed".into())));
    }
    let meta = std::fs::symlink_metadata(&path).ok();
    if meta.as_ref().is_some_and(|m| m.file_type().is_symlink()) {
        return Ok(Err(fail("the sidecar is a symbolic link: not followed".into())));
    }
    let existing = match &meta {
        Some(_) => match std::fs::read(&path) {
            Ok(b) => Some(b),
            Err(e) => return Ok(Err(fail(format!("the sidecar cannot be read: {e}")))),
        },
        None => None,
    };
    let parsed = match existing.as_deref().map(hma_media::xmp::parse).transpose() {
        Ok(x) => x.unwrap_or_default(),
        Err(e) => return Ok(Err(fail(format!("the existing sidecar is not readable XMP ({e}): left as it is")))),
    };

    // Another program's change since our last write, newer than the decision
    // before this change: its values win for the fields this change leaves.
    let last = cat.sidecars_of(capture_id)?.into_iter().find(|l| l.root_id == f.root_id && l.rel_path == rel);
    if let Some(m) = &meta {
        let ours = last.as_ref().is_some_and(|l| l.size == m.len() as i64 && l.mtime_ms == mtime_ms(m));
        if !ours {
            // Another program wrote it since our last write (or we never
            // wrote it): the capture's XMP fields are what it says now, so
            // what shows for fields never decided here is its value, not
            // what the last scan read (the scan reads it again later, to
            // the same values).
            if let Some(c) = cat.capture(capture_id)? {
                let mut fields = c.fields.clone();
                fields.rating = parsed.rating;
                fields.label = parsed.label.clone();
                fields.pick = parsed.pick;
                if fields != c.fields {
                    cat.update_capture(capture_id, &fields)?;
                }
            }
            // Newer than the decision before this change: its values win for
            // the fields this change leaves alone.
            if before.is_some_and(|d| mtime_ms(m) > d.updated_ms) {
                let now: Option<DecisionRow> = cat.decisions_of(&[capture_id])?.into_iter().next();
                if let Some(merged) = now.and_then(|now| merge(&now, &parsed, last.is_some(), changed)) {
                    tracing::info!(
                        capture_id,
                        "a sidecar changed by another program is newer: its values win for the fields not changed now"
                    );
                    cat.put_decision(&merged)?;
                }
            }
        }
    }

    let marks = crate::cull::marks_of(cat, capture_id)?;
    let people = people_of(cat, f)?;
    let (kw, hier) = keywords(&parsed, &people);
    let m = xmp_write::Marks {
        flag: marks.flag as i32,
        rating: marks.rating as i32,
        label: marks.label.as_deref().map(label_name),
        keywords: kw,
        hierarchical: hier,
    };
    let bytes = match &existing {
        Some(old) => match xmp_write::update(old, &m) {
            Ok(b) => b,
            Err(e) => return Ok(Err(fail(format!("the existing sidecar cannot be updated ({e}): left as it is")))),
        },
        None => xmp_write::new_sidecar(&m),
    };
    let unchanged = existing.as_deref() == Some(bytes.as_slice());
    if !unchanged {
        if let Err(e) = crate::write_atomically(&path, &bytes, true) {
            return Ok(Err(fail(e.to_string())));
        }
    }
    let m = match std::fs::metadata(&path) {
        Ok(m) => m,
        Err(e) => return Ok(Err(fail(e.to_string()))),
    };
    cat.put_sidecar(&SidecarRow {
        capture_id,
        root_id: f.root_id,
        rel_path: rel,
        size: m.len() as i64,
        mtime_ms: mtime_ms(&m),
        written_ms: now_ms,
    })?;
    Ok(Ok(if unchanged { Synced::Unchanged(path) } else { Synced::Written(path) }))
}

/// After people changed (named, merged, split, a face rejected): the
/// sidecars of the captures showing these faces get the names. Nothing is
/// read when no root writes sidecars. A newer sidecar's marks win (nothing
/// was decided in this change). Returns what to tell, once per folder.
pub fn sync_faces(cat: &mut Catalog, ctx: &JobContext, face_ids: &[i64]) -> Result<Vec<String>> {
    if !cat.roots(&ctx.machine)?.iter().any(|(r, _)| r.sidecars) {
        return Ok(vec![]);
    }
    let ids = cat.captures_of_faces(face_ids)?;
    Ok(sync_each(cat, ctx, ids)?.errors)
}

/// What writing a root's sidecars did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct WriteAll {
    /// Captures with a decision or a named person.
    pub captures: u64,
    pub written: u64,
    pub unchanged: u64,
    /// Folders where sidecars could not be written, and why (once each).
    pub errors: Vec<String>,
    pub cancelled: bool,
}

/// Writes the sidecars of every capture of `root_id` that has a decision or
/// a named person (when sidecars were just turned on: what was decided
/// before shows in Lightroom too).
pub fn write_all(cat: &mut Catalog, ctx: &JobContext, root_id: i64) -> Result<WriteAll> {
    let ids = cat.captures_for_sidecars(root_id)?;
    sync_each(cat, ctx, ids)
}

/// The sidecars of these captures, nothing decided in this change (a newer
/// sidecar's marks win); progress per capture, cancellable; each failing
/// folder told once.
fn sync_each(cat: &mut Catalog, ctx: &JobContext, ids: Vec<i64>) -> Result<WriteAll> {
    let places = Places::load(cat, &ctx.machine)?;
    let mut out = WriteAll { captures: ids.len() as u64, ..Default::default() };
    let mut reporter = Reporter::default();
    ctx.progress.stage("sidecars", Some(ids.len() as u64));
    for cid in ids {
        if ctx.cancelled() {
            out.cancelled = true;
            break;
        }
        let before = cat.decisions_of(&[cid])?.into_iter().next();
        match sync(cat, &places, cid, before.as_ref(), Changed::default(), ctx.now())? {
            Ok(Synced::Written(_)) => out.written += 1,
            Ok(Synced::Unchanged(_)) => out.unchanged += 1,
            Ok(Synced::Off) => {}
            Err(e) => out.errors.extend(reporter.first(&e)),
        }
        ctx.progress.advance(1);
    }
    Ok(out)
}

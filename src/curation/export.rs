//! Export of picks: copies (never moves) the picked photos' originals into
//! a folder — the calendar folder — under a naming pattern, never over an
//! existing file, each copy verified by hash.
//!
//! Per picked capture one file is copied: the one the lightbox showed (the
//! best-scored present picture of the capture; a JPEG before a RAW of the
//! same score). A copy is written to a hidden partial file, synced, read
//! back and hashed; only a copy whose hash equals the catalogue's (and the
//! source's as read now) gets its final name, through a hard link that fails
//! rather than overwrite. A file already there with the same bytes counts as
//! exported before (re-running an export adds only what is new).

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use hma_catalog::{CaptureFile, Catalog};
use hma_media::hash::{hash_stream, ContentHash};
use serde::Serialize;

use crate::report::Places;
use crate::{EngineError, JobContext, Result};

/// The default naming pattern: `2024-12_IMG_0042.JPG`.
pub const DEFAULT_PATTERN: &str = "{YYYY}-{MM}_{name}";

/// One copied (or already present) file.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Exported {
    pub capture_id: i64,
    pub file_id: i64,
    pub source: String,
    pub dest: String,
    pub bytes: u64,
    /// xxh3-64, hex.
    pub hash: String,
}

/// A pick that could not be exported, and why.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ExportFailure {
    pub capture_id: i64,
    pub source: Option<String>,
    pub error: String,
}

/// What an export did.
#[derive(Debug, Clone, Default, Serialize, ts_rs::TS)]
pub struct ExportReport {
    pub dest: String,
    pub pattern: String,
    /// Picked captures found.
    pub picked: u64,
    /// Copied now, verified.
    pub copied: Vec<Exported>,
    /// Already in the folder with the same bytes (an earlier export).
    pub already_there: Vec<Exported>,
    pub failed: Vec<ExportFailure>,
    pub bytes_copied: u64,
    pub cancelled: bool,
}

/// Checks a naming pattern: tokens `{YYYY} {MM} {DD} {name} {stem} {ext}`,
/// no folder separators, and it must name the file (`{name}` or `{stem}`).
pub fn check_pattern(p: &str) -> Result<()> {
    if p.contains('/') || p.contains('\\') || p.contains("..") {
        return Err(EngineError::Invalid("the naming pattern may not contain / \\ or ..".into()));
    }
    if !p.contains("{name}") && !p.contains("{stem}") {
        return Err(EngineError::Invalid("the naming pattern must contain {name} or {stem}".into()));
    }
    let mut rest = p;
    while let Some(i) = rest.find('{') {
        let Some(j) = rest[i..].find('}') else {
            return Err(EngineError::Invalid(format!("unclosed {{ in pattern {p:?}")));
        };
        let tok = &rest[i + 1..i + j];
        if !["YYYY", "MM", "DD", "name", "stem", "ext"].contains(&tok) {
            return Err(EngineError::Invalid(format!("unknown token {{{tok}}} in pattern {p:?}")));
        }
        rest = &rest[i + j + 1..];
    }
    Ok(())
}

/// The file name a pattern gives (`date_ms`: capture time, camera local).
pub fn apply_pattern(p: &str, name: &str, date_ms: i64) -> String {
    let (y, m, d) = hma_media::exif::civil_from_days(date_ms.div_euclid(86_400_000));
    apply_pattern_parts(p, name, [&format!("{y:04}"), &format!("{m:02}"), &format!("{d:02}")])
}

/// The file name a pattern gives with `{YYYY}`, `{MM}` and `{DD}` as given.
pub fn apply_pattern_parts(p: &str, name: &str, [y, m, d]: [&str; 3]) -> String {
    let (stem, ext) = match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i + 1..]),
        _ => (name, ""),
    };
    p.replace("{YYYY}", y)
        .replace("{MM}", m)
        .replace("{DD}", d)
        .replace("{name}", name)
        .replace("{stem}", stem)
        .replace("{ext}", ext)
}

/// `name`, or `stem (2).ext`, `stem (3).ext`… for the n-th try.
fn numbered(name: &str, n: u32) -> String {
    if n < 2 {
        return name.to_string();
    }
    match name.rfind('.') {
        Some(i) if i > 0 => format!("{} ({n}){}", &name[..i], &name[i..]),
        _ => format!("{name} ({n})"),
    }
}

/// The file of a capture that export copies: best score, then JPEG, then
/// lowest id.
fn primary(files: &[&CaptureFile]) -> Option<CaptureFile> {
    files
        .iter()
        .max_by(|a, b| {
            let sa = a.score.unwrap_or(-1.0);
            let sb = b.score.unwrap_or(-1.0);
            sa.total_cmp(&sb).then((a.format == "jpeg").cmp(&(b.format == "jpeg"))).then(b.file_id.cmp(&a.file_id))
        })
        .map(|f| (*f).clone())
}

/// Checks the pattern and the folder (never inside a catalogued root: the
/// copies would be scanned as new photos), creates it, and starts the report.
fn prepare(places: &Places, dest: &Path, pattern: &str) -> Result<(PathBuf, ExportReport)> {
    check_pattern(pattern)?;
    if let Some((root, _)) = places.locate(&resolved(dest)) {
        return Err(EngineError::Invalid(format!(
            "the export folder is inside the catalogued folder {:?}; choose a folder outside your library",
            places.root_name(root)
        )));
    }
    std::fs::create_dir_all(dest).map_err(|e| EngineError::Io { path: dest.display().to_string(), source: e })?;
    let real_dest =
        std::fs::canonicalize(dest).map_err(|e| EngineError::Io { path: dest.display().to_string(), source: e })?;
    let report = ExportReport { dest: dest.display().to_string(), pattern: pattern.to_string(), ..Default::default() };
    Ok((real_dest, report))
}

/// Copies one file into the report: copied, already there, or failed.
fn export_one(
    places: &Places,
    f: &CaptureFile,
    real_dest: &Path,
    name_of: &dyn Fn(&str) -> String,
    report: &mut ExportReport,
    buf: &mut [u8],
) {
    let capture_id = f.capture_id.unwrap_or_default();
    let shown = places.path_in(f.root_id, &f.rel_path);
    match copy_one(places, f, real_dest, name_of, buf) {
        Ok((dest_path, bytes, fresh)) => {
            let e = Exported {
                capture_id,
                file_id: f.file_id,
                source: shown,
                dest: dest_path.display().to_string(),
                bytes,
                hash: f.content_hash.unwrap_or_default().to_hex(),
            };
            if fresh {
                report.bytes_copied += bytes;
                report.copied.push(e);
            } else {
                report.already_there.push(e);
            }
        }
        Err(error) => report.failed.push(ExportFailure { capture_id, source: Some(shown), error }),
    }
}

/// Copies these files into `dest` (created if needed), each named by
/// `pattern` with its own `{YYYY}`, `{MM}` and `{DD}`: the calendar's
/// export. A missing file fails (said so) and is never copied.
pub fn export_files(
    cat: &mut Catalog,
    places: &Places,
    dest: &Path,
    pattern: &str,
    items: &[(i64, [String; 3])],
    ctx: &JobContext,
) -> Result<ExportReport> {
    let (real_dest, mut report) = prepare(places, dest, pattern)?;
    report.picked = items.len() as u64;
    ctx.progress.stage("export", Some(items.len() as u64));
    let ids: Vec<i64> = items.iter().map(|i| i.0).collect();
    let files: std::collections::HashMap<i64, hma_catalog::FileRow> =
        cat.files_by_ids(&ids)?.into_iter().map(|f| (f.id, f)).collect();
    let mut buf = vec![0u8; 1 << 20];
    for (id, parts) in items {
        if ctx.cancelled() {
            report.cancelled = true;
            return Ok(report);
        }
        let Some(f) = files.get(id) else {
            report.failed.push(ExportFailure {
                capture_id: 0,
                source: None,
                error: format!("file {id} is not in the catalogue"),
            });
            continue;
        };
        if f.missing {
            report.failed.push(ExportFailure {
                capture_id: f.capture_id.unwrap_or_default(),
                source: Some(places.path_of(f)),
                error: "its file is missing (moved or deleted since the last scan)".into(),
            });
            ctx.progress.advance(1);
            continue;
        }
        let cf = CaptureFile {
            file_id: f.id,
            capture_id: f.capture_id,
            root_id: f.root_id,
            rel_path: f.rel_path.clone(),
            raw_path: f.raw_path.clone(),
            size: f.size,
            mtime_ns: f.mtime_ns,
            content_hash: f.content_hash,
            format: f.format.clone(),
            score: None,
            taken_local_ms: None,
        };
        let [y, m, d] = parts;
        let name_of = |name: &str| apply_pattern_parts(pattern, name, [y, m, d]);
        export_one(places, &cf, &real_dest, &name_of, &mut report, &mut buf);
        ctx.progress.advance(1);
    }
    Ok(report)
}

/// Copies every picked photo into `dest` (created if needed).
pub fn export_picks(
    cat: &mut Catalog,
    places: &Places,
    dest: &Path,
    pattern: &str,
    ctx: &JobContext,
) -> Result<ExportReport> {
    let (real_dest, mut report) = prepare(places, dest, pattern)?;
    let mut picked = Vec::new();
    let mut after = 0;
    loop {
        let page = cat.picked_captures_page(after, 1000)?;
        let Some(&last) = page.last() else { break };
        after = last;
        picked.extend(page);
    }
    report.picked = picked.len() as u64;
    ctx.progress.stage("export", Some(picked.len() as u64));
    let mut buf = vec![0u8; 1 << 20];
    for chunk in picked.chunks(500) {
        let files = cat.picture_files_of_captures(chunk)?;
        for &capture_id in chunk {
            if ctx.cancelled() {
                report.cancelled = true;
                return Ok(report);
            }
            let mine: Vec<&CaptureFile> = files.iter().filter(|f| f.capture_id == Some(capture_id)).collect();
            let Some(f) = primary(&mine) else {
                report.failed.push(ExportFailure {
                    capture_id,
                    source: None,
                    error: "no file of this photo is present (is its drive connected?)".into(),
                });
                ctx.progress.advance(1);
                continue;
            };
            let date = f.taken_local_ms.unwrap_or(f.mtime_ns.div_euclid(1_000_000));
            let name_of = |name: &str| apply_pattern(pattern, name, date);
            export_one(places, &f, &real_dest, &name_of, &mut report, &mut buf);
            ctx.progress.advance(1);
        }
    }
    Ok(report)
}

/// `path` absolute with links resolved, for as much of it as exists.
fn resolved(path: &Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut existing = abs.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(p), Some(n)) => {
                rest.push(n.to_os_string());
                existing = p;
            }
            _ => break,
        }
    }
    let mut out = std::fs::canonicalize(existing).unwrap_or_else(|_| existing.to_path_buf());
    out.extend(rest.iter().rev());
    out
}

/// Reads through to a writer: the copy and the hash of what was read come
/// from one pass over the source.
struct Tee<'a, R, W> {
    from: R,
    to: &'a mut W,
}

impl<R: Read, W: Write> Read for Tee<'_, R, W> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.from.read(buf)?;
        self.to.write_all(&buf[..n])?;
        Ok(n)
    }
}

fn hash_file(path: &Path, buf: &mut [u8]) -> std::io::Result<(ContentHash, u64)> {
    hash_stream(&[], &mut File::open(path)?, buf)
}

/// Copies one file; (final path, bytes, false when an identical file was
/// already there).
fn copy_one(
    places: &Places,
    f: &CaptureFile,
    dest: &Path,
    name_of: &dyn Fn(&str) -> String,
    buf: &mut [u8],
) -> std::result::Result<(PathBuf, u64, bool), String> {
    let src = places
        .os_path(f.root_id, &f.rel_path, f.raw_path.as_deref())
        .ok_or("its folder is not connected on this machine")?;
    let want = f.content_hash.ok_or("not hashed yet: scan first")?;
    let name = src.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    // Valid on the disk it goes to, whatever it is (often an exFAT or NTFS stick).
    let target_name = hma_media::portable::portable_file_name(&name_of(&name));
    // Same bytes already there under the name or a numbered one: done before.
    let mut n = 1;
    let final_path = loop {
        let candidate = dest.join(numbered(&target_name, n));
        match std::fs::symlink_metadata(&candidate) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => break candidate,
            Err(e) => return Err(format!("{}: {e}", candidate.display())),
            Ok(m) => {
                if m.is_file() && m.len() == f.size as u64 {
                    if let Ok((h, _)) = hash_file(&candidate, buf) {
                        if h == want {
                            return Ok((candidate, m.len(), false));
                        }
                    }
                }
            }
        }
        n += 1;
        if n > 9999 {
            return Err("too many files of that name in the export folder".into());
        }
    };
    // A name of this run's own, locked while it exists: a partial file a
    // killed earlier run left never blocks this copy, and is removed
    // (`sweep_partials`) once no run holds its lock.
    sweep_partials(dest);
    let partial = dest.join(format!(".{}.{}.hma-partial", numbered(&target_name, n), run_tag()));
    let mut created = false;
    let result = (|| {
        let source = File::open(&src).map_err(|e| format!("cannot read the original: {e}"))?;
        let mut out = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&partial)
            .map_err(|e| format!("cannot write {}: {e}", partial.display()))?;
        created = true;
        // Held until the partial is gone (its own handle: `out` is closed
        // before the copy is read back and named).
        let _lock = File::open(&partial).and_then(|l| l.lock().map(|()| l));
        let (read_hash, bytes) =
            hash_stream(&[], &mut Tee { from: source, to: &mut out }, buf).map_err(|e| format!("copy failed: {e}"))?;
        if read_hash != want {
            return Err("the original changed since it was catalogued: rescan, then export again".to_string());
        }
        out.sync_all().map_err(|e| format!("copy failed: {e}"))?;
        // The copy keeps the original's modification time, as a file manager's copy does.
        if let Ok(mt) = std::fs::metadata(&src).and_then(|m| m.modified()) {
            let _ = out.set_modified(mt);
        }
        drop(out);
        let (copy_hash, copy_bytes) =
            hash_file(&partial, buf).map_err(|e| format!("cannot read the copy back: {e}"))?;
        if copy_hash != want || copy_bytes != bytes {
            return Err("the copy does not match the original (disk full or failing?)".to_string());
        }
        // A hard link never replaces an existing file; where the file
        // system has none (FAT, some network shares), a checked rename.
        match std::fs::hard_link(&partial, &final_path) {
            Ok(()) => {
                let _ = std::fs::remove_file(&partial);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(format!("{} appeared while copying; try again", final_path.display()))
            }
            Err(_) => {
                copy_no_replace(&partial, &final_path, want, buf)?;
                let _ = std::fs::remove_file(&partial);
            }
        }
        Ok(bytes)
    })();
    match result {
        Ok(bytes) => Ok((final_path, bytes, true)),
        Err(e) => {
            if created {
                let _ = std::fs::remove_file(&partial);
            }
            Err(e)
        }
    }
}

/// Removes the partial files that killed runs left in `dest` (once a
/// process): only names of our own pattern (`.NAME.PID-MS.hma-partial`),
/// not this run's, and only when no live run holds the file's lock (a
/// killed process holds none). Found by the crash campaign: before this, a
/// copy killed mid-way left its partial in the user's folder for good.
fn sweep_partials(dest: &Path) {
    static SWEPT: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());
    {
        let mut swept = SWEPT.lock().unwrap_or_else(|e| e.into_inner());
        if swept.iter().any(|d| d == dest) {
            return;
        }
        swept.push(dest.to_path_buf());
    }
    let mine = format!(".{}.hma-partial", run_tag());
    let Ok(entries) = std::fs::read_dir(dest) else { return };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        if !is_partial_name(name) || name.ends_with(&mine) {
            continue;
        }
        let path = e.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else { continue };
        if !meta.is_file() {
            continue;
        }
        if let Ok(f) = File::open(&path) {
            if f.try_lock().is_ok() {
                drop(f);
                let _ = std::fs::remove_file(&path);
            }
        }
    }
}

/// `.NAME.PID-MS.hma-partial`, as `copy_one` names its partial files.
fn is_partial_name(name: &str) -> bool {
    let Some(stem) = name.strip_prefix('.').and_then(|n| n.strip_suffix(".hma-partial")) else { return false };
    let Some((head, tag)) = stem.rsplit_once('.') else { return false };
    let Some((pid, ms)) = tag.split_once('-') else { return false };
    !head.is_empty()
        && !pid.is_empty()
        && !ms.is_empty()
        && pid.bytes().all(|b| b.is_ascii_digit())
        && ms.bytes().all(|b| b.is_ascii_digit())
}

/// This run's tag for partial files: process id and start time.
fn run_tag() -> String {
    static TAG: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TAG.get_or_init(|| format!("{}-{}", std::process::id(), crate::system_now_ms())).clone()
}

/// Gives the verified copy `partial` its final name where the file system
/// has no hard links (FAT, some network shares). The standard library's
/// rename replaces an existing file on every platform, and the no-replace
/// renames (renameat2, renamex_np, MoveFileEx) are each one platform's, so
/// the final file is created with `create_new` (which fails rather than
/// replace), filled from the partial, synced and checked again. Written
/// here because no rename in std or a small crate does this everywhere.
fn copy_no_replace(
    partial: &Path,
    final_path: &Path,
    want: ContentHash,
    buf: &mut [u8],
) -> std::result::Result<(), String> {
    let mut out = match OpenOptions::new().write(true).create_new(true).open(final_path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(format!("{} appeared while copying; try again", final_path.display()))
        }
        Err(e) => return Err(format!("cannot name the copy: {e}")),
    };
    let written = (|| {
        let mut from = File::open(partial).map_err(|e| format!("cannot read the copy back: {e}"))?;
        std::io::copy(&mut from, &mut out).map_err(|e| format!("copy failed: {e}"))?;
        out.sync_all().map_err(|e| format!("copy failed: {e}"))?;
        if let Ok(mt) = std::fs::metadata(partial).and_then(|m| m.modified()) {
            let _ = out.set_modified(mt);
        }
        let (h, _) = hash_file(final_path, buf).map_err(|e| format!("cannot read the copy back: {e}"))?;
        if h != want {
            return Err("the copy does not match the original (disk full or failing?)".to_string());
        }
        Ok(())
    })();
    if written.is_err() {
        // This run created it: a broken copy must not keep the name.
        let _ = std::fs::remove_file(final_path);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_name_files_and_reject_folders() {
        let ms = hma_media::exif::days_from_civil(2024, 12, 24) * 86_400_000 + 3_600_000;
        assert_eq!(apply_pattern(DEFAULT_PATTERN, "IMG_0042.JPG", ms), "2024-12_IMG_0042.JPG");
        assert_eq!(apply_pattern("{YYYY}{MM}{DD}-{stem}.{ext}", "a.b.jpg", ms), "20241224-a.b.jpg");
        // Folder separators of any platform are refused in a pattern.
        for bad in ["{YYYY}/{name}", "{YYYY}\\{name}", "..{name}"] {
            assert!(check_pattern(bad).is_err(), "{bad}");
        }
        assert_eq!(numbered("x.jpg", 2), "x (2).jpg");
        assert_eq!(numbered("noext", 3), "noext (3)");
        assert!(check_pattern(DEFAULT_PATTERN).is_ok());
        assert!(check_pattern("{YYYY}/{name}").is_err());
        assert!(check_pattern("{YYYY}-{MM}").is_err());
        assert!(check_pattern("{name}-{foo}").is_err());
        assert!(check_pattern("..{name}").is_err());
    }

    /// A killed run's partial goes, a live run's (locked) and other files
    /// stay.
    #[test]
    fn the_partials_of_killed_runs_are_swept_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let put = |n: &str| std::fs::write(dir.path().join(n), b"half").unwrap();
        put(".a.jpg.123-1700000000000.hma-partial"); // a killed run's
        put(".b.jpg.456-1700000000001.hma-partial"); // a live run's, below
        put(".c.jpg.hma-partial"); // not our pattern
        put("d.jpg.123-1700000000000.hma-partial"); // not hidden: not ours
        put("e.jpg");
        let live = File::open(dir.path().join(".b.jpg.456-1700000000001.hma-partial")).unwrap();
        live.lock().unwrap();
        sweep_partials(dir.path());
        let mut left: Vec<String> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        left.sort();
        assert_eq!(
            left,
            [
                ".b.jpg.456-1700000000001.hma-partial",
                ".c.jpg.hma-partial",
                "d.jpg.123-1700000000000.hma-partial",
                "e.jpg"
            ]
        );
        assert!(is_partial_name(".x (2).jpg.1-2.hma-partial"));
        assert!(!is_partial_name(".x.jpg.1-.hma-partial") && !is_partial_name("..1-2.hma-partial"));
    }
}

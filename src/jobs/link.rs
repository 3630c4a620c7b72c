//! Linking files of one moment: RAW+JPEG pairs, edits, sidecars and exact
//! copies share a capture, and each link is recorded with the signal that
//! made it and a confidence.
//!
//! Signals, strongest first: identical content (`content_hash`, at insert),
//! XMP `xmpMM:DerivedFrom` (`xmp_derived_from`), a sidecar's name
//! (`sidecar_name`), Pixel's `.RAW-01.MP.COVER` names (`pixel_name`), the same
//! stem in one folder (`same_stem`), an editor's suffix (`editor_suffix`), and
//! across folders the same capture time to the sub-second from the same camera
//! body (`capture_time_serial`). Captures merge only when their EXIF does not
//! contradict (same second, same model), so a burst is never folded into one.

use std::collections::{HashMap, HashSet};

use hma_catalog::{CaptureFields, Catalog, FileRow, Relation, RelationKind};
use hma_media::lineage::stem_info;
use hma_media::xmp::Xmp;
use hma_media::Kind;

use crate::capture::fill_gaps;
use crate::Result;

fn file_name(rel: &str) -> &str {
    rel.rsplit('/').next().unwrap_or(rel)
}

/// True when two captures can be one moment.
pub fn compatible(a: &CaptureFields, b: &CaptureFields) -> bool {
    let same_second = match (a.taken_local_ms, b.taken_local_ms) {
        (Some(x), Some(y)) => x.div_euclid(1000) == y.div_euclid(1000),
        _ => true,
    };
    let same_model = match (&a.model, &b.model) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    };
    same_second && same_model
}

fn rel(file: i64, other: i64, kind: RelationKind, signal: &str, confidence: f64) -> Relation {
    Relation { file_id: file, other_file_id: other, kind, signal_name: signal.into(), confidence }
}

/// Merges capture `from` into `into` (fields fill gaps; files move over).
fn merge(
    cat: &mut Catalog,
    caps: &mut HashMap<i64, CaptureFields>,
    files: &mut [FileRow],
    into: i64,
    from: i64,
) -> Result<()> {
    if into == from {
        return Ok(());
    }
    let src = caps.remove(&from).unwrap_or_default();
    let dst = caps.entry(into).or_default();
    fill_gaps(dst, &src);
    let dst = dst.clone();
    cat.update_capture(into, &dst)?;
    cat.merge_capture(from, into)?;
    for f in files.iter_mut().filter(|f| f.capture_id == Some(from)) {
        f.capture_id = Some(into);
    }
    Ok(())
}

/// Reads a sidecar's XMP again (None: unreadable, or not wanted).
pub type ReadSidecar<'a> = dyn Fn(&FileRow) -> Option<Xmp> + 'a;

/// Links the files of the given folders of a root. `xmps` holds the XMP
/// read in this batch (sidecars' content, packets embedded in files);
/// `read_sidecar` reads that of a sidecar not linked to a photo yet and not
/// read in this batch (its photo may arrive now).
pub fn link_dirs(
    cat: &mut Catalog,
    root_id: i64,
    dirs: &HashSet<i64>,
    xmps: &HashMap<i64, Xmp>,
    read_sidecar: &ReadSidecar,
) -> Result<()> {
    // Whether a changed sidecar may overrule a decision (roots with sidecars on).
    let sidecars_on = cat.root(root_id)?.sidecars;
    for &d in dirs {
        link_dir(cat, root_id, d, xmps, read_sidecar, sidecars_on)?;
    }
    Ok(())
}

fn link_dir(
    cat: &mut Catalog,
    root_id: i64,
    dir_key: i64,
    xmps: &HashMap<i64, Xmp>,
    read_sidecar: &ReadSidecar,
    sidecars_on: bool,
) -> Result<()> {
    let mut files: Vec<FileRow> = cat.files_in_dir(root_id, dir_key)?.into_iter().filter(|f| !f.missing).collect();
    // Sidecars still without a photo, read again: one may arrive now.
    let mut xmps = std::borrow::Cow::Borrowed(xmps);
    for f in &files {
        if f.kind == Kind::Sidecar && f.capture_id.is_none() && !xmps.contains_key(&f.id) {
            if let Some(x) = read_sidecar(f) {
                xmps.to_mut().insert(f.id, x);
            }
        }
    }
    let xmps = &*xmps;
    let cap_ids: Vec<i64> = files.iter().filter_map(|f| f.capture_id).collect::<HashSet<_>>().into_iter().collect();
    let mut caps: HashMap<i64, CaptureFields> =
        cat.captures_by_ids(&cap_ids)?.into_iter().map(|c| (c.id, c.fields)).collect();
    let mut rels = Vec::new();

    // Group by stem.
    let mut groups: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, f) in files.iter().enumerate() {
        groups.entry(stem_info(file_name(&f.rel_path)).base).or_default().push(i);
    }
    let mut group_list: Vec<Vec<usize>> = groups.into_values().filter(|g| g.len() > 1).collect();
    group_list.sort();
    for group in group_list {
        let is_media = |f: &FileRow| f.capture_id.is_some() && (matches!(f.kind, Kind::Image | Kind::Raw));
        let edit = |f: &FileRow| stem_info(file_name(&f.rel_path)).edit_suffix.is_some();
        let media: Vec<usize> = group.iter().copied().filter(|&i| is_media(&files[i])).collect();
        let Some(&primary) = media
            .iter()
            .find(|&&i| files[i].kind == Kind::Raw && !edit(&files[i]))
            .or_else(|| media.iter().find(|&&i| !edit(&files[i])))
            .or(media.first())
        else {
            continue;
        };
        for &i in &media {
            if i == primary || files[i].content_hash == files[primary].content_hash {
                continue;
            }
            let pixel = file_name(&files[i].rel_path).to_lowercase().contains(".raw-0")
                || file_name(&files[primary].rel_path).to_lowercase().contains(".raw-0");
            let (kind, signal, conf) = if edit(&files[i]) {
                (RelationKind::EditOf, "editor_suffix", 0.9)
            } else if files[i].kind != files[primary].kind {
                (RelationKind::RawJpegPair, if pixel { "pixel_name" } else { "same_stem" }, 0.95)
            } else {
                continue; // two renderings with one stem: not enough to say
            };
            rels.push(rel(files[i].id, files[primary].id, kind, signal, conf));
            let (a, b) = (files[primary].capture_id.unwrap_or_default(), files[i].capture_id.unwrap_or_default());
            if a != b
                && compatible(&caps.get(&a).cloned().unwrap_or_default(), &caps.get(&b).cloned().unwrap_or_default())
            {
                merge(cat, &mut caps, &mut files, a, b)?;
            }
        }
        // Sidecars: `a.jpg.xmp` belongs to `a.jpg`, `a.xmp` to the primary.
        let sidecars: Vec<usize> = group.iter().copied().filter(|&i| files[i].kind == Kind::Sidecar).collect();
        for s in sidecars {
            let target_name = file_name(&files[s].rel_path).to_lowercase();
            let target_name = target_name.trim_end_matches(".xmp");
            let target = group
                .iter()
                .copied()
                .find(|&i| i != s && file_name(&files[i].rel_path).to_lowercase() == target_name)
                .unwrap_or(primary);
            rels.push(rel(files[s].id, files[target].id, RelationKind::SidecarOf, "sidecar_name", 1.0));
            if files[s].capture_id != files[target].capture_id {
                cat.set_file_capture(files[s].id, files[target].capture_id)?;
                files[s].capture_id = files[target].capture_id;
            }
            if let (Some(x), Some(cid)) = (xmps.get(&files[s].id), files[target].capture_id) {
                apply_xmp(cat, &mut caps, cid, x, true)?;
                // Another program's sidecar, newer than the decision here, wins.
                if sidecars_on {
                    crate::sidecar::newer_sidecar_wins(cat, cid, &files[s], x)?;
                }
            }
        }
    }

    // XMP packets read in this batch: embedded keywords, and DerivedFrom.
    for i in 0..files.len() {
        let Some(x) = xmps.get(&files[i].id) else { continue };
        let subject = if files[i].kind == Kind::Sidecar {
            rels.iter().find(|r| r.file_id == files[i].id && r.kind == RelationKind::SidecarOf).map(|r| r.other_file_id)
        } else {
            Some(files[i].id)
        };
        let Some(subject) = subject.and_then(|id| files.iter().position(|f| f.id == id)) else { continue };
        if files[i].kind != Kind::Sidecar {
            if let Some(cid) = files[subject].capture_id {
                apply_xmp(cat, &mut caps, cid, x, false)?;
            }
        }
        if let Some(path) = &x.derived_from_path {
            let name = path.rsplit(['/', '\\']).next().unwrap_or(path).to_lowercase();
            let stem = stem_info(&name).base;
            let orig = files.iter().position(|f| file_name(&f.rel_path).to_lowercase() == name).or_else(|| {
                files.iter().position(|f| f.kind != Kind::Sidecar && stem_info(file_name(&f.rel_path)).base == stem)
            });
            if let Some(o) = orig.filter(|&o| o != subject) {
                rels.push(rel(files[subject].id, files[o].id, RelationKind::EditOf, "xmp_derived_from", 0.98));
                if let (Some(a), Some(b)) = (files[o].capture_id, files[subject].capture_id) {
                    if a != b
                        && compatible(
                            &caps.get(&a).cloned().unwrap_or_default(),
                            &caps.get(&b).cloned().unwrap_or_default(),
                        )
                    {
                        merge(cat, &mut caps, &mut files, a, b)?;
                    }
                }
            }
        }
    }

    // Across folders: the same instant (to the sub-second) from the same body.
    let mut done = HashSet::new();
    for i in 0..files.len() {
        let Some(cid) = files[i].capture_id else { continue };
        let Some(c) = caps.get(&cid).cloned() else { continue };
        let (Some(t), true, Some(serial)) = (c.taken_local_ms, c.taken_has_ms, c.serial.clone()) else { continue };
        if !done.insert(cid) {
            continue;
        }
        for other in cat.captures_at(t)? {
            let o = other.fields;
            if other.id == cid || !o.taken_has_ms || o.serial.as_deref() != Some(serial.as_str()) || o.model != c.model
            {
                continue;
            }
            let theirs = cat.files_of_capture(other.id)?;
            if let Some(peer) = theirs.iter().find(|f| matches!(f.kind, Kind::Image | Kind::Raw)) {
                let me = &files[i];
                let (kind, from, to) = if me.kind != peer.kind {
                    let (jpeg, raw) = if me.kind == Kind::Raw { (peer.id, me.id) } else { (me.id, peer.id) };
                    (RelationKind::RawJpegPair, jpeg, raw)
                } else if me.id > peer.id {
                    (RelationKind::EditOf, me.id, peer.id)
                } else {
                    (RelationKind::EditOf, peer.id, me.id)
                };
                rels.push(rel(from, to, kind, "capture_time_serial", 0.9));
            }
            let (into, from) = (cid.min(other.id), cid.max(other.id));
            caps.insert(other.id, o);
            merge(cat, &mut caps, &mut files, into, from)?;
            break;
        }
    }
    cat.add_relations(&rels)?;
    Ok(())
}

/// Applies XMP to a capture. A sidecar is authoritative (it overwrites);
/// a packet embedded in the file only fills gaps.
fn apply_xmp(
    cat: &mut Catalog,
    caps: &mut HashMap<i64, CaptureFields>,
    cid: i64,
    x: &Xmp,
    sidecar: bool,
) -> Result<()> {
    let fields = caps.entry(cid).or_default();
    let before = fields.clone();
    if sidecar {
        fields.rating = x.rating.or(fields.rating);
        fields.label = x.label.clone().or(fields.label.take());
        fields.pick = x.pick.or(fields.pick);
    } else {
        fields.rating = fields.rating.or(x.rating);
        fields.label = fields.label.take().or(x.label.clone());
        fields.pick = fields.pick.or(x.pick);
    }
    if *fields != before {
        let f = fields.clone();
        cat.update_capture(cid, &f)?;
    }
    let kws: Vec<(String, bool)> =
        x.keywords.iter().map(|k| (k.clone(), false)).chain(x.hierarchical.iter().map(|k| (k.clone(), true))).collect();
    cat.add_keywords(cid, &kws)?;
    Ok(())
}

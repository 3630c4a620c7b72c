//! Walking a storage root: every file below it with its size and mtime, and
//! every problem met on the way (unreadable folders, link loops) as an item of
//! its own, so one bad folder never stops the walk.
//!
//! Symbolic links are followed (photo libraries often link folders in), and
//! `walkdir` detects loops. Hidden entries and the litter that NAS boxes and
//! operating systems leave in photo folders are skipped.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::UNIX_EPOCH;

use crate::path::RelPath;
use crate::sniff;

/// A file found under a root.
#[derive(Debug, Clone)]
pub struct Found {
    /// Where it is, relative to the root.
    pub rel: RelPath,
    /// Where it is on this machine.
    pub path: PathBuf,
    /// The file name (lossy UTF-8), for sniffing by extension.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: i64,
}

/// Something the walk could not get through.
#[derive(Debug, Clone)]
pub struct WalkProblem {
    /// The path (relative to the root where known, portable text).
    pub rel: String,
    /// What went wrong, in words.
    pub message: String,
}

/// One item of a walk.
#[derive(Debug)]
pub enum WalkItem {
    /// A file the catalogue should know.
    File(Found),
    /// A problem, recorded and counted by the caller.
    Problem(WalkProblem),
    /// A file skipped because it is not media (its extension).
    Ignored,
}

/// Names never catalogued: system litter, thumbnail caches, trash.
fn is_litter(name: &str) -> bool {
    name.starts_with('.')
        || matches!(
            name,
            "@eaDir" | "#recycle" | "$RECYCLE.BIN" | "System Volume Information" | "Thumbs.db" | "desktop.ini" | "lost+found"
        )
}

/// True for files the catalogue tracks: images, RAW, video and XMP sidecars
/// by extension; names without an extension are sniffed later too.
pub fn is_media_name(name: &str) -> bool {
    match sniff::extension(name) {
        None => false,
        Some(ext) => {
            sniff::claims_image(name)
                || ext == "xmp"
                || matches!(
                    ext.as_str(),
                    "mp4" | "mov" | "m4v" | "avi" | "mts" | "m2ts" | "mkv" | "3gp" | "webm" | "mpg" | "mpeg" | "hif" | "jfif"
                )
        }
    }
}

/// Walks `root`, calling `visit` for each item, until done or `cancel` is set.
pub fn walk(root: &Path, cancel: &AtomicBool, mut visit: impl FnMut(WalkItem)) {
    let it = walkdir::WalkDir::new(root)
        .follow_links(true)
        .min_depth(1)
        .into_iter()
        .filter_entry(|e| !is_litter(&e.file_name().to_string_lossy()));
    for entry in it {
        if cancel.load(Ordering::Relaxed) {
            return;
        }
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let rel = e
                    .path()
                    .and_then(|p| p.strip_prefix(root).ok())
                    .map(|p| RelPath::from_relative(p).text)
                    .unwrap_or_default();
                let message = if e.loop_ancestor().is_some() {
                    "symbolic link loop: this folder links back to one of its parents; not followed".to_string()
                } else if let Some(io) = e.io_error() {
                    format!("cannot read: {io}")
                } else {
                    e.to_string()
                };
                visit(WalkItem::Problem(WalkProblem { rel, message }));
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        if !is_media_name(&name) {
            visit(WalkItem::Ignored);
            continue;
        }
        let rel = RelPath::from_relative(entry.path().strip_prefix(root).unwrap_or(entry.path()));
        match entry.metadata() {
            Ok(md) => {
                let mtime_ns = md
                    .modified()
                    .ok()
                    .and_then(|t| match t.duration_since(UNIX_EPOCH) {
                        Ok(d) => i64::try_from(d.as_nanos()).ok(),
                        Err(e) => i64::try_from(e.duration().as_nanos()).ok().map(|n| -n),
                    })
                    .unwrap_or(0);
                visit(WalkItem::File(Found { rel, path: entry.path().to_path_buf(), name, size: md.len(), mtime_ns }));
            }
            Err(e) => visit(WalkItem::Problem(WalkProblem { rel: rel.text, message: format!("cannot stat: {e}") })),
        }
    }
}

//! Walking a storage root: every file below it with its size and mtime, and
//! every problem met on the way (unreadable folders, link loops) as an item of
//! its own, so one bad folder never stops the walk.
//!
//! Folders are read by several threads at once (a rescan is all stat calls).
//! Symbolic links are followed while they lead to a place inside the root
//! (the rule of [`crate::beneath`]); a link that leads out of the root, or
//! back to an enclosing folder, is reported, not followed. Hidden entries
//! and the litter that NAS boxes and operating systems leave in photo folders
//! are skipped.

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
            "@eaDir"
                | "#recycle"
                | "$RECYCLE.BIN"
                | "System Volume Information"
                | "Thumbs.db"
                | "desktop.ini"
                | "lost+found"
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
                    "mp4"
                        | "mov"
                        | "m4v"
                        | "avi"
                        | "mts"
                        | "m2ts"
                        | "mkv"
                        | "3gp"
                        | "webm"
                        | "mpg"
                        | "mpeg"
                        | "hif"
                        | "jfif"
                )
        }
    }
}

/// One folder to read, with the folders above it (device, inode) so a link
/// back to one of them is caught.
struct DirJob {
    path: PathBuf,
    ancestors: std::sync::Arc<Vec<(u64, u64)>>,
}

#[cfg(unix)]
fn dev_ino(md: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (md.dev(), md.ino())
}

#[cfg(not(unix))]
fn dev_ino(_: &std::fs::Metadata) -> (u64, u64) {
    (0, 0) // Windows: junction loops are bounded by the depth limit below
}

/// Deepest folder followed (a guard where loops cannot be detected).
const MAX_DEPTH: usize = 256;

fn mtime_ns(md: &std::fs::Metadata) -> i64 {
    md.modified()
        .ok()
        .and_then(|t| match t.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_nanos()).ok(),
            Err(e) => i64::try_from(e.duration().as_nanos()).ok().map(|n| -n),
        })
        .unwrap_or(0)
}

fn rel_text(root: &Path, p: &Path) -> String {
    RelPath::from_relative(p.strip_prefix(root).unwrap_or(p)).text
}

/// Walks `root` with `threads` threads reading folders in parallel (stat
/// calls dominate a rescan; on a NAS or SSD they overlap well), calling
/// `visit` on the calling thread for each item, until done or `cancel` is
/// set. Symbolic links that lead to a place inside the root are followed; one
/// that leads out is reported as such, and a link back to an enclosing folder
/// as a loop; neither is followed.
pub fn walk(root: &Path, threads: usize, cancel: &AtomicBool, mut visit: impl FnMut(WalkItem)) {
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;
    let root_md = match std::fs::metadata(root) {
        Ok(m) => m,
        Err(e) => {
            visit(WalkItem::Problem(WalkProblem { rel: String::new(), message: format!("cannot read root: {e}") }));
            return;
        }
    };
    // Links are judged against the root's real place (the root's own path
    // may itself go through links: that is the user's choice).
    let real_root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let real_root = real_root.as_path();
    let (dir_tx, dir_rx) = crossbeam_channel::unbounded::<DirJob>();
    let (out_tx, out_rx) = crossbeam_channel::bounded::<WalkItem>(4096);
    let pending = AtomicUsize::new(1);
    dir_tx
        .send(DirJob { path: root.to_path_buf(), ancestors: std::sync::Arc::new(vec![dev_ino(&root_md)]) })
        .expect("queue open");
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            let (dir_tx, dir_rx, out_tx, pending) = (dir_tx.clone(), dir_rx.clone(), out_tx.clone(), &pending);
            s.spawn(move || loop {
                let job = match dir_rx.recv_timeout(Duration::from_millis(5)) {
                    Ok(j) => j,
                    Err(_) if pending.load(Ordering::Acquire) == 0 || cancel.load(Ordering::Relaxed) => return,
                    Err(_) => continue,
                };
                read_dir(root, real_root, &job, &dir_tx, &out_tx, pending, cancel);
                pending.fetch_sub(1, Ordering::AcqRel);
            });
        }
        drop(out_tx);
        drop(dir_tx);
        for item in out_rx {
            visit(item);
        }
    });
}

/// What the walk says of a link that leads out of the root.
pub const LINK_OUT: &str = "a symbolic link to a place outside this folder; not followed \
     (add the folder it leads to as a folder of its own to catalogue it)";

fn read_dir(
    root: &Path,
    real_root: &Path,
    job: &DirJob,
    dirs: &crossbeam_channel::Sender<DirJob>,
    out: &crossbeam_channel::Sender<WalkItem>,
    pending: &std::sync::atomic::AtomicUsize,
    cancel: &AtomicBool,
) {
    let problem = |p: &Path, message: String| WalkItem::Problem(WalkProblem { rel: rel_text(root, p), message });
    let rd = match std::fs::read_dir(&job.path) {
        Ok(rd) => rd,
        Err(e) => {
            let _ = out.send(problem(&job.path, format!("cannot read folder: {e}")));
            return;
        }
    };
    for entry in rd {
        if cancel.load(Ordering::Relaxed) {
            return;
        }
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let _ = out.send(problem(&job.path, format!("cannot read folder: {e}")));
                continue;
            }
        };
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_litter(&name) {
            continue;
        }
        let path = entry.path();
        let Ok(ft) = entry.file_type() else { continue };
        let is_link = ft.is_symlink();
        // Regular files and folders are known from the directory entry; a
        // link is resolved (followed) with a stat.
        let (is_dir, is_file) = if is_link {
            match std::fs::metadata(&path) {
                Ok(_) if !crate::beneath::leads_inside(real_root, &path) => {
                    let _ = out.send(problem(&path, LINK_OUT.to_string()));
                    continue;
                }
                Ok(m) => (m.is_dir(), m.is_file()),
                Err(e) => {
                    let _ = out.send(problem(&path, format!("broken symbolic link: {e}")));
                    continue;
                }
            }
        } else {
            (ft.is_dir(), ft.is_file())
        };
        if is_dir {
            let md = match std::fs::metadata(&path) {
                Ok(m) => m,
                Err(e) => {
                    let _ = out.send(problem(&path, format!("cannot read folder: {e}")));
                    continue;
                }
            };
            let id = dev_ino(&md);
            if (cfg!(unix) && is_link && job.ancestors.contains(&id)) || job.ancestors.len() >= MAX_DEPTH {
                let _ = out.send(problem(
                    &path,
                    "symbolic link loop: this folder links back to one of its parents; not followed".to_string(),
                ));
                continue;
            }
            let mut anc = (*job.ancestors).clone();
            anc.push(id);
            pending.fetch_add(1, Ordering::AcqRel);
            let _ = dirs.send(DirJob { path, ancestors: std::sync::Arc::new(anc) });
        } else if is_file {
            if !is_media_name(&name) {
                let _ = out.send(WalkItem::Ignored);
                continue;
            }
            let md = if is_link { std::fs::metadata(&path) } else { entry.metadata() };
            let item = match md {
                Ok(md) => {
                    let rel = RelPath::from_relative(path.strip_prefix(root).unwrap_or(&path));
                    WalkItem::File(Found { rel, name, size: md.len(), mtime_ns: mtime_ns(&md), path })
                }
                Err(e) => problem(&path, format!("cannot stat: {e}")),
            };
            if out.send(item).is_err() {
                return;
            }
        }
    }
}

//! One rule for what lies inside a root: a file is inside when the way to
//! it from the root's folder stays beneath that folder. A symbolic link that
//! leads to another place inside the root is followed; one that leads out
//! (to another disk, to the user's home, to `/etc`) is not, and neither is
//! `..`. The walk records such links as problems, and every read of an
//! original (the scanner's, the app's protocol, a drag out of the app) opens
//! the file through [`Beneath`], so what is read is what the rule allows at
//! the moment of opening — there is no gap between a check and the read.
//!
//! `cap-std` does the opening: on Linux one `openat2` with
//! `RESOLVE_BENEATH`; elsewhere a walk of the path one component at a time
//! with links resolved inside the folder. Writing that by hand for three
//! systems is what the crate exists for.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use cap_std::ambient_authority;
use cap_std::fs::Dir;

/// The words a refused route gives (the error's text).
pub const OUTSIDE: &str = "reached through a link that leads out of its folder; not read";

/// A folder that files are opened beneath.
#[derive(Debug)]
pub struct Beneath {
    dir: Dir,
    /// The folder as given (paths to open start with it).
    base: PathBuf,
    /// The folder with every link resolved.
    real: PathBuf,
}

impl Beneath {
    /// Opens the folder `base` (links in `base` itself are the user's
    /// choice and are followed).
    pub fn new(base: &Path) -> io::Result<Beneath> {
        Ok(Beneath {
            dir: Dir::open_ambient_dir(base, ambient_authority())?,
            base: base.to_path_buf(),
            real: std::fs::canonicalize(base)?,
        })
    }

    /// The folder.
    pub fn base(&self) -> &Path {
        &self.base
    }

    /// Opens `path` for reading: a path under the folder (as given to
    /// [`Beneath::new`]) or one relative to it. A route out of the folder
    /// is refused with an error of kind `PermissionDenied` whose text is
    /// [`OUTSIDE`]; a path not under the folder at all, likewise.
    pub fn open(&self, path: &Path) -> io::Result<File> {
        let rel = if path.is_absolute() { path.strip_prefix(&self.base).map_err(|_| outside())? } else { path };
        if rel.as_os_str().is_empty() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "a folder, not a file"));
        }
        let opened = match self.dir.open(rel) {
            // cap-std refuses every absolute link, even one that leads
            // inside (`/home/anna/Pictures/best` → `…/Pictures/2019`), as
            // the rule allows: such a path is resolved, and its real form,
            // which has no links, is opened beneath again (a link swapped
            // in meanwhile is refused by that open).
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => match self.resolved_inside(rel) {
                Some(real_rel) => self.dir.open(real_rel),
                None => Err(e),
            },
            other => other,
        };
        match opened {
            Ok(f) => {
                let f = f.into_std();
                if f.metadata()?.is_dir() {
                    return Err(io::Error::new(io::ErrorKind::InvalidInput, "a folder, not a file"));
                }
                Ok(f)
            }
            // cap-std says "a path led outside of the filesystem"; ours
            // says what it means for a photo.
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied && self.escapes(rel) => Err(outside()),
            Err(e) => Err(e),
        }
    }

    /// `rel` resolved, relative to the real folder, when it lies beneath.
    fn resolved_inside(&self, rel: &Path) -> Option<PathBuf> {
        let real = std::fs::canonicalize(self.base.join(rel)).ok()?;
        real.strip_prefix(&self.real).ok().filter(|r| !r.as_os_str().is_empty()).map(Path::to_path_buf)
    }

    /// Whether a refused `rel` was refused for leaving the folder, not
    /// for the file's own permissions: the way to it does not resolve
    /// beneath, or it is a link whose target lies outside.
    fn escapes(&self, rel: &Path) -> bool {
        match self.dir.symlink_metadata(rel) {
            Ok(m) if m.is_symlink() => self.resolved_inside(rel).is_none(),
            Ok(_) => false,
            Err(_) => true,
        }
    }
}

/// The error of a route out of the folder (inside an `io::Error` of kind
/// `PermissionDenied`; see [`is_outside`]).
#[derive(Debug)]
struct Outside;

impl std::fmt::Display for Outside {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(OUTSIDE)
    }
}

impl std::error::Error for Outside {}

fn outside() -> io::Error {
    io::Error::new(io::ErrorKind::PermissionDenied, Outside)
}

/// Whether an error from [`Beneath::open`] is a route out of the folder
/// (not a missing or unreadable file).
pub fn is_outside(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<Outside>())
}

/// Opens `path` beneath `base` (see [`Beneath::open`]), for a single file.
pub fn open(base: &Path, path: &Path) -> io::Result<File> {
    Beneath::new(base)?.open(path)
}

/// Whether `path` (a link's place, or anything else) resolves to a place
/// beneath `base`; both are resolved first. `base` should already be real
/// (as the walk makes it).
pub fn leads_inside(real_base: &Path, path: &Path) -> bool {
    std::fs::canonicalize(path).is_ok_and(|p| p.starts_with(real_base))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::io::Read;
    use std::os::unix::fs::symlink;

    fn read(b: &Beneath, p: &Path) -> io::Result<String> {
        let mut s = String::new();
        b.open(p)?.read_to_string(&mut s)?;
        Ok(s)
    }

    #[test]
    fn links_inside_are_followed_and_links_out_are_refused() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("root");
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::create_dir_all(t.path().join("out")).unwrap();
        std::fs::write(root.join("a/b/in.jpg"), "inside").unwrap();
        std::fs::write(t.path().join("out/secret.jpg"), "secret").unwrap();
        symlink(root.join("a/b/in.jpg"), root.join("link-in.jpg")).unwrap();
        symlink("b/in.jpg", root.join("a/rel-in.jpg")).unwrap();
        symlink(t.path().join("out/secret.jpg"), root.join("link-out.jpg")).unwrap();
        symlink("../out/secret.jpg", root.join("rel-out.jpg")).unwrap();
        symlink(t.path().join("out"), root.join("folder-out")).unwrap();
        symlink(root.join("a"), root.join("folder-in")).unwrap();
        let b = Beneath::new(&root).unwrap();

        assert_eq!(read(&b, &root.join("a/b/in.jpg")).unwrap(), "inside");
        assert_eq!(read(&b, Path::new("a/b/in.jpg")).unwrap(), "inside");
        assert_eq!(read(&b, &root.join("link-in.jpg")).unwrap(), "inside");
        assert_eq!(read(&b, &root.join("a/rel-in.jpg")).unwrap(), "inside");
        assert_eq!(read(&b, &root.join("folder-in/b/in.jpg")).unwrap(), "inside");
        for bad in [
            root.join("link-out.jpg"),
            root.join("rel-out.jpg"),
            root.join("folder-out/secret.jpg"),
            root.join("../out/secret.jpg"),
            root.join("a/../../out/secret.jpg"),
            t.path().join("out/secret.jpg"),
            PathBuf::from("../out/secret.jpg"),
        ] {
            let e = read(&b, &bad).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::PermissionDenied, "{bad:?}: {e}");
            assert_eq!(e.to_string(), OUTSIDE, "{bad:?}");
            assert!(is_outside(&e), "{bad:?}");
        }
        // Missing files and folders are what they are.
        let missing = read(&b, &root.join("nope.jpg")).unwrap_err();
        assert_eq!(missing.kind(), io::ErrorKind::NotFound);
        assert!(!is_outside(&missing));
        assert_eq!(read(&b, &root.join("a")).unwrap_err().kind(), io::ErrorKind::InvalidInput);

        let real = std::fs::canonicalize(&root).unwrap();
        assert!(leads_inside(&real, &root.join("link-in.jpg")));
        assert!(leads_inside(&real, &root.join("folder-in")));
        assert!(!leads_inside(&real, &root.join("link-out.jpg")));
        assert!(!leads_inside(&real, &root.join("folder-out")));
        assert!(!leads_inside(&real, &root.join("broken-link-to-nowhere")));
    }

    #[test]
    fn a_link_swapped_in_after_a_check_is_still_refused_at_the_open() {
        // The check-then-read gap: the path was a file when it was looked
        // at, and is a link out when it is opened. The open itself refuses.
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("root");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(t.path().join("secret.jpg"), "secret").unwrap();
        std::fs::write(root.join("photo.jpg"), "photo").unwrap();
        let b = Beneath::new(&root).unwrap();
        assert_eq!(read(&b, &root.join("photo.jpg")).unwrap(), "photo");
        std::fs::remove_file(root.join("photo.jpg")).unwrap();
        symlink(t.path().join("secret.jpg"), root.join("photo.jpg")).unwrap();
        assert_eq!(read(&b, &root.join("photo.jpg")).unwrap_err().to_string(), OUTSIDE);
    }
}

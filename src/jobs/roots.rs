//! Adding and removing roots (the folders and drives the catalogue covers),
//! shared by `hma root` and the app's library screen. Removing a root
//! forgets it in the catalogue only; not one file on disk is touched.

use std::path::{Path, PathBuf};

use hma_catalog::{Catalog, Root};

use crate::{EngineError, JobContext, Result};

/// Adds a folder as a root (refusing one that is, or overlaps, an existing
/// root: its files would be catalogued twice). Returns the root and the
/// absolute path recorded for this machine.
pub fn add_root(
    cat: &mut Catalog,
    path: &Path,
    name: Option<&str>,
    backup: bool,
    ctx: &JobContext,
) -> Result<(Root, String)> {
    let abs = std::fs::canonicalize(path)
        .map_err(|e| EngineError::Invalid(format!("{} is not a readable folder: {e}", path.display())))?;
    if !abs.is_dir() {
        return Err(EngineError::Invalid(format!("{} is not a folder", abs.display())));
    }
    let name = match name {
        Some(n) if !n.trim().is_empty() => n.trim().to_string(),
        _ => abs.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "root".into()),
    };
    // As a person types it (Windows' canonical form is `\\?\D:\…`).
    let path_s =
        hma_media::portable::simplify_verbatim(abs.to_str().ok_or_else(|| {
            EngineError::Invalid(format!("{} is not valid Unicode; rename the folder", abs.display()))
        })?)
        .into_owned();
    let abs = PathBuf::from(&path_s);
    for (other, loc) in cat.roots(&ctx.machine)? {
        let Some(loc) = loc else { continue };
        let other_path = Path::new(&loc);
        if abs == other_path {
            return Err(EngineError::Invalid(format!("{} is already the root '{}'", abs.display(), other.name)));
        }
        if abs.starts_with(other_path) || other_path.starts_with(&abs) {
            return Err(EngineError::Invalid(format!(
                "{} overlaps the root '{}' at {}: its files would be catalogued twice",
                abs.display(),
                other.name,
                loc
            )));
        }
    }
    for (what, ours) in our_places(cat, ctx) {
        if ours.starts_with(&abs) {
            return Err(EngineError::Invalid(format!(
                "{} holds {what} ({}): our files would be catalogued as photos; move it out of the folder first",
                abs.display(),
                ours.display()
            )));
        }
    }
    let root = cat.add_root(&name, &path_s, &ctx.machine, backup, ctx.now())?;
    Ok((root, path_s))
}

/// Where our own files live on this machine: the cache (previews) and an
/// embedded catalogue's file, as absolute paths with links resolved as far
/// as they exist.
fn our_places(cat: &Catalog, ctx: &JobContext) -> Vec<(&'static str, std::path::PathBuf)> {
    let resolve = |p: &Path| {
        // `..` taken away by the names before it (as the folders will be
        // made), then the deepest existing ancestor resolved, the rest appended.
        let mut base = std::path::PathBuf::new();
        for c in std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()).components() {
            match c {
                std::path::Component::ParentDir => {
                    base.pop();
                }
                std::path::Component::CurDir => {}
                other => base.push(other),
            }
        }
        let mut rest = Vec::new();
        while !base.exists() {
            match (base.parent(), base.file_name()) {
                (Some(parent), Some(name)) => {
                    rest.push(name.to_os_string());
                    base = parent.to_path_buf();
                }
                _ => break,
            }
        }
        let mut real = std::fs::canonicalize(&base).unwrap_or(base);
        real.extend(rest.iter().rev());
        real
    };
    let mut out = vec![("the preview cache", resolve(&ctx.cache_dir))];
    if let Some(f) = cat.sqlite_file() {
        out.push(("the catalogue", resolve(f)));
    }
    out
}

/// Refuses to run when the preview cache or the catalogue's file lies
/// inside a root on this machine: previews would be written among the
/// originals and catalogued as photos.
pub fn check_our_places(cat: &mut Catalog, ctx: &JobContext) -> Result<()> {
    let roots = cat.roots(&ctx.machine)?;
    for (what, ours) in our_places(cat, ctx) {
        for (root, loc) in &roots {
            let Some(loc) = loc else { continue };
            if ours.starts_with(loc) {
                return Err(EngineError::Invalid(format!(
                    "{what} ({}) is inside the root '{}': choose a place outside your photos{}",
                    ours.display(),
                    root.name,
                    if what == "the preview cache" { " (--cache-dir)" } else { " (--catalog)" }
                )));
            }
        }
    }
    Ok(())
}

/// Forgets a root: its files, their captures (unless another root's file
/// shares them), decisions on those captures, and the groups they were in
/// (rebuilt from what remains). The folder on disk is not touched.
/// Returns how many file rows were forgotten.
pub fn remove_root(cat: &mut Catalog, name: &str, ctx: &JobContext) -> Result<u64> {
    let root = cat.root_by_name(name)?.ok_or_else(|| EngineError::NotFound(format!("no root named '{name}'")))?;
    let n = cat.transaction(|cat| cat.forget_root(root.id))?;
    cat.refresh_stats(ctx.now())?;
    if n > 0 {
        let sig = cat.groups_signature()?;
        crate::groups::rebuild(cat, ctx, &sig)?;
    }
    Ok(n)
}

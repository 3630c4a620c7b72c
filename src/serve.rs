//! What the desktop app's custom protocol may serve, and nothing else:
//! previews from our cache and originals the catalogue knows, asked for by
//! content hash or file id — never by a path. A request is parsed strictly
//! (`preview/<16 hex>/<grid|loupe>` or `original/<decimal id>`); anything
//! else — `..`, absolute paths, percent-encoded separators, extra segments,
//! unknown ids — is refused before the file system is touched. The file is
//! then opened beneath its folder ([`hma_media::beneath`]): a preview beneath
//! the preview cache, an original beneath its root, with no link or `..`
//! leading out — the same rule the scanner follows — and what is served is
//! read from that open file, so nothing can be swapped in between the check
//! and the read.

use std::path::{Path, PathBuf};

use hma_catalog::{Catalog, ContentHash};

use crate::analyze::{preview_path, PreviewSize};
use crate::report::Places;

/// A request the protocol understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Asset {
    /// The preview of a content: `grid` or `loupe`.
    Preview { content_hash: ContentHash, size: PreviewSize },
    /// A catalogued original, by file id.
    Original { file_id: i64 },
}

/// Why a request is refused (the app shows `{code, message}`).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Refused {
    #[error("not a request this app serves")]
    BadRequest,
    #[error("no such picture")]
    NotFound,
    #[error("outside the places this app may read")]
    Forbidden,
}

impl Refused {
    /// A stable code for the UI.
    pub fn code(&self) -> &'static str {
        match self {
            Refused::BadRequest => "bad_request",
            Refused::NotFound => "not_found",
            Refused::Forbidden => "forbidden",
        }
    }
}

/// Parses a request path such as `preview/00ab…/grid` or `original/42`
/// (a leading `/` is allowed; nothing is decoded, so `%2F` stays literal
/// and fails the strict shape).
pub fn parse(request: &str) -> Result<Asset, Refused> {
    let parts: Vec<&str> = request.strip_prefix('/').unwrap_or(request).split('/').collect();
    match parts.as_slice() {
        ["preview", hash, size] => {
            if hash.len() != 16 || !hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
                return Err(Refused::BadRequest);
            }
            let h = ContentHash::from_hex(hash).ok_or(Refused::BadRequest)?;
            let size = PreviewSize::parse(size).ok_or(Refused::BadRequest)?;
            Ok(Asset::Preview { content_hash: h, size })
        }
        ["original", id] => {
            if id.is_empty() || id.len() > 18 || !id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Refused::BadRequest);
            }
            Ok(Asset::Original { file_id: id.parse().map_err(|_| Refused::BadRequest)? })
        }
        _ => Err(Refused::BadRequest),
    }
}

/// An asset opened for reading.
#[derive(Debug)]
pub struct Opened {
    /// The open file (read this: it is the file that was checked).
    pub file: std::fs::File,
    /// Its real path (links resolved), beneath its folder.
    pub path: PathBuf,
}

/// Opens `path` beneath `base` (see [`hma_media::beneath`]).
fn open_beneath(base: &Path, path: &Path) -> Result<Opened, Refused> {
    let file = hma_media::beneath::open(base, path).map_err(|e| {
        if hma_media::beneath::is_outside(&e) {
            Refused::Forbidden
        } else {
            Refused::NotFound
        }
    })?;
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return Err(Refused::NotFound);
    }
    // The real path, for a drag (the OS reads it by name later): checked
    // again, though the bytes served come from `file`.
    let real = std::fs::canonicalize(path).map_err(|_| Refused::NotFound)?;
    let real_base = std::fs::canonicalize(base).map_err(|_| Refused::NotFound)?;
    if !real.starts_with(&real_base) {
        return Err(Refused::Forbidden);
    }
    Ok(Opened { file, path: real })
}

/// The file to serve for a request, as [`resolve_asset`] finds it.
pub fn resolve(cat: &mut Catalog, places: &Places, cache: &Path, request: &str) -> Result<PathBuf, Refused> {
    resolve_asset(cat, places, cache, &parse(request)?)
}

/// The real path of an asset (parsed from a request, or named by the app
/// itself, as the drag of a catalogued original is), as [`open_asset`]
/// finds it.
pub fn resolve_asset(cat: &mut Catalog, places: &Places, cache: &Path, asset: &Asset) -> Result<PathBuf, Refused> {
    open_asset(cat, places, cache, asset).map(|o| o.path)
}

/// Opens an asset: a preview beneath the preview cache of the cache folder
/// `cache`, or a present, catalogued original beneath its root on this
/// machine.
pub fn open_asset(cat: &mut Catalog, places: &Places, cache: &Path, asset: &Asset) -> Result<Opened, Refused> {
    match *asset {
        Asset::Preview { content_hash, size } => {
            // Only contents the catalogue analysed have previews to show.
            cat.analysis(content_hash).map_err(|_| Refused::NotFound)?.ok_or(Refused::NotFound)?;
            open_beneath(&cache.join("previews"), &preview_path(cache, content_hash, size))
        }
        Asset::Original { file_id } => {
            let rows = cat.files_by_ids(&[file_id]).map_err(|_| Refused::NotFound)?;
            let f = rows.first().filter(|f| !f.missing).ok_or(Refused::NotFound)?;
            let path = places.os_path_of(f).ok_or(Refused::NotFound)?;
            let root = places.root_path(f.root_id).ok_or(Refused::NotFound)?;
            open_beneath(&root, &path)
        }
    }
}

/// A file the protocol serves: its bytes, what they are, and how long the
/// webview may keep them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    pub bytes: Vec<u8>,
    /// The MIME type, from the file's extension (previews are always JPEG).
    pub mime: &'static str,
    /// The `Cache-Control` header: previews are content-addressed, so the
    /// same URL never changes; originals are checked again each time.
    pub cache_control: &'static str,
}

/// The MIME type of a picture file, by its extension; what browsers cannot
/// show is served as bytes (`application/octet-stream`).
pub fn mime_of(path: &Path) -> &'static str {
    let ext = path.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "jpg" | "jpeg" | "jpe" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "bmp" => "image/bmp",
        "avif" => "image/avif",
        "tif" | "tiff" => "image/tiff",
        _ => "application/octet-stream",
    }
}

/// Serves one request: parses it, resolves the asset and reads the file.
pub fn load(cat: &mut Catalog, places: &Places, cache: &Path, request: &str) -> Result<Served, Refused> {
    use std::io::Read;
    let asset = parse(request)?;
    let mut opened = open_asset(cat, places, cache, &asset)?;
    let preview = matches!(asset, Asset::Preview { .. });
    let mut bytes = Vec::new();
    opened.file.read_to_end(&mut bytes).map_err(|_| Refused::NotFound)?;
    let cache_control = if preview { "max-age=31536000, immutable" } else { "no-cache" };
    Ok(Served { bytes, mime: mime_of(&opened.path), cache_control })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_two_strict_shapes_parse() {
        assert_eq!(
            parse("preview/00ff00ff00ff00ff/grid"),
            Ok(Asset::Preview { content_hash: ContentHash(0x00ff00ff00ff00ff), size: PreviewSize::Grid })
        );
        assert_eq!(parse("/original/42"), Ok(Asset::Original { file_id: 42 }));
        for bad in [
            "",
            "/",
            "preview/../../etc/passwd",
            "preview/00ff00ff00ff00ff/../grid",
            "preview/00ff00ff00ff00ff/grid/",
            "preview/00FF00FF00FF00FF/grid",
            "preview/00ff00ff00ff00f/grid",
            "preview/00ff00ff00ff00ff/original",
            "preview/00ff00ff00ff00ff%2Fgrid",
            "preview%2F00ff00ff00ff00ff%2Fgrid",
            "original/..",
            "original/-1",
            "original/42/../43",
            "original/4%32",
            "original//etc/passwd",
            "original/0x2a",
            "/etc/passwd",
            "C:\\Windows\\win.ini",
            "original/99999999999999999999",
            "file:///etc/passwd",
        ] {
            assert_eq!(parse(bad), Err(Refused::BadRequest), "{bad:?}");
        }
    }

    #[test]
    fn types_follow_the_extension_in_any_case() {
        assert_eq!(mime_of(Path::new("/a/IMG_1.JPG")), "image/jpeg");
        assert_eq!(mime_of(Path::new("x.Tiff")), "image/tiff");
        assert_eq!(mime_of(Path::new("x.webp")), "image/webp");
        assert_eq!(mime_of(Path::new("raw.CR3")), "application/octet-stream");
        assert_eq!(mime_of(Path::new("no_extension")), "application/octet-stream");
    }
}

//! File identity inside a storage root.
//!
//! A file is known by (root, relative path). The relative path is stored as
//! text with `/` separators in Unicode NFC, so the same folder reads the same
//! on Windows, macOS (which hands out NFD names) and Linux, and a root that is
//! relocated to another machine matches its rows again.
//!
//! Names are not always valid UTF-8 (old Linux drives, FAT media written by
//! cameras with local code pages). Those bytes are kept losslessly in
//! [`RelPath::raw`], and [`RelPath::to_os_path`] maps the row back to the very
//! same file; the text form escapes each bad byte as `\xNN` for display.

use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

use unicode_normalization::{is_nfc, UnicodeNormalization};

use crate::hash::ContentHash;

/// A path relative to a storage root, in the catalogue's portable form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelPath {
    /// `/`-separated, NFC; undecodable bytes escaped as `\xNN`.
    pub text: String,
    /// The exact bytes of the name on this platform, when they differ from
    /// `text` (not UTF-8, or not NFC). `None` when `text` is exact.
    pub raw: Option<Vec<u8>>,
}

impl RelPath {
    /// Builds the portable form of `rel`, a path relative to its root.
    pub fn from_relative(rel: &Path) -> RelPath {
        let mut text = String::new();
        let mut raw: Vec<u8> = Vec::new();
        let mut exact = true;
        for (i, comp) in rel.components().enumerate() {
            let Component::Normal(part) = comp else { continue };
            if i > 0 && !text.is_empty() {
                text.push('/');
                raw.push(b'/');
            }
            let bytes = os_bytes(part);
            raw.extend_from_slice(&bytes);
            match std::str::from_utf8(&bytes) {
                Ok(s) if is_nfc(s) => text.push_str(s),
                Ok(s) => {
                    exact = false;
                    text.extend(s.nfc());
                }
                Err(_) => {
                    exact = false;
                    push_escaped(&mut text, &bytes);
                }
            }
        }
        RelPath { text, raw: (!exact).then_some(raw) }
    }

    /// The key the catalogue indexes: xxh3 of the portable text.
    pub fn key(&self) -> i64 {
        ContentHash::of(self.text.as_bytes()).to_db()
    }

    /// The folder part of `text` ("" for files at the root).
    pub fn dir(&self) -> &str {
        dir_of(&self.text)
    }

    /// The path of this file under `root` on this machine.
    pub fn to_os_path(&self, root: &Path) -> PathBuf {
        match &self.raw {
            Some(raw) if cfg!(unix) => root.join(bytes_to_os(raw)),
            _ => {
                let mut p = root.to_path_buf();
                for part in self.text.split('/') {
                    p.push(part);
                }
                p
            }
        }
    }
}

/// The folder part of a portable relative path ("" for the root itself).
pub fn dir_of(text: &str) -> &str {
    text.rfind('/').map_or("", |i| &text[..i])
}

/// Key of a folder, for listing one folder through an index.
pub fn dir_key(dir: &str) -> i64 {
    ContentHash::of(dir.as_bytes()).to_db()
}

fn push_escaped(out: &mut String, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        match std::str::from_utf8(bytes) {
            Ok(s) => {
                out.extend(s.nfc());
                return;
            }
            Err(e) => {
                let (good, rest) = bytes.split_at(e.valid_up_to());
                out.extend(std::str::from_utf8(good).unwrap_or_default().nfc());
                let bad = e.error_len().unwrap_or(rest.len());
                for b in &rest[..bad] {
                    out.push_str(&format!("\\x{b:02X}"));
                }
                bytes = &rest[bad..];
            }
        }
    }
}

#[cfg(unix)]
fn os_bytes(s: &std::ffi::OsStr) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    s.as_bytes().to_vec()
}

#[cfg(not(unix))]
fn os_bytes(s: &std::ffi::OsStr) -> Vec<u8> {
    // On Windows names are UTF-16; unpaired surrogates survive as WTF-8 here.
    s.as_encoded_bytes().to_vec()
}

#[cfg(unix)]
fn bytes_to_os(b: &[u8]) -> OsString {
    use std::os::unix::ffi::OsStringExt;
    OsString::from_vec(b.to_vec())
}

#[cfg(not(unix))]
fn bytes_to_os(b: &[u8]) -> OsString {
    OsString::from(String::from_utf8_lossy(b).into_owned())
}

/// Makes `path` absolute without touching the file system's links, for
/// storing root locations.
pub fn absolute(path: &Path) -> std::io::Result<PathBuf> {
    std::path::absolute(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_nfc_path_is_exact() {
        let p = RelPath::from_relative(Path::new("2024/Geburtstag 🎂/写真.jpg"));
        assert_eq!(p.text, "2024/Geburtstag 🎂/写真.jpg");
        assert_eq!(p.raw, None);
        assert_eq!(p.dir(), "2024/Geburtstag 🎂");
    }

    #[test]
    fn nfd_names_are_normalised_but_kept() {
        let nfd = "Cafe\u{301}.jpg"; // e + combining acute, as macOS writes it
        let p = RelPath::from_relative(Path::new(nfd));
        assert_eq!(p.text, "Café.jpg");
        assert_eq!(p.raw.as_deref(), Some(nfd.as_bytes()));
        assert_eq!(p.to_os_path(Path::new("/r")), Path::new("/r").join(nfd));
    }

    #[cfg(unix)]
    #[test]
    fn invalid_utf8_round_trips() {
        use std::os::unix::ffi::OsStrExt;
        let name = std::ffi::OsStr::from_bytes(b"dir/bad\xFF\xFEname.jpg");
        let p = RelPath::from_relative(Path::new(name));
        assert_eq!(p.text, "dir/bad\\xFF\\xFEname.jpg");
        assert_eq!(p.to_os_path(Path::new("/root")), Path::new("/root").join(name));
    }
}

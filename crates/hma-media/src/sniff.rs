//! What a file is, from its first bytes (magic numbers) and, where the bytes
//! are ambiguous (TIFF-based RAW formats share the TIFF header), its name.

use serde::Serialize;

/// The broad kind of a file, as the catalogue and the UI group them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "diesel", derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow))]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
pub enum Kind {
    /// A rendered image (JPEG, HEIC, PNG, TIFF, WebP, AVIF, JXL, GIF, BMP).
    Image,
    /// A camera RAW file.
    Raw,
    /// A video clip.
    Video,
    /// An XMP sidecar.
    Sidecar,
    /// Anything else found in a photo folder.
    Other,
}

impl Kind {
    /// The name stored in the catalogue.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Image => "image",
            Kind::Raw => "raw",
            Kind::Video => "video",
            Kind::Sidecar => "sidecar",
            Kind::Other => "other",
        }
    }

    /// The kind a stored name means.
    pub fn parse(s: &str) -> Option<Kind> {
        [Kind::Image, Kind::Raw, Kind::Video, Kind::Sidecar, Kind::Other].into_iter().find(|k| k.as_str() == s)
    }
}

/// Stored as its name (`image`, `raw` …), on every backend.
#[cfg(feature = "diesel")]
impl<DB: diesel::backend::Backend> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for Kind
where
    str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
{
    fn to_sql<'b>(&'b self, out: &mut diesel::serialize::Output<'b, '_, DB>) -> diesel::serialize::Result {
        self.as_str().to_sql(out)
    }
}

#[cfg(feature = "diesel")]
impl<DB: diesel::backend::Backend> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for Kind
where
    String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
        let s = String::from_sql(bytes)?;
        Kind::parse(&s).ok_or_else(|| format!("unknown file kind {s:?}").into())
    }
}

pub const RAW_EXTS: &[&str] = &[
    "cr2", "cr3", "crw", "nef", "nrw", "arw", "srf", "sr2", "dng", "raf", "orf", "rw2", "rwl", "pef", "srw", "x3f",
    "mrw", "iiq", "3fr", "erf", "kdc", "dcr", "mos", "raw",
];
const VIDEO_EXTS: &[&str] = &["mp4", "mov", "m4v", "avi", "mts", "m2ts", "mkv", "3gp", "webm", "mpg", "mpeg"];

/// Lower-case extension of a file name, if any.
pub fn extension(name: &str) -> Option<String> {
    let (stem, ext) = name.rsplit_once('.')?;
    (!stem.is_empty() && !ext.is_empty() && !ext.contains('/')).then(|| ext.to_ascii_lowercase())
}

/// Decides kind and format from the first bytes of the file and its name.
/// Formats are lower-case short names (`jpeg`, `heic`, `cr2`, `xmp` …).
pub fn sniff(head: &[u8], name: &str) -> (Kind, String) {
    let ext = extension(name).unwrap_or_default();
    let is_raw_ext = RAW_EXTS.contains(&ext.as_str());
    let f = |k: Kind, s: &str| (k, s.to_string());
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return f(Kind::Image, "jpeg");
    }
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return f(Kind::Image, "png");
    }
    if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
        return if is_raw_ext { (Kind::Raw, ext) } else { f(Kind::Image, "tiff") };
    }
    if head.starts_with(b"IIRO") || head.starts_with(b"IIU\0") {
        return (Kind::Raw, if is_raw_ext { ext } else { "orf".into() });
    }
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        let brand = &head[8..12];
        return match brand {
            b"crx " => f(Kind::Raw, "cr3"),
            b"avif" | b"avis" => f(Kind::Image, "avif"),
            b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" | b"mif1" | b"msf1" => f(Kind::Image, "heic"),
            b"qt  " => f(Kind::Video, "mov"),
            _ if VIDEO_EXTS.contains(&ext.as_str()) => (Kind::Video, ext),
            _ => f(Kind::Video, "mp4"),
        };
    }
    if head.starts_with(b"RIFF") && head.len() >= 12 && &head[8..12] == b"WEBP" {
        return f(Kind::Image, "webp");
    }
    if head.starts_with(b"FUJIFILMCCD-RAW") {
        return f(Kind::Raw, "raf");
    }
    if head.starts_with(b"\0MRM") {
        return f(Kind::Raw, "mrw");
    }
    if head.starts_with(b"FOVb") {
        return f(Kind::Raw, "x3f");
    }
    if head.len() >= 14 && &head[6..14] == b"HEAPCCDR" {
        return f(Kind::Raw, "crw");
    }
    if head.starts_with(&[0xFF, 0x0A]) || head.starts_with(b"\0\0\0\x0cJXL \r\n\x87\n") {
        return f(Kind::Image, "jxl");
    }
    if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        return f(Kind::Image, "gif");
    }
    if head.starts_with(b"BM") && ext == "bmp" {
        return f(Kind::Image, "bmp");
    }
    if ext == "xmp" {
        return f(Kind::Sidecar, "xmp");
    }
    if is_raw_ext {
        // A RAW name whose bytes we cannot recognise: keep the claim, the
        // reader will record what went wrong.
        return (Kind::Raw, ext);
    }
    if VIDEO_EXTS.contains(&ext.as_str()) {
        return (Kind::Video, ext);
    }
    (Kind::Other, if ext.is_empty() { "unknown".into() } else { ext })
}

/// True for names that claim to be an image or RAW file (used to judge
/// whether bytes that do not parse are an error worth reporting).
pub fn claims_image(name: &str) -> bool {
    let ext = extension(name).unwrap_or_default();
    RAW_EXTS.contains(&ext.as_str())
        || ["jpg", "jpeg", "jpe", "heic", "heif", "hif", "png", "tif", "tiff", "webp", "avif", "jxl", "gif", "bmp"]
            .contains(&ext.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_beats_extension() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE1], "x.png"), (Kind::Image, "jpeg".into()));
        assert_eq!(sniff(b"II*\0\x08\0\0\0", "IMG_1.CR2"), (Kind::Raw, "cr2".into()));
        assert_eq!(sniff(b"II*\0\x08\0\0\0", "scan.tif"), (Kind::Image, "tiff".into()));
        assert_eq!(sniff(b"\0\0\0\x18ftypcrx \0\0\0\x01", "a.CR3"), (Kind::Raw, "cr3".into()));
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0\0\0", "a.HEIC"), (Kind::Image, "heic".into()));
        assert_eq!(sniff(b"random bytes", "fake.jpg"), (Kind::Other, "jpg".into()));
        assert_eq!(sniff(b"<x:xmpmeta", "a.jpg.xmp"), (Kind::Sidecar, "xmp".into()));
    }
}

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

/// A file's format: what its bytes are, as `sniff` decides it. Rendered
/// formats and XMP are recognised by their bytes; camera RAW formats and
/// video containers are named by their usual extension (from a fixed list);
/// anything else keeps its lower-case extension, or `unknown`. Stored and
/// shown as that short name (`jpeg`, `heic`, `cr2`, `mov` …).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "diesel", derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow))]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
pub enum Format {
    Jpeg,
    Png,
    Tiff,
    Heic,
    Avif,
    Webp,
    Jxl,
    Gif,
    Bmp,
    /// An XMP sidecar.
    Xmp,
    /// A camera RAW format, one of [`RAW_EXTS`].
    Raw(&'static str),
    /// A video container, one of the video extensions.
    Video(&'static str),
    /// Anything else: the file's lower-case extension, or `unknown`.
    Other(String),
}

impl Format {
    const NAMED: [(Format, &'static str); 10] = [
        (Format::Jpeg, "jpeg"),
        (Format::Png, "png"),
        (Format::Tiff, "tiff"),
        (Format::Heic, "heic"),
        (Format::Avif, "avif"),
        (Format::Webp, "webp"),
        (Format::Jxl, "jxl"),
        (Format::Gif, "gif"),
        (Format::Bmp, "bmp"),
        (Format::Xmp, "xmp"),
    ];

    /// Its short name, as stored and shown.
    pub fn as_str(&self) -> &str {
        match self {
            Format::Raw(s) | Format::Video(s) => s,
            Format::Other(s) => s,
            f => Format::NAMED.iter().find(|(g, _)| g == f).map(|(_, n)| *n).expect("every named format is listed"),
        }
    }

    /// The format a short name means (never fails: an unknown name is `Other`).
    pub fn parse(s: &str) -> Format {
        if let Some((f, _)) = Format::NAMED.iter().find(|(_, n)| *n == s) {
            return f.clone();
        }
        if let Some(r) = RAW_EXTS.iter().find(|r| **r == s) {
            return Format::Raw(r);
        }
        if let Some(v) = VIDEO_EXTS.iter().find(|v| **v == s) {
            return Format::Video(v);
        }
        Format::Other(s.to_string())
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Format {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl PartialEq<&str> for Format {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(feature = "diesel")]
impl<DB: diesel::backend::Backend> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for Format
where
    str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
{
    fn to_sql<'b>(&'b self, out: &mut diesel::serialize::Output<'b, '_, DB>) -> diesel::serialize::Result {
        self.as_str().to_sql(out)
    }
}

#[cfg(feature = "diesel")]
impl<DB: diesel::backend::Backend> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for Format
where
    String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
        Ok(Format::parse(&String::from_sql(bytes)?))
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
pub fn sniff(head: &[u8], name: &str) -> (Kind, Format) {
    let ext = extension(name).unwrap_or_default();
    let raw_ext = RAW_EXTS.iter().find(|r| **r == ext).copied();
    let video_ext = VIDEO_EXTS.iter().find(|v| **v == ext).copied();
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return (Kind::Image, Format::Jpeg);
    }
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return (Kind::Image, Format::Png);
    }
    if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
        return match raw_ext {
            Some(r) => (Kind::Raw, Format::Raw(r)),
            None => (Kind::Image, Format::Tiff),
        };
    }
    if head.starts_with(b"IIRO") || head.starts_with(b"IIU\0") {
        return (Kind::Raw, Format::Raw(raw_ext.unwrap_or("orf")));
    }
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        let brand = &head[8..12];
        return match brand {
            b"crx " => (Kind::Raw, Format::Raw("cr3")),
            b"avif" | b"avis" => (Kind::Image, Format::Avif),
            b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" | b"mif1" | b"msf1" => {
                (Kind::Image, Format::Heic)
            }
            b"qt  " => (Kind::Video, Format::Video("mov")),
            _ => (Kind::Video, Format::Video(video_ext.unwrap_or("mp4"))),
        };
    }
    if head.starts_with(b"RIFF") && head.len() >= 12 && &head[8..12] == b"WEBP" {
        return (Kind::Image, Format::Webp);
    }
    if head.starts_with(b"FUJIFILMCCD-RAW") {
        return (Kind::Raw, Format::Raw("raf"));
    }
    if head.starts_with(b"\0MRM") {
        return (Kind::Raw, Format::Raw("mrw"));
    }
    if head.starts_with(b"FOVb") {
        return (Kind::Raw, Format::Raw("x3f"));
    }
    if head.len() >= 14 && &head[6..14] == b"HEAPCCDR" {
        return (Kind::Raw, Format::Raw("crw"));
    }
    if head.starts_with(&[0xFF, 0x0A]) || head.starts_with(b"\0\0\0\x0cJXL \r\n\x87\n") {
        return (Kind::Image, Format::Jxl);
    }
    if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        return (Kind::Image, Format::Gif);
    }
    if head.starts_with(b"BM") && ext == "bmp" {
        return (Kind::Image, Format::Bmp);
    }
    if ext == "xmp" {
        return (Kind::Sidecar, Format::Xmp);
    }
    if let Some(r) = raw_ext {
        // A RAW name whose bytes we cannot recognise: keep the claim, the
        // reader will record what went wrong.
        return (Kind::Raw, Format::Raw(r));
    }
    if let Some(v) = video_ext {
        return (Kind::Video, Format::Video(v));
    }
    (Kind::Other, Format::Other(if ext.is_empty() { "unknown".into() } else { ext }))
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
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE1], "x.png"), (Kind::Image, Format::Jpeg));
        assert_eq!(sniff(b"II*\0\x08\0\0\0", "IMG_1.CR2"), (Kind::Raw, Format::Raw("cr2")));
        assert_eq!(sniff(b"II*\0\x08\0\0\0", "scan.tif"), (Kind::Image, Format::Tiff));
        assert_eq!(sniff(b"\0\0\0\x18ftypcrx \0\0\0\x01", "a.CR3"), (Kind::Raw, Format::Raw("cr3")));
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0\0\0", "a.HEIC"), (Kind::Image, Format::Heic));
        assert_eq!(sniff(b"random bytes", "fake.jpg"), (Kind::Other, Format::Other("jpg".into())));
        assert_eq!(sniff(b"<x:xmpmeta", "a.jpg.xmp"), (Kind::Sidecar, Format::Xmp));
    }

    #[test]
    fn format_names_round_trip() {
        let mut all: Vec<Format> = Format::NAMED.iter().map(|(f, _)| f.clone()).collect();
        all.extend(RAW_EXTS.iter().map(|r| Format::Raw(r)));
        all.extend(VIDEO_EXTS.iter().map(|v| Format::Video(v)));
        all.extend(["unknown", "txt", "psd"].map(|o| Format::Other(o.into())));
        for f in all {
            assert_eq!(Format::parse(f.as_str()), f, "{f}");
        }
        assert_eq!(Format::Jpeg.as_str(), "jpeg");
        assert_eq!(serde_json::to_string(&Format::Raw("nef")).unwrap(), "\"nef\"");
    }
}

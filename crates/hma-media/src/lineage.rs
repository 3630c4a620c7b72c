//! Names that tie files of one moment together: RAW+JPEG pairs share a stem,
//! editors append suffixes to the original's stem, and Google Pixel phones
//! write `PXL_…RAW-01.MP.COVER.jpg` beside `PXL_….dng`.
//!
//! These are name signals only; the scanner combines them with capture time,
//! camera serial and XMP `DerivedFrom` before it links files.

/// How a name relates to the stem of the photo it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StemInfo {
    /// The stem of the original, lower-cased (`img_1234`).
    pub base: String,
    /// Set when the name carries an editor's suffix (`-edit`, ` (2)`, `_v1`…):
    /// the suffix as found.
    pub edit_suffix: Option<String>,
}

/// Splits a file name into the stem it belongs to and any editor suffix.
/// Sidecars (`a.jpg.xmp`, `a.xmp`) report the stem of their photo.
pub fn stem_info(file_name: &str) -> StemInfo {
    let lower = file_name.to_lowercase();
    let mut stem = lower.as_str();
    // a.jpg.xmp -> a.jpg -> a
    if let Some(s) = stem.strip_suffix(".xmp") {
        stem = s;
    }
    // Pixel: PXL_20231101_101010123.RAW-01.MP.COVER.jpg / .RAW-02.ORIGINAL.dng
    if let Some(i) = stem.find(".raw-0") {
        return StemInfo { base: stem[..i].to_string(), edit_suffix: None };
    }
    if let Some((s, ext)) = stem.rsplit_once('.') {
        if !s.is_empty() && ext.len() <= 5 && ext.chars().all(|c| c.is_ascii_alphanumeric()) {
            stem = s;
        }
    }
    for suffix in
        ["-edit", "_edit", " edit", "-edited", "_edited", "-bearbeitet", "-hdr", "-pano", "-enhanced-nr", "-enhanced"]
    {
        if let Some(base) = strip_numbered(stem, suffix) {
            return StemInfo { base: base.to_string(), edit_suffix: Some(stem[base.len()..].to_string()) };
        }
    }
    // " (2)", "_v1", "-v2", "-1" copies of exports.
    if let Some(base) = strip_copy_counter(stem) {
        return StemInfo { base: base.to_string(), edit_suffix: Some(stem[base.len()..].to_string()) };
    }
    StemInfo { base: stem.to_string(), edit_suffix: None }
}

/// `img-edit`, `img-edit-2`, `img-edit2` → `img`.
fn strip_numbered<'a>(stem: &'a str, suffix: &str) -> Option<&'a str> {
    let i = stem.rfind(suffix)?;
    let tail = &stem[i + suffix.len()..];
    let tail = tail.trim_start_matches(['-', '_', ' ']);
    (i > 0 && tail.chars().all(|c| c.is_ascii_digit())).then(|| &stem[..i])
}

fn strip_copy_counter(stem: &str) -> Option<&str> {
    // " (2)"
    if let Some(open) = stem.rfind(" (") {
        let inner = stem[open + 2..].strip_suffix(')')?;
        if open > 0 && !inner.is_empty() && inner.chars().all(|c| c.is_ascii_digit()) {
            return Some(&stem[..open]);
        }
    }
    // "_v1", "-v2"
    for sep in ["_v", "-v"] {
        if let Some(i) = stem.rfind(sep) {
            let digits = &stem[i + 2..];
            if i > 0 && !digits.is_empty() && digits.len() <= 3 && digits.chars().all(|c| c.is_ascii_digit()) {
                return Some(&stem[..i]);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(n: &str) -> (String, bool) {
        let s = stem_info(n);
        (s.base, s.edit_suffix.is_some())
    }

    #[test]
    fn pairs_and_edits() {
        assert_eq!(base("IMG_1234.CR2"), ("img_1234".into(), false));
        assert_eq!(base("IMG_1234.JPG"), ("img_1234".into(), false));
        assert_eq!(base("IMG_1234-Edit.tif"), ("img_1234".into(), true));
        assert_eq!(base("IMG_1234-Edit-2.tif"), ("img_1234".into(), true));
        assert_eq!(base("IMG_1234 (2).jpg"), ("img_1234".into(), true));
        assert_eq!(base("IMG_1234_v1.jpg"), ("img_1234".into(), true));
        assert_eq!(base("IMG_1234.CR2.xmp"), ("img_1234".into(), false));
        assert_eq!(base("IMG_1234.xmp"), ("img_1234".into(), false));
        assert_eq!(base("PXL_20231101_101010123.RAW-01.MP.COVER.jpg"), ("pxl_20231101_101010123".into(), false));
        assert_eq!(base("PXL_20231101_101010123.RAW-02.ORIGINAL.dng"), ("pxl_20231101_101010123".into(), false));
        assert_eq!(base("PXL_20231101_101010123.dng"), ("pxl_20231101_101010123".into(), false));
        // Not an edit: digits that are part of the name.
        assert_eq!(base("2015-02-04.jpg"), ("2015-02-04".into(), false));
        assert_eq!(base("holiday-v.jpg"), ("holiday-v".into(), false));
    }
}

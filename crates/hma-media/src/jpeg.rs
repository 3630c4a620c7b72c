//! Walking a JPEG's marker segments up to its first scan: where EXIF (APP1),
//! XMP (APP1), IPTC (APP13), CIFF (APP0) and Olympus' text block (APP12) live.

/// The segments before the first scan: (marker, payload). Stops at the scan
/// (SOS), at the end of the data, or at anything that is not a segment.
pub fn segments(d: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    let mut i = 2;
    std::iter::from_fn(move || {
        if !d.starts_with(&[0xFF, 0xD8]) || i + 4 > d.len() || d[i] != 0xFF || matches!(d[i + 1], 0xDA | 0xD9) {
            return None;
        }
        let marker = d[i + 1];
        let len = u16::from_be_bytes([d[i + 2], d[i + 3]]) as usize;
        let payload = d.get(i + 4..i + 2 + len.max(2))?;
        i += 2 + len;
        Some((marker, payload))
    })
}

/// The payload of the first segment with `marker` whose payload starts with
/// `prefix`, without the prefix.
pub fn segment<'a>(d: &'a [u8], marker: u8, prefix: &[u8]) -> Option<&'a [u8]> {
    segments(d).find_map(|(m, p)| if m == marker { p.strip_prefix(prefix) } else { None })
}

/// Where the first scan starts, when the metadata segments end within `d`.
pub fn metadata_end(d: &[u8]) -> Option<usize> {
    let mut end = 2;
    for (_, p) in segments(d) {
        end += 4 + p.len();
    }
    (d.get(end..end + 2) == Some(&[0xFF, 0xDA][..])).then_some(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_segments_to_the_scan() {
        let d = [0xFF, 0xD8, 0xFF, 0xE1, 0, 6, b'E', b'x', b'i', b'f', 0xFF, 0xED, 0, 3, 7, 0xFF, 0xDA, 0, 2, 1, 2];
        let segs: Vec<_> = segments(&d).collect();
        assert_eq!(segs, vec![(0xE1, &b"Exif"[..]), (0xED, &[7u8][..])]);
        assert_eq!(segment(&d, 0xE1, b"Ex"), Some(&b"if"[..]));
        assert_eq!(metadata_end(&d), Some(15));
        assert_eq!(metadata_end(&d[..12]), None);
    }
}

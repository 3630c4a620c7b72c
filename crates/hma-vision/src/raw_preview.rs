//! The largest JPEG preview embedded in a RAW file.
//!
//! Every RAW format we meet (CR2, CR3, NEF, ARW, DNG, RAF, RW2, ORF, PEF…)
//! embeds one or more baseline JPEG previews, but each hides them somewhere
//! else (IFD tags, maker notes, ISO-BMFF `uuid` boxes, a RAF header offset).
//! Rather than one parser per format, we find every JPEG start marker, keep
//! those whose headers parse up to a baseline/progressive frame header, and
//! take the largest. The RAW sensor data itself, when stored as lossless
//! JPEG (SOF3), is never picked: it is not a picture a viewer could show.

/// The bytes from the start of the largest embedded JPEG to the end of the
/// file (the decoder stops at its end marker).
pub fn largest_jpeg(raw: &[u8]) -> Option<&[u8]> {
    let mut best: Option<(u64, usize)> = None;
    for start in memchr::memmem::find_iter(raw, &[0xFF, 0xD8, 0xFF]) {
        if let Some((w, h)) = frame_size(&raw[start..]) {
            let px = w as u64 * h as u64;
            if best.is_none_or(|(b, _)| px > b) {
                best = Some((px, start));
            }
        }
    }
    best.map(|(_, start)| &raw[start..])
}

/// Width and height from the frame header of a baseline (SOF0), extended
/// (SOF1) or progressive (SOF2) JPEG, walking at most 64 segments.
fn frame_size(d: &[u8]) -> Option<(u16, u16)> {
    let mut i = 2;
    for _ in 0..64 {
        // Fill bytes (0xFF) may precede a marker.
        while d.get(i) == Some(&0xFF) && d.get(i + 1) == Some(&0xFF) {
            i += 1;
        }
        if *d.get(i)? != 0xFF {
            return None;
        }
        let marker = *d.get(i + 1)?;
        let len = u16::from_be_bytes([*d.get(i + 2)?, *d.get(i + 3)?]) as usize;
        if len < 2 {
            return None;
        }
        match marker {
            0xC0..=0xC2 => {
                let h = u16::from_be_bytes([*d.get(i + 5)?, *d.get(i + 6)?]);
                let w = u16::from_be_bytes([*d.get(i + 7)?, *d.get(i + 8)?]);
                return (w > 0 && h > 0).then_some((w, h));
            }
            // Other frame types (lossless, hierarchical, arithmetic), scans
            // before a frame, or a non-marker: not a preview.
            0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF | 0xDA | 0xD8 | 0xD9 | 0x00 => return None,
            _ => i += 2 + len,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny_jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(w, h, image::Rgb([120, 130, 140]));
        let mut buf = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut buf, 80).encode_image(&img).unwrap();
        buf
    }

    #[test]
    fn the_largest_of_several_embedded_previews_is_found() {
        let mut raw = b"II*\0 fake raw header \xFF\xD8\xFF\x00 junk".to_vec();
        raw.extend(tiny_jpeg(16, 12));
        raw.extend(b"sensor data \xFF\xD8\xFF\xC3\x00\x0B\x08\x10\x00\x10\x00");
        let big_at = raw.len();
        raw.extend(tiny_jpeg(64, 40));
        raw.extend(tiny_jpeg(32, 20));
        let found = largest_jpeg(&raw).unwrap();
        assert_eq!(found.as_ptr() as usize - raw.as_ptr() as usize, big_at);
        assert_eq!(frame_size(found), Some((64, 40)));
        assert!(largest_jpeg(b"II*\0 no previews here").is_none());
    }
}

//! The IJG quality (1–100) a JPEG's luminance quantisation table
//! corresponds to: how hard the file was compressed, read exactly for files
//! saved by libjpeg-based software and approximately for cameras' own
//! tables. Hand-written: no crate exposes it, and it is 30 lines.

/// The JPEG standard's (Annex K) luminance table, the base IJG scales.
const BASE_LUMA: [u32; 64] = [
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51,
    87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101,
    72, 92, 95, 98, 112, 100, 103, 99,
];

/// The luminance (table 0) quantisation values of a JPEG, in file order.
fn luma_table(jpeg: &[u8]) -> Option<Vec<u32>> {
    for (marker, payload) in hma_media::jpeg::segments(jpeg) {
        if marker != 0xDB {
            continue;
        }
        let mut p = payload;
        while !p.is_empty() {
            let (precision, id) = (p[0] >> 4, p[0] & 15);
            let n = if precision == 0 { 64 } else { 128 };
            if p.len() < 1 + n {
                break;
            }
            if id == 0 {
                let t = &p[1..1 + n];
                return Some(if precision == 0 {
                    t.iter().map(|&v| v as u32).collect()
                } else {
                    t.chunks(2).map(|c| u16::from_be_bytes([c[0], c[1]]) as u32).collect()
                });
            }
            p = &p[1 + n..];
        }
    }
    None
}

/// The quality whose scaled standard table is closest (sum of absolute
/// differences, which does not depend on the zig-zag order) to the file's.
pub fn estimate(jpeg: &[u8]) -> Option<u8> {
    let table = luma_table(jpeg)?;
    let mut sorted = table.clone();
    sorted.sort_unstable();
    let mut best = (u64::MAX, 0u8);
    for q in 1..=100u32 {
        let scale = if q < 50 { 5000 / q } else { 200 - 2 * q };
        let mut scaled: Vec<u32> = BASE_LUMA.iter().map(|&b| ((b * scale + 50) / 100).clamp(1, 255)).collect();
        scaled.sort_unstable();
        let err: u64 = scaled.iter().zip(&sorted).map(|(&a, &b)| a.abs_diff(b) as u64).sum();
        if err < best.0 {
            best = (err, q as u8);
        }
    }
    Some(best.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quality_of_libjpeg_saves_is_read_back_exactly() {
        let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([(x * 4) as u8, (y * 5) as u8, 90]));
        for q in [10u8, 30, 60, 75, 95] {
            let mut buf = Vec::new();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut buf, q).encode_image(&img).unwrap();
            assert_eq!(estimate(&buf), Some(q), "quality {q}");
        }
        assert_eq!(estimate(b"not a jpeg"), None);
    }
}

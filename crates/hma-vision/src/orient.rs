//! EXIF orientation (1–8) applied to decoded pixels.

use crate::Rgb8;

/// Orientations 5–8 turn the picture a quarter: width and height swap.
pub fn swaps_axes(orientation: u16) -> bool {
    (5..=8).contains(&orientation)
}

/// Returns the picture as a viewer shows it for EXIF `orientation`.
pub fn apply(img: Rgb8, orientation: u16) -> Rgb8 {
    if !(2..=8).contains(&orientation) {
        return img;
    }
    let (w, h) = (img.width as usize, img.height as usize);
    let (ow, oh) = if swaps_axes(orientation) { (h, w) } else { (w, h) };
    let mut out = vec![0u8; img.data.len()];
    for y in 0..oh {
        for x in 0..ow {
            // Where the output pixel (x, y) comes from in the stored image.
            let (sx, sy) = match orientation {
                2 => (w - 1 - x, y),
                3 => (w - 1 - x, h - 1 - y),
                4 => (x, h - 1 - y),
                5 => (y, x),
                6 => (y, h - 1 - x),
                7 => (w - 1 - y, h - 1 - x),
                _ => (w - 1 - y, x), // 8
            };
            let s = 3 * (sy * w + sx);
            let d = 3 * (y * ow + x);
            out[d..d + 3].copy_from_slice(&img.data[s..s + 3]);
        }
    }
    Rgb8 { width: ow as u32, height: oh as u32, data: out }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 3×2 image whose pixels are numbered 0..6 (in the red channel).
    fn numbered() -> Rgb8 {
        let data = (0..6u8).flat_map(|i| [i, 0, 0]).collect();
        Rgb8 { width: 3, height: 2, data }
    }

    fn reds(img: &Rgb8) -> Vec<u8> {
        img.data.chunks(3).map(|p| p[0]).collect()
    }

    #[test]
    fn every_orientation_puts_pixels_where_a_viewer_shows_them() {
        // Stored:  0 1 2
        //          3 4 5
        assert_eq!(reds(&apply(numbered(), 1)), [0, 1, 2, 3, 4, 5]);
        assert_eq!(reds(&apply(numbered(), 2)), [2, 1, 0, 5, 4, 3]);
        assert_eq!(reds(&apply(numbered(), 3)), [5, 4, 3, 2, 1, 0]);
        assert_eq!(reds(&apply(numbered(), 4)), [3, 4, 5, 0, 1, 2]);
        assert_eq!(reds(&apply(numbered(), 5)), [0, 3, 1, 4, 2, 5]);
        // 6 = rotate 90° clockwise: the left column, read bottom-up, becomes the top row.
        assert_eq!(reds(&apply(numbered(), 6)), [3, 0, 4, 1, 5, 2]);
        assert_eq!(reds(&apply(numbered(), 7)), [5, 2, 4, 1, 3, 0]);
        assert_eq!(reds(&apply(numbered(), 8)), [2, 5, 1, 4, 0, 3]);
        let r = apply(numbered(), 6);
        assert_eq!((r.width, r.height), (2, 3));
    }
}

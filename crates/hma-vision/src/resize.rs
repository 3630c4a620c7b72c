//! Resizing with SIMD convolution (fast_image_resize).

use crate::{Gray8, Rgb8};
use fast_image_resize::{images::Image, images::ImageRef, FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

fn run(src: &[u8], w: u32, h: u32, nw: u32, nh: u32, pt: PixelType, alg: ResizeAlg) -> Vec<u8> {
    let src = ImageRef::new(w, h, src, pt).expect("buffer matches its size");
    let mut dst = Image::new(nw.max(1), nh.max(1), pt);
    Resizer::new().resize(&src, &mut dst, &ResizeOptions::new().resize_alg(alg)).expect("same pixel types");
    dst.into_vec()
}

/// The size that fits `long` on the long edge, keeping the aspect ratio.
pub fn fit(width: u32, height: u32, long: u32) -> (u32, u32) {
    if width.max(height) <= long {
        return (width, height);
    }
    if width >= height {
        (long, ((height as u64 * long as u64 + width as u64 / 2) / width as u64).max(1) as u32)
    } else {
        (((width as u64 * long as u64 + height as u64 / 2) / height as u64).max(1) as u32, long)
    }
}

/// A copy no larger than `long` on its long edge (Catmull-Rom; never enlarges).
pub fn fit_long_edge(img: &Rgb8, long: u32) -> Rgb8 {
    let (nw, nh) = fit(img.width, img.height, long);
    if (nw, nh) == (img.width, img.height) {
        return img.clone();
    }
    rgb(img, nw, nh)
}

/// RGB resized to exactly `nw`×`nh`.
pub fn rgb(img: &Rgb8, nw: u32, nh: u32) -> Rgb8 {
    let alg = ResizeAlg::Convolution(FilterType::CatmullRom);
    Rgb8 { width: nw, height: nh, data: run(&img.data, img.width, img.height, nw, nh, PixelType::U8x3, alg) }
}

/// Grey resized to exactly `nw`×`nh` by area averaging (box filter), the
/// resampling perceptual hashes are defined on.
pub fn gray_area(img: &Gray8, nw: u32, nh: u32) -> Gray8 {
    let alg = ResizeAlg::Convolution(FilterType::Box);
    Gray8 { width: nw, height: nh, data: run(&img.data, img.width, img.height, nw, nh, PixelType::U8, alg) }
}

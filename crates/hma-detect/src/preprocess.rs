//! Letterbox: the picture scaled to fit 640×640 (aspect kept), centred on a
//! grey (114) canvas, as Ultralytics models were trained; and the mapping of
//! boxes back to the picture.

use candle_core::{Device, Result, Tensor};
use fast_image_resize::{images::Image, FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::RgbImage;

/// The model's input side.
pub const INPUT: u32 = 640;
/// The padding grey.
pub const PAD: u8 = 114;

/// Where the picture lies inside the letterboxed input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Letterbox {
    /// Input pixels per picture pixel.
    pub scale: f32,
    pub pad_x: f32,
    pub pad_y: f32,
    /// The picture's size (as given).
    pub width: u32,
    pub height: u32,
}

impl Letterbox {
    /// The geometry for a `width`×`height` picture (Ultralytics' rounding).
    pub fn for_size(width: u32, height: u32) -> Letterbox {
        let s = INPUT as f32;
        let scale = (s / height as f32).min(s / width as f32);
        let (nw, nh) = ((width as f32 * scale).round(), (height as f32 * scale).round());
        let (dw, dh) = ((s - nw) / 2.0, (s - nh) / 2.0);
        Letterbox { scale, pad_x: (dw - 0.1).round(), pad_y: (dh - 0.1).round(), width, height }
    }

    /// The scaled picture's size inside the input.
    pub fn inner(&self) -> (u32, u32) {
        (
            ((self.width as f32 * self.scale).round() as u32).max(1),
            ((self.height as f32 * self.scale).round() as u32).max(1),
        )
    }

    /// A box `(cx, cy, w, h)` in input pixels → `[x, y, w, h]` as shares of
    /// the picture (0–1, clamped to it).
    pub fn to_picture(&self, b: [f32; 4]) -> [f32; 4] {
        let (pw, ph) = self.inner();
        let x1 = ((b[0] - b[2] / 2.0 - self.pad_x) / pw as f32).clamp(0.0, 1.0);
        let y1 = ((b[1] - b[3] / 2.0 - self.pad_y) / ph as f32).clamp(0.0, 1.0);
        let x2 = ((b[0] + b[2] / 2.0 - self.pad_x) / pw as f32).clamp(0.0, 1.0);
        let y2 = ((b[1] + b[3] / 2.0 - self.pad_y) / ph as f32).clamp(0.0, 1.0);
        [x1, y1, x2 - x1, y2 - y1]
    }
}

/// The letterboxed 640×640 RGB picture.
pub fn letterbox_image(img: &RgbImage) -> (RgbImage, Letterbox) {
    let lb = Letterbox::for_size(img.width(), img.height());
    let (iw, ih) = lb.inner();
    let scaled = if (iw, ih) == img.dimensions() {
        img.clone()
    } else {
        let src = Image::from_vec_u8(img.width(), img.height(), img.as_raw().clone(), PixelType::U8x3)
            .expect("an RGB buffer of its own size");
        let mut dst = Image::new(iw, ih, PixelType::U8x3);
        Resizer::new()
            .resize(&src, &mut dst, &ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Bilinear)))
            .expect("same pixel type");
        RgbImage::from_raw(iw, ih, dst.into_vec()).expect("its own size")
    };
    let mut canvas = RgbImage::from_pixel(INPUT, INPUT, image::Rgb([PAD, PAD, PAD]));
    image::imageops::replace(&mut canvas, &scaled, lb.pad_x as i64, lb.pad_y as i64);
    (canvas, lb)
}

/// A 640×640 RGB picture → `[1, 3, 640, 640]`, values 0–1.
pub fn to_tensor(img: &RgbImage, device: &Device) -> Result<Tensor> {
    let (w, h) = img.dimensions();
    let plane = (w * h) as usize;
    let mut data = vec![0f32; 3 * plane];
    for (i, p) in img.pixels().enumerate() {
        data[i] = p[0] as f32 / 255.0;
        data[plane + i] = p[1] as f32 / 255.0;
        data[2 * plane + i] = p[2] as f32 / 255.0;
    }
    Tensor::from_vec(data, (1, 3, h as usize, w as usize), device)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letterbox_geometry_round_trips() {
        // A 4:3 landscape: full width, 480 high, 80 px bands.
        let lb = Letterbox::for_size(4000, 3000);
        assert_eq!(lb.inner(), (640, 480));
        assert_eq!((lb.pad_x, lb.pad_y), (0.0, 80.0));
        let b = lb.to_picture([320.0, 320.0, 640.0, 480.0]);
        assert!(b.iter().zip([0.0, 0.0, 1.0, 1.0]).all(|(a, e)| (a - e).abs() < 1e-6), "{b:?}");
        // A portrait: bands left and right.
        let lb = Letterbox::for_size(512, 848);
        assert_eq!(lb.inner(), (386, 640));
        assert_eq!(lb.pad_x, 127.0);
        let img = RgbImage::from_pixel(512, 848, image::Rgb([10, 20, 30]));
        let (boxed, _) = letterbox_image(&img);
        assert_eq!(boxed.get_pixel(0, 0).0, [PAD; 3]);
        assert_eq!(boxed.get_pixel(320, 320).0, [10, 20, 30]);
    }
}

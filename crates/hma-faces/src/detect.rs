//! Faces in a whole picture, of any size in it.
//!
//! BlazeFace full-range finds faces that fill roughly 8–50 % of its 192-px
//! input; a face 35 px wide in a 1600-px group photo is 4 px once the whole
//! picture is shrunk to 192. The network is fully convolutional, so instead
//! of cutting overlapping 192-px tiles we run it on the whole picture at a
//! pyramid of sizes (long side 192, 384, 768, … up to `finest`), each a
//! single pass with anchors regenerated for its size (one per 4×4 input
//! pixels, as at 192): the same arithmetic as tiles, without the overlap.
//! The last level may be 1.5× the one before (768 → 1152).
//! A level keeps only the faces its scale sees well (at most `MAX_FACE`
//! input pixels; the coarsest level keeps all), and the levels' faces are
//! merged by MediaPipe's weighted non-maximum suppression.

use std::path::Path;

use candle_core::{Device, Tensor};
use image::RgbImage;
use rayon::prelude::*;

use crate::blazeface::{weighted_nms, Face, MERGE_IOU};
use crate::model::{BlazeFace, Config};
use crate::FacesError;

/// The face size (input pixels) above which a finer level leaves a face to
/// the coarser one, where it is half as big.
pub const MAX_FACE: f64 = 96.0;

/// Faces smaller than this in the picture (pixels, long side of the box)
/// are dropped: too small to see eyes or know who it is, and on pictures
/// blown up by the finest level they are mostly letters and texture
/// (measured on ../shared/photos/jpeg_exif: five "faces" of 6–8 px on the
/// letters of a 500-px panorama, one of 10 px on a blurred leaf).
pub const MIN_FACE: f64 = 12.0;

/// How faces are looked for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// Confidence below which a face is dropped (MediaPipe's solution API
    /// default; its graph uses 0.6).
    pub threshold: f64,
    /// Long side of the finest pyramid level, in pixels: faces down to
    /// about 2 % of the picture's long side at 1152 (the face fills ~20 of
    /// the model's pixels). Measured on the Solvay photo: 1152 finds 28 of
    /// 29, 1536 finds 27, 1024 finds 27 (0 false each), and 1152 costs
    /// 0.56× the finest level's pixels of 1536.
    pub finest: u32,
}

impl Default for Options {
    fn default() -> Options {
        Options { threshold: 0.5, finest: 1152 }
    }
}

/// One level of the pyramid: the picture resized to `w`×`h`, centred on a
/// canvas of `cw`×`ch` (multiples of 32, padded with −1 as MediaPipe pads).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Level {
    pub w: u32,
    pub h: u32,
    pub cw: u32,
    pub ch: u32,
}

impl Level {
    fn offset(&self) -> (u32, u32) {
        ((self.cw - self.w) / 2, (self.ch - self.h) / 2)
    }
}

/// The pyramid for a `w`×`h` picture: the whole picture letterboxed into
/// 192×192 (as MediaPipe does), then long sides 384, 768, … while not
/// above `finest` nor more than one level past the picture's own size.
pub fn levels(w: u32, h: u32, finest: u32) -> Vec<Level> {
    let base = crate::blazeface::INPUT as u32;
    let long = w.max(h).max(1) as f64;
    let fit = |side: u32| {
        let s = side as f64 / long;
        ((w as f64 * s).round().max(1.0) as u32, (h as f64 * s).round().max(1.0) as u32)
    };
    let (w0, h0) = fit(base);
    let mut out = vec![Level { w: w0, h: h0, cw: base, ch: base }];
    let finest = finest.max(base);
    let mut side = base;
    // Doubling, then `finest` itself when it falls between two doublings
    // (at most 1.5× past the previous level: 768 → 1152).
    while side < finest && side < w.max(h) {
        side = (side * 2).min(finest);
        let (lw, lh) = fit(side);
        out.push(Level { w: lw, h: lh, cw: lw.div_ceil(32) * 32, ch: lh.div_ceil(32) * 32 });
    }
    out
}

/// The network's input for one level: `[1, 3, ch, cw]` in [-1, 1].
pub fn level_input(img: &RgbImage, level: &Level, device: &Device) -> Result<Tensor, FacesError> {
    let small = if (img.width(), img.height()) == (level.w, level.h) {
        img.clone()
    } else {
        image::imageops::resize(img, level.w, level.h, image::imageops::FilterType::Triangle)
    };
    let (cw, ch) = (level.cw as usize, level.ch as usize);
    let (ox, oy) = level.offset();
    let mut planes = vec![-1f32; 3 * cw * ch];
    for (x, y, p) in small.enumerate_pixels() {
        let at = (y + oy) as usize * cw + (x + ox) as usize;
        for c in 0..3 {
            planes[c * cw * ch + at] = p[c] as f32 / 127.5 - 1.0;
        }
    }
    Ok(Tensor::from_vec(planes, (1, 3, ch, cw), device)?)
}

/// The raw faces of one pass, in input pixels: `boxes` `[cells, 16]` and
/// `logits` `[cells]` of a `cw`×`ch` input. Box values are offsets from
/// each 4×4 cell's centre (what the 192 model's anchors say, scaled).
pub fn decode_level(boxes: &[f32], logits: &[f32], (cw, ch): (usize, usize), threshold: f64) -> Vec<Face> {
    let (gw, gh) = (cw / 4, ch / 4);
    assert_eq!(logits.len(), gw * gh, "BlazeFace logits for {cw}×{ch}");
    assert_eq!(boxes.len(), gw * gh * 16, "BlazeFace boxes for {cw}×{ch}");
    let mut out = Vec::new();
    for (i, (r, &logit)) in boxes.chunks_exact(16).zip(logits).enumerate() {
        let score = 1.0 / (1.0 + (-(logit.clamp(-100.0, 100.0) as f64)).exp());
        if score < threshold {
            continue;
        }
        let (ax, ay) = ((i % gw) as f32 * 4.0 + 2.0, (i / gw) as f32 * 4.0 + 2.0);
        let (cx, cy, w, h) = (r[0] + ax, r[1] + ay, r[2], r[3]);
        let mut keypoints = [(0.0, 0.0); 6];
        for (k, p) in keypoints.iter_mut().enumerate() {
            *p = ((r[4 + 2 * k] + ax) as f64, (r[5 + 2 * k] + ay) as f64);
        }
        out.push(Face {
            score,
            xmin: (cx - w / 2.0) as f64,
            ymin: (cy - h / 2.0) as f64,
            xmax: (cx + w / 2.0) as f64,
            ymax: (cy + h / 2.0) as f64,
            keypoints,
            merged: 1,
        });
    }
    out
}

/// BlazeFace full-range with its weights, ready to look at pictures.
#[derive(Debug, Clone)]
pub struct FaceDetector {
    model: BlazeFace,
    device: Device,
}

impl FaceDetector {
    /// Loads the converted weights (safetensors) on the CPU.
    pub fn load(weights: &Path) -> Result<FaceDetector, FacesError> {
        let model = crate::load_cpu(weights, |vb| BlazeFace::load(vb, &Config::full_range()))?;
        Ok(FaceDetector { model, device: Device::Cpu })
    }

    pub fn model(&self) -> &BlazeFace {
        &self.model
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The faces in `img`, in its pixels, best first.
    pub fn detect(&self, img: &RgbImage, opts: &Options) -> Result<Vec<Face>, FacesError> {
        let pyramid = levels(img.width(), img.height(), opts.finest);
        // The levels run side by side (the finest is most of the work, so a
        // second thread takes the others; each level's own layers spread
        // over the threads too).
        let per_level: Vec<Result<Vec<Face>, FacesError>> = pyramid
            .par_iter()
            .enumerate()
            .map(|(i, level)| {
                let x = level_input(img, level, &self.device)?;
                let (boxes, logits) = self.model.forward(&x)?;
                let boxes: Vec<f32> = boxes.flatten_all()?.to_vec1()?;
                let logits: Vec<f32> = logits.flatten_all()?.to_vec1()?;
                let (ox, oy) = level.offset();
                let s = img.width().max(img.height()) as f64 / level.w.max(level.h) as f64;
                let to_picture = |x: f64, y: f64| ((x - ox as f64) * s, (y - oy as f64) * s);
                Ok(decode_level(&boxes, &logits, (level.cw as usize, level.ch as usize), opts.threshold)
                    .iter()
                    .filter(|f| i == 0 || f.side() <= MAX_FACE)
                    .map(|f| f.mapped(to_picture))
                    .collect::<Vec<_>>())
            })
            .collect();
        let mut all = Vec::new();
        for faces in per_level {
            all.extend(faces?);
        }
        let mut faces = weighted_nms(all, MERGE_IOU);
        faces.retain(|f| f.side() >= MIN_FACE);
        Ok(faces)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pyramid_doubles_up_to_the_finest_level_and_the_pictures_size() {
        let l = levels(1666, 1136, 1536);
        let sides: Vec<(u32, u32, u32, u32)> = l.iter().map(|l| (l.w, l.h, l.cw, l.ch)).collect();
        assert_eq!(
            sides,
            vec![(192, 131, 192, 192), (384, 262, 384, 288), (768, 524, 768, 544), (1536, 1047, 1536, 1056)]
        );
        // The finest level between two doublings.
        assert_eq!(levels(1666, 1136, 1152).last().map(|l| (l.w, l.h, l.cw, l.ch)), Some((1152, 786, 1152, 800)));
        // A small picture is not blown up past one level above its size.
        assert_eq!(levels(300, 200, 1536).len(), 2);
        assert_eq!(levels(100, 100, 1536).len(), 1);
        // A portrait keeps its shape.
        assert_eq!(levels(600, 800, 384)[1], Level { w: 288, h: 384, cw: 288, ch: 384 });
    }

    #[test]
    fn cells_decode_around_their_centres_in_input_pixels() {
        let (cw, ch) = (64, 32);
        let cells = (cw / 4) * (ch / 4);
        let mut boxes = vec![0f32; cells * 16];
        let mut logits = vec![-10f32; cells];
        // Cell (x 3, y 2): centre (14, 10); a 8×6 box moved by (1, −1).
        let i = 2 * (cw / 4) + 3;
        logits[i] = 2.0;
        boxes[i * 16..i * 16 + 4].copy_from_slice(&[1.0, -1.0, 8.0, 6.0]);
        let f = decode_level(&boxes, &logits, (cw, ch), 0.5);
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].xmin, f[0].ymin, f[0].xmax, f[0].ymax), (11.0, 6.0, 19.0, 12.0));
        assert_eq!(f[0].keypoints[0], (14.0, 10.0));
        assert!((f[0].score - 1.0 / (1.0 + (-2f64).exp())).abs() < 1e-12);
    }
}

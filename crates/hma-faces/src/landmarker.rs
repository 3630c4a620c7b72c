//! MediaPipe Face Landmarker's landmark model (`face_landmarks_detector.tflite`
//! of the `face_landmarker.task` bundle, v2): 478 landmarks of one face in
//! a 256×256 crop (the 468 of FaceMesh plus ten around the irises) and a
//! face-presence logit. Chosen over FaceMesh v1 for the eyes: on 79 real
//! closed-eye faces and 129 open ones, v1's lids separate open from closed
//! at best 86 % of the time, v2's 98 % (docs/benchmarks.md, faces).
//!
//! Layout (read from the TFLite graph): a 3×3 stride-2 stem with PReLU to
//! 128×128×16, then stages of bottleneck blocks — 1×1 down (or, opening a
//! stage, a 2×2 stride-2 convolution) → PReLU → depthwise 3×3 → 1×1 up,
//! plus the shortcut (max-pooled and zero-padded when the stage halves and
//! widens), then PReLU — down to 2×2×128, where three 2×2 convolutions give
//! an unused score, the presence logit and the landmarks. The converted
//! weights are named by layer order (`Naming::OpOrder`): the TFLite names
//! are fused-op strings.
//!
//! The crop (MediaPipe's detection-to-ROI rule): a square 1.5 × the
//! detection box's long side around its centre, turned so the eyes are
//! level, sampled bilinearly with the border replicated, values 0–1.

use candle_core::{Device, Result, Tensor};
use candle_nn::VarBuilder;
use image::RgbImage;

use crate::layers::{bottleneck_block, Conv, Depthwise, Prelu};

/// Input side in pixels.
pub const INPUT: usize = 256;
/// Landmarks per face.
pub const LANDMARKS: usize = 478;

/// One stage: blocks at one map size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// Width in and out of the stage's blocks.
    pub cin: usize,
    pub cout: usize,
    /// Width inside the blocks.
    pub mid: usize,
    /// Blocks, the first of which halves the map when `down`.
    pub blocks: usize,
    pub down: bool,
}

const fn stage(cin: usize, cout: usize, mid: usize, blocks: usize, down: bool) -> Stage {
    Stage { cin, cout, mid, blocks, down }
}

/// The network's shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub stem: usize,
    pub stages: Vec<Stage>,
    pub landmarks: usize,
}

impl Default for Config {
    /// The published model.
    fn default() -> Config {
        Config {
            stem: 16,
            stages: vec![
                stage(16, 16, 8, 4, false),
                stage(16, 32, 16, 5, true),
                stage(32, 64, 32, 5, true),
                stage(64, 128, 64, 5, true),
                stage(128, 128, 64, 5, true),
                stage(128, 128, 64, 5, true),
                stage(128, 128, 64, 5, true),
            ],
            landmarks: LANDMARKS,
        }
    }
}

/// Hands out layer names in graph order.
struct Names {
    conv: usize,
    dw: usize,
    prelu: usize,
}

impl Names {
    fn conv(&mut self, vb: &VarBuilder, cin: usize, cout: usize, k: usize, stride: usize) -> Result<Conv> {
        let name = format!("conv{}", self.conv);
        self.conv += 1;
        Conv::load_named(vb, &format!("{name}.kernel"), &format!("{name}.bias"), cin, cout, k, stride)
    }
    fn dw(&mut self, vb: &VarBuilder, c: usize) -> Result<Depthwise> {
        let name = format!("dw{}", self.dw);
        self.dw += 1;
        Depthwise::load_named(vb, &format!("{name}.kernel"), &format!("{name}.bias"), c, 1)
    }
    fn prelu(&mut self, vb: &VarBuilder, c: usize) -> Result<Prelu> {
        let name = format!("prelu{}.alpha", self.prelu);
        self.prelu += 1;
        Prelu::load_named(vb, &name, c)
    }
}

#[derive(Debug, Clone)]
struct Block {
    first: Conv,
    first_act: Prelu,
    dw: Depthwise,
    up: Conv,
    act: Prelu,
    cin: usize,
    cout: usize,
    down: bool,
}

impl Block {
    fn load(vb: &VarBuilder, names: &mut Names, cin: usize, cout: usize, mid: usize, down: bool) -> Result<Block> {
        let first = if down { names.conv(vb, cin, mid, 2, 2)? } else { names.conv(vb, cin, mid, 1, 1)? };
        let first_act = names.prelu(vb, mid)?;
        let dw = names.dw(vb, mid)?;
        let up = names.conv(vb, mid, cout, 1, 1)?;
        let act = names.prelu(vb, cout)?;
        Ok(Block { first, first_act, dw, up, act, cin, cout, down })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        if let Some(y) = bottleneck_block(x, &self.first, &self.first_act, &self.dw, &self.up, &self.act)? {
            return Ok(y);
        }
        let y = self.first_act.forward(&self.first.forward(x, false)?)?;
        let y = self.up.forward(&self.dw.forward(&y)?, false)?;
        let mut s = if self.down { x.max_pool2d(2)? } else { x.clone() };
        if self.cout > self.cin {
            s = s.pad_with_zeros(1, 0, self.cout - self.cin)?;
        }
        self.act.forward(&(s + y)?)
    }
}

/// Face Landmarker's landmark model.
#[derive(Debug, Clone)]
pub struct FaceLandmarks {
    stem: Conv,
    stem_act: Prelu,
    blocks: Vec<Block>,
    presence: Conv,
    marks: Conv,
}

impl FaceLandmarks {
    pub fn load(vb: VarBuilder, config: &Config) -> Result<FaceLandmarks> {
        let vb = &vb;
        let mut names = Names { conv: 0, dw: 0, prelu: 0 };
        let stem = names.conv(vb, 3, config.stem, 3, 2)?;
        let stem_act = names.prelu(vb, config.stem)?;
        let mut blocks = Vec::new();
        for s in &config.stages {
            for i in 0..s.blocks {
                let (cin, down) = if i == 0 { (s.cin, s.down) } else { (s.cout, false) };
                blocks.push(Block::load(vb, &mut names, cin, s.cout, s.mid, down)?);
            }
        }
        let width = config.stages.last().map_or(config.stem, |s| s.cout);
        // Three heads over the 2×2 map, in graph order: a score the
        // landmarker does not use, the presence logit, the landmarks.
        let _unused = names.conv(vb, width, 1, 2, 1)?;
        let presence = names.conv(vb, width, 1, 2, 1)?;
        let marks = names.conv(vb, width, 3 * config.landmarks, 2, 1)?;
        Ok(FaceLandmarks { stem, stem_act, blocks, presence, marks })
    }

    /// `x`: `[n, 3, 256, 256]`, values 0–1. Returns the landmarks
    /// `[n, 478, 3]` (x, y in input pixels, z relative depth) and the
    /// face-presence logits `[n]`.
    pub fn forward(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        let n = x.dim(0)?;
        let mut y = self.stem_act.forward(&self.stem.forward(x, false)?)?;
        for b in &self.blocks {
            y = b.forward(&y)?;
        }
        let marks = self.marks.forward(&y, false)?.reshape((n, (), 3))?;
        let presence = self.presence.forward(&y, false)?.reshape(n)?;
        Ok((marks, presence))
    }
}

/// Where a face's landmarks are looked for: a square of `side` pixels
/// around (`cx`, `cy`), turned by `rotation` radians.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Roi {
    pub cx: f64,
    pub cy: f64,
    pub side: f64,
    pub rotation: f64,
}

impl Roi {
    /// MediaPipe's rule from a detection: the box's centre, 1.5 × its long
    /// side, turned so the eyes (keypoints 0 and 1, picture pixels) are level.
    pub fn from_detection(b: [f64; 4], right_eye: (f64, f64), left_eye: (f64, f64)) -> Roi {
        let [x0, y0, x1, y1] = b;
        let angle = -(-(left_eye.1 - right_eye.1)).atan2(left_eye.0 - right_eye.0);
        let pi = std::f64::consts::PI;
        let rotation = (angle + pi).rem_euclid(2.0 * pi) - pi;
        Roi { cx: (x0 + x1) / 2.0, cy: (y0 + y1) / 2.0, side: (x1 - x0).max(y1 - y0) * 1.5, rotation }
    }

    /// The crop's point (u, v) (input pixels 0–192) in the picture.
    pub fn to_picture(&self, u: f64, v: f64) -> (f64, f64) {
        let s = INPUT as f64;
        let (du, dv) = ((u / s - 0.5) * self.side, (v / s - 0.5) * self.side);
        let (c, sn) = (self.rotation.cos(), self.rotation.sin());
        (self.cx + du * c - dv * sn, self.cy + du * sn + dv * c)
    }

    /// The crop, 8 bits per channel (bilinear, border replicated; each
    /// value rounded, so the crop is exactly what the network sees).
    pub fn crop(&self, img: &RgbImage) -> RgbImage {
        // Pixel centres at +0.5 in both the crop and the picture.
        warp(img, INPUT as u32, |i, j| {
            let (x, y) = self.to_picture(i + 0.5, j + 0.5);
            (x - 0.5, y - 0.5)
        })
    }
}

/// A `side`×`side` picture whose pixel (i, j) is `img` sampled bilinearly
/// at `from(i, j)` (picture pixel coordinates), edges replicated, rounded to
/// 8 bits: the crops the face models read (here and `sface::align`).
pub fn warp(img: &RgbImage, side: u32, from: impl Fn(f64, f64) -> (f64, f64)) -> RgbImage {
    let (w, h) = (img.width() as i64, img.height() as i64);
    let raw = img.as_raw();
    let px = |x: i64, y: i64, c: usize| raw[((y.clamp(0, h - 1) * w + x.clamp(0, w - 1)) * 3) as usize + c] as f64;
    RgbImage::from_fn(side, side, |i, j| {
        let (sx, sy) = from(i as f64, j as f64);
        let (fx, fy) = (sx.floor(), sy.floor());
        let (tx, ty) = (sx - fx, sy - fy);
        let (x, y) = (fx as i64, fy as i64);
        let mut p = [0u8; 3];
        for (c, v) in p.iter_mut().enumerate() {
            let a = px(x, y, c) * (1.0 - tx) * (1.0 - ty)
                + px(x + 1, y, c) * tx * (1.0 - ty)
                + px(x, y + 1, c) * (1.0 - tx) * ty
                + px(x + 1, y + 1, c) * tx * ty;
            *v = a.round().clamp(0.0, 255.0) as u8;
        }
        image::Rgb(p)
    })
}

/// A crop as the network's input `[1, 3, side, side]`, values 0–1.
pub fn input(crop: &RgbImage, device: &Device) -> Result<Tensor> {
    let (w, h) = (crop.width() as usize, crop.height() as usize);
    let n = w * h;
    let mut planes = vec![0f32; 3 * n];
    for (i, p) in crop.pixels().enumerate() {
        for c in 0..3 {
            planes[c * n + i] = p[c] as f32 / 255.0;
        }
    }
    Tensor::from_vec(planes, (1, 3, h, w), device)
}

/// The landmarks of each eye: outer corner, two upper-lid points, inner
/// corner, two lower-lid points (MediaPipe's mesh numbering; the subject's
/// right eye is on the left of the picture).
pub const RIGHT_EYE: [usize; 6] = [33, 160, 158, 133, 153, 144];
pub const LEFT_EYE: [usize; 6] = [263, 387, 385, 362, 380, 373];

/// How open an eye is: the mean of the two lid gaps over the corner-to-
/// corner width (the eye aspect ratio of Soukupová and Čech, 2016), from
/// the landmarks `[468][x, y]` in any one scale.
pub fn openness(marks: &[[f32; 3]], eye: &[usize; 6]) -> f64 {
    let d = |a: usize, b: usize| {
        let (p, q) = (marks[a], marks[b]);
        ((p[0] - q[0]) as f64).hypot((p[1] - q[1]) as f64)
    };
    let width = d(eye[0], eye[3]);
    if width <= 0.0 {
        return 0.0;
    }
    (d(eye[1], eye[5]) + d(eye[2], eye[4])) / (2.0 * width)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_roi_levels_the_eyes_and_maps_its_centre_to_the_box_centre() {
        let r = Roi::from_detection([100.0, 100.0, 140.0, 150.0], (110.0, 115.0), (130.0, 115.0));
        assert_eq!((r.cx, r.cy, r.side, r.rotation), (120.0, 125.0, 75.0, 0.0));
        assert_eq!(r.to_picture(128.0, 128.0), (120.0, 125.0));
        // Eyes going down to the right: the crop turns with them.
        let t = Roi::from_detection([0.0, 0.0, 10.0, 10.0], (0.0, 0.0), (10.0, 10.0));
        assert!((t.rotation - std::f64::consts::FRAC_PI_4).abs() < 1e-12, "{t:?}");
    }

    #[test]
    fn the_eye_aspect_ratio_is_lid_gap_over_width() {
        let mut m = vec![[0f32; 3]; LANDMARKS];
        // Width 10; lid gaps 3 and 5 → 0.4.
        m[33] = [0.0, 0.0, 0.0];
        m[133] = [10.0, 0.0, 0.0];
        m[160] = [3.0, -1.5, 0.0];
        m[144] = [3.0, 1.5, 0.0];
        m[158] = [7.0, -2.5, 0.0];
        m[153] = [7.0, 2.5, 0.0];
        assert!((openness(&m, &RIGHT_EYE) - 0.4).abs() < 1e-6);
    }
}

//! MediaPipe FaceMesh (`face_landmark.tflite` of the `mediapipe` 0.10.21
//! wheel): 468 landmarks of one face in a 192×192 crop, and a face-presence
//! logit; then how open each eye is.
//!
//! Layout (docs/research/faces-ref/graph_face_landmark.txt): a 3×3 stride-2
//! stem with PReLU, then residual blocks of depthwise 3×3 → 1×1 (plus the
//! shortcut, max-pooled when the block strides and zero-padded on channels
//! when it widens) → PReLU, down to 6×6×128; there the network splits into
//! the landmark branch and the face-flag branch, each ending in a 3×3
//! convolution at stride 3 over a 3×3 map (a dense layer). The Keras layer
//! numbers of the two branches are not in order, so each block names its
//! layers.
//!
//! The crop (MediaPipe's `face_detection_front_detection_to_roi`): a square
//! 1.5 × the detection box's long side around its centre, turned so the eyes
//! are level, sampled bilinearly with the border replicated, values 0–1.

use candle_core::{Device, Result, Tensor};
use candle_nn::VarBuilder;
use image::RgbImage;

use crate::layers::{residual_block, Act, Conv, Depthwise, Prelu};

/// Input side in pixels.
pub const INPUT: usize = 192;
/// Landmarks per face.
pub const LANDMARKS: usize = 468;

/// depthwise 3×3 → 1×1, plus the shortcut, then PReLU.
#[derive(Debug, Clone)]
struct Block {
    dw: Depthwise,
    pw: Conv,
    act: Prelu,
    cin: usize,
    cout: usize,
    stride: usize,
}

impl Block {
    /// Layers `depthwise_conv2d_{dw}`, `conv2d_{pw}`, `p_re_lu_{act}`.
    fn load(
        vb: &VarBuilder,
        (dw, pw, act): (usize, usize, usize),
        cin: usize,
        cout: usize,
        stride: usize,
    ) -> Result<Block> {
        Ok(Block {
            dw: Depthwise::load(vb, &format!("depthwise_conv2d_{dw}"), cin, stride)?,
            pw: Conv::load(vb, &format!("conv2d_{pw}"), cin, cout, 1, 1)?,
            act: Prelu::load(vb, &format!("p_re_lu_{act}"), cout)?,
            cin,
            cout,
            stride,
        })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        if let Some(y) = residual_block(x, &self.dw, &self.pw, None, Act::Prelu(&self.act.slopes))? {
            return Ok(y);
        }
        let y = self.pw.forward(&self.dw.forward(x)?, false)?;
        let mut s = if self.stride == 2 { x.max_pool2d(2)? } else { x.clone() };
        if self.cout > self.cin {
            s = s.pad_with_zeros(1, 0, self.cout - self.cin)?;
        }
        self.act.forward(&(s + y)?)
    }
}

/// The shape of the network (one configuration: the published model).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub landmarks: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config { landmarks: LANDMARKS }
    }
}

/// FaceMesh.
#[derive(Debug, Clone)]
pub struct FaceMesh {
    stem: Conv,
    stem_act: Prelu,
    trunk: Vec<Block>,
    mesh: Vec<Block>,
    mesh_narrow: (Conv, Prelu),
    mesh_block: Block,
    mesh_out: Conv,
    flag_block: Block,
    flag_narrow: (Conv, Prelu),
    flag_residual: Block,
    flag_out: Conv,
}

/// A block's layer numbers (depthwise, 1×1, PReLU), widths in and out,
/// and stride.
type BlockSpec = ((usize, usize, usize), usize, usize, usize);

impl FaceMesh {
    pub fn load(vb: VarBuilder, config: &Config) -> Result<FaceMesh> {
        let vb = &vb;
        let trunk: [BlockSpec; 14] = [
            ((1, 2, 2), 16, 16, 1),
            ((2, 3, 3), 16, 16, 1),
            ((3, 4, 4), 16, 32, 2),
            ((4, 5, 5), 32, 32, 1),
            ((5, 6, 6), 32, 32, 1),
            ((6, 7, 7), 32, 64, 2),
            ((7, 8, 8), 64, 64, 1),
            ((8, 9, 9), 64, 64, 1),
            ((9, 10, 10), 64, 128, 2),
            ((10, 11, 11), 128, 128, 1),
            ((11, 12, 12), 128, 128, 1),
            ((12, 13, 13), 128, 128, 2),
            ((13, 14, 14), 128, 128, 1),
            ((14, 15, 15), 128, 128, 1),
        ];
        let mesh: [BlockSpec; 3] =
            [((15, 16, 16), 128, 128, 2), ((16, 17, 17), 128, 128, 1), ((17, 18, 18), 128, 128, 1)];
        let blocks = |spec: &[BlockSpec]| -> Result<Vec<Block>> {
            spec.iter().map(|&(n, cin, cout, s)| Block::load(vb, n, cin, cout, s)).collect()
        };
        Ok(FaceMesh {
            stem: Conv::load(vb, "conv2d_1", 3, 16, 3, 2)?,
            stem_act: Prelu::load(vb, "p_re_lu_1", 16)?,
            trunk: blocks(&trunk)?,
            mesh: blocks(&mesh)?,
            mesh_narrow: (Conv::load(vb, "conv2d_19", 128, 32, 1, 1)?, Prelu::load(vb, "p_re_lu_19", 32)?),
            mesh_block: Block::load(vb, (18, 20, 20), 32, 32, 1)?,
            mesh_out: Conv::load(vb, "conv2d_21", 32, 3 * config.landmarks, 3, 3)?,
            flag_block: Block::load(vb, (23, 28, 26), 128, 128, 2)?,
            flag_narrow: (Conv::load(vb, "conv2d_29", 128, 32, 1, 1)?, Prelu::load(vb, "p_re_lu_27", 32)?),
            flag_residual: Block::load(vb, (24, 30, 28), 32, 32, 1)?,
            flag_out: Conv::load(vb, "conv2d_31", 32, 1, 3, 3)?,
        })
    }

    /// `x`: `[n, 3, 192, 192]`, values 0–1. Returns the landmarks
    /// `[n, 468, 3]` (x, y in input pixels, z relative depth) and the
    /// face-presence logits `[n]`.
    pub fn forward(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        let n = x.dim(0)?;
        let mut y = self.stem_act.forward(&self.stem.forward(x, false)?)?;
        for b in &self.trunk {
            y = b.forward(&y)?;
        }
        let split = y;
        let mut m = split.clone();
        for b in &self.mesh {
            m = b.forward(&m)?;
        }
        let m = self.mesh_narrow.1.forward(&self.mesh_narrow.0.forward(&m, false)?)?;
        let m = self.mesh_block.forward(&m)?;
        let marks = self.mesh_out.forward(&m, false)?.reshape((n, (), 3))?;
        let f = self.flag_block.forward(&split)?;
        let f = self.flag_narrow.1.forward(&self.flag_narrow.0.forward(&f, false)?)?;
        let f = self.flag_residual.forward(&f)?;
        let flag = self.flag_out.forward(&f, false)?.reshape(n)?;
        Ok((marks, flag))
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
        let (w, h) = (img.width() as i64, img.height() as i64);
        let raw = img.as_raw();
        let px = |x: i64, y: i64, c: usize| raw[((y.clamp(0, h - 1) * w + x.clamp(0, w - 1)) * 3) as usize + c] as f64;
        RgbImage::from_fn(INPUT as u32, INPUT as u32, |i, j| {
            let (sx, sy) = self.to_picture(i as f64 + 0.5, j as f64 + 0.5);
            let (sx, sy) = (sx - 0.5, sy - 0.5);
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
}

/// A crop as the network's input `[1, 3, 192, 192]`, values 0–1.
pub fn input(crop: &RgbImage, device: &Device) -> Result<Tensor> {
    let n = INPUT * INPUT;
    let mut planes = vec![0f32; 3 * n];
    for (i, p) in crop.pixels().enumerate() {
        for c in 0..3 {
            planes[c * n + i] = p[c] as f32 / 255.0;
        }
    }
    Tensor::from_vec(planes, (1, 3, INPUT, INPUT), device)
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
        assert_eq!(r.to_picture(96.0, 96.0), (120.0, 125.0));
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

//! Object detection for Home Media AI: YOLOv12n (COCO-80) implemented
//! natively in candle — letterbox pre-processing, the network, DFL
//! decoding and NMS — with weights converted from the exported ONNX file.
//! No file system walking and no catalogue here: pictures in, boxes out.

pub mod coco;
pub mod convert;
pub mod cpu;
mod direct;
pub mod postprocess;
pub mod preprocess;
pub mod yolo;

use std::path::Path;

use candle_core::{Device, Module, Tensor};
use candle_nn::VarBuilder;
use image::RgbImage;
use serde::Serialize;

/// Model id stored with every detection.
pub const MODEL_ID: &str = "yolov12n-coco";
/// Bumped when pre- or post-processing changes what is stored (2: the look
/// embedding is stored with the objects).
pub const DETECT_VERSION: i32 = 2;
/// Ultralytics' defaults.
pub const CONFIDENCE: f32 = 0.25;
pub const IOU: f32 = 0.7;
pub const MAX_DETECTIONS: usize = 300;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    /// The weights file is missing, corrupt or not ours.
    #[error("model weights: {0}")]
    Weights(String),
    /// The network failed.
    #[error("detection failed: {0}")]
    Model(#[from] candle_core::Error),
}

/// One detected object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Detection {
    pub class_id: usize,
    /// COCO class name.
    pub class: &'static str,
    pub confidence: f32,
    /// `[x, y, w, h]` as shares of the picture's width and height (0–1).
    #[serde(rename = "box")]
    pub bbox: [f32; 4],
}

/// A loaded detector.
pub struct Detector {
    model: yolo::Yolo,
    device: Device,
}

impl std::fmt::Debug for Detector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Detector").field("device", &self.device).finish()
    }
}

impl Detector {
    /// Loads YOLOv12n from a safetensors file (see `convert`), on the CPU
    /// (or the first GPU with the `cuda`/`metal` feature).
    pub fn load(weights: &Path) -> Result<Detector, DetectError> {
        let device = best_device();
        let tensors = candle_core::safetensors::load(weights, &device)
            .map_err(|e| DetectError::Weights(format!("{}: {e}", weights.display())))?;
        let vb = VarBuilder::from_tensors(tensors, candle_core::DType::F32, &device);
        let model = yolo::Yolo::load(vb, yolo::Config::yolov12n())
            .map_err(|e| DetectError::Weights(format!("{}: not YOLOv12n weights: {e}", weights.display())))?;
        Ok(Detector { model, device })
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The head's raw outputs for a `[1, 3, 640, 640]` input.
    pub fn raw(&self, input: &Tensor) -> Result<Tensor, DetectError> {
        let x = input.to_device(&self.device)?;
        // Run on a rayon worker: the layers' parallel loops then split
        // work inside the pool instead of each one waking the pool from
        // outside and sleeping until it is done.
        Ok(rayon::scope(|_| self.model.forward(&x))?)
    }

    /// The decoded outputs (as the exported model's `output0`) for a
    /// letterboxed 640×640 picture.
    pub fn decoded(&self, letterboxed: &RgbImage) -> Result<postprocess::Decoded, DetectError> {
        let x = preprocess::to_tensor(letterboxed, &self.device)?;
        let raw = self.raw(&x)?.to_device(&Device::Cpu)?;
        Ok(postprocess::decode(&raw, self.model.config.reg_max, preprocess::INPUT as usize)?)
    }

    /// Objects in a picture (as displayed: orientation already applied),
    /// best first.
    pub fn detect(&self, img: &RgbImage) -> Result<Vec<Detection>, DetectError> {
        Ok(self.see(img)?.objects)
    }

    /// Objects in a picture, best first, and its look: the same pass of the
    /// network, nothing run twice.
    pub fn see(&self, img: &RgbImage) -> Result<Seen, DetectError> {
        let (boxed, lb) = preprocess::letterbox_image(img);
        let x = preprocess::to_tensor(&boxed, &self.device)?;
        let (raw, neck) = rayon::scope(|_| self.model.forward_with_neck(&x))?;
        let d =
            postprocess::decode(&raw.to_device(&Device::Cpu)?, self.model.config.reg_max, preprocess::INPUT as usize)?;
        let objects = postprocess::nms(&d, CONFIDENCE, IOU, MAX_DETECTIONS)
            .into_iter()
            .map(|c| Detection {
                class_id: c.class_id,
                class: coco::CLASSES.get(c.class_id).copied().unwrap_or("?"),
                confidence: c.confidence,
                bbox: lb.to_picture(c.bbox),
            })
            .collect();
        let look = look_of(&neck.to_device(&Device::Cpu)?, &lb)?;
        Ok(Seen { objects, look })
    }
}

/// What the detector saw in one picture.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Objects, best first.
    pub objects: Vec<Detection>,
    /// The look embedding (`LOOK_DIMS` values).
    pub look: Vec<f32>,
}

/// Values in a look embedding: the channels of the neck's coarsest map.
pub const LOOK_DIMS: usize = 256;

/// A look embedding as stored: a little-endian f32 scale, then one signed
/// byte per value (value ≈ byte × scale). 260 bytes a picture, 260 MB at a
/// million; the rounding (under 0.4 % of the largest value) is far below
/// what tells two pictures apart.
pub fn encode_look(look: &[f32]) -> Vec<u8> {
    let top = look.iter().fold(0f32, |m, v| m.max(v.abs()));
    let scale = if top > 0.0 && top.is_finite() { top / 127.0 } else { 1.0 };
    let mut out = Vec::with_capacity(4 + look.len());
    out.extend_from_slice(&scale.to_le_bytes());
    out.extend(look.iter().map(|v| ((v / scale).round().clamp(-127.0, 127.0) as i8) as u8));
    out
}

/// A stored look embedding read back; `None` when the bytes are not one.
pub fn decode_look(bytes: &[u8]) -> Option<Vec<f32>> {
    let (head, values) = bytes.split_first_chunk::<4>()?;
    let scale = f32::from_le_bytes(*head);
    (values.len() == LOOK_DIMS && scale.is_finite() && scale > 0.0)
        .then(|| values.iter().map(|&b| f32::from(b as i8) * scale).collect())
}

/// The look embedding: the mean of the neck's coarsest map (`[1, C, H, W]`)
/// over the cells whose centre lies on the picture, so the letterbox's grey
/// bars do not count. What the network sees in the whole picture, as the
/// head that finds large objects reads it (people, animals, vehicles,
/// furniture, and the scene they are in), at no cost beyond the pass that
/// finds the objects.
pub fn look_of(neck: &Tensor, lb: &preprocess::Letterbox) -> Result<Vec<f32>, DetectError> {
    let (_, c, h, w) = neck.dims4()?;
    let v: Vec<f32> = neck.flatten_all()?.to_vec1()?;
    let (iw, ih) = lb.inner();
    let cell = preprocess::INPUT as f32 / w.max(1) as f32;
    let on = |i: usize, pad: f32, len: u32| {
        let centre = (i as f32 + 0.5) * cell;
        centre >= pad && centre < pad + len as f32
    };
    let mut xs: Vec<usize> = (0..w).filter(|&x| on(x, lb.pad_x, iw)).collect();
    let mut ys: Vec<usize> = (0..h).filter(|&y| on(y, lb.pad_y, ih)).collect();
    // A picture thinner than a cell: the cell it lies in.
    if xs.is_empty() {
        xs.push((((lb.pad_x + iw as f32 / 2.0) / cell) as usize).min(w - 1));
    }
    if ys.is_empty() {
        ys.push((((lb.pad_y + ih as f32 / 2.0) / cell) as usize).min(h - 1));
    }
    let n = (xs.len() * ys.len()) as f32;
    Ok((0..c)
        .map(|ch| {
            let plane = &v[ch * h * w..(ch + 1) * h * w];
            ys.iter().flat_map(|&y| xs.iter().map(move |&x| plane[y * w + x])).sum::<f32>() / n
        })
        .collect())
}

fn best_device() -> Device {
    #[cfg(feature = "cuda")]
    if let Ok(d) = Device::new_cuda(0) {
        return d;
    }
    #[cfg(feature = "metal")]
    if let Ok(d) = Device::new_metal(0) {
        return d;
    }
    Device::Cpu
}

/// For tests of code that only runs on CPUs with a feature this one lacks:
/// records the test as skipped (in the file `HMA_SKIP_LOG` names, which
/// `scripts/test` counts as skipped, not passed) and returns true.
#[cfg(test)]
pub(crate) fn skipped_without(available: bool, feature: &str, test: &str) -> bool {
    if available {
        return false;
    }
    let line = format!("{test}: this CPU has no {feature} (or it was turned off): nothing to compare\n");
    eprint!("skipped: {line}");
    if let Some(path) = std::env::var_os("HMA_SKIP_LOG") {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
            let _ = f.write_all(line.as_bytes());
        }
    }
    true
}

#[cfg(test)]
mod look_tests {
    use super::*;

    #[test]
    fn a_stored_look_reads_back_within_its_rounding() {
        let look: Vec<f32> = (0..LOOK_DIMS).map(|i| ((i as f32) * 0.37).sin() * 3.0 - 0.2).collect();
        let bytes = encode_look(&look);
        assert_eq!(bytes.len(), 4 + LOOK_DIMS);
        let back = decode_look(&bytes).unwrap();
        let top = look.iter().fold(0f32, |m, v| m.max(v.abs()));
        assert!(look.iter().zip(&back).all(|(a, b)| (a - b).abs() <= top / 254.0 + 1e-6));
        assert!(decode_look(&bytes[..100]).is_none());
        assert!(decode_look(&[]).is_none());
    }

    #[test]
    fn the_look_leaves_out_the_letterbox_bars() {
        // A wide picture: 640×320 in the input, bars above and below. The
        // map holds 1 on the picture's cells and 100 on the bars'.
        let lb = preprocess::Letterbox::for_size(2000, 1000);
        assert_eq!((lb.pad_x, lb.pad_y), (0.0, 160.0));
        let (c, h, w) = (2, 20, 20);
        let mut v = vec![0f32; c * h * w];
        for ch in 0..c {
            for y in 0..h {
                for x in 0..w {
                    let centre = (y as f32 + 0.5) * 32.0;
                    v[ch * h * w + y * w + x] = if (160.0..480.0).contains(&centre) { 1.0 + ch as f32 } else { 100.0 };
                }
            }
        }
        let t = Tensor::from_vec(v, (1, c, h, w), &Device::Cpu).unwrap();
        assert_eq!(look_of(&t, &lb).unwrap(), vec![1.0, 2.0]);
    }
}

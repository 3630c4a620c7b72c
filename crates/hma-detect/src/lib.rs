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
/// Bumped when pre- or post-processing changes what is stored.
pub const DETECT_VERSION: i32 = 1;
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
        let (boxed, lb) = preprocess::letterbox_image(img);
        let d = self.decoded(&boxed)?;
        Ok(postprocess::nms(&d, CONFIDENCE, IOU, MAX_DETECTIONS)
            .into_iter()
            .map(|c| Detection {
                class_id: c.class_id,
                class: coco::CLASSES.get(c.class_id).copied().unwrap_or("?"),
                confidence: c.confidence,
                bbox: lb.to_picture(c.bbox),
            })
            .collect())
    }
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

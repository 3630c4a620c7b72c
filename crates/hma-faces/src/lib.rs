//! Faces, natively in candle: who is in a picture and how they look.
//!
//! This crate knows the face models (MediaPipe's BlazeFace detector, its
//! face landmarks, an identity embedding) and their weight files; it knows
//! nothing of the catalogue or of files on disk beyond the weights it is
//! given. So far: reading TensorFlow Lite model files and converting their
//! weights to safetensors (`hma models import`), and BlazeFace's
//! post-processing (anchors, decoding, weighted NMS) checked against
//! MediaPipe's rules on the reference runtime's outputs; `graph` runs a
//! TFLite face model op by op in candle (BlazeFace matches LiteRT to 2.3e-5
//! on box values and 5e-6 on logits), the reference for the typed port.

pub mod blazeface;
pub mod detect;
pub mod eval;
pub mod eyes;
pub mod facemesh;
pub mod graph;
pub mod layers;
pub mod model;
pub mod tflite;

use std::path::Path;

use candle_core::{Device, Tensor};

/// A face model's weights could not be read or converted.
#[derive(Debug, thiserror::Error)]
pub enum FacesError {
    #[error(transparent)]
    Tflite(#[from] tflite::TfliteError),
    #[error("{0}")]
    Weights(String),
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

/// Writes every weight of the TFLite model `bytes` (fp16 constants as
/// f32, under the names the graph's layers use) to `out` as safetensors;
/// returns how many tensors and parameters.
pub fn tflite_to_safetensors(bytes: &[u8], out: &Path) -> Result<(usize, usize), FacesError> {
    let model = tflite::Model::parse(bytes)?;
    let mut tensors = std::collections::HashMap::new();
    let mut params = 0;
    for (name, (shape, values)) in model.weights()? {
        params += values.len();
        let t =
            Tensor::from_vec(values, shape, &Device::Cpu).map_err(|e| FacesError::Weights(format!("{name}: {e}")))?;
        tensors.insert(name, t);
    }
    let n = tensors.len();
    candle_core::safetensors::save(&tensors, out)
        .map_err(|e| FacesError::Weights(format!("{}: {e}", out.display())))?;
    Ok((n, params))
}

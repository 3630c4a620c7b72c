//! ONNX → safetensors: the weights (initializers named `model.*`) of an
//! exported Ultralytics model, for `hma models import`. The graph itself is
//! not used: the architecture is ours (`crate::yolo`).

use std::collections::HashMap;
use std::path::Path;

use candle_core::{Device, Tensor};

use crate::DetectError;

/// Reads the `model.*` float tensors of an ONNX file.
pub fn onnx_weights(onnx: &Path) -> Result<HashMap<String, Tensor>, DetectError> {
    let model = candle_onnx::read_file(onnx).map_err(|e| DetectError::Weights(format!("{}: {e}", onnx.display())))?;
    let graph = model.graph.ok_or_else(|| DetectError::Weights(format!("{}: no graph", onnx.display())))?;
    let mut out = HashMap::new();
    for t in graph.initializer {
        if !t.name.starts_with("model.") {
            continue;
        }
        // 1 = FLOAT in ONNX's TensorProto.DataType.
        if t.data_type != 1 {
            return Err(DetectError::Weights(format!("{}: {} is not float32", onnx.display(), t.name)));
        }
        let shape: Vec<usize> = t.dims.iter().map(|&d| d as usize).collect();
        let data: Vec<f32> = if !t.raw_data.is_empty() {
            t.raw_data.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
        } else {
            t.float_data.clone()
        };
        let tensor = Tensor::from_vec(data, shape, &Device::Cpu)
            .map_err(|e| DetectError::Weights(format!("{}: {e}", t.name)))?;
        out.insert(t.name.clone(), tensor);
    }
    if out.is_empty() {
        return Err(DetectError::Weights(format!(
            "{}: no model.* weights (not an Ultralytics export?)",
            onnx.display()
        )));
    }
    Ok(out)
}

/// Writes the weights of `onnx` to `out` (safetensors); returns how many
/// tensors and parameters.
pub fn onnx_to_safetensors(onnx: &Path, out: &Path) -> Result<(usize, usize), DetectError> {
    let w = onnx_weights(onnx)?;
    let params = w.values().map(|t| t.elem_count()).sum();
    let n = w.len();
    candle_core::safetensors::save(&w, out).map_err(|e| DetectError::Weights(format!("{}: {e}", out.display())))?;
    Ok((n, params))
}

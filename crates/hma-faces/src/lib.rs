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
pub mod blendshapes;
pub mod cluster;
pub mod detect;
pub mod eval;
pub mod eyes;
pub mod graph;
pub mod landmarker;
pub mod layers;
pub mod model;
pub mod sface;
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

/// Loads a model from converted weights (safetensors) on the CPU with its
/// `load(vb)`; any error names the file.
pub fn load_cpu<M>(
    weights: &Path,
    load: impl FnOnce(candle_nn::VarBuilder<'static>) -> candle_core::Result<M>,
) -> Result<M, FacesError> {
    let named = |e: candle_core::Error| FacesError::Weights(format!("{}: {e}", weights.display()));
    let tensors = candle_core::safetensors::load(weights, &Device::Cpu).map_err(named)?;
    let vb = candle_nn::VarBuilder::from_tensors(tensors, candle_core::DType::F32, &Device::Cpu);
    load(vb).map_err(named)
}

/// How a converted model's tensors are named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    /// The TFLite tensor names (Keras' `conv2d_N/Kernel_dequantize`…).
    Graph,
    /// By the order of the layers in the graph: `conv{i}.kernel`,
    /// `conv{i}.bias`, `dw{i}.kernel`, `dw{i}.bias`, `prelu{i}.alpha` (for
    /// models whose tensor names are fused-op soup, like Face Landmarker's).
    OpOrder,
    /// As `OpOrder`, and the constants other operators take, by the order
    /// of those operators: `mul{i}.const`, `add{i}.const`, `concat{i}.const`
    /// (the blendshapes model's layer-norm scales and epsilon, its input
    /// scale and its learned token).
    OpOrderConstants,
}

/// Writes every weight of the TFLite model `bytes` (fp16 constants as
/// f32) to `out` as safetensors, named by `naming`; returns how many
/// tensors and parameters.
pub fn tflite_to_safetensors(bytes: &[u8], out: &Path, naming: Naming) -> Result<(usize, usize), FacesError> {
    let model = tflite::Model::parse(bytes)?;
    let mut weights = model.weights()?;
    if naming != Naming::Graph {
        let mut renamed = std::collections::HashMap::new();
        let mut used = std::collections::HashSet::new();
        let (mut conv, mut dw, mut prelu) = (0, 0, 0);
        let (mut mul, mut add, mut concat) = (0, 0, 0);
        let constants = naming == Naming::OpOrderConstants;
        let names: std::collections::HashSet<String> = weights.keys().cloned().collect();
        // (A constant may feed several layers: the converter shares equal ones.)
        let mut take = |i: i32, name: String| -> Result<(), FacesError> {
            let t = &model.tensors[i as usize].name;
            let w = weights.get(t).ok_or_else(|| FacesError::Weights(format!("{name}: {t} is not a constant")))?;
            renamed.insert(name, w.clone());
            used.insert(t.clone());
            Ok(())
        };
        for op in &model.ops {
            match op.kind {
                tflite::OpKind::Conv2d | tflite::OpKind::DepthwiseConv2d => {
                    let (tag, n) =
                        if op.kind == tflite::OpKind::Conv2d { ("conv", &mut conv) } else { ("dw", &mut dw) };
                    take(op.inputs[1], format!("{tag}{n}.kernel"))?;
                    take(op.inputs[2], format!("{tag}{n}.bias"))?;
                    *n += 1;
                }
                tflite::OpKind::Prelu => {
                    take(op.inputs[1], format!("prelu{prelu}.alpha"))?;
                    prelu += 1;
                }
                tflite::OpKind::Mul | tflite::OpKind::Add | tflite::OpKind::Concatenation if constants => {
                    let (tag, n) = match op.kind {
                        tflite::OpKind::Mul => ("mul", &mut mul),
                        tflite::OpKind::Add => ("add", &mut add),
                        _ => ("concat", &mut concat),
                    };
                    let consts: Vec<i32> = op
                        .inputs
                        .iter()
                        .copied()
                        .filter(|&i| i >= 0 && names.contains(&model.tensors[i as usize].name))
                        .collect();
                    match consts.as_slice() {
                        [] => {}
                        [c] => {
                            take(*c, format!("{tag}{n}.const"))?;
                            *n += 1;
                        }
                        _ => return Err(FacesError::Weights(format!("{tag}{n}: more than one constant input"))),
                    }
                }
                _ => {}
            }
        }
        if let Some(left) = weights.keys().find(|k| !used.contains(*k)) {
            return Err(FacesError::Weights(format!("{left}: a weight of no layer this naming knows")));
        }
        weights = renamed;
    }
    let mut tensors = std::collections::HashMap::new();
    let mut params = 0;
    for (name, (shape, values)) in weights {
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

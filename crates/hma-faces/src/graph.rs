//! A TFLite graph of the face models run op by op in candle (NCHW), on the
//! weights our reader converted: the reference structure the typed BlazeFace
//! port is checked against, and the way to see that a model file was read
//! right. Only the ops the face models use; anything else is an error.

use std::collections::HashMap;

use candle_core::{Device, Tensor};

use crate::tflite::{Model, OpKind, Options, Padding};
use crate::FacesError;

fn err(e: impl std::fmt::Display) -> FacesError {
    FacesError::Weights(e.to_string())
}

/// A model's graph with its weights as tensors (convolution filters
/// re-laid from OHWI to OIHW, depthwise ones to [C, 1, kh, kw]).
#[derive(Debug)]
pub struct Graph {
    model: Model,
    consts: HashMap<usize, Tensor>,
}

impl Graph {
    /// Reads a `.tflite` file's bytes.
    pub fn from_tflite(bytes: &[u8]) -> Result<Graph, FacesError> {
        let model = Model::parse(bytes)?;
        let weights = model.weights()?;
        let mut consts = HashMap::new();
        for (name, (shape, values)) in weights {
            let i = model.tensor(&name).ok_or_else(|| err(format!("no tensor {name}")))?;
            consts.insert(i, Tensor::from_vec(values, shape, &Device::Cpu).map_err(err)?);
        }
        Ok(Graph { model, consts })
    }

    /// Runs the graph on `input` (NHWC, as the model takes it); returns its
    /// outputs in the model's shapes and order.
    pub fn run(&self, input: &Tensor) -> Result<Vec<Tensor>, FacesError> {
        let m = &self.model;
        let mut vals: HashMap<usize, Tensor> = HashMap::new();
        vals.insert(m.inputs[0], input.permute((0, 3, 1, 2)).map_err(err)?.contiguous().map_err(err)?);
        let get = |vals: &HashMap<usize, Tensor>, i: i32| -> Result<Tensor, FacesError> {
            let i = i as usize;
            vals.get(&i).or_else(|| self.consts.get(&i)).cloned().ok_or_else(|| err(format!("tensor {i} not ready")))
        };
        for op in &m.ops {
            let out = match (&op.kind, op.options) {
                (OpKind::Dequantize, _) => continue,
                (OpKind::Conv2d, Options::Conv { padding, stride, dilation: (1, 1), .. }) => {
                    let x = get(&vals, op.inputs[0])?;
                    let w = get(&vals, op.inputs[1])?.permute((0, 3, 1, 2)).map_err(err)?;
                    let b = get(&vals, op.inputs[2])?;
                    conv(&x, &w.contiguous().map_err(err)?, &b, padding, stride, 1)?
                }
                (OpKind::DepthwiseConv2d, Options::Depthwise { padding, stride, multiplier: 1, .. }) => {
                    let x = get(&vals, op.inputs[0])?;
                    let w = get(&vals, op.inputs[1])?.permute((3, 0, 1, 2)).map_err(err)?;
                    let b = get(&vals, op.inputs[2])?;
                    let c = x.dim(1).map_err(err)?;
                    conv(&x, &w.contiguous().map_err(err)?, &b, padding, stride, c)?
                }
                (OpKind::Relu, _) => get(&vals, op.inputs[0])?.relu().map_err(err)?,
                (OpKind::Add, _) => (get(&vals, op.inputs[0])? + get(&vals, op.inputs[1])?).map_err(err)?,
                (OpKind::MaxPool2d, Options::Pool { filter: (2, 2), stride: (2, 2), .. }) => {
                    get(&vals, op.inputs[0])?.max_pool2d(2).map_err(err)?
                }
                (OpKind::Pad, _) => {
                    let x = get(&vals, op.inputs[0])?;
                    let p = self.int_const(op.inputs[1])?;
                    // NHWC paddings [[n0,n1],[h0,h1],[w0,w1],[c0,c1]].
                    if p.len() != 8 || p[..6].iter().any(|&v| v != 0) {
                        return Err(err(format!("PAD other than of channels: {p:?}")));
                    }
                    x.pad_with_zeros(1, p[6] as usize, p[7] as usize).map_err(err)?
                }
                (OpKind::ResizeBilinear, Options::Resize { align_corners: false, half_pixel_centers: true }) => {
                    let x = get(&vals, op.inputs[0])?;
                    let s = self.int_const(op.inputs[1])?;
                    x.upsample_bilinear2d(s[0] as usize, s[1] as usize, false).map_err(err)?
                }
                (OpKind::Reshape, _) => {
                    let x = get(&vals, op.inputs[0])?.permute((0, 2, 3, 1)).map_err(err)?;
                    let shape = &m.tensors[op.outputs[0] as usize].shape;
                    x.contiguous().map_err(err)?.reshape(shape.as_slice()).map_err(err)?
                }
                (k, o) => return Err(err(format!("op {k:?} with {o:?} is not one the face models use"))),
            };
            vals.insert(op.outputs[0] as usize, out);
        }
        m.outputs
            .iter()
            .map(|&o| vals.get(&o).cloned().ok_or_else(|| err(format!("output {o} not computed"))))
            .collect()
    }

    fn int_const(&self, i: i32) -> Result<Vec<i32>, FacesError> {
        let t = &self.model.tensors[i as usize];
        let d = t.data.as_ref().ok_or_else(|| err(format!("{} is not a constant", t.name)))?;
        Ok(d.chunks_exact(4).map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
    }
}

/// A convolution with TensorFlow's padding rule: SAME puts the odd extra
/// row and column at the bottom and right.
fn conv(
    x: &Tensor,
    w: &Tensor,
    b: &Tensor,
    padding: Padding,
    (sh, sw): (usize, usize),
    groups: usize,
) -> Result<Tensor, FacesError> {
    let (kh, kw) = (w.dim(2).map_err(err)?, w.dim(3).map_err(err)?);
    let (h, wd) = (x.dim(2).map_err(err)?, x.dim(3).map_err(err)?);
    let mut x = x.clone();
    if padding == Padding::Same {
        // Output n/s (rounded up) needs (out − 1)·s + k input values.
        let total = |n: usize, k: usize, s: usize| ((n.div_ceil(s) - 1) * s + k).saturating_sub(n);
        let (ph, pw) = (total(h, kh, sh), total(wd, kw, sw));
        x = x.pad_with_zeros(2, ph / 2, ph - ph / 2).map_err(err)?;
        x = x.pad_with_zeros(3, pw / 2, pw - pw / 2).map_err(err)?;
    }
    if sh != sw {
        return Err(err("unequal strides"));
    }
    let y = x.conv2d(w, 0, sh, 1, groups).map_err(err)?;
    y.broadcast_add(&b.reshape((1, b.dim(0).map_err(err)?, 1, 1)).map_err(err)?).map_err(err)
}

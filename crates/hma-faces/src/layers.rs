//! The layers the MediaPipe face models are made of, on weights converted
//! from their TFLite files: dense convolutions (a 1×1 as one matrix
//! product), depthwise 3×3 convolutions (a hand-written CPU kernel), PReLU,
//! with TensorFlow's SAME padding rule.

use candle_core::{DType, Device, Result, Tensor};
use candle_nn::VarBuilder;
use rayon::prelude::*;

/// The converted TFLite tensors of a layer: `NAME/Kernel_dequantize` and
/// `NAME/Bias_dequantize` (the fp16 constants' dequantised outputs).
pub fn kernel_and_bias(vb: &VarBuilder, name: &str, kernel: &[usize], out: usize) -> Result<(Tensor, Tensor)> {
    let k = vb.get(kernel, &format!("{name}/Kernel_dequantize"))?;
    let b = vb.get(out, &format!("{name}/Bias_dequantize"))?;
    Ok((k, b))
}

/// A dense convolution (the stem's 3×3 stride 2, or a 1×1).
#[derive(Debug, Clone)]
pub struct Conv {
    /// `[out, in, k, k]`.
    w: Tensor,
    /// `[out, in]` for a 1×1 (run as a matrix product).
    w2: Option<Tensor>,
    b: Tensor,
    stride: usize,
}

impl Conv {
    /// The layer `name`: `cin` → `cout`, `k`×`k`, stride 1 or 2 (TF SAME),
    /// or stride `k` on a `k`×`k` map (VALID: a dense layer over the map).
    pub fn load(vb: &VarBuilder, name: &str, cin: usize, cout: usize, k: usize, stride: usize) -> Result<Conv> {
        let (w, b) = kernel_and_bias(vb, name, &[cout, k, k, cin], cout)?;
        // OHWI → OIHW.
        let w = w.permute((0, 3, 1, 2))?.contiguous()?;
        let w2 = if k == 1 { Some(w.reshape((cout, cin))?) } else { None };
        Ok(Conv { w, w2, b, stride })
    }

    pub fn forward(&self, x: &Tensor, relu: bool) -> Result<Tensor> {
        let y = match &self.w2 {
            Some(w) => {
                // One product per picture of the batch: candle 0.9's batched
                // product with a broadcast (stride-0) left side gave wrong
                // values for batches of more than one (measured: landmarks
                // off by 89 px; tests/reference.rs checks batch = alone).
                let (n, c, h, wd) = x.dims4()?;
                let o = w.dim(0)?;
                let b = self.b.reshape((o, 1))?;
                let ys = (0..n)
                    .map(|i| w.matmul(&x.get(i)?.reshape((c, h * wd))?)?.broadcast_add(&b))
                    .collect::<Result<Vec<_>>>()?;
                Tensor::stack(&ys, 0)?.reshape((n, o, h, wd))?
            }
            None => {
                let k = self.w.dim(2)?;
                // A k×k kernel at stride k is VALID (no padding); at stride
                // 2 TF SAME on an even side pads one row and column at the
                // bottom and right only; at stride 1 SAME pads k/2 all round.
                let x = if self.stride == 2 && k == 3 {
                    x.pad_with_zeros(2, 0, 1)?.pad_with_zeros(3, 0, 1)?
                } else {
                    x.clone()
                };
                let pad = if self.stride == 1 { k / 2 } else { 0 };
                let o = self.w.dim(0)?;
                x.conv2d(&self.w, pad, self.stride, 1, 1)?.broadcast_add(&self.b.reshape((1, o, 1, 1))?)?
            }
        };
        if relu {
            y.relu()
        } else {
            Ok(y)
        }
    }
}

/// A depthwise 3×3 convolution with TF SAME padding.
#[derive(Debug, Clone)]
pub struct Depthwise {
    /// `[c, 3, 3]` (from TFLite's `[1, 3, 3, c]`).
    w: Vec<f32>,
    b: Vec<f32>,
    /// `[c, 1, 3, 3]` for candle's grouped convolution off the CPU.
    wt: Tensor,
    bt: Tensor,
    stride: usize,
}

impl Depthwise {
    pub fn load(vb: &VarBuilder, name: &str, c: usize, stride: usize) -> Result<Depthwise> {
        let (w, b) = kernel_and_bias(vb, name, &[1, 3, 3, c], c)?;
        let w = w.reshape((9, c))?.t()?.contiguous()?;
        Ok(Depthwise {
            w: w.to_device(&Device::Cpu)?.flatten_all()?.to_vec1()?,
            b: b.to_device(&Device::Cpu)?.to_vec1()?,
            wt: w.reshape((c, 1, 3, 3))?,
            bt: b,
            stride,
        })
    }

    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let (n, c, h, w) = x.dims4()?;
        if x.device().is_cpu() && x.dtype() == DType::F32 {
            let src = x.contiguous()?.flatten_all()?.to_vec1::<f32>()?;
            let (ho, wo) = (h.div_ceil(self.stride), w.div_ceil(self.stride));
            let mut out = vec![0f32; n * c * ho * wo];
            out.par_chunks_mut(ho * wo).zip(src.par_chunks(h * w)).enumerate().for_each(|(i, (o, p))| {
                let ch = i % c;
                depthwise3(p, (h, w), &self.w[ch * 9..ch * 9 + 9], self.b[ch], self.stride, o);
            });
            return Tensor::from_vec(out, (n, c, ho, wo), x.device());
        }
        // Elsewhere (CUDA, Metal): candle's grouped convolution.
        let x = if self.stride == 2 { x.pad_with_zeros(2, 0, 1)?.pad_with_zeros(3, 0, 1)? } else { x.clone() };
        let pad = if self.stride == 2 { 0 } else { 1 };
        x.conv2d(&self.wt, pad, self.stride, 1, c)?.broadcast_add(&self.bt.reshape((1, c, 1, 1))?)
    }
}

/// One plane of a depthwise 3×3 convolution, TF SAME padding: stride 1 pads
/// one on every side; stride 2 (even sides) pads only bottom and right.
/// Written by hand because candle runs a grouped convolution as one small
/// convolution per channel, which for 32–384 channels costs far more than
/// the arithmetic.
fn depthwise3(src: &[f32], (h, w): (usize, usize), k: &[f32], bias: f32, stride: usize, out: &mut [f32]) {
    if stride == 1 {
        // Zero-bordered copy with rows of w + 2; then every tap is one long
        // shifted multiply-add (the two extra values per row are dropped).
        let wp = w + 2;
        let mut padded = vec![0f32; (h + 2) * wp + 2];
        for (y, row) in src.chunks_exact(w).enumerate() {
            padded[(y + 1) * wp + 1..(y + 1) * wp + 1 + w].copy_from_slice(row);
        }
        let mut acc = vec![bias; h * wp];
        for ky in 0..3 {
            for kx in 0..3 {
                let wv = k[ky * 3 + kx];
                let shifted = &padded[ky * wp + kx..ky * wp + kx + h * wp];
                acc.iter_mut().zip(shifted).for_each(|(a, p)| *a += wv * p);
            }
        }
        for (orow, arow) in out.chunks_exact_mut(w).zip(acc.chunks_exact(wp)) {
            orow.copy_from_slice(&arow[..w]);
        }
    } else {
        let wo = w.div_ceil(2);
        for (oy, orow) in out.chunks_exact_mut(wo).enumerate() {
            orow.fill(bias);
            for ky in 0..3 {
                let y = 2 * oy + ky;
                if y >= h {
                    continue;
                }
                let row = &src[y * w..(y + 1) * w];
                for kx in 0..3 {
                    let wv = k[ky * 3 + kx];
                    for (ox, o) in orow.iter_mut().enumerate() {
                        if let Some(v) = row.get(2 * ox + kx) {
                            *o += wv * v;
                        }
                    }
                }
            }
        }
    }
}

/// PReLU with one slope per channel (TFLite's alpha `[1, 1, c]`).
#[derive(Debug, Clone)]
pub struct Prelu {
    /// `[1, c, 1, 1]`.
    alpha: Tensor,
}

impl Prelu {
    pub fn load(vb: &VarBuilder, name: &str, c: usize) -> Result<Prelu> {
        let a = vb.get((1, 1, c), &format!("{name}/Alpha_dequantize"))?;
        Ok(Prelu { alpha: a.reshape((1, c, 1, 1))? })
    }

    /// max(x, 0) + alpha · min(x, 0).
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let neg = x.minimum(0f32)?.broadcast_mul(&self.alpha)?;
        x.relu()? + neg
    }
}

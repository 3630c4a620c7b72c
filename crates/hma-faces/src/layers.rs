//! The layers the MediaPipe face models are made of, on weights converted
//! from their TFLite files: dense convolutions (a 1×1 as one matrix
//! product), depthwise 3×3 convolutions (a hand-written CPU kernel), PReLU,
//! with TensorFlow's SAME padding rule.
//!
//! On the CPU a residual block runs as one function on the tensors' own
//! memory ([`residual_block`]): depthwise planes written straight into
//! vectors, 1×1 convolutions as one matrix product each (hma-detect's
//! kernels, with the bias and the shortcut added as the product's tiles
//! finish), activations in place, and the output vector moved into the
//! tensor: no intermediate tensor, copy or zero-filled buffer per layer.

use candle_core::{DType, Device, Result, Tensor};
use candle_nn::VarBuilder;
use multiversion::multiversion;
use rayon::prelude::*;

/// A dense convolution (the stem's 3×3 stride 2, or a 1×1).
#[derive(Debug, Clone)]
pub struct Conv {
    /// `[out, in, k, k]`.
    w: Tensor,
    /// `[out, in]` for a 1×1 (run as a matrix product).
    w2: Option<Tensor>,
    b: Tensor,
    stride: usize,
    /// A 1×1's weights as the CPU kernels take them.
    filters: Option<hma_detect::cpu::Filters>,
}

impl Conv {
    /// The layer `name`: `cin` → `cout`, `k`×`k`, stride 1 or 2 (TF SAME),
    /// or stride `k` on a `k`×`k` map (VALID: a dense layer over the map).
    pub fn load(vb: &VarBuilder, name: &str, cin: usize, cout: usize, k: usize, stride: usize) -> Result<Conv> {
        let (kn, bn) = (format!("{name}/Kernel_dequantize"), format!("{name}/Bias_dequantize"));
        Conv::load_named(vb, &kn, &bn, cin, cout, k, stride)
    }

    /// [`Conv::load`] from tensors named `kernel` and `bias`.
    pub fn load_named(
        vb: &VarBuilder,
        kernel: &str,
        bias: &str,
        cin: usize,
        cout: usize,
        k: usize,
        stride: usize,
    ) -> Result<Conv> {
        let w = vb.get(&[cout, k, k, cin][..], kernel)?;
        let b = vb.get(cout, bias)?;
        // OHWI → OIHW.
        Conv::from_oihw(w.permute((0, 3, 1, 2))?, b, stride)
    }

    /// From a kernel in ONNX/PyTorch layout `[out, in, k, k]` and biases.
    pub fn from_oihw(w: Tensor, b: Tensor, stride: usize) -> Result<Conv> {
        let (cout, cin, k, _) = w.dims4()?;
        let w = w.contiguous()?;
        let w2 = if k == 1 { Some(w.reshape((cout, cin))?) } else { None };
        // The CPU kernels take 1×1s, and 3×3 (SAME) or 2×2 (VALID) at
        // stride 2 as a 1×1 over their gathered patches (see forward).
        let filters = if k == 1 || (stride == 2 && (k == 2 || k == 3)) {
            Some(hma_detect::cpu::Filters {
                w: w.to_device(&Device::Cpu)?.flatten_all()?.to_vec1()?,
                bias: b.to_device(&Device::Cpu)?.to_vec1()?,
                out: cout,
                k: 1,
                stride: 1,
            })
        } else {
            None
        };
        Ok(Conv { w, w2, b, stride, filters })
    }

    /// A 1×1 on one picture's `[c, hw]` values: bias, plus `residual`
    /// (`[out, hw]`) when given.
    fn pointwise(&self, x: &[f32], c: usize, hw: usize, residual: Option<&[f32]>) -> Result<Vec<f32>> {
        let Some(f) = &self.filters else { candle_core::bail!("not a 1×1 convolution") };
        Ok(hma_detect::cpu::conv1x1_parts(&[(x, c)], hw, f, false, residual))
    }

    pub fn forward(&self, x: &Tensor, relu: bool) -> Result<Tensor> {
        let k = self.w.dim(2)?;
        if let (Some(f), true) = (&self.filters, x.device().is_cpu() && x.dtype() == DType::F32) {
            // A 1×1 is one matrix product per picture; a k×k at stride 2 is
            // one over its gathered patches (`stride2_patches`).
            let (n, c, h, w) = x.dims4()?;
            let (ho, wo) = if k > 1 { (h.div_ceil(2), w.div_ceil(2)) } else { (h, w) };
            let x = x.contiguous()?;
            let mut out = hma_detect::cpu::with_f32(&x, |xs| {
                let mut out = Vec::with_capacity(n * f.out * ho * wo);
                for img in xs.chunks_exact(c * h * w) {
                    let y = if k > 1 {
                        let cols = stride2_patches(img, (c, h, w), k);
                        hma_detect::cpu::conv1x1_parts(&[(&cols, c * k * k)], ho * wo, f, false, None)
                    } else {
                        hma_detect::cpu::conv1x1_parts(&[(img, c)], h * w, f, false, None)
                    };
                    out.extend(y);
                }
                out
            })?;
            if relu {
                Act::Relu.apply(&mut out, ho * wo);
            }
            return Tensor::from_vec(out, (n, f.out, ho, wo), x.device());
        }
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
                // At stride 2, TF SAME (3×3) on an even side pads one row
                // and column at the bottom and right only.
                let x = if self.stride == 2 && k == 3 {
                    x.pad_with_zeros(2, 0, 1)?.pad_with_zeros(3, 0, 1)?
                } else {
                    x.clone()
                };
                // SAME (odd k at stride 1) pads k/2 all round; VALID (a
                // k×k over a k×k map, at stride 1 or k) pads nothing.
                let pad = if self.stride == 1 && k % 2 == 1 { k / 2 } else { 0 };
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

/// The patches of a k×k convolution at stride 2 over one picture's
/// `[c, h, w]` (TF SAME for 3×3 or VALID for 2×2, even sides: output
/// (i, j) reads input rows 2i … 2i+k−1 and columns 2j … 2j+k−1, zeros past
/// the bottom and right), as a `[c·k², ho·wo]` matrix.
fn stride2_patches(img: &[f32], (c, h, w): (usize, usize, usize), k: usize) -> Vec<f32> {
    let (ho, wo) = (h.div_ceil(2), w.div_ceil(2));
    let mut cols = Vec::with_capacity(c * k * k * ho * wo);
    for plane in img.chunks_exact(h * w) {
        for ky in 0..k {
            for kx in 0..k {
                for i in 0..ho {
                    let y = 2 * i + ky;
                    if y >= h {
                        cols.extend(std::iter::repeat_n(0.0, wo));
                        continue;
                    }
                    let row = &plane[y * w..(y + 1) * w];
                    let inside = (w.saturating_sub(kx)).div_ceil(2).min(wo);
                    // Every second value from kx: pairs without index checks
                    // (`step_by` ran scalar and slow), then an odd last one.
                    let run = &row[kx..];
                    cols.extend(run.chunks_exact(2).take(inside).map(|p| p[0]));
                    if run.len() / 2 < inside {
                        cols.push(run[run.len() - 1]);
                    }
                    cols.extend(std::iter::repeat_n(0.0, wo - inside));
                }
            }
        }
    }
    cols
}

/// A depthwise 3×3 convolution (TF SAME, or symmetric padding at stride 2).
#[derive(Debug, Clone)]
pub struct Depthwise {
    /// `[c, 3, 3]` (from TFLite's `[1, 3, 3, c]`).
    w: Vec<f32>,
    b: Vec<f32>,
    /// `[c, 1, 3, 3]` for candle's grouped convolution off the CPU.
    wt: Tensor,
    bt: Tensor,
    stride: usize,
    /// At stride 2: TensorFlow's SAME (pad bottom/right only) when true,
    /// symmetric padding of 1 (ONNX/PyTorch models) when false.
    tf_same: bool,
}

impl Depthwise {
    pub fn load(vb: &VarBuilder, name: &str, c: usize, stride: usize) -> Result<Depthwise> {
        let (kn, bn) = (format!("{name}/Kernel_dequantize"), format!("{name}/Bias_dequantize"));
        Depthwise::load_named(vb, &kn, &bn, c, stride)
    }

    /// [`Depthwise::load`] from tensors named `kernel` and `bias`.
    pub fn load_named(vb: &VarBuilder, kernel: &str, bias: &str, c: usize, stride: usize) -> Result<Depthwise> {
        let w = vb.get(&[1, 3, 3, c][..], kernel)?;
        let b = vb.get(c, bias)?;
        let w = w.reshape((9, c))?.t()?.contiguous()?;
        Depthwise::from_weights(w, b, stride, true)
    }

    /// From filters `[c, 9]` (row-major 3×3 each) and biases `[c]`.
    pub fn from_weights(w: Tensor, b: Tensor, stride: usize, tf_same: bool) -> Result<Depthwise> {
        let c = b.dim(0)?;
        let w = w.contiguous()?;
        Ok(Depthwise {
            w: w.to_device(&Device::Cpu)?.flatten_all()?.to_vec1()?,
            b: b.to_device(&Device::Cpu)?.to_vec1()?,
            wt: w.reshape((c, 1, 3, 3))?,
            bt: b,
            stride,
            tf_same,
        })
    }

    /// One picture's `[c, h, w]` values through the filter, a plane per task.
    fn planes(&self, x: &[f32], (c, h, w): (usize, usize, usize)) -> Vec<f32> {
        let (ho, wo) = (h.div_ceil(self.stride), w.div_ceil(self.stride));
        let mut out = vec![0f32; c * ho * wo];
        let shift = if self.stride == 2 && !self.tf_same { -1 } else { 0 };
        let one = |(ch, (o, p)): (usize, (&mut [f32], &[f32]))| {
            depthwise3(p, (h, w), &self.w[ch * 9..ch * 9 + 9], self.b[ch], (self.stride, shift), o)
        };
        // Small maps stay on this thread: handing them to the pool costs
        // more than the arithmetic (measured: a tenth of a 192² pass went to
        // waking threads).
        if out.len() < 1 << 16 || rayon::current_num_threads() == 1 {
            out.chunks_mut(ho * wo).zip(x.chunks(h * w)).enumerate().for_each(one);
        } else {
            out.par_chunks_mut(ho * wo).zip(x.par_chunks(h * w)).enumerate().for_each(one);
        }
        out
    }

    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let (n, c, h, w) = x.dims4()?;
        if x.device().is_cpu() && x.dtype() == DType::F32 {
            let (ho, wo) = (h.div_ceil(self.stride), w.div_ceil(self.stride));
            let x = x.contiguous()?;
            let out = hma_detect::cpu::with_f32(&x, |xs| {
                let mut out = Vec::with_capacity(n * c * ho * wo);
                for img in xs.chunks_exact(c * h * w) {
                    out.extend(self.planes(img, (c, h, w)));
                }
                out
            })?;
            return Tensor::from_vec(out, (n, c, ho, wo), x.device());
        }
        // Elsewhere (CUDA, Metal): candle's grouped convolution.
        let tf = self.stride == 2 && self.tf_same;
        let x = if tf { x.pad_with_zeros(2, 0, 1)?.pad_with_zeros(3, 0, 1)? } else { x.clone() };
        let pad = if tf { 0 } else { 1 };
        x.conv2d(&self.wt, pad, self.stride, 1, c)?.broadcast_add(&self.bt.reshape((1, c, 1, 1))?)
    }
}

/// One plane of a depthwise 3×3 convolution: stride 1 pads one on every
/// side; stride 2 (even sides) reads rows and columns 2i + shift … 2i +
/// shift + 2, so shift 0 is TF SAME (padding only bottom and right) and −1
/// symmetric padding.
/// Written by hand because candle runs a grouped convolution as one small
/// convolution per channel, which for 32–384 channels costs far more than
/// the arithmetic. Row by row, each tap one multiply-add over a contiguous
/// run of the row (vectorised; compiled for AVX-512 and AVX2 as well, picked
/// at run time), no scratch buffer.
#[multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
fn depthwise3(
    src: &[f32],
    (h, w): (usize, usize),
    k: &[f32],
    bias: f32,
    (stride, shift): (usize, isize),
    out: &mut [f32],
) {
    let zeros = vec![0f32; w];
    // Row y of the input, or zeros outside it (with the taps then zero too).
    let row = |y: isize| -> &[f32] {
        if y >= 0 && (y as usize) < h {
            &src[y as usize * w..(y as usize + 1) * w]
        } else {
            &zeros
        }
    };
    let wo = w.div_ceil(stride);
    for (oy, orow) in out.chunks_exact_mut(wo).enumerate() {
        // Stride 1: rows oy−1 … oy+1; stride 2: rows 2·oy … 2·oy+2.
        let top = if stride == 1 { oy as isize - 1 } else { 2 * oy as isize + shift };
        let (r0, r1, r2) = (row(top), row(top + 1), row(top + 2));
        let tap = |x: isize| -> f32 {
            let mut v = bias;
            for (ky, r) in [r0, r1, r2].iter().enumerate() {
                for kx in 0..3 {
                    let sx = x + kx as isize;
                    if sx >= 0 && (sx as usize) < w {
                        v += k[ky * 3 + kx] * r[sx as usize];
                    }
                }
            }
            v
        };
        if stride == 1 {
            // Interior columns 1 … w−2 in one pass of nine multiply-adds
            // each; the two border columns with their zero padding.
            let n = w.saturating_sub(2);
            let o = &mut orow[1..1 + n];
            let (a0, a1, a2) = (&r0[..n], &r0[1..1 + n], &r0[2..2 + n]);
            let (b0, b1, b2) = (&r1[..n], &r1[1..1 + n], &r1[2..2 + n]);
            let (c0, c1, c2) = (&r2[..n], &r2[1..1 + n], &r2[2..2 + n]);
            for i in 0..n {
                o[i] = bias
                    + k[0] * a0[i]
                    + k[1] * a1[i]
                    + k[2] * a2[i]
                    + k[3] * b0[i]
                    + k[4] * b1[i]
                    + k[5] * b2[i]
                    + k[6] * c0[i]
                    + k[7] * c1[i]
                    + k[8] * c2[i];
            }
            orow[0] = tap(-1);
            if w > 1 {
                orow[w - 1] = tap(w as isize - 2);
            }
        } else {
            // Output column j reads input columns 2j + shift … 2j + shift + 2:
            // columns from `first` to `first + n` have all three inside, the
            // others (at most one on each side) go through `tap`.
            let first = usize::from(shift < 0);
            let n = if w >= 3 { ((w - 3) as isize - shift) / 2 + 1 - first as isize } else { 0 }.max(0) as usize;
            let n = n.min(wo - first.min(wo));
            for (j, o) in orow.iter_mut().enumerate().skip(first).take(n) {
                let x = (2 * j as isize + shift) as usize;
                *o = bias
                    + k[0] * r0[x]
                    + k[1] * r0[x + 1]
                    + k[2] * r0[x + 2]
                    + k[3] * r1[x]
                    + k[4] * r1[x + 1]
                    + k[5] * r1[x + 2]
                    + k[6] * r2[x]
                    + k[7] * r2[x + 1]
                    + k[8] * r2[x + 2];
            }
            for (j, o) in orow.iter_mut().enumerate() {
                if j < first || j >= first + n {
                    *o = tap(2 * j as isize + shift);
                }
            }
        }
    }
}

/// An activation after a residual sum.
#[derive(Debug, Clone, Copy)]
pub enum Act<'a> {
    Relu,
    /// One slope per channel.
    Prelu(&'a [f32]),
}

impl Act<'_> {
    /// In place on `[c, hw]` values. Written without branches (a select per
    /// value) so that it vectorises: the branchy form ran scalar and took a
    /// quarter of the landmarker's time (perf).
    fn apply(self, v: &mut [f32], hw: usize) {
        match self {
            Act::Relu => v.iter_mut().for_each(|x| *x = x.max(0.0)),
            Act::Prelu(a) => v
                .chunks_exact_mut(hw)
                .zip(a)
                .for_each(|(plane, &a)| plane.iter_mut().for_each(|x| *x = if *x < 0.0 { *x * a } else { *x })),
        }
    }
}

/// The end of a block on one picture: `up` (a 1×1) over the block's inner
/// values `inner` (`[mid, hw]`), plus the shortcut — the picture `img`
/// itself (`[c, h, w]`), max-pooled 2×2 when `down`, zero channels appended
/// when the block widens — then `act`. The shortcut goes into the product's
/// epilogue when it fits; a widening block adds it after.
fn finish_block(
    up: &Conv,
    inner: &[f32],
    hw: usize,
    img: &[f32],
    (c, h, w): (usize, usize, usize),
    down: bool,
    act: Act,
) -> Result<Vec<f32>> {
    let cout = up.filters.as_ref().map_or(0, |f| f.out);
    let pooled = down.then(|| max_pool2(img, (c, h, w)));
    let base: &[f32] = pooled.as_deref().unwrap_or(img);
    let residual = (cout == c).then_some(base);
    let mut y = up.pointwise(inner, inner.len() / hw, hw, residual)?;
    if residual.is_none() {
        y[..base.len()].iter_mut().zip(base).for_each(|(o, v)| *o += v);
    }
    act.apply(&mut y, hw);
    Ok(y)
}

/// Runs `one(i, picture)` on each picture of a batch (`xs`, `len` values
/// each), the pictures side by side, and returns their outputs one after
/// another (the one output itself, without a copy, for a batch of one).
fn per_picture(xs: &[f32], len: usize, one: impl Fn(usize, &[f32]) -> Result<Vec<f32>> + Sync) -> Result<Vec<f32>> {
    let mut ys: Vec<Vec<f32>> = xs.par_chunks_exact(len).enumerate().map(|(i, x)| one(i, x)).collect::<Result<_>>()?;
    Ok(if ys.len() == 1 { ys.remove(0) } else { ys.concat() })
}

/// A residual block on the CPU: `dw1` → `pw1` (→ ReLU → `dw2` → `pw2` when
/// given), plus the shortcut (the input, max-pooled 2×2 when `dw1` strides,
/// zero channels appended when the block widens), then `act`. `None` when
/// `x` is not an f32 tensor on the CPU (callers then use candle's ops).
pub fn residual_block(
    x: &Tensor,
    dw1: &Depthwise,
    pw1: &Conv,
    second: Option<(&Depthwise, &Conv)>,
    act: Act,
) -> Result<Option<Tensor>> {
    if !x.device().is_cpu() || x.dtype() != DType::F32 {
        return Ok(None);
    }
    let (n, c, h, w) = x.dims4()?;
    let s = dw1.stride;
    let (ho, wo) = (h.div_ceil(s), w.div_ceil(s));
    let hw = ho * wo;
    let last = second.map_or(pw1, |(_, p)| p);
    let cout = last.filters.as_ref().map_or(0, |f| f.out);
    let x = x.contiguous()?;
    let out = hma_detect::cpu::with_f32(&x, |xs| {
        per_picture(xs, c * h * w, |_, img| {
            let a = dw1.planes(img, (c, h, w));
            match second {
                None => finish_block(pw1, &a, hw, img, (c, h, w), s == 2, act),
                Some((dw2, pw2)) => {
                    let mut b = pw1.pointwise(&a, c, hw, None)?;
                    Act::Relu.apply(&mut b, hw);
                    let cc = dw2.planes(&b, (b.len() / hw, ho, wo));
                    finish_block(pw2, &cc, hw, img, (c, h, w), s == 2, act)
                }
            }
        })
    })??;
    Ok(Some(Tensor::from_vec(out, (n, cout, ho, wo), x.device())?))
}

/// A bottleneck block on the CPU (Face Landmarker's): `first` (a 1×1, or a
/// 2×2 at stride 2 when the block halves the map) → `first_act` →
/// depthwise → 1×1 `up`, plus the shortcut (the input, max-pooled when the
/// block halves, zero channels appended when it widens), then `act`.
/// `None` off the CPU.
pub fn bottleneck_block(
    x: &Tensor,
    first: &Conv,
    first_act: &Prelu,
    dw: &Depthwise,
    up: &Conv,
    act: &Prelu,
) -> Result<Option<Tensor>> {
    if !x.device().is_cpu() || x.dtype() != DType::F32 {
        return Ok(None);
    }
    let (n, c, h, w) = x.dims4()?;
    let a = first.forward(x, false)?;
    let (_, mid, ho, wo) = a.dims4()?;
    let hw = ho * wo;
    let cout = up.filters.as_ref().map_or(0, |f| f.out);
    let (x, a) = (x.contiguous()?, a.contiguous()?);
    let out = hma_detect::cpu::with_f32s(&[&x, &a], |s| {
        per_picture(s[0], c * h * w, |i, img| {
            let mut a = s[1][i * mid * hw..(i + 1) * mid * hw].to_vec();
            Act::Prelu(&first_act.slopes).apply(&mut a, hw);
            let b = dw.planes(&a, (mid, ho, wo));
            finish_block(up, &b, hw, img, (c, h, w), ho < h, Act::Prelu(&act.slopes))
        })
    })??;
    Ok(Some(Tensor::from_vec(out, (n, cout, ho, wo), x.device())?))
}

/// 2×2 max pooling at stride 2 of one picture's `[c, h, w]` (an odd last
/// row or column pools with itself).
fn max_pool2(x: &[f32], (_c, h, w): (usize, usize, usize)) -> Vec<f32> {
    let ho = h.div_ceil(2);
    let mut out = Vec::with_capacity(x.len() / 4 + 1);
    for plane in x.chunks_exact(h * w) {
        for oy in 0..ho {
            let (r0, r1) = (&plane[2 * oy * w..][..w], &plane[(2 * oy + 1).min(h - 1) * w..][..w]);
            // Whole pairs of columns without index checks, then an odd last one.
            out.extend(r0.chunks_exact(2).zip(r1.chunks_exact(2)).map(|(a, b)| a[0].max(a[1]).max(b[0]).max(b[1])));
            if w % 2 == 1 {
                out.push(r0[w - 1].max(r1[w - 1]));
            }
        }
    }
    out
}

/// PReLU with one slope per channel (TFLite's alpha `[1, 1, c]`).
#[derive(Debug, Clone)]
pub struct Prelu {
    /// `[1, c, 1, 1]`.
    alpha: Tensor,
    /// The slopes, for [`Act::Prelu`].
    pub slopes: Vec<f32>,
}

impl Prelu {
    pub fn load(vb: &VarBuilder, name: &str, c: usize) -> Result<Prelu> {
        Prelu::load_named(vb, &format!("{name}/Alpha_dequantize"), c)
    }

    /// From the slopes `[c]`.
    pub fn from_slopes(a: Tensor) -> Result<Prelu> {
        let c = a.dim(0)?;
        Ok(Prelu { slopes: a.to_device(&Device::Cpu)?.to_vec1()?, alpha: a.reshape((1, c, 1, 1))? })
    }

    /// [`Prelu::load`] from the tensor named `alpha`.
    pub fn load_named(vb: &VarBuilder, alpha: &str, c: usize) -> Result<Prelu> {
        Prelu::from_slopes(vb.get((1, 1, c), alpha)?.reshape(c)?)
    }

    /// max(x, 0) + alpha · min(x, 0).
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        if x.device().is_cpu() && x.dtype() == DType::F32 && x.rank() == 4 {
            // In one pass over the values instead of four of candle's ops.
            let (n, c, h, w) = x.dims4()?;
            let mut v = hma_detect::cpu::to_vec(&x.contiguous()?)?;
            v.chunks_exact_mut(c * h * w).for_each(|img| Act::Prelu(&self.slopes).apply(img, h * w));
            return Tensor::from_vec(v, (n, c, h, w), x.device());
        }
        let neg = x.minimum(0f32)?.broadcast_mul(&self.alpha)?;
        x.relu()? + neg
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(n: usize, seed: u32) -> Vec<f32> {
        let mut r = seed.wrapping_mul(2_654_435_761).max(1);
        (0..n)
            .map(|_| {
                r ^= r << 13;
                r ^= r >> 17;
                r ^= r << 5;
                (r % 2001) as f32 / 1000.0 - 1.0
            })
            .collect()
    }

    fn vb(tensors: Vec<(&str, Tensor)>) -> VarBuilder<'static> {
        let map = tensors.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        VarBuilder::from_tensors(map, DType::F32, &Device::Cpu)
    }

    /// The CPU kernels' paths against candle's own ops on the same layer.
    #[test]
    fn the_cpu_paths_match_candle() {
        let dev = Device::Cpu;
        let (c, o, h, w) = (3, 8, 10, 12);
        let kern = Tensor::from_vec(values(o * 9 * c, 1), (o, 3, 3, c), &dev).unwrap();
        let bias = Tensor::from_vec(values(o, 2), o, &dev).unwrap();
        let stem =
            Conv::load(&vb(vec![("s/Kernel_dequantize", kern), ("s/Bias_dequantize", bias)]), "s", c, o, 3, 2).unwrap();
        let x = Tensor::from_vec(values(2 * c * h * w, 3), (2, c, h, w), &dev).unwrap();
        let fast = stem.forward(&x, true).unwrap();
        let slow = {
            let xp = x.pad_with_zeros(2, 0, 1).unwrap().pad_with_zeros(3, 0, 1).unwrap();
            xp.conv2d(&stem.w, 0, 2, 1, 1)
                .unwrap()
                .broadcast_add(&stem.b.reshape((1, o, 1, 1)).unwrap())
                .unwrap()
                .relu()
                .unwrap()
        };
        let diff = |a: &Tensor, b: &Tensor| {
            (a - b).unwrap().abs().unwrap().flatten_all().unwrap().max(0).unwrap().to_scalar::<f32>().unwrap()
        };
        let d = diff(&fast, &slow);
        assert!(d < 1e-5, "stem: {d}");
    }
}

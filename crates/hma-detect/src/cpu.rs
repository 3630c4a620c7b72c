//! The network's CPU kernels, on the tensors' own memory.
//!
//! candle's CPU convolution and its tensor operations each allocate and
//! copy a whole feature map; for a network of small feature maps like
//! YOLOv12n that costs more than the arithmetic. Here a dense convolution
//! is one matrix product (`gemm`, the crate candle itself uses, with its
//! AVX-512 kernels enabled) written straight into the output, with bias,
//! SiLU and an optional residual added in one pass over it; a 1×1
//! convolution over a concatenation reads its parts where they lie (no
//! concatenated copy); area attention runs its products on strided views of
//! the qkv convolution's output. Inputs are read in place through
//! [`with_f32`]; outputs are moved into tensors without a copy.
//!
//! One of the two modules that allow `unsafe` (with `crate::direct`):
//! `gemm`'s API takes raw pointers and strides (that is what lets a product
//! read a view in place). Each call says why its pointers are in bounds.
#![allow(unsafe_code)]

use std::mem::MaybeUninit;

use candle_core::{bail, Device, Result, Storage, Tensor};
use gemm::Parallelism;
use multiversion::multiversion;
use rayon::prelude::*;

/// Runs `f` on CPU f32 tensors' elements in place (a copy only for a
/// tensor that is not contiguous).
pub fn with_f32s<R>(xs: &[&Tensor], f: impl FnOnce(&[&[f32]]) -> R) -> Result<R> {
    let ts: Vec<Tensor> = xs.iter().map(|x| x.contiguous()).collect::<Result<_>>()?;
    let guards: Vec<_> = ts.iter().map(|t| t.storage_and_layout()).collect();
    let mut slices = Vec::with_capacity(ts.len());
    for (t, (storage, layout)) in ts.iter().zip(&guards) {
        let Storage::Cpu(cpu) = &**storage else { bail!("a CPU kernel was given a tensor on {:?}", t.device()) };
        let all = cpu.as_slice::<f32>()?;
        let Some((a, b)) = layout.contiguous_offsets() else { bail!("not contiguous after contiguous()") };
        slices.push(&all[a..b]);
    }
    Ok(f(&slices))
}

/// [`with_f32s`] for one tensor.
pub fn with_f32<R>(x: &Tensor, f: impl FnOnce(&[f32]) -> R) -> Result<R> {
    with_f32s(&[x], |s| f(s[0]))
}

/// A tensor's elements as a vector (for weights, read once at load).
pub fn to_vec(x: &Tensor) -> Result<Vec<f32>> {
    with_f32(x, <[f32]>::to_vec)
}

/// A row-major matrix view: `at(r, c) = data[r · rs + c · cs]`.
#[derive(Clone, Copy)]
pub struct Mat {
    ptr: *const f32,
    rs: isize,
    cs: isize,
}

impl Mat {
    /// Rows of `row_len` values, one after another.
    pub fn rows(data: &[f32], row_len: usize) -> Mat {
        Mat { ptr: data.as_ptr(), rs: row_len as isize, cs: 1 }
    }

    /// The transpose of [`Mat::rows`].
    pub fn cols(data: &[f32], row_len: usize) -> Mat {
        Mat { ptr: data.as_ptr(), rs: 1, cs: row_len as isize }
    }
}

/// `dst[m × n] (+)= scale · a[m × k] · b[k × n]`; `dst` is row-major with
/// rows of `dst_rs` values; on `parallelism`'s threads.
///
/// # Safety
/// `a` and `b` must address m × k and k × n values that live for the call;
/// `dst` must hold the m × n values it addresses.
// A matrix product's own parameters.
#[allow(clippy::too_many_arguments)]
unsafe fn matmul(
    dst: *mut f32,
    dst_rs: usize,
    accumulate: bool,
    a: Mat,
    b: Mat,
    (m, k, n): (usize, usize, usize),
    scale: f32,
    parallelism: Parallelism,
) {
    gemm::gemm(
        m,
        n,
        k,
        dst,
        1,
        dst_rs as isize,
        accumulate,
        a.ptr,
        a.cs,
        a.rs,
        b.ptr,
        b.cs,
        b.rs,
        1.0,
        scale,
        false,
        false,
        false,
        parallelism,
    )
}

/// ln 2 split in two for exp's range reduction (r = x − n·hi + n·lo), and
/// the polynomial's coefficients, highest power first (Cephes' expf);
/// shared with the AVX-512 version in `crate::direct`.
pub const EXP_LN2: (f32, f32) = (0.693_359_4, 2.121_944_4e-4);
pub const EXP_POLY: [f32; 6] = [1.987_569_1e-4, 1.398_2e-3, 8.333_452e-3, 4.166_579_6e-2, 0.166_666_65, 0.5];

/// e^x for SiLU and softmax, branch-free so the compiler vectorises the
/// loops that use it (libm's `expf` is a call per value): Cephes'
/// single-precision polynomial, about 1e-7 relative error; rounding by the
/// 1.5·2²³ trick.
#[inline(always)]
// max/min rather than clamp: they map to maxps/minps, so the loop vectorises.
#[allow(clippy::manual_clamp)]
pub fn exp_f32(x: f32) -> f32 {
    let x = x.max(-87.0).min(88.0);
    const SHIFT: f32 = 12_582_912.0; // 1.5 · 2^23
    let n = (x * std::f32::consts::LOG2_E + SHIFT) - SHIFT;
    let r = x - n * EXP_LN2.0 + n * EXP_LN2.1;
    let p = EXP_POLY[1..].iter().fold(EXP_POLY[0], |p, c| p * r + c);
    let e = p * r * r + r + 1.0;
    // 2^n without a float-to-int conversion: n + 127 + 2^23 holds n + 127
    // in its low mantissa bits; shifted into the exponent field.
    let two_n = f32::from_bits((n + (127.0 + 8_388_608.0)).to_bits() << 23);
    two_n * e
}

/// x · sigmoid(x).
#[inline(always)]
pub fn silu(x: f32) -> f32 {
    x / (1.0 + exp_f32(-x))
}

/// Bias, then SiLU when `act`, then the residual, on one output row: by
/// the AVX-512 kernel in [`crate::direct`] where the CPU has it.
fn finish_row(row: &mut [f32], b: f32, act: bool, residual: Option<&[f32]>) {
    #[cfg(target_arch = "x86_64")]
    if crate::direct::available() {
        // SAFETY: the CPU has AVX-512.
        return unsafe { crate::direct::finish_row(row, b, act, residual) };
    }
    finish_row_portable(row, b, act, residual)
}

/// [`finish_row`] elsewhere, compiled for AVX2 as well (picked at run
/// time): the workspace builds for baseline x86-64, where the exp's loop
/// is 4 wide.
#[multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
fn finish_row_portable(row: &mut [f32], b: f32, act: bool, residual: Option<&[f32]>) {
    match (act, residual) {
        (true, None) => row.iter_mut().for_each(|v| *v = silu(*v + b)),
        (false, None) => row.iter_mut().for_each(|v| *v += b),
        (true, Some(r)) => row.iter_mut().zip(r).for_each(|(v, r)| *v = silu(*v + b) + r),
        (false, Some(r)) => row.iter_mut().zip(r).for_each(|(v, r)| *v += b + r),
    }
}

/// Writes `v` into every element and returns the slice, now initialised.
fn fill(s: &mut [MaybeUninit<f32>], v: f32) -> &mut [f32] {
    s.iter_mut().for_each(|x| {
        x.write(v);
    });
    // SAFETY: every element was just written.
    unsafe { &mut *(s as *mut [MaybeUninit<f32>] as *mut [f32]) }
}

/// A vector of `len` values, every one written by `write` (given the
/// spare capacity) before it is read.
///
/// # Safety
/// `write` must initialise all `len` elements.
unsafe fn written(len: usize, write: impl FnOnce(&mut [MaybeUninit<f32>])) -> Vec<f32> {
    let mut v = Vec::with_capacity(len);
    write(&mut v.spare_capacity_mut()[..len]);
    v.set_len(len);
    v
}

/// A convolution's weights as the kernels want them.
#[derive(Debug, Clone)]
pub struct Filters {
    /// `[out, in · k · k]` row-major (a depthwise filter: `[out, k · k]`).
    pub w: Vec<f32>,
    pub bias: Vec<f32>,
    pub out: usize,
    pub k: usize,
    pub stride: usize,
}

/// One row of a block of the im2col matrix: input channel plane `src`
/// (`h × w`) shifted by (ky, kx), sampled every `stride`, zeros outside,
/// for output rows `y0..` (as many as `dst` holds).
// The geometry of one patch row: no smaller grouping reads better.
#[allow(clippy::too_many_arguments)]
#[multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
fn im2col_row(
    dst: &mut [MaybeUninit<f32>],
    src: &[f32],
    (h, w): (usize, usize),
    (ky, kx): (usize, usize),
    k: usize,
    stride: usize,
    y0: usize,
    wo: usize,
) {
    let pad = k / 2;
    // Output columns whose input column is inside the picture.
    let lo = pad.saturating_sub(kx).div_ceil(stride).min(wo);
    // (None when even the first column's tap falls right of the picture,
    // as for a 1-pixel-wide input and kx = 2.)
    let hi = if w + pad > kx { ((w + pad - kx - 1) / stride + 1).min(wo) } else { 0 }.max(lo);
    for (i, drow) in dst.chunks_mut(wo).enumerate() {
        let sy = ((y0 + i) * stride + ky) as isize - pad as isize;
        if sy < 0 || sy >= h as isize || lo == hi {
            fill(drow, 0.0);
            continue;
        }
        let srow = &src[sy as usize * w..(sy as usize + 1) * w];
        fill(&mut drow[..lo], 0.0);
        fill(&mut drow[hi..], 0.0);
        let first = lo * stride + kx - pad;
        let mid = &mut drow[lo..hi];
        if stride == 1 {
            mid.iter_mut().zip(&srow[first..]).for_each(|(d, s)| {
                d.write(*s);
            });
        } else if stride == 2 && cfg!(target_arch = "x86_64") && crate::direct::available() {
            // SAFETY: AVX-512 is there; srow[first + 2·(hi − lo − 1)] is
            // inside the row (hi bounds the last input column).
            #[cfg(target_arch = "x86_64")]
            unsafe {
                crate::direct::gather_even(mid, &srow[first..])
            };
        } else {
            mid.iter_mut().zip(srow[first..].iter().step_by(stride)).for_each(|(d, s)| {
                d.write(*s);
            });
        }
    }
}

/// A raw pointer handed to the threads that write disjoint parts of it.
#[derive(Clone, Copy)]
pub(crate) struct Shared(pub(crate) *mut f32);
// SAFETY: every user hands each thread its own disjoint part to write.
unsafe impl Send for Shared {}
unsafe impl Sync for Shared {}

impl Shared {
    /// The pointer (a method, so closures capture the whole wrapper).
    pub(crate) fn at(self, i: usize) -> *mut f32 {
        self.0.wrapping_add(i)
    }
}

/// Patch-matrix values a block aims at: its im2col block, the product's
/// tile and the epilogue's pass then stay in the core's L2 cache instead of
/// streaming whole feature maps through memory three times.
const BLOCK_VALUES: usize = 160 * 1024;

/// Runs a convolution's product by blocks of whole output rows, in
/// parallel: for each block, `product(y0, rows, dst)` must write every
/// value of the block (`[out, rows · wo]` at `dst`, rows of `ho · wo`
/// values), then bias, SiLU and residual are applied to the block while it
/// is in cache. `per_column` is the values a block reads per output pixel.
fn by_blocks(
    f: &Filters,
    (ho, wo): (usize, usize),
    per_column: usize,
    act: bool,
    residual: Option<&[f32]>,
    product: impl Fn(usize, usize, *mut f32) + Sync,
) -> Vec<f32> {
    let hw = ho * wo;
    let threads = rayon::current_num_threads();
    // At least 256 columns (the product's tiles are 64 × 6), at most
    // BLOCK_VALUES read, and enough blocks to keep every thread busy.
    let mut rows = (BLOCK_VALUES / (per_column * wo).max(1)).max(256usize.div_ceil(wo)).min(ho);
    if threads > 1 && ho.div_ceil(rows) < 2 * threads && hw * per_column * f.out > 1 << 20 {
        rows = ho.div_ceil(2 * threads).max(1);
    }
    let out_len = f.out * hw;
    // SAFETY: every block's product writes all of its [out, rows·wo]
    // values before the epilogue reads them; blocks are disjoint.
    unsafe {
        written(out_len, |out| {
            let dst = Shared(out.as_mut_ptr().cast::<f32>());
            (0..ho.div_ceil(rows)).into_par_iter().for_each(|bi| {
                let y0 = bi * rows;
                let n = rows.min(ho - y0);
                let at = y0 * wo;
                product(y0, n, dst.at(at));
                for oc in 0..f.out {
                    let row = std::slice::from_raw_parts_mut(dst.at(oc * hw + at), n * wo);
                    finish_row(row, f.bias[oc], act, residual.map(|r| &r[oc * hw + at..oc * hw + at + n * wo]));
                }
            })
        })
    }
}

/// A dense convolution of one picture `x` (`[c, h, w]`, padding k/2), then
/// bias, SiLU when `act`, and `residual` (`[out, ho, wo]`) when given.
/// Returns the output and its (ho, wo).
pub fn conv(
    x: &[f32],
    (c, h, w): (usize, usize, usize),
    f: &Filters,
    act: bool,
    residual: Option<&[f32]>,
) -> (Vec<f32>, (usize, usize)) {
    let (k, s, pad) = (f.k, f.stride, f.k / 2);
    let (ho, wo) = ((h + 2 * pad - k) / s + 1, (w + 2 * pad - k) / s + 1);
    // The raw-pointer products below trust these lengths.
    assert_eq!(x.len(), c * h * w, "conv input");
    assert_eq!(f.w.len(), f.out * c * k * k, "conv filter");
    assert_eq!(f.bias.len(), f.out, "conv bias");
    if let Some(r) = residual {
        assert_eq!(r.len(), f.out * ho * wo, "conv residual");
    }
    if k == 1 && s == 1 {
        return (conv1x1_parts(&[(x, c)], h * w, f, act, residual), (h, w));
    }
    let kk = c * k * k;
    let out = by_blocks(f, (ho, wo), kk, act, residual, |y0, rows, dst| {
        let n = rows * wo;
        // SAFETY: im2col_row writes every value of its row of the block;
        // the weights are [out, kk], the block [kk, n], dst as by_blocks says.
        unsafe {
            let cols = written(kk * n, |cols| {
                for (r, dst) in cols.chunks_mut(n).enumerate() {
                    let (ci, ky, kx) = (r / (k * k), r / k % k, r % k);
                    im2col_row(dst, &x[ci * h * w..(ci + 1) * h * w], (h, w), (ky, kx), k, s, y0, wo);
                }
            });
            // One thread per product: the blocks are already spread over the threads.
            matmul(
                dst,
                ho * wo,
                false,
                Mat::rows(&f.w, kk),
                Mat::rows(&cols, n),
                (f.out, kk, n),
                1.0,
                Parallelism::None,
            );
        }
    });
    (out, (ho, wo))
}

/// A 1×1 convolution over the channel-wise concatenation of `parts`
/// (each `[c_i, hw]`), without making the concatenation: one accumulating
/// product per part with its columns of the filter.
pub fn conv1x1_parts(
    parts: &[(&[f32], usize)],
    hw: usize,
    f: &Filters,
    act: bool,
    residual: Option<&[f32]>,
) -> Vec<f32> {
    let kk: usize = parts.iter().map(|p| p.1).sum();
    // The raw-pointer products below trust these lengths.
    for (x, c) in parts {
        assert_eq!(x.len(), c * hw, "conv1x1 input part");
    }
    assert_eq!(f.w.len(), f.out * kk, "conv1x1 filter");
    assert_eq!(f.bias.len(), f.out, "conv1x1 bias");
    if let Some(r) = residual {
        assert_eq!(r.len(), f.out * hw, "conv1x1 residual");
    }
    // Blocks of columns: by_blocks's "rows" of one column each.
    by_blocks(f, (hw, 1), kk, act, residual, |c0, n, dst| {
        let mut col = 0;
        for (i, (x, c)) in parts.iter().enumerate() {
            // SAFETY: the filter's columns col..col+c of rows of kk; x's
            // columns c0..c0+n of [c, hw]; the first product writes the whole
            // block, the others add to it.
            unsafe {
                let w = Mat { ptr: f.w.as_ptr().add(col), rs: kk as isize, cs: 1 };
                let b = Mat { ptr: x.as_ptr().add(c0), rs: hw as isize, cs: 1 };
                matmul(dst, hw, i > 0, w, b, (f.out, *c, n), 1.0, Parallelism::None);
            }
            col += c;
        }
    })
}

/// One channel of a depthwise convolution (stride 1, padding k/2), then
/// bias and SiLU when `act`. The plane is copied once into a zero-bordered
/// buffer `padded` with rows of w + k − 1; in that layout every tap is one
/// long shifted multiply-add over the whole plane (`acc`, same row length:
/// the k − 1 extra values per row are computed and dropped), instead of a
/// short loop per row and tap.
// A channel's plane, its filter, its geometry and the two work buffers.
#[allow(clippy::too_many_arguments)]
#[multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
fn depthwise_channel(
    o: &mut [MaybeUninit<f32>],
    src: &[f32],
    kern: &[f32],
    k: usize,
    (h, w): (usize, usize),
    bias: f32,
    act: bool,
    (padded, acc): &mut (Vec<f32>, Vec<f32>),
) {
    let r = k / 2;
    let wp = w + 2 * r;
    padded.clear();
    padded.resize((h + 2 * r) * wp + k, 0.0);
    for (y, row) in src.chunks_exact(w).enumerate() {
        padded[(y + r) * wp + r..(y + r) * wp + r + w].copy_from_slice(row);
    }
    acc.clear();
    acc.resize(h * wp, bias);
    for ky in 0..k {
        for kx in 0..k {
            let wv = kern[ky * k + kx];
            let shifted = &padded[ky * wp + kx..ky * wp + kx + h * wp];
            acc.iter_mut().zip(shifted).for_each(|(a, p)| *a += wv * p);
        }
    }
    for (orow, arow) in o.chunks_exact_mut(w).zip(acc.chunks_exact(wp)) {
        orow.iter_mut().zip(arow).for_each(|(o, a)| {
            o.write(if act { silu(*a) } else { *a });
        });
    }
}

/// A depthwise convolution (stride 1, padding k/2) of `[c, h, w]`, then
/// bias and SiLU when `act`. candle runs a grouped convolution as one small
/// convolution per group, which for 64–256 groups costs more than the rest
/// of the network.
pub fn depthwise(x: &[f32], (c, h, w): (usize, usize, usize), f: &Filters, act: bool) -> Vec<f32> {
    let k = f.k;
    // SAFETY: depthwise_channel writes every element of its plane.
    unsafe {
        written(c * h * w, |out| {
            out.par_chunks_mut(h * w).enumerate().for_each_init(
                || (Vec::new(), Vec::new()),
                |bufs, (ch, o)| {
                    let kern = &f.w[ch * k * k..(ch + 1) * k * k];
                    depthwise_channel(o, &x[ch * h * w..(ch + 1) * h * w], kern, k, (h, w), f.bias[ch], act, bufs)
                },
            )
        })
    }
}

/// e^d for d ≤ 0, exactly 0 below e^-80: the tiny probabilities would
/// otherwise turn subnormal once normalised, and every product with a
/// subnormal costs the CPU a slow microcode assist (measured: softmax and
/// the attention's second product 3–4× slower).
#[inline(always)]
fn softmax_exp(d: f32) -> f32 {
    let e = exp_f32(d);
    if d < -80.0 {
        0.0
    } else {
        e
    }
}

/// Softmax of one row, in place.
#[multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
fn softmax_row(row: &mut [f32]) {
    // Sixteen running maxima and sums, so the reductions vectorise.
    let mut lanes = [f32::NEG_INFINITY; 16];
    let mut chunks = row.chunks_exact(16);
    for c in &mut chunks {
        lanes.iter_mut().zip(c).for_each(|(m, v)| *m = m.max(*v));
    }
    let max = chunks.remainder().iter().chain(&lanes).copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sums = [0f32; 16];
    let mut chunks = row.chunks_exact_mut(16);
    for c in &mut chunks {
        sums.iter_mut().zip(c).for_each(|(s, v)| {
            *v = softmax_exp(*v - max);
            *s += *v;
        });
    }
    let mut sum = 0.0;
    for v in chunks.into_remainder() {
        *v = softmax_exp(*v - max);
        sum += *v;
    }
    let inv = 1.0 / (sum + sums.iter().sum::<f32>());
    row.iter_mut().for_each(|v| *v *= inv);
}

/// Queries per attention task.
const ATTN_ROWS: usize = 64;

/// Area attention on the qkv convolution's output `[3C, n]` (n tokens,
/// row-major; per head its q, k and v channels one after another):
/// tokens cut into `area` consecutive strips, each attending within its
/// strip. Returns the attention output `[C, n]` (channel = head · hd + d)
/// and the values in the same layout (for the positional convolution).
pub fn area_attention(qkv: &[f32], n: usize, heads: usize, hd: usize, area: usize) -> (Vec<f32>, Vec<f32>) {
    let c = heads * hd;
    let na = n / area;
    // The raw-pointer products below trust these lengths.
    assert_eq!(qkv.len(), 3 * c * n, "attention qkv");
    assert!(area > 0 && n.is_multiple_of(area), "attention: {n} positions in {area} areas");
    let mut out = vec![0f32; c * n];
    let mut v = vec![0f32; c * n];
    for h in 0..heads {
        let base = h * 3 * hd * n;
        v[h * hd * n..(h + 1) * hd * n].copy_from_slice(&qkv[base + 2 * hd * n..base + 3 * hd * n]);
    }
    let scale = (hd as f32).powf(-0.5);
    // One task per (strip, head, block of ATTN_ROWS queries): its scores
    // (ATTN_ROWS × na) stay in L2 through the product, the softmax and the
    // second product, and the tasks keep every thread busy.
    let blocks = na.div_ceil(ATTN_ROWS);
    let dst = Shared(out.as_mut_ptr());
    (0..area * heads * blocks).into_par_iter().for_each_init(Vec::new, |s: &mut Vec<f32>, task| {
        let (a, h, b) = (task / (heads * blocks), task / blocks % heads, task % blocks);
        let i0 = b * ATTN_ROWS;
        let rows = ATTN_ROWS.min(na - i0);
        s.resize(rows * na, 0.0);
        let q = &qkv[h * 3 * hd * n + a * na + i0..];
        let k = &qkv[(h * 3 + 1) * hd * n + a * na..];
        let vv = &qkv[(h * 3 + 2) * hd * n + a * na..];
        // SAFETY: q, k, v are hd rows of n values from their columns; s
        // is rows × na; out's rows h·hd.. from column a·na + i0, `rows`
        // columns: this task's alone.
        unsafe {
            // s[i, j] = scale · Σ_d q[d, i] k[d, j]
            matmul(
                s.as_mut_ptr(),
                na,
                false,
                Mat::cols(q, n),
                Mat::rows(k, n),
                (rows, hd, na),
                scale,
                Parallelism::None,
            );
            s.chunks_exact_mut(na).for_each(softmax_row);
            // out[d, i] = Σ_j v[d, j] s[i, j]
            matmul(
                dst.at(h * hd * n + a * na + i0),
                n,
                false,
                Mat::rows(vv, n),
                Mat::cols(s, na),
                (hd, na, rows),
                1.0,
                Parallelism::None,
            );
        }
    });
    (out, v)
}

/// Nearest-neighbour 2× upsampling of `[c, h, w]`, a channel per task.
pub fn upsample2(x: &[f32], (c, h, w): (usize, usize, usize)) -> Vec<f32> {
    assert_eq!(x.len(), c * h * w, "upsample2 input");
    // SAFETY: each channel's task writes all 4·h·w values of its plane.
    unsafe {
        written(c * 4 * h * w, |out| {
            out.par_chunks_mut(4 * h * w).zip(x.par_chunks(h * w)).for_each(|(plane, src)| {
                for (rows, src) in plane.chunks_exact_mut(4 * w).zip(src.chunks_exact(w)) {
                    let (top, bottom) = rows.split_at_mut(2 * w);
                    for (pair, v) in top.chunks_exact_mut(2).zip(src) {
                        pair[0].write(*v);
                        pair[1].write(*v);
                    }
                    bottom.copy_from_slice(top);
                }
            })
        })
    }
}

/// The head's output `[rows, n]`: `parts` are per level its box rows then
/// its class rows (`[r_i, n_l]` each, r_box + r_class = rows); the levels'
/// anchors side by side.
pub fn head_rows(parts: &[&[f32]], rows: usize, n: usize) -> Vec<f32> {
    let levels: Vec<(&[f32], &[f32], usize)> =
        parts.chunks_exact(2).map(|p| (p[0], p[1], (p[0].len() + p[1].len()) / rows)).collect();
    assert_eq!(levels.iter().map(|l| l.2).sum::<usize>(), n, "anchors");
    for &(b, c, nl) in &levels {
        assert!(b.len() + c.len() == rows * nl && b.len() % nl == 0, "a level's parts");
    }
    // SAFETY: the levels' anchors add up to n, so every row is written whole.
    unsafe {
        written(rows * n, |out| {
            out.par_chunks_mut(n).enumerate().for_each(|(r, row)| {
                let mut at = 0;
                for &(b, c, nl) in &levels {
                    let rb = b.len() / nl;
                    let src = if r < rb { &b[r * nl..][..nl] } else { &c[(r - rb) * nl..][..nl] };
                    for (d, v) in row[at..at + nl].iter_mut().zip(src) {
                        d.write(*v);
                    }
                    at += nl;
                }
            })
        })
    }
}

/// The tensor `[1, c, h, w]` made from a picture's values.
pub fn tensor(values: Vec<f32>, (c, h, w): (usize, usize, usize)) -> Result<Tensor> {
    Tensor::from_vec(values, (1, c, h, w), &Device::Cpu)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The AVX-512 epilogue against the portable loop (on a CPU without
    /// AVX-512 both are the portable loop: reported as skipped).
    #[test]
    fn the_epilogue_matches_the_portable_loop() {
        if crate::skipped_without(crate::direct::available(), "AVX-512", "the_epilogue_matches_the_portable_loop") {
            return;
        }
        let row: Vec<f32> = (0..37).map(|i| (i as f32 - 18.0) * 0.7).collect();
        let res: Vec<f32> = (0..37).map(|i| (i as f32).sin()).collect();
        for act in [false, true] {
            for r in [None, Some(&res[..])] {
                let (mut a, mut b) = (row.clone(), row.clone());
                finish_row(&mut a, 0.3, act, r);
                finish_row_portable(&mut b, 0.3, act, r);
                for (x, y) in a.iter().zip(&b) {
                    assert!((x - y).abs() <= 1e-5 * y.abs().max(1.0), "act {act}: {x} vs {y}");
                }
            }
        }
    }

    /// im2col rows (stride 2, and pictures one or two pixels wide) against
    /// the definition (every CPU).
    #[test]
    fn im2col_rows_match_the_definition() {
        for (h, w, stride) in [(7, 45, 2), (2, 1, 1), (3, 1, 2), (5, 2, 2)] {
            stride_rows_match(h, w, stride);
        }
    }

    /// Every tap's im2col rows of an h×w picture against the definition.
    fn stride_rows_match(h: usize, w: usize, s: usize) {
        let src: Vec<f32> = (0..h * w).map(|i| i as f32 + 1.0).collect();
        let (ho, wo) = ((h - 1) / s + 1, (w - 1) / s + 1);
        for (ky, kx) in (0..3).flat_map(|ky| (0..3).map(move |kx| (ky, kx))) {
            let mut dst = vec![MaybeUninit::new(f32::NAN); ho * wo];
            im2col_row(&mut dst, &src, (h, w), (ky, kx), 3, s, 0, wo);
            for (i, d) in dst.iter().enumerate() {
                let (sy, sx) = ((i / wo * s + ky) as isize - 1, (i % wo * s + kx) as isize - 1);
                let want = if (0..h as isize).contains(&sy) && (0..w as isize).contains(&sx) {
                    src[sy as usize * w + sx as usize]
                } else {
                    0.0
                };
                // SAFETY: im2col_row writes every value of its rows.
                assert_eq!(unsafe { d.assume_init() }, want, "{h}×{w} stride {s}, tap ({ky}, {kx}) at {i}");
            }
        }
    }

    // Each kernel against candle's plain tensor operations on the same
    // values (every CPU): sizes chosen so by_blocks cuts several blocks,
    // with odd widths, stride 2, both activations and a residual.

    /// Deterministic values in about [-1, 1].
    fn values(n: usize, seed: u32) -> Vec<f32> {
        let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x % 20_001) as f32 / 10_000.0 - 1.0
            })
            .collect()
    }

    fn close(ours: &[f32], want: &Tensor, what: &str) {
        let want: Vec<f32> = want.flatten_all().unwrap().to_vec1().unwrap();
        assert_eq!(ours.len(), want.len(), "{what}: length");
        for (i, (a, b)) in ours.iter().zip(&want).enumerate() {
            assert!((a - b).abs() <= 1e-4 * b.abs().max(1.0), "{what}: value {i}: {a} vs candle {b}");
        }
        assert!(!ours.is_empty(), "{what}: compared nothing");
    }

    fn t(v: &[f32], shape: &[usize]) -> Tensor {
        Tensor::from_vec(v.to_vec(), shape, &Device::Cpu).unwrap()
    }

    /// candle's convolution with bias, SiLU and residual: the plain path.
    fn plain_conv(x: &Tensor, f: &Filters, groups: usize, act: bool, residual: Option<&Tensor>) -> Tensor {
        let cin = x.dim(1).unwrap() / groups;
        let w = t(&f.w, &[f.out, cin, f.k, f.k]);
        let mut y = x.conv2d(&w, f.k / 2, f.stride, 1, groups).unwrap();
        y = y.broadcast_add(&t(&f.bias, &[1, f.out, 1, 1])).unwrap();
        if act {
            y = y.silu().unwrap();
        }
        match residual {
            Some(r) => (y + r).unwrap(),
            None => y,
        }
    }

    #[test]
    fn conv_and_its_blocks_match_candle() {
        // (c, h, w, out, k, stride): 3×3 over many rows (several blocks),
        // stride 2 on odd sizes, a 1×1 (conv1x1_parts' path), a 5×5.
        for (i, &(c, h, w, out, k, s)) in [
            (3, 150, 67, 8, 3, 1),
            (5, 41, 33, 6, 3, 2),
            (16, 40, 30, 12, 1, 1),
            (4, 23, 19, 5, 5, 1),
            (2, 1, 9, 3, 3, 2),
        ]
        .iter()
        .enumerate()
        {
            let x = values(c * h * w, i as u32);
            let f = Filters {
                w: values(out * c * k * k, 100 + i as u32),
                bias: values(out, 200 + i as u32),
                out,
                k,
                stride: s,
            };
            let xt = t(&x, &[1, c, h, w]);
            for act in [false, true] {
                let (ours, (ho, wo)) = conv(&x, (c, h, w), &f, act, None);
                let want = plain_conv(&xt, &f, 1, act, None);
                assert_eq!(want.dims(), &[1, out, ho, wo], "conv {i}: shape");
                close(&ours, &want, &format!("conv {i} act {act}"));
                let res = values(out * ho * wo, 300 + i as u32);
                let (ours, _) = conv(&x, (c, h, w), &f, act, Some(&res));
                let want = plain_conv(&xt, &f, 1, act, Some(&t(&res, &[1, out, ho, wo])));
                close(&ours, &want, &format!("conv {i} act {act} with residual"));
            }
        }
    }

    #[test]
    fn conv1x1_over_parts_matches_candle_on_the_concatenation() {
        let (hw, out) = (37 * 29, 7);
        let (a, b, c) = (values(5 * hw, 1), values(3 * hw, 2), values(8 * hw, 3));
        let f = Filters { w: values(out * 16, 4), bias: values(out, 5), out, k: 1, stride: 1 };
        let res = values(out * hw, 6);
        let ours = conv1x1_parts(&[(&a, 5), (&b, 3), (&c, 8)], hw, &f, true, Some(&res));
        let cat = Tensor::cat(&[t(&a, &[1, 5, 37, 29]), t(&b, &[1, 3, 37, 29]), t(&c, &[1, 8, 37, 29])], 1).unwrap();
        let want = plain_conv(&cat, &f, 1, true, Some(&t(&res, &[1, out, 37, 29])));
        close(&ours, &want, "conv1x1 over three parts");
    }

    #[test]
    fn depthwise_matches_candles_grouped_convolution() {
        for (i, &(c, h, w, k)) in [(6, 20, 17, 3), (4, 9, 31, 7), (3, 1, 5, 3)].iter().enumerate() {
            let x = values(c * h * w, 10 + i as u32);
            let f =
                Filters { w: values(c * k * k, 20 + i as u32), bias: values(c, 30 + i as u32), out: c, k, stride: 1 };
            for act in [false, true] {
                let ours = depthwise(&x, (c, h, w), &f, act);
                let want = plain_conv(&t(&x, &[1, c, h, w]), &f, c, act, None);
                close(&ours, &want, &format!("depthwise {i} act {act}"));
            }
        }
    }

    #[test]
    fn upsample2_matches_candles_nearest() {
        let (c, h, w) = (3, 7, 11);
        let x = values(c * h * w, 40);
        let want = t(&x, &[1, c, h, w]).upsample_nearest2d(2 * h, 2 * w).unwrap();
        close(&upsample2(&x, (c, h, w)), &want, "upsample2");
    }

    #[test]
    fn head_rows_match_candles_concatenations() {
        // Three levels of 4 box rows and 3 class rows each, 20/12/6 anchors.
        let (rb, rc) = (4, 3);
        let levels = [20usize, 12, 6];
        let parts: Vec<(Vec<f32>, Vec<f32>)> = levels
            .iter()
            .enumerate()
            .map(|(i, &nl)| (values(rb * nl, 50 + i as u32), values(rc * nl, 60 + i as u32)))
            .collect();
        let flat: Vec<&[f32]> = parts.iter().flat_map(|(b, c)| [&b[..], &c[..]]).collect();
        let n: usize = levels.iter().sum();
        let ours = head_rows(&flat, rb + rc, n);
        let per_level: Vec<Tensor> = parts
            .iter()
            .zip(levels)
            .map(|((b, c), nl)| Tensor::cat(&[t(b, &[rb, nl]), t(c, &[rc, nl])], 0).unwrap())
            .collect();
        close(&ours, &Tensor::cat(&per_level, 1).unwrap(), "head rows");
    }

    #[test]
    fn area_attention_matches_candles_matmul_and_softmax() {
        // 2 heads of 8 channels, 2 strips of 150 tokens (more than ATTN_ROWS:
        // a strip's queries are cut into blocks).
        let (heads, hd, area, n) = (2, 8, 2, 300);
        let qkv = values(3 * heads * hd * n, 70);
        let (ours, v) = area_attention(&qkv, n, heads, hd, area);
        let c = heads * hd;
        let all = t(&qkv, &[heads, 3, hd, n]);
        let na = n / area;
        let mut out_heads = Vec::new();
        let mut v_heads = Vec::new();
        for h in 0..heads {
            let part = |j: usize| all.get(h).unwrap().get(j).unwrap();
            let (q, k, vv) = (part(0), part(1), part(2));
            v_heads.push(vv.clone());
            let mut strips = Vec::new();
            for a in 0..area {
                let (q, k, vv) = (
                    q.narrow(1, a * na, na).unwrap(),
                    k.narrow(1, a * na, na).unwrap(),
                    vv.narrow(1, a * na, na).unwrap(),
                );
                let s = (q.t().unwrap().matmul(&k).unwrap() * (hd as f64).powf(-0.5)).unwrap();
                let p = candle_nn::ops::softmax_last_dim(&s).unwrap();
                strips.push(vv.matmul(&p.t().unwrap()).unwrap());
            }
            out_heads.push(Tensor::cat(&strips, 1).unwrap());
        }
        close(&ours, &Tensor::cat(&out_heads, 0).unwrap(), "area attention");
        close(&v, &Tensor::cat(&v_heads, 0).unwrap(), "attention values");
        assert_eq!(ours.len(), c * n);
    }
}

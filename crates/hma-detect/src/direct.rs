//! Direct convolution with AVX-512: stride-1 3×3 convolutions without an
//! im2col matrix. (CPUs without AVX-512, and every other convolution, take
//! the matrix-product path in [`crate::cpu`], whose epilogue and stride-2
//! im2col rows also have AVX-512 versions here.)
//!
//! Why by hand: a general matrix product needs the k×k patches laid out as
//! a matrix (nine copies of the input for a 3×3 filter), then packs that
//! matrix again into its own panels, then writes the product for a
//! separate bias/SiLU pass; for this network's small feature maps those
//! three passes cost as much as the arithmetic. No crate computes a
//! convolution directly on the CPU (candle's own goes through im2col).
//!
//! The picture is copied once into zero-bordered planes whose rows are
//! w + k − 1 long; in that layout the output pixel at flat index i reads
//! tap (ky, kx) at i + ky·(w + k − 1) + kx, so every tap of a run of
//! output pixels is one contiguous load. A tile is 64 consecutive output
//! pixels (four 16-lane vectors) × 6 output channels: 24 accumulators,
//! each (input channel, tap) costing 4 loads and 6 broadcasts for 24
//! fused multiply-adds. The input channels go 8 at a time, so the rows a
//! tile reads stay in L1 while every output channel group runs over them;
//! bias and SiLU are applied in registers after the last chunk (exp by
//! `vscalefps`, the reciprocal by `vrcp14ps` and a Newton step). The k − 1
//! extra columns per row are computed and dropped when the block is copied
//! (with the residual) into the output.

#![allow(unsafe_code)]

use multiversion::multiversion;
use rayon::prelude::*;

use crate::cpu::{Filters, Shared, EXP_LN2, EXP_POLY};

/// Output channels per tile.
const R: usize = 6;
/// 16-lane vectors per tile.
const V: usize = 4;
/// Output pixels per tile.
const TILE: usize = 16 * V;
/// Input channels per pass over a tile.
const CHUNK: usize = 8;
/// Taps of a 3×3 filter.
const TAPS: usize = 9;

/// A convolution's weights packed for the kernel: per group of `R` output
/// channels, per input channel, per tap, the `R` weights side by side
/// (zeros for the missing channels of the last group).
#[derive(Debug, Clone)]
pub struct Packed {
    w: Vec<f32>,
    /// The bias, zeros for the missing channels of the last group.
    bias: Vec<f32>,
    groups: usize,
    c: usize,
}

/// Whether this CPU runs the kernel (AVX-512), unless `HMA_NO_AVX512` is
/// set: then the portable path runs everywhere, as on a CPU without it (to
/// compare the two, or to rule the kernel out when chasing a problem).
pub fn available() -> bool {
    static AVAILABLE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        if std::env::var_os("HMA_NO_AVX512").is_some_and(|v| !v.is_empty()) {
            return false;
        }
        #[cfg(target_arch = "x86_64")]
        {
            std::arch::is_x86_feature_detected!("avx512f")
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    })
}

/// Packs `f` (`[out, c, k, k]`) when the kernel runs it: 3×3 with stride
/// 1, on a CPU with AVX-512. (A 1×1 version of this kernel measured slower
/// than the packed matrix product on this network's wide 1×1 layers, and
/// a stride-2 one, on even/odd phase planes, slower than im2col + `gemm`:
/// see docs/benchmarks.md, "Detection".)
pub fn pack(f: &Filters, c: usize) -> Option<Packed> {
    if !(f.stride == 1 && f.k == 3 && available()) {
        return None;
    }
    let groups = f.out.div_ceil(R);
    let mut w = vec![0f32; groups * c * TAPS * R];
    for o in 0..f.out {
        let (g, r) = (o / R, o % R);
        for ci in 0..c {
            for t in 0..TAPS {
                w[((g * c + ci) * TAPS + t) * R + r] = f.w[(o * c + ci) * TAPS + t];
            }
        }
    }
    let mut bias = f.bias.clone();
    bias.resize(groups * R, 0.0);
    Some(Packed { w, bias, groups, c })
}

/// What a block's kernel needs besides its rows.
struct Job<'a> {
    /// The zero-bordered input planes, `plane` values apart.
    input: *const f32,
    plane: usize,
    p: &'a Packed,
    offsets: [usize; TAPS],
    act: bool,
    /// `[groups·R, stride]`: the block's output in the padded layout,
    /// copied (with the residual) into the output afterwards.
    tmp: *mut f32,
    stride: usize,
}

/// The convolution of `parts` (channel planes `[c_i, h, w]`, concatenated
/// along channels; their total must be the packed filter's input
/// channels), then bias, SiLU when `act`, and `residual` (`[out, h, w]`).
pub fn conv(
    parts: &[(&[f32], usize)],
    (h, w): (usize, usize),
    f: &Filters,
    p: &Packed,
    act: bool,
    residual: Option<&[f32]>,
) -> Vec<f32> {
    let k = f.k;
    let r = k / 2;
    let wp = w + 2 * r;
    let hp = h + 2 * r;
    // The input as zero-bordered planes.
    let plane = hp * wp;
    let sources: Vec<&[f32]> =
        parts.iter().flat_map(|(x, c)| (0..*c).map(move |i| &x[i * h * w..(i + 1) * h * w])).collect();
    assert_eq!(sources.len(), p.c, "input channels");
    // Slack after the last plane: the last tile of a block reads up to a
    // tile and two rows past the block (those outputs are dropped).
    let mut padded = vec![0f32; p.c * plane + TILE + 2 * wp + 16];
    padded[..p.c * plane].par_chunks_mut(plane).zip(&sources).for_each(|(dst, src)| {
        for (y, row) in src.chunks_exact(w).enumerate() {
            dst[(y + r) * wp + r..(y + r) * wp + r + w].copy_from_slice(row);
        }
    });
    let offsets: [usize; TAPS] = std::array::from_fn(|t| (t / k) * wp + t % k);
    let input = Shared(padded.as_mut_ptr());
    // Rows per block: about 64 K input values (the block's input stays in
    // L2 while every output channel group runs over it), at least two
    // tiles, and enough blocks for every thread.
    let threads = rayon::current_num_threads();
    let mut rows = (64 * 1024 / (p.c * wp)).max(128usize.div_ceil(wp)).min(h);
    if threads > 1 && h.div_ceil(rows) < 2 * threads {
        rows = h.div_ceil(2 * threads).max(1);
    }
    let hw = h * w;
    let mut out: Vec<f32> = Vec::with_capacity(f.out * hw);
    let dst = Shared(out.as_mut_ptr());
    (0..h.div_ceil(rows)).into_par_iter().for_each_init(Vec::new, |tmp: &mut Vec<f32>, bi| {
        let (y0, y1) = (bi * rows, ((bi + 1) * rows).min(h));
        let len = ((y1 - y0) * wp).next_multiple_of(TILE);
        // The rows of tmp one cache line more than whole tiles apart, so
        // that a tile's 6·groups rows do not all fall in the same L1 set.
        let stride = len + 16;
        // Every value the copy below reads is stored by the kernel's first
        // chunk: grow the scratch block, never clear it.
        if tmp.len() < p.groups * R * stride {
            tmp.resize(p.groups * R * stride, 0.0);
        }
        let job = Job { input: input.at(0).cast_const(), plane, p, offsets, act, tmp: tmp.as_mut_ptr(), stride };
        // SAFETY: the CPU has AVX-512 (pack checked); reads stay inside
        // `padded` (its slack covers the last tile's overrun); tmp holds
        // [groups·R, stride].
        unsafe { block(&job, y0 * wp, len) };
        for o in 0..f.out {
            for y in y0..y1 {
                let src = &tmp[o * stride + (y - y0) * wp..][..w];
                let at = o * hw + y * w;
                // SAFETY: row y of channel o belongs to this block only.
                let d = unsafe { std::slice::from_raw_parts_mut(dst.at(at), w) };
                match residual {
                    Some(r) => add_into(d, src, &r[at..at + w]),
                    None => d.copy_from_slice(src),
                }
            }
        }
    });
    // SAFETY: the blocks stored every output value (rows 0..h of every
    // channel, each valid pixel of each row once).
    unsafe { out.set_len(f.out * hw) };
    out
}

/// `dst = a + b`.
#[multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
fn add_into(dst: &mut [f32], a: &[f32], b: &[f32]) {
    dst.iter_mut().zip(a).zip(b).for_each(|((d, a), b)| *d = a + b);
}

/// e^x on 16 lanes: exp_f32's polynomial, 2^n by `vscalefps`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn exp16(x: std::arch::x86_64::__m512) -> std::arch::x86_64::__m512 {
    use std::arch::x86_64::*;
    let x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.0)), _mm512_set1_ps(88.0));
    let n = _mm512_roundscale_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(_mm512_mul_ps(
        x,
        _mm512_set1_ps(std::f32::consts::LOG2_E),
    ));
    let r = _mm512_fnmadd_ps(n, _mm512_set1_ps(EXP_LN2.0), x);
    let r = _mm512_fmadd_ps(n, _mm512_set1_ps(EXP_LN2.1), r);
    let mut p = _mm512_set1_ps(EXP_POLY[0]);
    for c in &EXP_POLY[1..] {
        p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(*c));
    }
    let e = _mm512_fmadd_ps(_mm512_mul_ps(p, r), r, _mm512_add_ps(r, _mm512_set1_ps(1.0)));
    _mm512_scalef_ps(e, n)
}

/// [`crate::cpu`]'s epilogue on AVX-512: `row = silu(row + b) + residual`
/// (SiLU when `act`, the residual when given), 16 lanes at a time with
/// [`silu16`]'s reciprocal instead of a division.
///
/// # Safety
/// AVX-512F must be available ([`available`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn finish_row(row: &mut [f32], b: f32, act: bool, residual: Option<&[f32]>) {
    use std::arch::x86_64::*;
    let bias = _mm512_set1_ps(b);
    let n = row.len();
    if let Some(r) = residual {
        assert_eq!(r.len(), n, "residual row");
    }
    let mut i = 0;
    while i < n {
        let lanes = (n - i).min(16);
        let m: __mmask16 = if lanes == 16 { u16::MAX } else { (1u16 << lanes) - 1 };
        let p = row.as_mut_ptr().add(i);
        let mut y = _mm512_add_ps(_mm512_maskz_loadu_ps(m, p), bias);
        if act {
            y = silu16(y);
        }
        if let Some(r) = residual {
            y = _mm512_add_ps(y, _mm512_maskz_loadu_ps(m, r.as_ptr().add(i)));
        }
        _mm512_mask_storeu_ps(p, m, y);
        i += 16;
    }
}

/// `dst[i] = src[2·i]` (a stride-2 row of an im2col matrix), 16 at a time
/// by one two-register permute.
///
/// # Safety
/// AVX-512F must be available ([`available`]); `src` must hold at least
/// `2·dst.len() − 1` values.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn gather_even(dst: &mut [std::mem::MaybeUninit<f32>], src: &[f32]) {
    use std::arch::x86_64::*;
    let n = dst.len();
    assert!(n == 0 || src.len() > 2 * (n - 1), "source row");
    let idx = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    let mut i = 0;
    // Whole vectors while both source registers are inside src.
    while i + 16 <= n && 2 * i + 32 <= src.len() {
        let a = _mm512_loadu_ps(src.as_ptr().add(2 * i));
        let b = _mm512_loadu_ps(src.as_ptr().add(2 * i + 16));
        _mm512_storeu_ps(dst.as_mut_ptr().add(i).cast(), _mm512_permutex2var_ps(a, idx, b));
        i += 16;
    }
    for (j, d) in dst.iter_mut().enumerate().skip(i) {
        d.write(src[2 * j]);
    }
}

/// x · sigmoid(x) on 16 lanes (the reciprocal by `vrcp14ps` and one
/// Newton step: about 2⁻²⁸ relative error).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn silu16(x: std::arch::x86_64::__m512) -> std::arch::x86_64::__m512 {
    use std::arch::x86_64::*;
    let d = _mm512_add_ps(_mm512_set1_ps(1.0), exp16(_mm512_sub_ps(_mm512_setzero_ps(), x)));
    let r = _mm512_rcp14_ps(d);
    let r = _mm512_mul_ps(r, _mm512_fnmadd_ps(d, r, _mm512_set1_ps(2.0)));
    _mm512_mul_ps(x, r)
}

/// Every output channel for the flat (padded-layout) output pixels
/// `i0..i0 + len` into `job.tmp`, by tiles of 64 pixels. Per tile, the
/// input channels go by chunks of [`CHUNK`]: a chunk's rows (a few KB)
/// stay in L1 while every group of 6 output channels runs over them, and
/// the partial sums wait in `tmp` between chunks; bias and SiLU are
/// applied in registers after the last chunk.
///
/// # Safety
/// AVX-512F must be available; `input + ci·plane + i0 + offset + j` must
/// be readable for every input channel, tap offset and j < len; `job.tmp`
/// must hold `[groups·R, stride]` with stride ≥ len; len must be a
/// multiple of [`TILE`].
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn block(job: &Job, i0: usize, len: usize) {
    use std::arch::x86_64::*;
    let p = job.p;
    let chunks = p.c.div_ceil(CHUNK);
    for t in 0..len / TILE {
        for ch in 0..chunks {
            let (c0, c1) = (ch * CHUNK, ((ch + 1) * CHUNK).min(p.c));
            for g in 0..p.groups {
                let out = job.tmp.add(g * R * job.stride + t * TILE);
                let mut acc = [[_mm512_setzero_ps(); V]; R];
                if ch > 0 {
                    for (r, acc) in acc.iter_mut().enumerate() {
                        for (v, a) in acc.iter_mut().enumerate() {
                            *a = _mm512_loadu_ps(out.add(r * job.stride + 16 * v));
                        }
                    }
                }
                let acc = accumulate(acc, job, i0 + t * TILE, c0, c1, p.w.as_ptr().add(g * p.c * TAPS * R));
                let last = ch + 1 == chunks;
                for (r, acc) in acc.iter().enumerate() {
                    let b = _mm512_set1_ps(p.bias[g * R + r]);
                    for (v, a) in acc.iter().enumerate() {
                        let mut y = *a;
                        if last {
                            y = _mm512_add_ps(y, b);
                            if job.act {
                                y = silu16(y);
                            }
                        }
                        _mm512_storeu_ps(out.add(r * job.stride + 16 * v), y);
                    }
                }
            }
        }
    }
}

/// The register tile: adds input channels `c0..c1` of the 64 pixels from
/// flat index `at` times one group's weights (`wg`) to `acc`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn accumulate(
    mut acc: [[std::arch::x86_64::__m512; V]; R],
    job: &Job,
    at: usize,
    c0: usize,
    c1: usize,
    wg: *const f32,
) -> [[std::arch::x86_64::__m512; V]; R] {
    use std::arch::x86_64::*;
    for ci in c0..c1 {
        let base = job.input.add(ci * job.plane + at);
        let wc = wg.add(ci * TAPS * R);
        for (ti, off) in job.offsets.iter().enumerate() {
            let q = base.add(*off);
            let x: [__m512; V] = std::array::from_fn(|v| _mm512_loadu_ps(q.add(16 * v)));
            let wt = wc.add(ti * R);
            for (r, acc) in acc.iter_mut().enumerate() {
                let b = _mm512_set1_ps(*wt.add(r));
                for v in 0..V {
                    acc[v] = _mm512_fmadd_ps(x[v], b, acc[v]);
                }
            }
        }
    }
    acc
}

#[cfg(not(target_arch = "x86_64"))]
unsafe fn block(_: &Job, _: usize, _: usize) {
    unreachable!("pack() returns None without AVX-512")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic values in −1…1.
    fn values(n: usize, seed: u32) -> Vec<f32> {
        let mut s = seed.wrapping_mul(2_654_435_761).max(1);
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                (s as f32 / u32::MAX as f32) * 2.0 - 1.0
            })
            .collect()
    }

    /// The direct kernel against the im2col + matrix-product path, on
    /// shapes with partial tiles, partial channel groups, odd sizes, SiLU
    /// and a residual. It needs AVX-512: on a CPU without it (or with
    /// `HMA_NO_AVX512` set) it is reported as skipped, never as passed; on
    /// one with it, pack must take every shape.
    #[test]
    fn direct_convolution_matches_the_matrix_product() {
        if crate::skipped_without(available(), "AVX-512", "direct_convolution_matches_the_matrix_product") {
            return;
        }
        let mut compared = 0;
        for (i, &(c, out, h, w, act, residual)) in [
            (3, 16, 20, 20, true, false),
            (16, 8, 13, 7, true, true),
            (64, 64, 40, 40, false, true),
            (5, 13, 9, 33, true, false),
        ]
        .iter()
        .enumerate()
        {
            let f =
                Filters { w: values(out * c * 9, i as u32 + 1), bias: values(out, i as u32 + 7), out, k: 3, stride: 1 };
            let x = values(c * h * w, i as u32 + 13);
            let r = values(out * h * w, i as u32 + 19);
            let r = residual.then_some(&r[..]);
            let p = pack(&f, c).expect("pack declined a 3×3 stride-1 filter on an AVX-512 CPU");
            let (want, _) = crate::cpu::conv(&x, (c, h, w), &f, act, r);
            let got = conv(&[(&x, c)], (h, w), &f, &p, act, r);
            let worst = want.iter().zip(&got).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
            assert!(worst < 1e-4, "c{c} o{out} {h}×{w}: max |diff| {worst}");
            compared += 1;
        }
        assert_eq!(compared, 4, "every shape compared");
    }
}

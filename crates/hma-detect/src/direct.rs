//! Direct convolution with AVX-512: stride-1 3×3 convolutions without an
//! im2col matrix. (CPUs without AVX-512, and every other convolution, take
//! the matrix-product path in [`crate::cpu`].)
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
//! fused multiply-adds; bias and SiLU are applied in registers (exp by
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

/// A convolution's weights packed for the kernel: per group of `R` output
/// channels, per input channel, per tap, the `R` weights side by side
/// (zeros for the missing channels of the last group).
#[derive(Debug, Clone)]
pub struct Packed {
    w: Vec<f32>,
    groups: usize,
    c: usize,
    taps: usize,
}

/// Whether this CPU runs the kernel.
pub fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Packs `f` (`[out, c, k, k]`) when the kernel runs it: 3×3 with stride
/// 1, on a CPU with AVX-512. (1×1 filters can run here too, reading the
/// input in place, but measured slower than the packed matrix product for
/// this network's wide 1×1 layers: with 128–384 input planes a tile reads
/// more streams than the prefetchers follow.)
pub fn pack(f: &Filters, c: usize) -> Option<Packed> {
    if !(f.stride == 1 && f.k == 3 && available()) {
        return None;
    }
    let taps = f.k * f.k;
    let groups = f.out.div_ceil(R);
    let mut w = vec![0f32; groups * c * taps * R];
    for o in 0..f.out {
        let (g, r) = (o / R, o % R);
        for ci in 0..c {
            for t in 0..taps {
                w[((g * c + ci) * taps + t) * R + r] = f.w[(o * c + ci) * taps + t];
            }
        }
    }
    Some(Packed { w, groups, c, taps })
}

/// The input planes, read by every thread.
struct Planes(Vec<*const f32>);
// SAFETY: only read, while the tensors they point into are borrowed.
unsafe impl Sync for Planes {}

/// What a block's kernel needs besides its rows.
struct Job<'a> {
    planes: &'a [*const f32],
    p: &'a Packed,
    offsets: &'a [usize],
    bias: &'a [f32],
    out_channels: usize,
    act: bool,
    /// `[out_channels, len]`: the block's output in the padded layout,
    /// copied (with the residual) into the output afterwards.
    tmp: *mut f32,
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
    let mut padded = vec![0f32; p.c * plane + 16];
    padded[..p.c * plane].par_chunks_mut(plane).zip(&sources).for_each(|(dst, src)| {
        for (y, row) in src.chunks_exact(w).enumerate() {
            dst[(y + r) * wp + r..(y + r) * wp + r + w].copy_from_slice(row);
        }
    });
    let planes: Vec<*const f32> = (0..p.c).map(|i| padded[i * plane..].as_ptr()).collect();
    let offsets: Vec<usize> = (0..k * k).map(|t| (t / k) * wp + t % k).collect();
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
    let planes = &Planes(planes);
    (0..h.div_ceil(rows)).into_par_iter().for_each_init(Vec::new, |tmp: &mut Vec<f32>, bi| {
        let (y0, y1) = (bi * rows, ((bi + 1) * rows).min(h));
        let len = (y1 - y0) * wp;
        tmp.clear();
        tmp.resize(f.out * len, 0.0);
        let job = Job {
            planes: &planes.0,
            p,
            offsets: &offsets,
            bias: &f.bias,
            out_channels: f.out,
            act,
            tmp: tmp.as_mut_ptr(),
        };
        // SAFETY: the CPU has AVX-512 (pack checked); every plane holds
        // (h + k − 1)·wp values plus slack for the last tap's two extra
        // values; loads past a run's end are masked; tmp holds [out, len].
        unsafe { block(&job, y0 * wp, len) };
        for o in 0..f.out {
            for y in y0..y1 {
                let src = &tmp[o * len + (y - y0) * wp..][..w];
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
/// `i0..i0 + len` into `job.tmp`, by tiles of 64 pixels × 6 output
/// channels (a group's weights stay in L1 while its tiles run); bias and
/// SiLU applied in registers.
///
/// # Safety
/// AVX-512F must be available; `planes[c] + i0 + offset + j` must be
/// readable for every j < len and tap offset; `job.tmp` must hold
/// `[out_channels, len]`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn block(job: &Job, i0: usize, len: usize) {
    use std::arch::x86_64::*;
    let p = job.p;
    // Per tile and vector: the lanes inside the run.
    let tiles = len.div_ceil(16 * V);
    let masks: Vec<[u16; V]> = (0..tiles)
        .map(|t| {
            std::array::from_fn(|v| {
                let lanes = len.saturating_sub(t * 16 * V + 16 * v).min(16);
                if lanes == 16 {
                    u16::MAX
                } else {
                    (1u16 << lanes) - 1
                }
            })
        })
        .collect();
    for g in 0..p.groups {
        let wg = p.w.as_ptr().add(g * p.c * p.taps * R);
        for (t, load) in masks.iter().enumerate() {
            let mut acc = [[_mm512_setzero_ps(); V]; R];
            for (ci, plane) in job.planes.iter().enumerate() {
                let base = plane.add(i0 + t * 16 * V);
                let wc = wg.add(ci * p.taps * R);
                for (ti, off) in job.offsets.iter().enumerate() {
                    let q = base.add(*off);
                    let x = [
                        _mm512_maskz_loadu_ps(load[0], q),
                        _mm512_maskz_loadu_ps(load[1], q.add(16)),
                        _mm512_maskz_loadu_ps(load[2], q.add(32)),
                        _mm512_maskz_loadu_ps(load[3], q.add(48)),
                    ];
                    let wt = wc.add(ti * R);
                    for (r, acc) in acc.iter_mut().enumerate() {
                        let b = _mm512_set1_ps(*wt.add(r));
                        for v in 0..V {
                            acc[v] = _mm512_fmadd_ps(x[v], b, acc[v]);
                        }
                    }
                }
            }
            for (r, acc) in acc.iter().enumerate() {
                let o = g * R + r;
                if o >= job.out_channels {
                    break;
                }
                let b = _mm512_set1_ps(job.bias[o]);
                for v in 0..V {
                    let mut y = _mm512_add_ps(acc[v], b);
                    if job.act {
                        y = silu16(y);
                    }
                    _mm512_mask_storeu_ps(job.tmp.add(o * len + t * 16 * V + 16 * v), load[v], y);
                }
            }
        }
    }
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
    /// and a residual; on a CPU without AVX-512, pack declines.
    #[test]
    fn direct_convolution_matches_the_matrix_product() {
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
            let Some(p) = pack(&f, c) else {
                assert!(!available(), "pack declined a 3×3 stride-1 filter on an AVX-512 CPU");
                continue;
            };
            let (want, _) = crate::cpu::conv(&x, (c, h, w), &f, act, r);
            let got = conv(&[(&x, c)], (h, w), &f, &p, act, r);
            let worst = want.iter().zip(&got).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
            assert!(worst < 1e-4, "c{c} o{out} {h}×{w}: max |diff| {worst}");
        }
    }
}

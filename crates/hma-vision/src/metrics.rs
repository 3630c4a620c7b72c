//! Technical measurements on the working image (the reduced decode).
//!
//! Each measurement is a plain number with a unit a photographer can read;
//! turning them into 0–1 scores is `crate::score`'s job. The formulas and
//! their sources are in docs/scores.md.

use crate::{Gray8, Rgb8};
use serde::{Deserialize, Serialize};

/// Everything measured on one picture. Fields missing from stored JSON
/// (written by an older version) read as 0.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Measurements {
    /// Working image size (pixels) and its scale relative to the full picture.
    pub work_width: u32,
    pub work_height: u32,
    pub scale: f64,
    /// Variance of the Laplacian over the whole working image (8-bit units²).
    pub sharp_global: f64,
    /// Variance of the Laplacian in the sharpest tiles (the top 5 %, at least one).
    pub sharp_peak: f64,
    /// Centre of the sharpest tile, as a share of width and height (0–1).
    pub sharp_peak_x: f64,
    pub sharp_peak_y: f64,
    /// Direction bias of the gradients in the sharpest tiles: 0 = the same in
    /// every direction (in focus, or defocused), towards 1 = one direction
    /// dominates (motion blur smears edges along the motion).
    pub blur_anisotropy: f64,
    /// Luma (Rec. 601, 0–255): mean, median.
    pub luma_mean: f64,
    pub luma_median: f64,
    /// Share of blown highlights: pixels at or above 250, or, in a picture
    /// whose brightest level is lower, the plateau of pixels piled up at
    /// that level (highlights clipped and then darkened).
    pub clip_high: f64,
    /// Share of pixels with a channel at its ceiling (max of R, G, B ≥ 254):
    /// colour detail lost in at least one channel.
    pub clip_channel: f64,
    /// Share of pixels at or below 5 (blocked shadows).
    pub clip_low: f64,
    /// Share of pixels below 16 (deep shadows).
    pub shadows: f64,
    /// Luma histogram, 32 fixed bins of 8 levels, as shares of the pixels.
    pub luma_hist: Vec<f32>,
    /// Shannon entropy of the 256-bin luma histogram (bits, 0–8).
    pub entropy: f64,
    /// Luma span between the 0.5th and 99.5th percentiles (levels).
    pub dynamic_range: f64,
    /// The 99.5th percentile of luma.
    pub luma_p995: f64,
    /// The 99.5th percentile of each pixel's brightest channel (max of R, G,
    /// B): 255 minus this is the headroom the exposure left unused.
    pub value_p995: f64,
    /// Mean scene brightness against mid-grey, in EV (0 = 18 % grey).
    pub mean_ev: f64,
    /// Noise standard deviation at the working size (8-bit levels), from
    /// Immerkaer's operator on the flattest half of the image.
    pub noise_sigma: f64,
    /// The subject's centre (detail-weighted saliency centroid), 0–1.
    pub subject_x: f64,
    pub subject_y: f64,
    /// Distance from the subject to the nearest rule-of-thirds point and to
    /// the centre, as a share of the frame's diagonal.
    pub thirds_distance: f64,
    pub centre_distance: f64,
    /// Share of the frame with little detail (tiles under 15 % of the peak).
    pub negative_space: f64,
    /// Tilt of the dominant near-horizontal line, degrees (positive =
    /// counter-clockwise), when the picture has one.
    pub tilt_deg: Option<f64>,
}

/// Rec. 601 luma of an RGB image, in OpenCV's fixed-point arithmetic
/// (`cvtColor(RGB2GRAY)`: 14-bit weights, rounded), so BRISQUE sees the
/// pixels OpenCV's would.
pub fn luma(img: &Rgb8) -> Gray8 {
    let data = img
        .data
        .chunks_exact(3)
        .map(|p| ((4899 * p[0] as u32 + 9617 * p[1] as u32 + 1868 * p[2] as u32 + (1 << 13)) >> 14) as u8)
        .collect();
    Gray8 { width: img.width, height: img.height, data }
}

/// Variance of the Laplacian (the sharpness measure of `measure`) inside a
/// box `[x, y, w, h]` given as shares of the picture, on the working image
/// (`img` fitted to the analysis working size first, so the value compares
/// with `sharp_peak` and `sharp_global`).
pub fn box_sharpness(img: &Rgb8, bbox: [f64; 4]) -> Option<f64> {
    measure_boxes(img, &[bbox]).remove(0).sharpness
}

/// What [`measure_boxes`] finds inside one box.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoxMeasure {
    /// Variance of the Laplacian, as [`box_sharpness`]; None when the box
    /// covers fewer than 16 pixels of the working image.
    pub sharpness: Option<f64>,
    /// Mean luma 0–1 (None for an empty box).
    pub exposure: Option<f64>,
}

/// [`box_sharpness`] and the mean luma of many boxes of one picture, the
/// working image made once.
pub fn measure_boxes(img: &Rgb8, boxes: &[[f64; 4]]) -> Vec<BoxMeasure> {
    let work = crate::resize::fit_long_edge(img, crate::WORK_LONG_EDGE);
    let gray = luma(&work);
    let (w, h) = (gray.width as usize, gray.height as usize);
    let g = &gray.data;
    boxes
        .iter()
        .map(|bbox| {
            // The Laplacian needs a pixel on every side: a picture under 3
            // pixels across has no inside to measure (found by fuzzing: the
            // clamps below panicked on a 1- or 2-pixel-wide picture).
            if w < 3 || h < 3 {
                return BoxMeasure { sharpness: None, exposure: None };
            }
            let x0 = ((bbox[0] * w as f64).floor() as usize).clamp(1, w.saturating_sub(2));
            let y0 = ((bbox[1] * h as f64).floor() as usize).clamp(1, h.saturating_sub(2));
            let x1 = (((bbox[0] + bbox[2]) * w as f64).ceil() as usize).clamp(1, w.saturating_sub(1));
            let y1 = (((bbox[1] + bbox[3]) * h as f64).ceil() as usize).clamp(1, h.saturating_sub(1));
            let (mut s, mut s2, mut n, mut sum) = (0f64, 0f64, 0f64, 0f64);
            for y in y0..y1 {
                for x in x0..x1 {
                    let i = y * w + x;
                    let l = 4.0 * g[i] as f64 - g[i - 1] as f64 - g[i + 1] as f64 - g[i - w] as f64 - g[i + w] as f64;
                    s += l;
                    s2 += l * l;
                    n += 1.0;
                    sum += g[i] as f64;
                }
            }
            BoxMeasure {
                sharpness: (n >= 16.0).then(|| s2 / n - (s / n).powi(2)),
                exposure: (n > 0.0).then(|| sum / n / 255.0),
            }
        })
        .collect()
}

/// Tile grid: about 12 tiles along the long edge, each at least 16 px.
fn tile_size(w: usize, h: usize) -> usize {
    (w.max(h) / 12).max(16)
}

struct Tiles {
    cols: usize,
    size: usize,
    /// Laplacian variance per tile.
    var: Vec<f64>,
}

/// Measures `img` (the working image, already oriented); `scale` is its
/// size relative to the full picture.
pub fn measure(img: &Rgb8, scale: f64) -> Measurements {
    measure_with_luma(img, &luma(img), scale)
}

avx2_or_plain! {
    /// `measure` with the luma of `img` (from `luma`) already at hand.
    pub fn measure_with_luma(img: &Rgb8, gray: &Gray8, scale: f64) -> Measurements => measure_body
}

// Inlined into both builds above, with the pixel loops it calls.
#[inline(always)]
fn measure_body(img: &Rgb8, gray: &Gray8, scale: f64) -> Measurements {
    let (w, h) = (gray.width as usize, gray.height as usize);
    let mut m = Measurements { work_width: img.width, work_height: img.height, scale, ..Default::default() };
    if w < 3 || h < 3 {
        return m;
    }
    let ts = tile_size(w, h);
    let f = Filtered::new(&gray.data, w, h, ts);

    // --- Sharpness: Laplacian (4-neighbour) statistics, globally and per tile.
    let (cols, rows) = (w.div_ceil(ts), h.div_ceil(ts));
    let n_in = ((w - 2) * (h - 2)) as f64;
    let (gs, gs2) = (f.tile_sum.iter().sum::<i64>() as f64, f.tile_sum2.iter().sum::<i64>() as f64);
    m.sharp_global = gs2 / n_in - (gs / n_in).powi(2);
    let var: Vec<f64> = (0..cols * rows)
        .map(|t| {
            if f.tile_count[t] < 16 {
                return 0.0;
            }
            let n = f.tile_count[t] as f64;
            let (s, s2) = (f.tile_sum[t] as f64, f.tile_sum2[t] as f64);
            (s2 / n - (s / n).powi(2)).max(0.0)
        })
        .collect();
    let tiles = Tiles { cols, size: ts, var };
    let mut order: Vec<usize> = (0..tiles.var.len()).collect();
    order.sort_by(|&a, &b| tiles.var[b].total_cmp(&tiles.var[a]));
    let top = (tiles.var.len() / 20).max(1);
    m.sharp_peak = order[..top].iter().map(|&t| tiles.var[t]).sum::<f64>() / top as f64;
    let best = order[0];
    let centre = |t: usize| {
        let (c, r) = (t % tiles.cols, t / tiles.cols);
        let cx = ((c * tiles.size) as f64 + (tiles.size.min(w - c * tiles.size)) as f64 / 2.0) / w as f64;
        let cy = ((r * tiles.size) as f64 + (tiles.size.min(h - r * tiles.size)) as f64 / 2.0) / h as f64;
        (cx, cy)
    };
    (m.sharp_peak_x, m.sharp_peak_y) = centre(best);
    m.blur_anisotropy = anisotropy(&f, w, h, &tiles, &order[..top]);

    // --- Exposure: the luma histogram.
    let mut hist = [0u64; 256];
    for &v in &gray.data {
        hist[v as usize] += 1;
    }
    let n = gray.data.len() as f64;
    // Sums of whole numbers: exact in u64, so the same as adding them in f64.
    m.luma_mean = gray.data.iter().map(|&v| v as u64).sum::<u64>() as f64 / n;
    m.luma_median = percentile(&hist, n, 0.5);
    m.clip_high = (hist[250..].iter().sum::<u64>() as f64 / n).max(plateau(&hist, n, 250));
    m.clip_low = hist[..=5].iter().sum::<u64>() as f64 / n;
    m.shadows = hist[..16].iter().sum::<u64>() as f64 / n;
    m.luma_hist = hist.chunks(8).map(|c| (c.iter().sum::<u64>() as f64 / n) as f32).collect();
    m.entropy = hist
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum();
    m.luma_p995 = percentile(&hist, n, 0.995);
    let mut vhist = [0u64; 256];
    for p in img.data.chunks_exact(3) {
        vhist[p[0].max(p[1]).max(p[2]) as usize] += 1;
    }
    m.value_p995 = percentile(&vhist, n, 0.995);
    m.clip_channel = (vhist[254..].iter().sum::<u64>() as f64 / n).max(plateau(&vhist, n, 254));
    m.dynamic_range = m.luma_p995 - percentile(&hist, n, 0.005);
    let lin_mean = hist.iter().enumerate().map(|(v, &c)| srgb_to_linear(v as f64 / 255.0) * c as f64).sum::<f64>() / n;
    m.mean_ev = (lin_mean.max(1e-6) / 0.18).log2();

    // --- Noise: Immerkaer (1996) on the flattest half of the image.
    m.noise_sigma = f.noise_sigma();

    // --- Composition: a detail-energy saliency over the tile grid.
    let peak = tiles.var[best].max(1e-9);
    let (mut sx, mut sy, mut sw) = (0.0, 0.0, 0.0);
    let mut low = 0usize;
    for t in 0..tiles.var.len() {
        let e = tiles.var[t] / peak;
        if e < 0.15 {
            low += 1;
        }
        if e >= 0.5 {
            let (cx, cy) = centre(t);
            sx += e * cx;
            sy += e * cy;
            sw += e;
        }
    }
    (m.subject_x, m.subject_y) = (sx / sw, sy / sw);
    m.negative_space = low as f64 / tiles.var.len() as f64;
    let (fw, fh) = (w as f64, h as f64);
    let diag = (fw * fw + fh * fh).sqrt();
    let dist = |px: f64, py: f64| (((m.subject_x - px) * fw).powi(2) + ((m.subject_y - py) * fh).powi(2)).sqrt() / diag;
    m.thirds_distance =
        [(1.0 / 3.0, 1.0 / 3.0), (2.0 / 3.0, 1.0 / 3.0), (1.0 / 3.0, 2.0 / 3.0), (2.0 / 3.0, 2.0 / 3.0)]
            .iter()
            .map(|&(px, py)| dist(px, py))
            .fold(f64::MAX, f64::min);
    m.centre_distance = dist(0.5, 0.5);
    m.tilt_deg = tilt(&f, w, h);
    m
}

fn srgb_to_linear(v: f64) -> f64 {
    if v <= 0.04045 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}

/// Highlights clipped and then darkened: the share of pixels piled up at
/// the top levels below `ceiling`. The window is the 8 levels ending at
/// the highest one that holds at least 0.05 % of the pixels (re-encoding
/// spreads a flat area over a few levels and rings a few stray pixels
/// above it); a plateau when one level there holds 10 times the pixels of
/// an average level among the 16 below the window. 0 when there is none.
fn plateau(hist: &[u64; 256], n: f64, ceiling: usize) -> f64 {
    let Some(top) = hist.iter().rposition(|&c| c as f64 >= 0.0005 * n).filter(|&t| (32..ceiling).contains(&t)) else {
        return 0.0;
    };
    let window = &hist[top - 7..=top];
    let spike = window.iter().sum::<u64>() as f64 / n;
    let peak = window.iter().copied().max().unwrap_or(0) as f64 / n;
    let around = hist[top - 23..top - 7].iter().sum::<u64>() as f64 / n / 16.0;
    if spike > 0.003 && peak > 10.0 * around {
        spike
    } else {
        0.0
    }
}

/// The luma level below which a share `q` of the pixels lie.
fn percentile(hist: &[u64; 256], n: f64, q: f64) -> f64 {
    let target = q * n;
    let mut acc = 0.0;
    for (v, &c) in hist.iter().enumerate() {
        acc += c as f64;
        if acc >= target {
            return v as f64;
        }
    }
    255.0
}

/// One pass over the grey picture's interior (every pixel with all eight
/// neighbours) for everything the measurements filter: the 4-neighbour
/// Laplacian's sums per tile, the Sobel gradients, and Immerkaer's noise
/// operator binned by gradient strength. All in integers: the filters of
/// 8-bit values are whole numbers, so the sums are exact (the same as
/// adding them up in floating point, only faster).
struct Filtered {
    /// Sobel gradients, `w × h` (0 on the border).
    gx: Vec<i16>,
    gy: Vec<i16>,
    /// Per tile: Laplacian sum, sum of squares, and pixel count.
    tile_sum: Vec<i64>,
    tile_sum2: Vec<i64>,
    tile_count: Vec<u32>,
    /// Per gradient level |gx| + |gy| (capped at 1023): how many pixels,
    /// and the sum of |Immerkaer response| over them.
    grad_hist: Vec<u64>,
    conv_sum: Vec<u64>,
    /// Interior pixels.
    count: u64,
}

impl Filtered {
    #[inline(always)]
    fn new(g: &[u8], w: usize, h: usize, ts: usize) -> Filtered {
        let (cols, rows) = (w.div_ceil(ts), h.div_ceil(ts));
        let mut f = Filtered {
            gx: vec![0; w * h],
            gy: vec![0; w * h],
            tile_sum: vec![0; cols * rows],
            tile_sum2: vec![0; cols * rows],
            tile_count: vec![0; cols * rows],
            grad_hist: vec![0; 1024],
            conv_sum: vec![0; 1024],
            count: ((w - 2) * (h - 2)) as u64,
        };
        let mut lap = vec![0i32; w];
        let mut conv = vec![0i32; w];
        for y in 1..h - 1 {
            let (u, m, d) = (&g[(y - 1) * w..y * w], &g[y * w..(y + 1) * w], &g[(y + 1) * w..(y + 2) * w]);
            let (gxr, gyr) = (&mut f.gx[y * w..(y + 1) * w], &mut f.gy[y * w..(y + 1) * w]);
            // Plain loops over row slices, which the compiler vectorises.
            for x in 1..w - 1 {
                let (ul, uc, ur) = (u[x - 1] as i32, u[x] as i32, u[x + 1] as i32);
                let (ml, mc, mr) = (m[x - 1] as i32, m[x] as i32, m[x + 1] as i32);
                let (dl, dc, dr) = (d[x - 1] as i32, d[x] as i32, d[x + 1] as i32);
                lap[x] = 4 * mc - ml - mr - uc - dc;
                gxr[x] = ((ur + 2 * mr + dr) - (ul + 2 * ml + dl)) as i16;
                gyr[x] = ((dl + 2 * dc + dr) - (ul + 2 * uc + ur)) as i16;
                conv[x] = (ul - 2 * uc + ur - 2 * ml + 4 * mc - 2 * mr + dl - 2 * dc + dr).abs();
            }
            for x in 1..w - 1 {
                let mag = ((gxr[x] as i32).abs() + (gyr[x] as i32).abs()).min(1023) as usize;
                f.grad_hist[mag] += 1;
                f.conv_sum[mag] += conv[x] as u64;
            }
            let trow = (y / ts) * cols;
            for c in 0..cols {
                let (x0, x1) = ((c * ts).max(1), ((c + 1) * ts).min(w - 1));
                if x0 >= x1 {
                    continue;
                }
                let seg = &lap[x0..x1];
                // |l| ≤ 1020, so l² fits in i32; the sums are kept in i64.
                f.tile_sum[trow + c] += seg.iter().map(|&l| l as i64).sum::<i64>();
                f.tile_sum2[trow + c] += seg.iter().map(|&l| (l * l) as i64).sum::<i64>();
                f.tile_count[trow + c] += seg.len() as u32;
            }
        }
        f
    }

    /// Immerkaer's fast noise estimate, σ = √(π/2)/6 · mean|I ∗ N| with
    /// N = [1 −2 1; −2 4 −2; 1 −2 1], taken over the half of the pixels
    /// with the weakest Sobel gradient so that edges and texture are not
    /// counted as noise.
    fn noise_sigma(&self) -> f64 {
        // The gradient level below which half of the pixels lie.
        let half = self.count / 2;
        let (mut acc, mut cut) = (0u64, 0usize);
        for (v, &c) in self.grad_hist.iter().enumerate() {
            acc += c;
            if acc >= half {
                cut = v;
                break;
            }
        }
        let n = self.grad_hist[..=cut].iter().sum::<u64>();
        if n == 0 {
            return 0.0;
        }
        let s = self.conv_sum[..=cut].iter().sum::<u64>() as f64;
        (std::f64::consts::PI / 2.0).sqrt() / 6.0 * s / n as f64
    }
}

/// 1 − λmin/λmax of the gradient structure tensor summed over the given
/// tiles: 0 for gradients spread evenly over directions, near 1 when they
/// all point one way.
fn anisotropy(f: &Filtered, w: usize, h: usize, tiles: &Tiles, which: &[usize]) -> f64 {
    let (mut xx, mut yy, mut xy) = (0i64, 0i64, 0i64);
    for &t in which {
        let (c, r) = (t % tiles.cols, t / tiles.cols);
        let (x0, y0) = ((c * tiles.size).max(1), (r * tiles.size).max(1));
        let (x1, y1) = (((c + 1) * tiles.size).min(w - 1), ((r + 1) * tiles.size).min(h - 1));
        for y in y0..y1 {
            for i in y * w + x0..y * w + x1 {
                let (gx, gy) = (f.gx[i] as i64, f.gy[i] as i64);
                xx += gx * gx;
                yy += gy * gy;
                xy += gx * gy;
            }
        }
    }
    let (xx, yy, xy) = (xx as f64, yy as f64, xy as f64);
    let tr = xx + yy;
    if tr <= 0.0 {
        return 0.0;
    }
    let d = ((xx - yy).powi(2) + 4.0 * xy * xy).sqrt();
    let (l1, l2) = ((tr + d) / 2.0, (tr - d) / 2.0);
    (1.0 - l2 / l1).clamp(0.0, 1.0)
}

/// `v.round() as i32` for |v| < 2³¹, without the library call that
/// `f64::round` is on baseline x86-64 (it was most of the Hough vote's
/// time) and without branches, so a loop of it vectorises: the conversion
/// truncates, `v − t` is exact, and a fraction of ±0.5 or more rounds away
/// from zero, as `round` does.
#[inline(always)]
fn round_half_away(v: f64) -> i32 {
    let t = v as i32;
    let frac = v - t as f64;
    t + (frac >= 0.5) as i32 - (frac <= -0.5) as i32
}

/// The tilt of the dominant near-horizontal straight line (within ±10°):
/// a Hough transform over the strongest 5 % of edges whose direction is
/// within 20° of horizontal, 0.25° steps. None unless the winning line is
/// at least a quarter of the frame's width long (no horizon to level).
#[inline(always)]
fn tilt(f: &Filtered, w: usize, h: usize) -> Option<f64> {
    const STEPS: usize = 81; // −10° … +10°
    let mag = |i: usize| {
        let (gx, gy) = (f.gx[i] as i32, f.gy[i] as i32);
        (gx * gx + gy * gy) as u32
    };
    let mut sorted = Vec::with_capacity((w - 2) * (h - 2));
    for y in 1..h - 1 {
        sorted.extend((y * w + 1..(y + 1) * w - 1).map(mag));
    }
    let k = sorted.len() * 95 / 100;
    let (_, &mut thresh, _) = sorted.select_nth_unstable(k);
    drop(sorted);
    // In a mostly flat frame fewer than 5 % of pixels have any gradient.
    let thresh = thresh.max(1);
    let trig: Vec<(f64, f64)> = (0..STEPS)
        .map(|i| {
            let t = (i as f64 / 4.0 - 10.0).to_radians();
            (t.sin(), t.cos())
        })
        .collect();
    // ρ = y·cosθ + x·sinθ ranges over [−0.18·w, h + 1] for |θ| ≤ 10°.
    let offset = (0.18 * w as f64).ceil() as isize + 1;
    let rhos = h + 2 * offset as usize + 2;
    let mut acc = vec![0u32; STEPS * rhos];
    let tan20 = 20f32.to_radians().tan();
    // The voting pixels: strong gradients pointing near-vertically (a
    // near-horizontal line has a near-vertical gradient).
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let i = y * w + x;
            let (gx, gy) = (f.gx[i] as f32, f.gy[i] as f32);
            if mag(i) >= thresh && gx.abs() <= gy.abs() * tan20 {
                xs.push(x as f64);
                ys.push(y as f64);
            }
        }
    }
    // One angle at a time: its ρ for every voting pixel (a vectorised
    // loop), then the votes into that angle's row (a few kB, in L1).
    let mut rho = vec![0i32; xs.len()];
    for (i, &(s, c)) in trig.iter().enumerate() {
        for ((r, &x), &y) in rho.iter_mut().zip(&xs).zip(&ys) {
            *r = round_half_away(y * c + x * s) + offset as i32;
        }
        let row = &mut acc[i * rhos..(i + 1) * rhos];
        for &r in &rho {
            row[r as usize] += 1;
        }
    }
    let (best, &votes) = acc.iter().enumerate().max_by_key(|&(i, &v)| (v, std::cmp::Reverse(i)))?;
    if (votes as usize) < w / 4 {
        return None;
    }
    Some((best / rhos) as f64 / 4.0 - 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pictures 1 or 2 pixels across (a decoder gives them) have no box
    /// measures; from 3 pixels on, the inside is measured.
    #[test]
    fn boxes_on_pictures_of_one_and_two_pixels_across() {
        for (w, h) in [(1, 1), (1, 40), (40, 1), (2, 200), (200, 2)] {
            let img = Rgb8 { width: w, height: h, data: vec![90; (w * h * 3) as usize] };
            let got = measure_boxes(&img, &[[0.0, 0.0, 1.0, 1.0], [f64::NAN, 0.5, f64::INFINITY, -1.0]]);
            assert_eq!(got, vec![BoxMeasure { sharpness: None, exposure: None }; 2], "{w}x{h}");
        }
        let img = Rgb8 { width: 3, height: 3, data: vec![90; 27] };
        let got = measure_boxes(&img, &[[0.0, 0.0, 1.0, 1.0]]);
        assert_eq!(got[0].exposure, Some(90.0 / 255.0));
    }

    /// A blown area darkened afterwards (a pile at 188 with a few stray
    /// pixels above it) is a plateau; a smooth top end is not, nor a top
    /// at the ceiling (counted by the caller's own ≥ ceiling share).
    #[test]
    fn darkened_clipping_is_found_as_a_plateau() {
        let n = 100_000.0;
        let mut h = [0u64; 256];
        for (v, c) in h.iter_mut().enumerate().take(180) {
            *c = 300 + v as u64;
        }
        h[187] = 3_000;
        h[188] = 30_000;
        h[189] = 800;
        h[196] = 30; // ringing: too few pixels to count as the top level
        let got = plateau(&h, n, 254);
        assert!((got - 0.338).abs() < 0.001, "plateau share {got}");
        // A smooth top end: no plateau.
        let mut s = [0u64; 256];
        s[..200].fill(500);
        assert_eq!(plateau(&s, n, 254), 0.0);
        // The top at 254 or above is counted by the ceiling test instead.
        let mut t = [0u64; 256];
        t[100] = 50_000;
        t[255] = 50_000;
        assert_eq!(plateau(&t, n, 254), 0.0);
    }

    /// A deterministic textured test picture: overlapping sine gratings.
    fn texture(w: u32, h: u32) -> Rgb8 {
        // Random grey 2×2 blocks: plenty of fine detail for blur to remove.
        let mut data = Vec::with_capacity((w * h * 3) as usize);
        for y in 0..h {
            for x in 0..w {
                let mut z = ((x / 2) as u64) << 32 | (y / 2) as u64;
                z = z.wrapping_mul(0x9E3779B97F4A7C15);
                z ^= z >> 29;
                let v = 40 + (z % 176) as u8;
                data.extend([v, v, v]);
            }
        }
        Rgb8 { width: w, height: h, data }
    }

    fn box_blur(img: &Rgb8) -> Rgb8 {
        let (w, h) = (img.width as usize, img.height as usize);
        let mut out = img.clone();
        for y in 1..h - 1 {
            for x in 1..w - 1 {
                for c in 0..3 {
                    let mut s = 0u32;
                    for dy in 0..3 {
                        for dx in 0..3 {
                            s += img.data[3 * ((y + dy - 1) * w + x + dx - 1) + c] as u32;
                        }
                    }
                    out.data[3 * (y * w + x) + c] = (s / 9) as u8;
                }
            }
        }
        out
    }

    /// The measurements as plainly written floating-point loops (how
    /// they were computed before the one integer pass): the Laplacian's
    /// variance, Immerkaer's noise over the weaker half of the Sobel
    /// gradients, and the gradient tensor's anisotropy over the whole frame.
    fn plain(img: &Rgb8) -> (f64, f64, f64) {
        let gray = luma(img);
        let (w, h) = (gray.width as usize, gray.height as usize);
        let g: Vec<f64> = gray.data.iter().map(|&v| v as f64).collect();
        let (mut s, mut s2, mut n) = (0.0, 0.0, 0.0);
        let (mut xx, mut yy, mut xy) = (0.0, 0.0, 0.0);
        let mut px = Vec::new();
        for y in 1..h - 1 {
            for x in 1..w - 1 {
                let i = y * w + x;
                let l = 4.0 * g[i] - g[i - 1] - g[i + 1] - g[i - w] - g[i + w];
                (s, s2, n) = (s + l, s2 + l * l, n + 1.0);
                let gx =
                    (g[i - w + 1] + 2.0 * g[i + 1] + g[i + w + 1]) - (g[i - w - 1] + 2.0 * g[i - 1] + g[i + w - 1]);
                let gy =
                    (g[i + w - 1] + 2.0 * g[i + w] + g[i + w + 1]) - (g[i - w - 1] + 2.0 * g[i - w] + g[i - w + 1]);
                (xx, yy, xy) = (xx + gx * gx, yy + gy * gy, xy + gx * gy);
                let conv = g[i - w - 1] - 2.0 * g[i - w] + g[i - w + 1] - 2.0 * g[i - 1] + 4.0 * g[i] - 2.0 * g[i + 1]
                    + g[i + w - 1]
                    - 2.0 * g[i + w]
                    + g[i + w + 1];
                px.push((((gx.abs() + gy.abs()) as usize).min(1023), conv.abs()));
            }
        }
        let mut mags: Vec<usize> = px.iter().map(|p| p.0).collect();
        mags.sort_unstable();
        let cut = mags[(px.len() / 2).max(1) - 1];
        let weak: Vec<f64> = px.iter().filter(|p| p.0 <= cut).map(|p| p.1).collect();
        let noise = (std::f64::consts::PI / 2.0).sqrt() / 6.0 * weak.iter().sum::<f64>() / weak.len() as f64;
        let (tr, d) = (xx + yy, ((xx - yy) * (xx - yy) + 4.0 * xy * xy).sqrt());
        let aniso = (1.0 - ((tr - d) / 2.0) / ((tr + d) / 2.0)).clamp(0.0, 1.0);
        (s2 / n - (s / n).powi(2), noise, aniso)
    }

    /// Real photos and odd sizes (the vector loops' tails).
    fn test_pictures() -> Vec<crate::Rgb8> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/photos");
        let mut pictures = vec![texture(201, 149), texture(64, 37)];
        for name in ["immich__albums_nature_el_torcal_rocks.jpg", "immich__albums_nature_cyclamen_persicum.jpg"] {
            let bytes = std::fs::read(dir.join(name)).unwrap();
            let req = crate::DecodeRequest { min_long_edge: 10_000, ..Default::default() };
            pictures.push(crate::decode::decode(&bytes, "jpeg", None, &req).unwrap().image);
        }
        pictures
    }

    /// The one integer pass gives what the plain loops give.
    #[test]
    fn the_integer_pass_agrees_with_the_plain_loops() {
        for img in &test_pictures() {
            let m = measure(img, 1.0);
            let (sharp, noise, aniso) = plain(img);
            assert_eq!(m.sharp_global, sharp, "{}x{}", img.width, img.height);
            assert_eq!(m.noise_sigma.to_bits(), noise.to_bits(), "{}x{}", img.width, img.height);
            let gray = luma(img);
            // One tile as large as the frame: the anisotropy of all of it.
            let f = Filtered::new(&gray.data, img.width as usize, img.height as usize, 1 << 16);
            let all = Tiles { cols: 1, size: 1 << 16, var: vec![0.0] };
            assert_eq!(anisotropy(&f, img.width as usize, img.height as usize, &all, &[0]), aniso);
        }
    }

    /// The AVX2 build (what `measure` runs on a CPU that has it) gives the
    /// same bits as the plain build (`measure_body`); without AVX2 both are
    /// the plain build, and the test is reported as skipped.
    #[test]
    fn both_measurement_builds_agree() {
        if crate::skipped_without(crate::avx2_available(), "AVX2", "both_measurement_builds_agree") {
            return;
        }
        for img in &test_pictures() {
            let gray = luma(img);
            assert_eq!(format!("{:?}", measure(img, 1.0)), format!("{:?}", measure_body(img, &gray, 1.0)));
        }
    }

    #[test]
    fn rounding_matches_the_library_round() {
        let mut z = 0x1234_5678_9ABC_DEF0u64;
        let mut vals = vec![
            0.5,
            -0.5,
            1.5,
            -1.5,
            2.5,
            0.49999999999999994,
            -0.49999999999999994,
            1e9 + 0.5,
            -1e9 - 0.5,
            -0.0,
            0.0,
        ];
        for _ in 0..100_000 {
            z ^= z << 13;
            z ^= z >> 7;
            z ^= z << 17;
            vals.push(((z >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 4000.0);
        }
        for k in -4000..4000 {
            vals.push(k as f64 / 4.0);
        }
        for v in vals {
            assert_eq!(round_half_away(v), v.round() as i32, "{v}");
        }
    }

    #[test]
    fn blur_lowers_sharpness_and_flat_pictures_have_no_noise() {
        let sharp = measure(&texture(200, 150), 1.0);
        let soft = measure(&box_blur(&texture(200, 150)), 1.0);
        assert!(sharp.sharp_peak > soft.sharp_peak * 1.5, "{} vs {}", sharp.sharp_peak, soft.sharp_peak);
        assert!(sharp.sharp_global > soft.sharp_global);
        let flat = measure(&Rgb8 { width: 64, height: 64, data: vec![90; 64 * 64 * 3] }, 1.0);
        assert_eq!(flat.noise_sigma, 0.0);
        assert_eq!(flat.entropy, 0.0);
        assert!(flat.tilt_deg.is_none());
    }

    #[test]
    fn a_tilted_horizon_is_measured() {
        // Sky above, ground below, the boundary rising 3° to the right.
        let (w, h) = (400usize, 300usize);
        let slope = 3f64.to_radians().tan();
        let mut data = Vec::with_capacity(w * h * 3);
        for y in 0..h {
            for x in 0..w {
                let boundary = 150.0 - (x as f64 - 200.0) * slope;
                let v = if (y as f64) < boundary { 200 } else { 60 };
                data.extend([v, v, v]);
            }
        }
        let m = measure(&Rgb8 { width: w as u32, height: h as u32, data }, 1.0);
        let t = m.tilt_deg.expect("a horizon");
        assert!((t - 3.0).abs() <= 0.5, "tilt {t}");
    }
}

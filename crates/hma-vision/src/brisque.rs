//! BRISQUE no-reference image quality (lower = better, roughly 0..100): the value OpenCV's
//! `cv::quality::QualityBRISQUE` computes with its trained LIVE model.
//!
//! Hand-written because no maintained Rust crate implements BRISQUE with OpenCV's LIVE model
//! (`brisque_model_live.yml` + `brisque_range_live.yml`), and linking OpenCV for this alone is heavy.
//! Method: A. Mittal, A. K. Moorthy, A. C. Bovik, "No-Reference Image Quality Assessment in the Spatial
//! Domain", IEEE Transactions on Image Processing 21(12), 2012. Reference for the exact steps: OpenCV's
//! opencv_contrib `modules/quality/src/qualitybrisque.cpp`:
//!
//! 1. gray u8 -> f32 times (float)(1/255);
//! 2. two scales: the image, then `cv::resize` to (w/2, h/2) (integer division) with INTER_CUBIC;
//! 3. MSCN in f32: mu = GaussianBlur(7x7, sigma 7/6, BORDER_REPLICATE), (x - mu) / (sqrt(blur(x*x) - mu*mu)
//!    + 1/255);
//! 4. AGGD fit (OpenCV's scalar AGGDfit: f64 sums over the values > 0 and < 0 in row-major order, NaN
//!    skipped but counted in the total) on the grid `for (gam = 0.2; gam < 10; gam += 0.001)`, stopping at
//!    the first increase of |r(gam) - rhatnorm|;
//! 5. the same fit on the products with the neighbour at (0,1), (1,0), (1,1), (-1,1) (0 outside): 18
//!    features per scale, kept as f32;
//! 6. scaling to [-1, 1] with the range file (f32), then EPS_SVR with an RBF kernel as `cv::ml::SVM`
//!    predicts it: sum_i alpha_i * exp(-gamma * |x - sv_i|^2) - rho.
//!
//! BRISQUE is numerically touchy: in flat areas, whether an MSCN value is exactly 0 (not counted), a tiny
//! +-1e-5 (counted) or NaN (skipped) changes the AGGD counts, so one ulp in the blurred or resized image
//! can move a score by several points. The arithmetic therefore mirrors what opencv-contrib-python 5.0
//! does on x86-64 (AVX2/FMA code paths, Intel IPP):
//! * GaussianBlur: row filter = FMA chain from tap 0 on the first w/4*4 columns, "4 adds then 2 FMAs" on
//!   the rest; column filter = symmetric FMA form on the first w/8*8 columns, plain mul/add on the rest;
//! * the half-size resize is Intel IPP's ippiResizeCubic (B = 0, C = 0.75), which OpenCV hands it to:
//!   source position in f64, fraction rounded to f32 and then to the 2^-23 grid (as 1 + t in f32), Keys
//!   weights evaluated in f64 and rounded to f32, horizontal (x0 c0 + x1 c1) + (x2 c2 + x3 c3), vertical
//!   fma(y0, c0, y1 c1) + fma(y2, c2, y3 c3), other orders for the last (inner columns % 4) columns and
//!   for the border frame (this last one is only approximately known: ~3% of frame pixels differ by an ulp);
//! * FMA is emulated as `(a as f64 * b as f64 + c as f64) as f32` (the product is exact, so it differs from
//!   a fused multiply-add only on a double-rounding tie, ~2^-29 of the time).
//!
//! Scale-1 features come out bit-identical to OpenCV's; scores agree within ~0.04 on real photos.
//! `score_gray` does NOT clamp: OpenCV clamps to [0, 100] and turns NaN (a picture without any texture)
//! into 0; here the raw SVM value, or NaN, is returned so that extremes still rank.

use std::fmt;
use std::path::Path;
use std::sync::OnceLock;

const NFEAT: usize = 36;

/// The trained LIVE model: SVM (EPS_SVR, RBF) + feature range, parsed from OpenCV's YAML files.
#[derive(Clone)]
pub struct BrisqueModel {
    gamma: f64,
    rho: f64,
    /// Support vectors, row-major `n * 36`.
    sv: Vec<f32>,
    /// Alpha of each support vector (decision function index applied).
    alpha: Vec<f64>,
    range_min: [f32; NFEAT],
    range_max: [f32; NFEAT],
}

impl fmt::Debug for BrisqueModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BrisqueModel")
            .field("gamma", &self.gamma)
            .field("rho", &self.rho)
            .field("support_vectors", &self.alpha.len())
            .finish()
    }
}

impl BrisqueModel {
    /// Parse OpenCV FileStorage YAML text of brisque_model_live.yml and brisque_range_live.yml.
    pub fn parse(model_yml: &str, range_yml: &str) -> Result<BrisqueModel, String> {
        let m = model_yml;
        let svm_type = scalar_after(m, "svmType").or_else(|| scalar_after(m, "svm_type")).ok_or("model: no svmType")?;
        if svm_type != "EPS_SVR" && svm_type != "NU_SVR" {
            return Err(format!("model: svmType {svm_type}, expected EPS_SVR (regression)"));
        }
        let kpos = key_pos(m, "kernel", 0).ok_or("model: no kernel")?;
        let kernel = &m[kpos..];
        let ktype = scalar_after(kernel, "type").ok_or("model: no kernel type")?;
        if ktype != "RBF" {
            return Err(format!("model: kernel {ktype}, expected RBF"));
        }
        let gamma = num(&scalar_after(kernel, "gamma").ok_or("model: no kernel gamma")?)?;
        let var_count = num(&scalar_after(m, "var_count").ok_or("model: no var_count")?)? as usize;
        if var_count != NFEAT {
            return Err(format!("model: var_count {var_count}, expected {NFEAT}"));
        }
        let sv_total = num(&scalar_after(m, "sv_total").ok_or("model: no sv_total")?)? as usize;
        let svpos = key_pos(m, "support_vectors", 0).ok_or("model: no support_vectors")?;
        let svs = list_of_lists(&m[svpos + "support_vectors:".len()..])?;
        if svs.len() != sv_total {
            return Err(format!("model: {} support vectors, sv_total says {sv_total}", svs.len()));
        }
        let mut sv = Vec::with_capacity(sv_total * NFEAT);
        for v in &svs {
            if v.len() != NFEAT {
                return Err(format!("model: a support vector has {} values, expected {NFEAT}", v.len()));
            }
            sv.extend(v.iter().map(|&x| x as f32));
        }
        let dpos = key_pos(m, "decision_functions", 0).ok_or("model: no decision_functions")?;
        let df = &m[dpos..];
        if key_pos(df, "sv_count", 1).is_some_and(|p| key_pos(&df[p + 1..], "sv_count", 0).is_some()) {
            return Err("model: several decision functions (a classifier?), expected one".into());
        }
        let sv_count = num(&scalar_after(df, "sv_count").ok_or("model: no sv_count")?)? as usize;
        let rho = num(&scalar_after(df, "rho").ok_or("model: no rho")?)?;
        let apos = key_pos(df, "alpha", 0).ok_or("model: no alpha")?;
        let alpha_raw = flow_list(&df[apos + "alpha:".len()..])?.0;
        if alpha_raw.len() != sv_count {
            return Err(format!("model: {} alpha values, sv_count says {sv_count}", alpha_raw.len()));
        }
        let mut alpha = vec![0.0f64; sv_total];
        match key_pos(df, "index", 0) {
            Some(ip) => {
                let idx = flow_list(&df[ip + "index:".len()..])?.0;
                if idx.len() != sv_count {
                    return Err("model: index and alpha lengths differ".into());
                }
                for (a, i) in alpha_raw.iter().zip(&idx) {
                    let i = *i as usize;
                    if i >= sv_total {
                        return Err("model: support vector index out of range".into());
                    }
                    alpha[i] += a;
                }
            }
            None => {
                if sv_count != sv_total {
                    return Err("model: sv_count differs from sv_total and there is no index".into());
                }
                alpha.copy_from_slice(&alpha_raw);
            }
        }

        let r = range_yml;
        let rpos = key_pos(r, "range", 0).ok_or("range: no `range` matrix")?;
        let rm = &r[rpos..];
        let rows = num(&scalar_after(rm, "rows").ok_or("range: no rows")?)? as usize;
        let cols = num(&scalar_after(rm, "cols").ok_or("range: no cols")?)? as usize;
        if rows != 2 || cols != NFEAT {
            return Err(format!("range: {rows}x{cols} matrix, expected 2x{NFEAT}"));
        }
        let dpos = key_pos(rm, "data", 0).ok_or("range: no data")?;
        let data = flow_list(&rm[dpos + "data:".len()..])?.0;
        if data.len() != 2 * NFEAT {
            return Err(format!("range: {} values, expected {}", data.len(), 2 * NFEAT));
        }
        let mut range_min = [0f32; NFEAT];
        let mut range_max = [0f32; NFEAT];
        for i in 0..NFEAT {
            range_min[i] = data[i] as f32;
            range_max[i] = data[NFEAT + i] as f32;
        }
        Ok(BrisqueModel { gamma, rho, sv, alpha, range_min, range_max })
    }

    /// Load from the two files (Debian's opencv-data installs them in /usr/share/opencv4/quality/).
    pub fn load(model_path: &Path, range_path: &Path) -> Result<BrisqueModel, String> {
        let m = std::fs::read_to_string(model_path).map_err(|e| format!("{}: {e}", model_path.display()))?;
        let r = std::fs::read_to_string(range_path).map_err(|e| format!("{}: {e}", range_path.display()))?;
        BrisqueModel::parse(&m, &r)
    }

    /// Score of a grayscale image (row-major, `width*height` luma values 0..=255 as u8): the same value OpenCV's
    /// QualityBRISQUE::compute returns for that image (lower = better, roughly 0..100; do NOT clamp).
    ///
    /// OpenCV clamps its result to [0, 100] (and turns NaN into 0); this returns the raw value, NaN for a
    /// picture without any texture or smaller than 2x2. Panics if `gray.len() != width * height`.
    pub fn score_gray(&self, gray: &[u8], width: usize, height: usize) -> f64 {
        let f = features_f32(gray, width, height);
        self.predict(&f)
    }

    fn predict(&self, feat: &[f32; NFEAT]) -> f64 {
        // quality_utils::scale in f32: min + (max - min) * (v - lo) / (hi - lo) with min = -1, max = 1.
        let mut x = [0f32; NFEAT];
        for i in 0..NFEAT {
            x[i] = -1.0f32 + (2.0f32 * (feat[i] - self.range_min[i])) / (self.range_max[i] - self.range_min[i]);
        }
        // SVMImpl::PredictBody for EPS_SVR + calc_rbf.
        let mut sum = -self.rho;
        for (svi, a) in self.sv.chunks_exact(NFEAT).zip(&self.alpha) {
            let mut s = 0.0f64;
            let mut k = 0;
            while k + 4 <= NFEAT {
                let t0 = (svi[k] - x[k]) as f64;
                let t1 = (svi[k + 1] - x[k + 1]) as f64;
                s += t0 * t0 + t1 * t1;
                let t0 = (svi[k + 2] - x[k + 2]) as f64;
                let t1 = (svi[k + 3] - x[k + 3]) as f64;
                s += t0 * t0 + t1 * t1;
                k += 4;
            }
            let e = ((s * -self.gamma) as f32 as f64).exp() as f32;
            sum += e as f64 * a;
        }
        sum as f32 as f64
    }
}

/// The 36 BRISQUE features (2 scales x 18) of a grayscale image, as OpenCV computes them.
///
/// Panics if `gray.len() != width * height`; all NaN for an empty image, the second half NaN when
/// the image is narrower or lower than 2 pixels (where OpenCV throws).
pub fn features(gray: &[u8], width: usize, height: usize) -> [f64; 36] {
    features_f32(gray, width, height).map(|v| v as f64)
}

avx2_or_plain! {
    fn features_f32(gray: &[u8], width: usize, height: usize) -> [f32; NFEAT] => features_body
}

// Inlined into both builds above, with everything it calls in the hot loops.
#[inline(always)]
fn features_body(gray: &[u8], width: usize, height: usize) -> [f32; NFEAT] {
    assert_eq!(gray.len(), width * height, "brisque: gray buffer is not width*height bytes");
    let mut out = [f32::NAN; NFEAT];
    if width == 0 || height == 0 {
        return out;
    }
    let scale = (1.0f64 / 255.0) as f32;
    let img: Vec<f32> = gray.iter().map(|&v| v as f32 * scale).collect();
    let mut ws = Workspace::new(width * height);
    scale_features(&img, width, height, &mut ws, &mut out[..18]);
    let (w2, h2) = (width / 2, height / 2);
    if w2 > 0 && h2 > 0 {
        let half = resize_cubic_ipp(&img, width, height, w2, h2);
        drop(img);
        scale_features(&half, w2, h2, &mut ws, &mut out[18..]);
    }
    out
}

/// Scratch buffers for one scale, reused for the second (smaller) one.
struct Workspace {
    mu: Vec<f32>,
    sd: Vec<f32>,
}

impl Workspace {
    fn new(n: usize) -> Workspace {
        Workspace { mu: vec![0.0; n], sd: vec![0.0; n] }
    }
}

#[inline(always)]
fn fma32(a: f32, b: f32, c: f32) -> f32 {
    // a*b is exact in f64; one f64 rounding of the sum, then the f32 one.
    (a as f64 * b as f64 + c as f64) as f32
}

// ---------------------------------------------------------------------------------------------
// MSCN + AGGD features of one scale

#[inline(always)]
fn scale_features(img: &[f32], w: usize, h: usize, ws: &mut Workspace, out: &mut [f32]) {
    let n = w * h;
    let mu = &mut ws.mu[..n];
    let sd = &mut ws.sd[..n];
    mu.copy_from_slice(img);
    gaussian_blur(mu, w, h);
    for (s, &x) in sd.iter_mut().zip(img) {
        *s = x * x;
    }
    gaussian_blur(sd, w, h);
    let c = (1.0f64 / 255.0) as f32;
    for ((s, &m), &x) in sd.iter_mut().zip(mu.iter()).zip(img) {
        let sigma = (*s - m * m).sqrt() + c;
        let v = (x - m) / sigma; // NaN where blur(x^2) - mu^2 < 0 in float: OpenCV's AGGD skips it
        *s = if v.is_nan() { 0.0 } else { v };
    }
    let sd = &ws.sd[..n];

    // The MSCN fit and the four pairwise-product fits (neighbour at (0,1), (1,0), (1,1), (-1,1), zero
    // outside the image) in one row-major pass; each fit keeps OpenCV's summation order, the five run
    // side by side in SIMD lanes.
    let mut acc = Aggd5::default();
    let zero_row = vec![0f32; w];
    for i in 0..h {
        let row = &sd[i * w..(i + 1) * w];
        let below: &[f32] = if i + 1 < h { &sd[(i + 1) * w..(i + 2) * w] } else { &zero_row[..w] };
        let above: &[f32] = if i > 0 { &sd[(i - 1) * w..i * w] } else { &zero_row[..w] };
        for j in 0..w - 1 {
            let a = row[j];
            acc.add([a, a * row[j + 1], a * below[j], a * below[j + 1], a * above[j + 1], 0.0]);
        }
        let a = row[w - 1];
        acc.add([a, a * 0.0, a * below[w - 1], a * 0.0, a * 0.0, 0.0]);
    }
    let fits: [(f64, f64, f64); 5] = std::array::from_fn(|k| acc.lane(k).fit(n));
    let (l, r, g) = fits[0];
    out[0] = g as f32;
    out[1] = ((l * l + r * r) as f32) / 2.0;
    for (k, &(l, r, g)) in fits[1..].iter().enumerate() {
        let constant = tgamma(1.0 / g).sqrt() / tgamma(3.0 / g).sqrt();
        let meanparam = (r - l) * (tgamma(2.0 / g) / tgamma(1.0 / g)) * constant;
        out[2 + 4 * k] = g as f32;
        out[3 + 4 * k] = meanparam as f32;
        out[4 + 4 * k] = l.powf(2.0) as f32;
        out[5 + 4 * k] = r.powf(2.0) as f32;
    }
}

/// Side-by-side `Aggd` accumulators (lanes 0..=4 used, lane 5 pads to three f64x2), written lane-wise
/// so that they vectorize.
#[derive(Default, Clone, Copy)]
struct Aggd5 {
    poscount: [u64; 6],
    negcount: [u64; 6],
    possqsum: [f64; 6],
    negsqsum: [f64; 6],
    abssum: [f64; 6],
}

impl Aggd5 {
    /// OpenCV's `if pt > 0 {..} else if pt < 0 {..}` per lane, without branches, for NaN-free input (NaN
    /// MSCN values are stored as 0 beforehand: both are skipped, and so are their pair products):
    /// max(pt, 0)^2 is pt*pt or +0.0, and adding +0.0 leaves these sums (starting at +0.0) unchanged;
    /// `abssum -= pt` for a negative pt is `abssum += |pt|` exactly.
    #[inline(always)]
    #[allow(clippy::needless_range_loop)]
    fn add(&mut self, v: [f32; 6]) {
        for k in 0..6 {
            let pt = v[k] as f64;
            let p = pt.max(0.0);
            let q = pt.min(0.0);
            self.possqsum[k] += p * p;
            self.negsqsum[k] += q * q;
            self.abssum[k] += pt.abs();
            self.poscount[k] += (pt > 0.0) as u64;
            self.negcount[k] += (pt < 0.0) as u64;
        }
    }

    fn lane(&self, k: usize) -> Aggd {
        Aggd {
            poscount: self.poscount[k],
            negcount: self.negcount[k],
            possqsum: self.possqsum[k],
            negsqsum: self.negsqsum[k],
            abssum: self.abssum[k],
        }
    }
}

/// Running sums of OpenCV's (scalar) AGGDfit.
#[derive(Default, Clone, Copy)]
struct Aggd {
    poscount: u64,
    negcount: u64,
    possqsum: f64,
    negsqsum: f64,
    abssum: f64,
}

impl Aggd {
    /// (lsigma, rsigma, gamma) over `total` pixels.
    fn fit(&self, total: usize) -> (f64, f64, f64) {
        let lsigma = (self.negsqsum / self.negcount as f64).sqrt();
        let rsigma = (self.possqsum / self.poscount as f64).sqrt();
        let gammahat = lsigma / rsigma;
        let total = total as f64;
        let rhat = (self.abssum / total).powf(2.0) / ((self.negsqsum + self.possqsum) / total);
        let rhatnorm = rhat * (gammahat.powf(3.0) + 1.0) * (gammahat + 1.0) / (gammahat.powf(2.0) + 1.0).powf(2.0);
        let mut prevgamma = 0.0;
        let mut prevdiff = 1e10;
        for &(gam, r_gam) in gamma_table() {
            let diff = (r_gam - rhatnorm).abs();
            if diff > prevdiff {
                break;
            }
            prevdiff = diff;
            prevgamma = gam;
        }
        (lsigma, rsigma, prevgamma)
    }
}

/// (gam, tgamma(2/gam)^2 / (tgamma(1/gam) tgamma(3/gam))) on OpenCV's accumulated grid.
fn gamma_table() -> &'static [(f64, f64)] {
    static TABLE: OnceLock<Vec<(f64, f64)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = Vec::with_capacity(9800);
        let mut gam = 0.2f64;
        while gam < 10.0 {
            let r = tgamma(2.0 / gam) * tgamma(2.0 / gam) / (tgamma(1.0 / gam) * tgamma(3.0 / gam));
            t.push((gam, r));
            gam += 0.001;
        }
        t
    })
}

/// Gamma function for x > 0 (Lanczos, g = 7, n = 9; ~1e-15 relative), reflection below 0.5.
fn tgamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x.is_nan() {
        return f64::NAN;
    }
    if x < 0.5 {
        return std::f64::consts::PI / ((std::f64::consts::PI * x).sin() * tgamma(1.0 - x));
    }
    if x > 171.7 {
        return f64::INFINITY;
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    (2.0 * std::f64::consts::PI).sqrt() * t.powf(x + 0.5) * (-t).exp() * a
}

// ---------------------------------------------------------------------------------------------
// cv::GaussianBlur(src, dst, Size(7,7), 7/6, 0, BORDER_REPLICATE) on f32, as the AVX2 build computes it.

const GK: [f32; 7] = [
    f32::from_bits(0x3c4d_c94d),
    f32::from_bits(0x3da1_708e),
    f32::from_bits(0x3e72_fdbe),
    f32::from_bits(0x3eaf_6d66),
    f32::from_bits(0x3e72_fdbe),
    f32::from_bits(0x3da1_708e),
    f32::from_bits(0x3c4d_c94d),
];

/// Blur `buf` (`w*h`) in place. Row-filtered rows live in a ring of 7 (output row r needs input rows
/// r-3..=r+3, and input row r is no longer needed once output row r is written).
#[inline(always)]
fn gaussian_blur(buf: &mut [f32], w: usize, h: usize) {
    let k = GK;
    let mut pad = vec![0f64; w + 6];
    let mut ring = vec![0f32; 7 * w];
    let kd = GK.map(|v| v as f64);
    // A nested fn rather than a closure, so that it is inlined (and
    // compiled for AVX2 in the AVX2 build of `features_f32`).
    #[inline(always)]
    fn row_filter(src: &[f32], pad: &mut [f64], out: &mut [f32], w: usize, k: &[f32; 7], kd: &[f64; 7]) {
        for (d, &v) in pad[3..3 + w].iter_mut().zip(src) {
            *d = v as f64;
        }
        for i in 0..3 {
            pad[i] = src[0] as f64;
            pad[w + 3 + i] = src[w - 1] as f64;
        }
        let p = &pad[..w + 6];
        let vec_end = w / 4 * 4;
        // FMA chain from tap 0; `(x * k + s) as f32` is fma32 with x already widened.
        for c in 0..vec_end {
            let mut s = (p[c] * kd[0]) as f32;
            s = (p[c + 1] * kd[1] + s as f64) as f32;
            s = (p[c + 2] * kd[2] + s as f64) as f32;
            s = (p[c + 3] * kd[3] + s as f64) as f32;
            s = (p[c + 4] * kd[4] + s as f64) as f32;
            s = (p[c + 5] * kd[5] + s as f64) as f32;
            s = (p[c + 6] * kd[6] + s as f64) as f32;
            out[c] = s;
        }
        // Tail of the row (OpenCV's scalar loop): plain adds for taps 1..=4, FMA for 5 and 6.
        for c in vec_end..w {
            let x = |i: usize| p[c + i] as f32;
            let mut s = x(0) * k[0];
            s += x(1) * k[1];
            s += x(2) * k[2];
            s += x(3) * k[3];
            s += x(4) * k[4];
            s = fma32(x(5), k[5], s);
            s = fma32(x(6), k[6], s);
            out[c] = s;
        }
    }
    // Ring slot of (clamped) input row rr is rr % 7; rows 0..=min(3, h-1) first.
    let mut filtered = 0usize; // input rows row-filtered so far
    let vec_end = w / 8 * 8;
    for r in 0..h {
        let need = (r + 3).min(h - 1);
        while filtered <= need {
            let slot = filtered % 7;
            let (src, out) = (&buf[filtered * w..(filtered + 1) * w], &mut ring[slot * w..(slot + 1) * w]);
            row_filter(src, &mut pad, out, w, &k, &kd);
            filtered += 1;
        }
        let ri = r as isize;
        let row = |i: usize| -> &[f32] {
            let rr = (ri + i as isize - 3).clamp(0, h as isize - 1) as usize % 7;
            &ring[rr * w..(rr + 1) * w]
        };
        let (y0, y1, y2, y3, y4, y5, y6) = (row(0), row(1), row(2), row(3), row(4), row(5), row(6));
        // Column pass with the symmetric kernel: k3*y0 + k4*(y1 + y-1) + k5*(y2 + y-2) + k6*(y3 + y-3).
        let out = &mut buf[r * w..(r + 1) * w];
        for c in 0..vec_end {
            let mut s = y3[c] * k[3];
            s = fma32(y4[c] + y2[c], k[4], s);
            s = fma32(y5[c] + y1[c], k[5], s);
            s = fma32(y6[c] + y0[c], k[6], s);
            out[c] = s;
        }
        for c in vec_end..w {
            let mut s = k[3] * y3[c] + 0.0;
            s += k[4] * (y4[c] + y2[c]);
            s += k[5] * (y5[c] + y1[c]);
            s += k[6] * (y6[c] + y0[c]);
            out[c] = s;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// cv::resize(..., INTER_CUBIC) to (w/2, h/2) on f32, which OpenCV hands to Intel IPP (ippiResizeCubic,
// B = 0, C = 0.75, replicated border). Reverse-engineered against opencv-contrib-python 5.0 on x86-64.

struct Axis {
    idx: Vec<[usize; 4]>,
    coef: Vec<[f32; 4]>,
    border: Vec<bool>,
}

fn cubic_axis(n: usize, dn: usize) -> Axis {
    let s = n as f64 / dn as f64;
    let mut a = Axis { idx: Vec::with_capacity(dn), coef: Vec::with_capacity(dn), border: Vec::with_capacity(dn) };
    let last = n as isize - 1;
    for d in 0..dn {
        let x = (d as f64 + 0.5) * s - 0.5;
        let sx = x.floor();
        let u = 1.0f32 + (x - sx) as f32;
        let t = u as f64 - 1.0;
        let c = [
            -0.75 * t * (t - 1.0).powf(2.0),
            (1.25 * t - 2.25) * t * t + 1.0,
            -1.25 * t.powf(3.0) + 1.5 * t.powf(2.0) + 0.75 * t,
            0.75 * t.powf(3.0) - 0.75 * t.powf(2.0),
        ];
        let sx = sx as isize;
        a.idx.push(std::array::from_fn(|j| (sx - 1 + j as isize).clamp(0, last) as usize));
        a.coef.push(c.map(|v| v as f32));
        a.border.push(sx - 1 < 0 || sx + 2 > last);
    }
    a
}

#[inline(always)]
fn resize_cubic_ipp(src: &[f32], w: usize, h: usize, dw: usize, dh: usize) -> Vec<f32> {
    let ax = cubic_axis(w, dw);
    let ay = cubic_axis(h, dh);
    // IPP's main loop does the inner columns in groups of 4; the last (count % 4) inner columns go
    // through another kernel with its own operation order.
    let inner: Vec<usize> = (0..dw).filter(|&d| !ax.border[d]).collect();
    let tail_from = match inner.last() {
        Some(&last) => last + 1 - inner.len() % 4,
        None => dw,
    };
    let is_tail = |d: usize| d >= tail_from && !ax.border[d];
    // Horizontal pass on every source row: (x0 c0 + x1 c1) + (x2 c2 + x3 c3); tail columns
    // (x0 c0 + x2 c2) + (x1 c1 + x3 c3).
    let mut hb = vec![0f32; h * dw];
    for r in 0..h {
        let row = &src[r * w..(r + 1) * w];
        let out = &mut hb[r * dw..(r + 1) * dw];
        for (d, o) in out.iter_mut().enumerate() {
            let i = ax.idx[d];
            let c = ax.coef[d];
            let p: [f32; 4] = std::array::from_fn(|j| row[i[j]] * c[j]);
            *o = if d >= tail_from { (p[0] + p[2]) + (p[1] + p[3]) } else { (p[0] + p[1]) + (p[2] + p[3]) };
        }
    }
    // Vertical pass: fma(y0, c0, y1 c1) + fma(y2, c2, y3 c3); tail columns fma(y1, c1, y0 c0) + ...
    let mut dst = vec![0f32; dh * dw];
    for d in 0..dh {
        let i = ay.idx[d];
        let c = ay.coef[d];
        let r: [&[f32]; 4] = std::array::from_fn(|j| &hb[i[j] * dw..(i[j] + 1) * dw]);
        let out = &mut dst[d * dw..(d + 1) * dw];
        for (x, o) in out.iter_mut().enumerate() {
            let lo =
                if is_tail(x) { fma32(r[1][x], c[1], r[0][x] * c[0]) } else { fma32(r[0][x], c[0], r[1][x] * c[1]) };
            *o = lo + fma32(r[2][x], c[2], r[3][x] * c[3]);
        }
    }
    // Border frame (a tap outside the image in either direction): horizontal
    // fma(x3, c3, fma(x2, c2, fma(x0, c0, x1 c1))), vertical (y0 c0 + y2 c2) + (y1 c1 + y3 c3).
    let border_px = |dy: usize, dx: usize| -> f32 {
        let ix = ax.idx[dx];
        let cx = ax.coef[dx];
        let iy = ay.idx[dy];
        let cy = ay.coef[dy];
        let hv: [f32; 4] = std::array::from_fn(|j| {
            let row = &src[iy[j] * w..(iy[j] + 1) * w];
            let mut s = row[ix[1]] * cx[1];
            s = fma32(row[ix[0]], cx[0], s);
            s = fma32(row[ix[2]], cx[2], s);
            fma32(row[ix[3]], cx[3], s)
        });
        (hv[0] * cy[0] + hv[2] * cy[2]) + (hv[1] * cy[1] + hv[3] * cy[3])
    };
    for dy in 0..dh {
        if ay.border[dy] {
            for dx in 0..dw {
                dst[dy * dw + dx] = border_px(dy, dx);
            }
        } else {
            for dx in 0..dw {
                if ax.border[dx] {
                    dst[dy * dw + dx] = border_px(dy, dx);
                }
            }
        }
    }
    dst
}

// ---------------------------------------------------------------------------------------------
// Minimal reader for the OpenCV FileStorage YAML of the two model files.

/// Byte offset of `key:` (as a whole word) at or after `from`.
fn key_pos(text: &str, key: &str, from: usize) -> Option<usize> {
    let b = text.as_bytes();
    let mut start = from;
    while let Some(off) = text.get(start..)?.find(key) {
        let p = start + off;
        let before_ok = p == 0 || !(b[p - 1].is_ascii_alphanumeric() || b[p - 1] == b'_');
        let after = p + key.len();
        let after_ok = b.get(after) == Some(&b':');
        if before_ok && after_ok {
            return Some(p);
        }
        start = p + key.len();
    }
    None
}

/// The scalar written after `key:` (rest of the line, or up to `,`/`}` in flow style), trimmed.
fn scalar_after(text: &str, key: &str) -> Option<String> {
    let p = key_pos(text, key, 0)? + key.len() + 1;
    let rest = &text[p..];
    let end = rest.find(['\n', ',', '}']).unwrap_or(rest.len());
    let v = rest[..end].trim().trim_matches('"').trim_matches('\'');
    if v.is_empty() {
        None
    } else {
        Some(v.to_string())
    }
}

fn num(s: &str) -> Result<f64, String> {
    let t = s.trim();
    match t {
        ".nan" | ".NaN" | ".NAN" => Ok(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" => Ok(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Ok(f64::NEG_INFINITY),
        _ => t.parse::<f64>().map_err(|_| format!("not a number: {t:?}")),
    }
}

/// Parse a flow list `[ a, b, ... ]` at the start of `text` (after whitespace); returns values and
/// the byte length consumed.
fn flow_list(text: &str) -> Result<(Vec<f64>, usize), String> {
    let open = text.find(|c: char| !c.is_whitespace()).ok_or("expected [")?;
    if text.as_bytes()[open] != b'[' {
        return Err(format!("expected [ but found {:?}", text[open..].chars().take(20).collect::<String>()));
    }
    let close = text[open..].find(']').ok_or("unterminated [")? + open;
    let inner = &text[open + 1..close];
    let inner = inner.trim_start().strip_prefix(':').unwrap_or(inner);
    let mut v = Vec::new();
    for tok in inner.split([',', ' ', '\n', '\r', '\t']).filter(|t| !t.is_empty()) {
        v.push(num(tok)?);
    }
    Ok((v, close + 1))
}

/// Parse a block sequence of flow lists: `- [ ... ]` repeated.
fn list_of_lists(text: &str) -> Result<Vec<Vec<f64>>, String> {
    let mut out = Vec::new();
    let mut pos = 0;
    loop {
        let rest = &text[pos..];
        let Some(first) = rest.find(|c: char| !c.is_whitespace()) else { break };
        if !rest[first..].starts_with('-') {
            break;
        }
        let after_dash = &rest[first + 1..];
        let Some(nb) = after_dash.find(|c: char| !c.is_whitespace()) else { break };
        if !after_dash[nb..].starts_with('[') {
            break;
        }
        let (v, used) = flow_list(after_dash)?;
        out.push(v);
        pos += first + 1 + used;
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    const DEBIAN_DIR: &str = "/usr/share/opencv4/quality";

    fn debian_model() -> BrisqueModel {
        let m = Path::new(DEBIAN_DIR).join("brisque_model_live.yml");
        let r = Path::new(DEBIAN_DIR).join("brisque_range_live.yml");
        if !m.exists() || !r.exists() {
            panic!(
                "BRISQUE model files missing in {DEBIAN_DIR}: install the Debian package `opencv-data` \
                 (apt-get install opencv-data), which ships brisque_model_live.yml and brisque_range_live.yml"
            );
        }
        BrisqueModel::load(&m, &r).expect("parse the Debian opencv-data BRISQUE model")
    }

    /// Deterministic "natural-ish" picture (integer value noise over six octaves plus a disc and a
    /// dark corner); the same integer recipe in Python gave the OpenCV values in `GOLDEN`.
    fn natural(w: usize, h: usize) -> Vec<u8> {
        fn hash(x: usize, y: usize, o: usize) -> u32 {
            let v = (x as u32).wrapping_mul(374_761_393).wrapping_add((y as u32).wrapping_mul(668_265_263));
            let v = v.wrapping_add((o as u32).wrapping_mul(2_147_483_647));
            let v = (v ^ (v >> 13)).wrapping_mul(1_274_126_177);
            v ^ (v >> 16)
        }
        let mut img = vec![0i64; w * h];
        for (o, &(cell, amp)) in [(64usize, 96i64), (32, 48), (16, 24), (8, 12), (4, 6), (2, 3)].iter().enumerate() {
            for y in 0..h {
                let (gy, fy) = (y / cell, (y % cell) as i64);
                for x in 0..w {
                    let (gx, fx) = (x / cell, (x % cell) as i64);
                    let c = cell as i64;
                    let l = |xx: usize, yy: usize| (hash(xx, yy, o) % 256) as i64;
                    let top = l(gx, gy) * (c - fx) + l(gx + 1, gy) * fx;
                    let bot = l(gx, gy + 1) * (c - fx) + l(gx + 1, gy + 1) * fx;
                    let v = (top * (c - fy) + bot * fy) / (c * c);
                    img[y * w + x] += ((v - 128) * amp).div_euclid(128);
                }
            }
        }
        for y in 0..h {
            for x in 0..w {
                let (dx, dy) = (x as i64 - (w / 3) as i64, y as i64 - (h / 2) as i64);
                if dx * dx + dy * dy < ((h / 4) * (h / 4)) as i64 {
                    img[y * w + x] += 50;
                }
                if x > 2 * w / 3 && y < h / 2 {
                    img[y * w + x] -= 40;
                }
            }
        }
        img.iter().map(|&v| (v + 128).clamp(0, 255) as u8).collect()
    }

    /// Another deterministic picture: ramps, a checker of edges and +-8 LCG noise.
    fn synthetic(w: usize, h: usize, seed: u32) -> Vec<u8> {
        let mut state = seed;
        let mut out = Vec::with_capacity(w * h);
        for y in 0..h {
            for x in 0..w {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let noise = (state >> 24) as i32 % 17 - 8;
                let base = ((x * 255) / w) as i32 / 2 + ((y * 7 + x * 3) % 64) as i32;
                let edge = if (x / 37 + y / 29) % 2 == 0 { 40 } else { 0 };
                out.push((base + edge + noise).clamp(0, 255) as u8);
            }
        }
        out
    }

    fn box_blur(g: &[u8], w: usize, h: usize, rad: usize, passes: usize) -> Vec<u8> {
        let mut cur: Vec<f32> = g.iter().map(|&v| v as f32).collect();
        for _ in 0..passes {
            let mut next = vec![0f32; w * h];
            for y in 0..h {
                for x in 0..w {
                    let (mut s, mut n) = (0.0, 0.0);
                    for yy in y.saturating_sub(rad)..(y + rad + 1).min(h) {
                        for xx in x.saturating_sub(rad)..(x + rad + 1).min(w) {
                            s += cur[yy * w + xx];
                            n += 1.0;
                        }
                    }
                    next[y * w + x] = s / n;
                }
            }
            cur = next;
        }
        cur.iter().map(|&v| v.round().clamp(0.0, 255.0) as u8).collect()
    }

    #[test]
    fn parses_debian_model() {
        let m = debian_model();
        assert_eq!(m.alpha.len(), 774);
        assert_eq!(m.sv.len(), 774 * 36);
        assert!((m.gamma - 0.05).abs() < 1e-12);
        assert!((m.rho - -149.63506109127357).abs() < 1e-9);
        assert!((m.range_min[0] - 0.344).abs() < 1e-6 && (m.range_max[35] - 0.538_609_2).abs() < 1e-6);
        assert!(m.sv.iter().all(|v| v.is_finite()) && m.alpha.iter().all(|a| a.abs() <= 1024.0));
    }

    #[test]
    fn parse_rejects_wrong_models() {
        let model =
            "%YAML:1.0\n---\nopencv_ml_svm:\n   format: 3\n   svmType: EPS_SVR\n   kernel:\n      type: LINEAR\n";
        let err = BrisqueModel::parse(model, "").unwrap_err();
        assert!(err.contains("RBF"), "{err}");
        assert!(BrisqueModel::parse("", "").is_err());
        let small = "opencv_ml_svm:\n  svmType: EPS_SVR\n  kernel:\n    type: RBF\n    gamma: 0.5\n  var_count: 36\n  \
                     sv_total: 1\n  support_vectors:\n    - [ 1., 2. ]\n  decision_functions:\n    -\n      sv_count: 1\n      \
                     rho: 1.\n      alpha: [ 1. ]\n";
        let err = BrisqueModel::parse(small, "").unwrap_err();
        assert!(err.contains("values"), "{err}");
    }

    #[test]
    fn gamma_function_is_accurate() {
        let pi = std::f64::consts::PI;
        assert!((tgamma(0.5) - pi.sqrt()).abs() < 1e-14);
        assert!((tgamma(5.0) - 24.0).abs() < 1e-12);
        assert!((tgamma(0.1) - 9.513_507_698_668_732).abs() < 1e-12);
        assert!((tgamma(15.0) / 87_178_291_200.0 - 1.0).abs() < 1e-14);
        let t = gamma_table();
        assert_eq!(t.len(), 9801, "OpenCV's grid 0.2, 0.201, ... while < 10 (last one just under 10)");
        assert!(t.windows(2).all(|p| p[1].1 > p[0].1), "r(gamma) increases");
    }

    #[test]
    fn features_of_synthetic_image_are_finite() {
        for (w, h) in [(203, 151), (64, 48), (17, 9)] {
            for g in [synthetic(w, h, 7), natural(w, h)] {
                let f = features(&g, w, h);
                assert!(f.iter().all(|v| v.is_finite()), "{w}x{h}: {f:?}");
                // gamma on OpenCV's grid, variances positive
                assert!(f[0] >= 0.2 && f[0] < 10.0 && f[1] > 0.0 && f[19] > 0.0, "{f:?}");
            }
        }
    }

    #[test]
    fn flat_and_tiny_images_do_not_panic() {
        let f = features(&[128u8; 40 * 30], 40, 30);
        // No MSCN value is non-zero: OpenCV gives gamma = the end of its grid and NaN variances too.
        assert!(f[1].is_nan() && (f[0] - 10.0).abs() < 1e-6, "{f:?}");
        assert!(debian_model().score_gray(&[128u8; 40 * 30], 40, 30).is_nan());
        assert!(features(&[1, 2, 3], 3, 1)[18..].iter().all(|v| v.is_nan()));
        assert!(features(&[], 0, 0).iter().all(|v| v.is_nan()));
        assert_eq!(features(&[10, 200, 30, 40], 2, 2).len(), 36);
        assert_eq!(features(&[10, 200, 30, 40, 90, 7], 3, 2).len(), 36);
    }

    #[test]
    #[should_panic(expected = "width*height")]
    fn wrong_buffer_length_panics() {
        features(&[0u8; 10], 4, 4);
    }

    #[test]
    fn blur_and_noise_score_worse_than_sharp() {
        let m = debian_model();
        let (w, h) = (320, 240);
        let sharp = natural(w, h);
        let blurred = box_blur(&sharp, w, h, 2, 2);
        let mut state = 12345u32;
        let noisy: Vec<u8> = sharp
            .iter()
            .map(|&v| {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let n = ((state >> 16) % 81) as i32 - 40;
                (v as i32 + n).clamp(0, 255) as u8
            })
            .collect();
        let (s, b, n) = (m.score_gray(&sharp, w, h), m.score_gray(&blurred, w, h), m.score_gray(&noisy, w, h));
        assert!(s.is_finite() && b.is_finite() && n.is_finite());
        assert!(s < 50.0, "sharp natural-ish picture {s}");
        assert!(b > s + 15.0, "blurred {b} should score clearly worse than sharp {s}");
        assert!(n > s + 15.0, "noisy {n} should score clearly worse than sharp {s}");
    }

    /// OpenCV 5.0 (opencv-contrib-python-headless 5.0.0.93, x86-64) on the same pictures:
    /// `cv2.quality.QualityBRISQUE_compute` and features 0, 1, 18, 19 of `QualityBRISQUE_computeFeatures`.
    #[test]
    fn matches_opencv_on_deterministic_pictures() {
        let m = debian_model();
        for &(w, h, seed, want, f0, f1, f18, f19) in GOLDEN {
            let g = if seed == 0 { natural(w, h) } else { synthetic(w, h, seed) };
            let f = features(&g, w, h);
            for (i, want_f, tol) in [(0, f0, 1e-7), (1, f1, 1e-7), (18, f18, 1e-5), (19, f19, 1e-5)] {
                assert!(
                    (f[i] - want_f).abs() <= tol * want_f.abs(),
                    "{w}x{h} #{seed} feature {i}: {} vs {want_f}",
                    f[i]
                );
            }
            let s = m.score_gray(&g, w, h);
            assert!((s - want).abs() < 0.01, "{w}x{h} #{seed}: ours {s}, OpenCV {want}");
        }
    }

    /// The AVX2 build (what `features` runs on a CPU that has it) and the
    /// plain build give the same bits, on odd sizes too (the loops' tails).
    #[test]
    fn both_builds_give_the_same_features() {
        // Without AVX2 both calls run the plain build: nothing is compared.
        if crate::skipped_without(crate::avx2_available(), "AVX2", "both_builds_give_the_same_features") {
            return;
        }
        for (w, h, seed) in [(320, 240, 0), (333, 251, 7), (97, 61, 3), (640, 427, 11)] {
            let g = if seed == 0 { natural(w, h) } else { synthetic(w, h, seed) };
            // `features_f32` runs the AVX2 build where the CPU has it (as
            // on the machines CI and development use), `features_body` the
            // plain one.
            let plain = features_body(&g, w, h);
            let dispatched = features_f32(&g, w, h);
            assert_eq!(plain.map(f32::to_bits), dispatched.map(f32::to_bits), "{w}x{h}");
        }
    }

    /// (w, h, seed (0 = `natural`), OpenCV score, features 0, 1, 18, 19)
    #[allow(clippy::type_complexity)]
    const GOLDEN: &[(usize, usize, u32, f64, f64, f64, f64, f64)] = &[
        (
            320,
            240,
            0,
            41.625640869140625,
            1.4450000524520874,
            0.10958169400691986,
            1.6139999628067017,
            0.14878354966640472,
        ),
        (
            641,
            427,
            0,
            41.136985778808594,
            1.4229999780654907,
            0.10837212949991226,
            1.6410000324249268,
            0.12836246192455292,
        ),
        (
            97,
            75,
            0,
            35.55543899536133,
            1.4639999866485596,
            0.10854759067296982,
            1.7289999723434448,
            0.14059171080589294,
        ),
        (
            203,
            151,
            7,
            67.56884002685547,
            3.868000030517578,
            0.32819488644599915,
            2.7239999771118164,
            0.5539056062698364,
        ),
        (
            641,
            427,
            3,
            66.70249938964844,
            4.011000156402588,
            0.32872191071510315,
            2.8320000171661377,
            0.5541638731956482,
        ),
        (96, 64, 5, 77.74592590332031, 3.4590001106262207, 0.32676342129707336, 2.0999999046325684, 0.5380056500434875),
        (1001, 667, 9, 66.26984405517578, 4.041999816894531, 0.3286081552505493, 2.864000082015991, 0.5545946359634399),
    ];
}

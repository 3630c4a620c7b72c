//! From the head's raw outputs to detections: distribution focal loss
//! decoding (each box side is the expectation over 16 distance bins),
//! anchor points and strides, sigmoid class scores, then per-class
//! non-maximum suppression.

use candle_core::{Device, Result, Tensor};
use multiversion::multiversion;
use rayon::prelude::*;

use crate::cpu::exp_f32;

/// Strides of the three levels and the input side they assume.
pub const STRIDES: [usize; 3] = [8, 16, 32];

/// Decoded outputs for every anchor, as the exported model's `output0`:
/// rows 0–3 `cx, cy, w, h` in input pixels, rows 4.. class scores (0–1);
/// `values[row * anchors + anchor]`.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub anchors: usize,
    pub classes: usize,
    pub values: Vec<f32>,
}

impl Decoded {
    pub fn at(&self, row: usize, anchor: usize) -> f32 {
        self.values[row * self.anchors + anchor]
    }
}

/// The expected bin of one box side for every anchor: a softmax over the
/// `bins.len() / n` bins (rows of `n` anchors), then Σ p·b. Works along
/// the anchors, so every loop vectorises.
#[multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
fn expected_bins(bins: &[f32], n: usize, out: &mut [f32]) {
    let mut max = vec![f32::MIN; n];
    for row in bins.chunks_exact(n) {
        max.iter_mut().zip(row).for_each(|(m, v)| *m = m.max(*v));
    }
    let mut sum = vec![0f32; n];
    out.fill(0.0);
    for (b, row) in bins.chunks_exact(n).enumerate() {
        let b = b as f32;
        for (((s, acc), v), m) in sum.iter_mut().zip(out.iter_mut()).zip(row).zip(&max) {
            let e = exp_f32(v - m);
            *s += e;
            *acc += e * b;
        }
    }
    out.iter_mut().zip(&sum).for_each(|(acc, s)| *acc /= s);
}

/// The logistic function over a slice.
#[multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
fn sigmoid(dst: &mut [f32], src: &[f32]) {
    dst.iter_mut().zip(src).for_each(|(d, l)| *d = 1.0 / (1.0 + exp_f32(-l)));
}

/// Decodes `[1, 4·reg_max + classes, anchors]` for a `side`×`side` input.
pub fn decode(raw: &Tensor, reg_max: usize, side: usize) -> Result<Decoded> {
    let (_, rows, n) = raw.dims3()?;
    let classes = rows - 4 * reg_max;
    let expected: usize = STRIDES.iter().map(|s| (side / s) * (side / s)).sum();
    if expected != n {
        candle_core::bail!("{n} anchors do not fit a {side}×{side} input ({expected} expected)");
    }
    // Read in place (on the CPU); the four sides' bins and the class rows
    // in parallel.
    let raw = raw.to_device(&Device::Cpu)?;
    let values = crate::cpu::with_f32(&raw, |raw| {
        let mut values = vec![0f32; (4 + classes) * n];
        // Distances of the four sides (left, top, right, bottom) in cells.
        let mut d = vec![0f32; 4 * n];
        d.par_chunks_mut(n).enumerate().for_each(|(s, ds)| {
            expected_bins(&raw[s * reg_max * n..(s + 1) * reg_max * n], n, ds);
        });
        let mut a = 0;
        for stride in STRIDES {
            let (g, st) = (side / stride, stride as f32);
            for y in 0..g {
                for x in 0..g {
                    let (ax, ay) = (x as f32 + 0.5, y as f32 + 0.5);
                    let (x1, y1, x2, y2) = (ax - d[a], ay - d[n + a], ax + d[2 * n + a], ay + d[3 * n + a]);
                    values[a] = (x1 + x2) / 2.0 * st;
                    values[n + a] = (y1 + y2) / 2.0 * st;
                    values[2 * n + a] = (x2 - x1) * st;
                    values[3 * n + a] = (y2 - y1) * st;
                    a += 1;
                }
            }
        }
        values[4 * n..].par_chunks_mut(n).zip(raw[4 * reg_max * n..].par_chunks(n)).for_each(|(v, l)| sigmoid(v, l));
        values
    })?;
    Ok(Decoded { anchors: n, classes, values })
}

/// A box kept by NMS, in input pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    pub class_id: usize,
    pub confidence: f32,
    /// `cx, cy, w, h`.
    pub bbox: [f32; 4],
}

fn iou(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    let (ax1, ay1, ax2, ay2) = (a[0] - a[2] / 2.0, a[1] - a[3] / 2.0, a[0] + a[2] / 2.0, a[1] + a[3] / 2.0);
    let (bx1, by1, bx2, by2) = (b[0] - b[2] / 2.0, b[1] - b[3] / 2.0, b[0] + b[2] / 2.0, b[1] + b[3] / 2.0);
    let iw = (ax2.min(bx2) - ax1.max(bx1)).max(0.0);
    let ih = (ay2.min(by2) - ay1.max(by1)).max(0.0);
    let inter = iw * ih;
    let union = a[2] * a[3] + b[2] * b[3] - inter;
    if union > 0.0 {
        inter / union
    } else {
        0.0
    }
}

/// The best class of each anchor at or above `conf`, then per-class NMS
/// at `iou_max`, best first, at most `max` boxes (Ultralytics' defaults:
/// 0.25, 0.7, 300).
pub fn nms(d: &Decoded, conf: f32, iou_max: f32, max: usize) -> Vec<Candidate> {
    let mut cands: Vec<Candidate> = (0..d.anchors)
        .filter_map(|a| {
            let (class_id, confidence) =
                (0..d.classes).map(|c| (c, d.at(4 + c, a))).max_by(|x, y| x.1.total_cmp(&y.1))?;
            (confidence >= conf).then(|| Candidate {
                class_id,
                confidence,
                bbox: [d.at(0, a), d.at(1, a), d.at(2, a), d.at(3, a)],
            })
        })
        .collect();
    cands.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
    let mut kept: Vec<Candidate> = Vec::new();
    for c in cands {
        if kept.len() >= max {
            break;
        }
        if kept.iter().all(|k| k.class_id != c.class_id || iou(&k.bbox, &c.bbox) <= iou_max) {
            kept.push(c);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nms_keeps_the_best_of_overlapping_boxes_per_class() {
        // Three anchors, two classes: anchors 0 and 1 overlap (class 0); 2 is class 1 at the same place.
        let n = 3;
        let mut values = vec![0f32; 6 * n];
        let boxes = [[100.0, 100.0, 50.0, 50.0], [102.0, 101.0, 50.0, 50.0], [100.0, 100.0, 50.0, 50.0]];
        for (a, b) in boxes.iter().enumerate() {
            for r in 0..4 {
                values[r * n + a] = b[r];
            }
        }
        values[4 * n] = 0.9; // anchor 0 class 0
        values[4 * n + 1] = 0.8; // anchor 1 class 0
        values[5 * n + 2] = 0.6; // anchor 2 class 1
        let d = Decoded { anchors: n, classes: 2, values };
        let kept = nms(&d, 0.25, 0.7, 300);
        assert_eq!(kept.iter().map(|k| (k.class_id, k.confidence)).collect::<Vec<_>>(), [(0, 0.9), (1, 0.6)]);
        assert!(nms(&d, 0.95, 0.7, 300).is_empty());
    }
}

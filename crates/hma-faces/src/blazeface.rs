//! BlazeFace's post-processing, with MediaPipe's rules (read in its
//! `face_detection_full_range.pbtxt`, `ssd_anchors_calculator.cc`,
//! `tensors_to_detections_calculator.cc` and
//! `non_max_suppression_calculator.cc`; docs/research/faces-detect.md §3):
//! anchors, box and keypoint decoding, and weighted non-maximum suppression.
//! Coordinates are shares of the 192×192 input (0–1).

/// The full-range model's input side, in pixels.
pub const INPUT: usize = 192;
/// Its anchors: one per cell of a 48×48 grid (stride 4).
pub const GRID: usize = INPUT / 4;
pub const ANCHORS: usize = GRID * GRID;
/// Values per anchor: box (4) and six keypoints (12).
pub const COORDS: usize = 16;
/// Faces overlapping more than this (intersection over union) are one face.
pub const MERGE_IOU: f64 = 0.3;

/// Where the six keypoints are, in this order (the subject's right and left:
/// in the picture, the right eye is the one on the left).
pub const KEYPOINTS: [&str; 6] = ["right eye", "left eye", "nose tip", "mouth", "right ear", "left ear"];

/// One face found.
#[derive(Debug, Clone, PartialEq)]
pub struct Face {
    /// 0–1: the detector's confidence.
    pub score: f64,
    pub xmin: f64,
    pub ymin: f64,
    pub xmax: f64,
    pub ymax: f64,
    /// The six keypoints of [`KEYPOINTS`], (x, y).
    pub keypoints: [(f64, f64); 6],
    /// How many raw detections were merged into it.
    pub merged: usize,
}

impl Face {
    /// The box's long side.
    pub fn side(&self) -> f64 {
        (self.xmax - self.xmin).max(self.ymax - self.ymin)
    }

    /// The face with every coordinate (box corners and keypoints) moved by
    /// `to`.
    pub fn mapped(&self, to: impl Fn(f64, f64) -> (f64, f64)) -> Face {
        let ((xmin, ymin), (xmax, ymax)) = (to(self.xmin, self.ymin), to(self.xmax, self.ymax));
        Face { xmin, ymin, xmax, ymax, keypoints: self.keypoints.map(|(x, y)| to(x, y)), ..self.clone() }
    }

    fn area(&self) -> f64 {
        (self.xmax - self.xmin).max(0.0) * (self.ymax - self.ymin).max(0.0)
    }

    /// Intersection over union with `other`.
    pub fn iou(&self, other: &Face) -> f64 {
        let ix = (self.xmax.min(other.xmax) - self.xmin.max(other.xmin)).max(0.0);
        let iy = (self.ymax.min(other.ymax) - self.ymin.max(other.ymin)).max(0.0);
        let inter = ix * iy;
        let union = self.area() + other.area() - inter;
        if union > 0.0 {
            inter / union
        } else {
            0.0
        }
    }
}

/// The centre of anchor `i` (row-major over the grid), as shares.
pub fn anchor(i: usize) -> (f32, f32) {
    (((i % GRID) as f32 + 0.5) / GRID as f32, ((i / GRID) as f32 + 0.5) / GRID as f32)
}

/// The raw detections scoring at least `threshold`: `regressors` are the
/// model's `[2304, 16]` output, `logits` its `[2304]` classifier output.
/// Boxes are offsets from the anchor in input pixels (no exponential: the
/// anchors have size 1); scores are the logistic of the logit clipped to
/// ±100 (`detect::decode_level` at 192×192, as shares of the input).
pub fn decode(regressors: &[f32], logits: &[f32], threshold: f64) -> Vec<Face> {
    assert_eq!(regressors.len(), ANCHORS * COORDS, "BlazeFace regressors");
    assert_eq!(logits.len(), ANCHORS, "BlazeFace scores");
    let s = INPUT as f64;
    crate::detect::decode_level(regressors, logits, (INPUT, INPUT), threshold)
        .iter()
        .map(|f| f.mapped(|x, y| (x / s, y / s)))
        .collect()
}

/// MediaPipe's weighted non-maximum suppression: the best remaining face
/// and every face overlapping it by more than `iou` become one face, its box
/// and keypoints the score-weighted mean of theirs, its score the best's.
pub fn weighted_nms(mut faces: Vec<Face>, iou: f64) -> Vec<Face> {
    // Stable: equal scores keep the anchors' order.
    faces.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut out = Vec::new();
    while let Some(top) = faces.first().cloned() {
        let (cluster, rest): (Vec<Face>, Vec<Face>) = faces.into_iter().partition(|f| f.iou(&top) > iou);
        faces = rest;
        let total: f64 = cluster.iter().map(|f| f.score).sum();
        let mean = |g: &dyn Fn(&Face) -> f64| cluster.iter().map(|f| g(f) * f.score).sum::<f64>() / total;
        let mut merged = Face {
            score: top.score,
            xmin: mean(&|f| f.xmin),
            ymin: mean(&|f| f.ymin),
            xmax: mean(&|f| f.xmax),
            ymax: mean(&|f| f.ymax),
            keypoints: [(0.0, 0.0); 6],
            merged: cluster.len(),
        };
        for k in 0..6 {
            merged.keypoints[k] = (mean(&|f| f.keypoints[k].0), mean(&|f| f.keypoints[k].1));
        }
        out.push(merged);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_walk_the_grid_row_by_row() {
        assert_eq!(anchor(0), (0.5 / 48.0, 0.5 / 48.0));
        assert_eq!(anchor(1), (1.5 / 48.0, 0.5 / 48.0));
        assert_eq!(anchor(48), (0.5 / 48.0, 1.5 / 48.0));
        assert_eq!(anchor(ANCHORS - 1), (47.5 / 48.0, 47.5 / 48.0));
    }

    #[test]
    fn overlapping_faces_merge_by_score_and_apart_ones_stay() {
        let face = |score, x: f64| Face {
            score,
            xmin: x,
            ymin: 0.0,
            xmax: x + 0.1,
            ymax: 0.1,
            keypoints: [(x, 0.0); 6],
            merged: 1,
        };
        let out = weighted_nms(vec![face(0.6, 0.02), face(0.9, 0.0), face(0.7, 0.5)], MERGE_IOU);
        assert_eq!(out.len(), 2);
        assert_eq!((out[0].score, out[0].merged), (0.9, 2));
        // (0.9 · 0 + 0.6 · 0.02) / 1.5
        assert!((out[0].xmin - 0.008).abs() < 1e-12);
        assert_eq!((out[1].score, out[1].merged, out[1].xmin), (0.7, 1, 0.5));
    }
}

//! Open or closed eyes: Face Landmarker's landmarks on each face found, each
//! eye's openness (lid gap over eye width, kept as a number) and its blink
//! score from MediaPipe's blendshapes model on those landmarks, which
//! decides the verdict, with room for doubt.

use std::path::Path;

use candle_core::Device;
use image::RgbImage;
use rayon::prelude::*;

use crate::blazeface::Face;
use crate::blendshapes::{self, Blendshapes, EYE_BLINK_LEFT, EYE_BLINK_RIGHT};
use crate::landmarker::{self, FaceLandmarks, Roi, LEFT_EYE, RIGHT_EYE};
use crate::FacesError;

/// Faces narrower than this (pixels of the picture as decoded) get no
/// landmarks: below it the lids are a few pixels apart and the openness is
/// noise (looked at: on the ~50-px faces of the Solvay photo, 2 of 27 were
/// called closed on eyes that are open or narrowed), so the verdict is
/// "unsure", never a guess.
pub const MIN_READABLE: f64 = 64.0;
/// Face-presence probability below which the landmarker says the crop is no face
/// it can read (profile, hidden, blurred): "unsure".
pub const MIN_PRESENCE: f64 = 0.5;
/// Eyes whose mean blink score (the blendshapes' `eyeBlinkLeft` and
/// `eyeBlinkRight`, 0–1) is at most this are open.
pub const OPEN: f64 = 0.25;
/// Eyes whose mean blink score is at least this are closed.
pub const CLOSED: f64 = 0.38;
/// Eyes whose mean openness (lid gap over eye width) is at most this are
/// closed whatever the blink scores say: lids that close.
pub const SHUT: f64 = 0.12;
// Calibrated on 210 real faces (80 closed from CEW, 130 open from UTKFace
// and deepface's test photos; docs/benchmarks.md, faces), in sample: open
// eyes' mean blink 0.00–0.36, closed 0.22–0.83. Between the thresholds are
// laughs with the eyes shut (their cheeks push the blink score down: two
// such faces score 0.26 and 0.29) and narrowed open eyes (up to 0.36), so
// they stay "unsure": a blink called open is the mistake this exists to
// avoid. A wink (one eye shut) is closed when it moves the mean that far.

/// What the eyes of a face say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    Open,
    Closed,
    Unsure,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Open => "open",
            Verdict::Closed => "closed",
            Verdict::Unsure => "unsure",
        }
    }

    pub fn parse(s: &str) -> Option<Verdict> {
        match s {
            "open" => Some(Verdict::Open),
            "closed" => Some(Verdict::Closed),
            "unsure" => Some(Verdict::Unsure),
            _ => None,
        }
    }
}

/// One face's eyes: openness of the subject's left and right eye (lid gap
/// over eye width; None when no landmarks were read), their blink scores,
/// and the verdict.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Eyes {
    pub left: Option<f64>,
    pub right: Option<f64>,
    /// The blendshapes' eyeBlinkLeft / eyeBlinkRight (subject's sides), 0–1.
    pub blink_left: Option<f64>,
    pub blink_right: Option<f64>,
    /// The landmarker's face-presence probability on the crop.
    pub presence: Option<f64>,
    pub verdict: Verdict,
}

impl Eyes {
    fn unsure() -> Eyes {
        Eyes { left: None, right: None, blink_left: None, blink_right: None, presence: None, verdict: Verdict::Unsure }
    }
}

/// The verdict from the eyes' blink scores and openness (subject's left,
/// right): open when their mean blink is low; closed when it is high or the
/// lids are shut; anything between → unsure.
pub fn verdict(blink: (f64, f64), openness: (f64, f64)) -> Verdict {
    let b = (blink.0 + blink.1) / 2.0;
    if b <= OPEN {
        Verdict::Open
    } else if b >= CLOSED || (openness.0 + openness.1) / 2.0 <= SHUT {
        Verdict::Closed
    } else {
        Verdict::Unsure
    }
}

/// Face Landmarker and its blendshapes with their weights, ready to read faces.
#[derive(Debug, Clone)]
pub struct Landmarker {
    mesh: FaceLandmarks,
    shapes: Blendshapes,
    device: Device,
}

impl Landmarker {
    /// Loads the converted weights (safetensors) on the CPU: the landmarks'
    /// and the blendshapes'.
    pub fn load(weights: &Path, blendshapes: &Path) -> Result<Landmarker, FacesError> {
        let mesh = crate::load_cpu(weights, |vb| FaceLandmarks::load(vb, &Default::default()))?;
        let shapes = crate::load_cpu(blendshapes, |vb| Blendshapes::load(vb, &Default::default()))?;
        Ok(Landmarker { mesh, shapes, device: Device::Cpu })
    }

    pub fn blendshapes(&self) -> &Blendshapes {
        &self.shapes
    }

    pub fn mesh(&self) -> &FaceLandmarks {
        &self.mesh
    }

    /// The eyes of each face of `img` (faces in its pixels). Faces too
    /// small are not read; the others go through the landmarker one by one,
    /// side by side, and the blendshapes in batches of 16.
    pub fn eyes(&self, img: &RgbImage, faces: &[Face]) -> Result<Vec<Eyes>, FacesError> {
        let mut out = vec![Eyes::unsure(); faces.len()];
        let readable: Vec<usize> = (0..faces.len()).filter(|&i| faces[i].side() >= MIN_READABLE).collect();
        for chunk in readable.chunks(16) {
            let rois: Vec<Roi> = chunk
                .iter()
                .map(|&i| {
                    let f = &faces[i];
                    Roi::from_detection([f.xmin, f.ymin, f.xmax, f.ymax], f.keypoints[0], f.keypoints[1])
                })
                .collect();
            // Each face through the landmarker on its own, the faces side by
            // side: one face's maps stay in the core's cache, where a batch's
            // went through memory (measured: 13 ms a face on one thread
            // against 15 batched, 7 against 11 on two).
            let per_face: Vec<(Vec<f32>, f32)> = rois
                .par_iter()
                .map(|r| {
                    let (marks, flag) = self.mesh.forward(&landmarker::input(&r.crop(img), &self.device)?)?;
                    Ok((marks.flatten_all()?.to_vec1()?, flag.to_vec1::<f32>()?[0]))
                })
                .collect::<candle_core::Result<_>>()?;
            let flags: Vec<f32> = per_face.iter().map(|p| p.1).collect();
            let local: Vec<Vec<[f32; 3]>> =
                per_face.iter().map(|(m, _)| m.chunks_exact(3).map(|p| [p[0], p[1], p[2]]).collect()).collect();
            // The blendshapes read the points upright in the picture, as
            // MediaPipe gives them.
            let inputs: Vec<Vec<f32>> = local
                .iter()
                .zip(&rois)
                .map(|(pts, roi)| {
                    let pic: Vec<(f64, f64)> = pts.iter().map(|p| roi.to_picture(p[0] as f64, p[1] as f64)).collect();
                    blendshapes::input(&pic)
                })
                .collect();
            let scores: Vec<Vec<f32>> = self.shapes.forward(&blendshapes::batch(&inputs, &self.device)?)?.to_vec2()?;
            for (k, &i) in chunk.iter().enumerate() {
                let presence = 1.0 / (1.0 + (-(flags[k] as f64)).exp());
                // Openness is a ratio, the same in the crop as in the picture.
                let (right, left) =
                    (landmarker::openness(&local[k], &RIGHT_EYE), landmarker::openness(&local[k], &LEFT_EYE));
                let (bl, br) = (scores[k][EYE_BLINK_LEFT] as f64, scores[k][EYE_BLINK_RIGHT] as f64);
                let verdict = if presence < MIN_PRESENCE { Verdict::Unsure } else { verdict((bl, br), (left, right)) };
                out[i] = Eyes {
                    left: Some(left),
                    right: Some(right),
                    blink_left: Some(bl),
                    blink_right: Some(br),
                    presence: Some(presence),
                    verdict,
                };
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_eyes_decide_and_doubt_stays_unsure() {
        let wide = (0.3, 0.3);
        assert_eq!(verdict((0.05, 0.1), wide), Verdict::Open);
        assert_eq!(verdict((0.8, 0.7), wide), Verdict::Closed);
        let between = (OPEN + CLOSED) / 2.0;
        assert_eq!(verdict((between, between), wide), Verdict::Unsure, "between the thresholds");
        assert_eq!(verdict((between, between), (0.05, 0.1)), Verdict::Closed, "shut lids");
        assert_eq!(verdict((0.02, 0.9), wide), Verdict::Closed, "a wink that moves the mean");
        for v in [Verdict::Open, Verdict::Closed, Verdict::Unsure] {
            assert_eq!(Verdict::parse(v.as_str()), Some(v));
        }
    }
}

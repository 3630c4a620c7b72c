//! Open or closed eyes: Face Landmarker's landmarks on each face found, each eye's
//! openness (lid gap over eye width), and a verdict with room for doubt.

use std::path::Path;

use candle_core::{Device, Tensor};
use image::RgbImage;

use crate::blazeface::Face;
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
/// An eye whose openness is at least this is open.
pub const OPEN: f64 = 0.20;
/// An eye whose openness is at most this is closed. Calibrated on 208 real
/// faces (79 with closed eyes from CEW, 129 open from UTKFace and deepface's
/// test photos; docs/benchmarks.md, faces): closed eyes measured 0.01–0.19
/// (95 % under 0.15), open ones 0.16–0.43 (95 % over 0.20); between the two
/// thresholds are squints and laughs, which stay "unsure" (at 0.17 for
/// open, a laughing face with closed eyes was called open: a missed blink
/// is the mistake this exists to avoid).
pub const CLOSED: f64 = 0.15;

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

/// One face's eyes: openness of the subject's left and right eye (None
/// when no landmarks were read) and the verdict.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Eyes {
    pub left: Option<f64>,
    pub right: Option<f64>,
    /// The landmarker's face-presence probability on the crop.
    pub presence: Option<f64>,
    pub verdict: Verdict,
}

impl Eyes {
    fn unsure() -> Eyes {
        Eyes { left: None, right: None, presence: None, verdict: Verdict::Unsure }
    }
}

/// The verdict from the two openness values: both open → open; both closed
/// → closed; anything else (between the thresholds, a wink) → unsure.
pub fn verdict(left: f64, right: f64) -> Verdict {
    if left >= OPEN && right >= OPEN {
        Verdict::Open
    } else if left <= CLOSED && right <= CLOSED {
        Verdict::Closed
    } else {
        Verdict::Unsure
    }
}

/// Face Landmarker with its weights, ready to read faces.
#[derive(Debug, Clone)]
pub struct Landmarker {
    mesh: FaceLandmarks,
    device: Device,
}

impl Landmarker {
    /// Loads the converted weights (safetensors) on the CPU.
    pub fn load(weights: &Path) -> Result<Landmarker, FacesError> {
        let mesh = crate::load_cpu(weights, |vb| FaceLandmarks::load(vb, &Default::default()))?;
        Ok(Landmarker { mesh, device: Device::Cpu })
    }

    pub fn mesh(&self) -> &FaceLandmarks {
        &self.mesh
    }

    /// The eyes of each face of `img` (faces in its pixels). Faces too
    /// small are not read; the others go through the landmarker in batches
    /// of 16.
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
            let inputs: Vec<Tensor> = rois
                .iter()
                .map(|r| landmarker::input(&r.crop(img), &self.device))
                .collect::<candle_core::Result<_>>()?;
            let (marks, flags) = self.mesh.forward(&Tensor::cat(&inputs, 0)?)?;
            let marks: Vec<f32> = marks.flatten_all()?.to_vec1()?;
            let flags: Vec<f32> = flags.to_vec1()?;
            for (k, &i) in chunk.iter().enumerate() {
                let raw = &marks[k * landmarker::LANDMARKS * 3..(k + 1) * landmarker::LANDMARKS * 3];
                let local: Vec<[f32; 3]> = raw.chunks_exact(3).map(|p| [p[0], p[1], p[2]]).collect();
                let presence = 1.0 / (1.0 + (-(flags[k] as f64)).exp());
                // Openness is a ratio, the same in the crop as in the picture.
                let (right, left) = (landmarker::openness(&local, &RIGHT_EYE), landmarker::openness(&local, &LEFT_EYE));
                let verdict = if presence < MIN_PRESENCE { Verdict::Unsure } else { verdict(left, right) };
                out[i] = Eyes { left: Some(left), right: Some(right), presence: Some(presence), verdict };
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
        assert_eq!(verdict(0.3, 0.28), Verdict::Open);
        assert_eq!(verdict(0.05, 0.1), Verdict::Closed);
        assert_eq!(verdict(0.3, 0.05), Verdict::Unsure, "a wink");
        assert_eq!(verdict(0.18, 0.18), Verdict::Unsure, "between the thresholds");
        for v in [Verdict::Open, Verdict::Closed, Verdict::Unsure] {
            assert_eq!(Verdict::parse(v.as_str()), Some(v));
        }
    }
}

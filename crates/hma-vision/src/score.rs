//! From measurements to 0–1 scores (higher is better) and one overall
//! score that says how it was made. Every constant here is documented, with
//! its reason, in docs/scores.md; change both together and bump
//! `SCORE_VERSION`.

use crate::Measurements;
use serde::Serialize;

/// Version of the scoring rules (scores are recomputed from stored
/// measurements, so a change here needs no re-analysis).
pub const SCORE_VERSION: i32 = 3;

/// One part of the overall score.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Part {
    pub name: &'static str,
    /// 0–1, higher is better.
    pub score: f64,
    /// Share of the overall score (weights of the parts present sum to 1).
    pub weight: f64,
    /// weight × (score − 0.5): how far this part moved the overall score
    /// from a middling 0.5.
    pub contribution: f64,
    /// The measurements behind it, in words.
    pub why: String,
}

/// The scores of one picture.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Scored {
    pub overall: f64,
    pub parts: Vec<Part>,
}

impl Scored {
    pub fn part(&self, name: &str) -> Option<f64> {
        self.parts.iter().find(|p| p.name == name).map(|p| p.score)
    }

    /// Blends her taste in: `p` (0–1, how likely she keeps it) weighs
    /// `weight` of the overall score and the technical parts share the rest,
    /// so the overall is still 0.5 + Σ contributions; `why` says which of
    /// her preferences moved it.
    pub fn with_taste(mut self, p: f64, weight: f64, why: &str) -> Scored {
        let w = weight.clamp(0.0, 1.0);
        if w == 0.0 || !p.is_finite() {
            return self;
        }
        for part in &mut self.parts {
            part.weight *= 1.0 - w;
            part.contribution *= 1.0 - w;
        }
        self.parts.push(Part {
            name: "taste",
            score: p.clamp(0.0, 1.0),
            weight: w,
            contribution: w * (p.clamp(0.0, 1.0) - 0.5),
            why: why.to_string(),
        });
        self.overall = (0.5 + self.parts.iter().map(|p| p.contribution).sum::<f64>()).clamp(0.0, 1.0);
        self
    }

    /// One line per part, e.g. `sharpness 0.91 (+0.14): …`, best first.
    pub fn explain(&self) -> Vec<String> {
        let mut parts: Vec<&Part> = self.parts.iter().collect();
        parts.sort_by(|a, b| b.contribution.total_cmp(&a.contribution));
        parts.iter().map(|p| format!("{} {:.2} ({:+.2}): {}", p.name, p.score, p.contribution, p.why)).collect()
    }
}

/// Logistic curve on a log scale: 0.5 at `mid`, `slope` per e-fold.
fn log_logistic(x: f64, mid: f64, slope: f64) -> f64 {
    1.0 / (1.0 + (-(x.max(1e-9).ln() - mid.ln()) * slope).exp())
}

fn pct(v: f64) -> String {
    format!("{:.0}%", v * 100.0)
}

/// The main subject a detector found: class, confidence, box `[x, y, w, h]`
/// (shares of the picture) and the Laplacian variance inside the box.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Subject {
    pub class: String,
    pub confidence: f64,
    pub bbox: [f64; 4],
    pub sharpness: Option<f64>,
}

/// Sharpness where the detected subject is (instead of the sharpest tiles):
/// a sharp background does not rescue a blurred subject, and a sharp subject
/// on a soft background is not punished.
pub fn sharpness_of_subject(m: &Measurements, s: &Subject) -> Option<(f64, String)> {
    let v = s.sharpness?;
    let score = 0.8 * log_logistic(v, 250.0, 1.5) + 0.2 * log_logistic(m.sharp_global, 60.0, 1.2);
    let why = format!(
        "the {} (detected, {:.0}%) at {} across, {} down: Laplacian variance {:.0} in its box, {:.0} over the frame",
        s.class,
        s.confidence * 100.0,
        pct(s.bbox[0] + s.bbox[2] / 2.0),
        pct(s.bbox[1] + s.bbox[3] / 2.0),
        v,
        m.sharp_global
    );
    Some((score, why))
}

pub fn sharpness(m: &Measurements) -> (f64, String) {
    let peak = log_logistic(m.sharp_peak, 250.0, 1.5);
    let global = log_logistic(m.sharp_global, 60.0, 1.2);
    let s = 0.8 * peak + 0.2 * global;
    let mut why = format!(
        "sharpest area at {} across, {} down (Laplacian variance {:.0} there, {:.0} over the frame)",
        pct(m.sharp_peak_x),
        pct(m.sharp_peak_y),
        m.sharp_peak,
        m.sharp_global
    );
    if s < 0.5 && m.blur_anisotropy > 0.6 {
        why.push_str(&format!("; edges smeared in one direction (anisotropy {:.2}): motion blur?", m.blur_anisotropy));
    }
    (s, why)
}

pub fn exposure(m: &Measurements) -> (f64, String) {
    // Each factor is 1 when perfect: tonal information (histogram entropy);
    // blown highlights beyond 3 % of the frame; colour channels at their
    // ceiling; deep shadows; headroom left unused above the brightest
    // channel beyond 30 levels; and (weakly) the mean against mid-grey.
    let tonal = (m.entropy / 8.0).clamp(0.0, 1.0);
    let highlights = (-(m.clip_high - 0.03).max(0.0) / 0.3).exp();
    let channels = (-m.clip_channel / 0.1).exp();
    let shadows = (-m.shadows / 0.5).exp();
    let headroom = (-((255.0 - m.value_p995) - 30.0).max(0.0) / 30.0).exp();
    let mean = (-(m.mean_ev / 3.0).powi(2)).exp();
    let s = tonal * highlights * channels * shadows * headroom * mean;
    let why = format!(
        "{:.1} bits of tones, {} of pixels blown ({} with a channel clipped), {} in deep shadow, brightest channel at {:.0} of 255, mean {:+.1} EV from mid-grey",
        m.entropy,
        pct(m.clip_high),
        pct(m.clip_channel),
        pct(m.shadows),
        m.value_p995,
        m.mean_ev
    );
    (s, why)
}

pub fn noise(m: &Measurements, iso: Option<i64>) -> (f64, String) {
    let s = (-m.noise_sigma / 3.0).exp();
    let mut why = format!("noise σ {:.2} levels at {}×{}", m.noise_sigma, m.work_width, m.work_height);
    if let Some(iso) = iso {
        why.push_str(&format!(" (ISO {iso})"));
    }
    (s, why)
}

pub fn brisque(b: f64) -> (f64, String) {
    ((1.0 - b / 100.0).clamp(0.0, 1.0), format!("BRISQUE {b:.1} (0 best, 100 worst)"))
}

pub fn compression(q: u8) -> (f64, String) {
    // IJG quality → score: 95+ ≈ 1, 75 ≈ 0.85, 50 ≈ 0.55, 30 ≈ 0.33, 10 ≈ 0.1.
    let q = q as f64;
    let s = (1.0 - ((100.0 - q) / 85.0).powf(1.3)).clamp(0.0, 1.0).max(q / 100.0);
    (s, format!("JPEG saved at quality ≈{q:.0}"))
}

/// Composition with the detected subject's centre as the subject.
pub fn composition_of_subject(m: &Measurements, s: &Subject) -> (f64, String) {
    let (cx, cy) = (s.bbox[0] + s.bbox[2] / 2.0, s.bbox[1] + s.bbox[3] / 2.0);
    let (fw, fh) = (m.work_width.max(1) as f64, m.work_height.max(1) as f64);
    let diag = (fw * fw + fh * fh).sqrt();
    let dist = |px: f64, py: f64| (((cx - px) * fw).powi(2) + ((cy - py) * fh).powi(2)).sqrt() / diag;
    let thirds_distance =
        [(1.0 / 3.0, 1.0 / 3.0), (2.0 / 3.0, 1.0 / 3.0), (1.0 / 3.0, 2.0 / 3.0), (2.0 / 3.0, 2.0 / 3.0)]
            .iter()
            .map(|&(px, py)| dist(px, py))
            .fold(f64::MAX, f64::min);
    let moved =
        Measurements { subject_x: cx, subject_y: cy, thirds_distance, centre_distance: dist(0.5, 0.5), ..m.clone() };
    let (score, why) = composition(&moved);
    (score, format!("the {} (detected) as the subject: {why}", s.class))
}

pub fn composition(m: &Measurements) -> (f64, String) {
    let thirds = (-(m.thirds_distance / 0.1).powi(2)).exp();
    let centre = 0.8 * (-(m.centre_distance / 0.1).powi(2)).exp();
    let placement = thirds.max(centre).max(0.2);
    let space = (1.0 - (m.negative_space - 0.4).abs() / 0.6).clamp(0.0, 1.0);
    let level = match m.tilt_deg {
        Some(t) if t.abs() > 0.5 => (1.0 - (t.abs() - 0.5) / 5.0).max(0.3),
        _ => 1.0,
    };
    let s = 0.5 * placement + 0.25 * space + 0.25 * level;
    let mut why = format!(
        "subject at {} across, {} down ({}), {} of the frame quiet",
        pct(m.subject_x),
        pct(m.subject_y),
        if thirds >= centre { "near a thirds point" } else { "near the centre" },
        pct(m.negative_space)
    );
    match m.tilt_deg {
        Some(t) if t.abs() > 0.5 => why.push_str(&format!(", horizon tilted {t:+.1}°")),
        Some(_) => why.push_str(", horizon level"),
        None => {}
    }
    (s, why)
}

/// A face found in the picture, as the scores see it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FaceFacts {
    /// The detector's confidence, 0–1.
    pub confidence: f64,
    /// `[x, y, w, h]`, shares of the picture.
    pub bbox: [f64; 4],
    /// Laplacian variance inside the face at the working size.
    pub sharpness: Option<f64>,
    /// Eyes open (Some(true)), closed (Some(false)), or not sure (None).
    pub eyes_open: Option<bool>,
    /// Who it is, when named.
    pub name: Option<String>,
}

impl FaceFacts {
    /// Faces that count in the score: confident (≥ 0.6, MediaPipe's own
    /// cut) and not tiny (their box at least 2 % of the picture's width or
    /// height): a crowd far behind the subject does not decide the picture.
    pub fn counts(&self) -> bool {
        self.confidence >= FACE_CONFIDENCE && self.bbox[2].max(self.bbox[3]) >= FACE_MIN_SHARE
    }
}

/// See [`FaceFacts::counts`].
pub const FACE_CONFIDENCE: f64 = 0.6;
pub const FACE_MIN_SHARE: f64 = 0.02;
/// Laplacian variance in a face box at which its sharpness scores 0.5.
pub const FACE_SHARP_MID: f64 = 250.0;

/// What the detectors found: the main subject and the faces.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Found {
    pub subject: Option<Subject>,
    pub faces: Vec<FaceFacts>,
}

/// "Anna's": how a named face is named in an explanation.
fn whose(f: &FaceFacts) -> String {
    format!("{}'s", f.name.as_deref().unwrap_or("someone"))
}

/// Sharpness where the faces are: each counted face's own (the subject
/// curve), their mean, with a fifth for the frame as a whole.
pub fn sharpness_of_faces(m: &Measurements, faces: &[&FaceFacts]) -> Option<(f64, String)> {
    let measured: Vec<(&FaceFacts, f64)> = faces.iter().filter_map(|f| Some((*f, f.sharpness?))).collect();
    if measured.is_empty() {
        return None;
    }
    let each: Vec<f64> = measured.iter().map(|(_, v)| log_logistic(*v, FACE_SHARP_MID, 1.5)).collect();
    let mean = each.iter().sum::<f64>() / each.len() as f64;
    let score = 0.8 * mean + 0.2 * log_logistic(m.sharp_global, 60.0, 1.2);
    let sharp = each.iter().filter(|s| **s >= 0.5).count();
    let n = each.len();
    let why = if n == 1 {
        let (f, v) = measured[0];
        let who = f.name.clone().unwrap_or_else(|| "the face".into());
        format!("{who} {} (Laplacian variance {v:.0} in the face)", if sharp == 1 { "is sharp" } else { "is soft" })
    } else if sharp == n {
        format!("all {n} faces sharp")
    } else {
        format!("{sharp} of {n} faces sharp")
    };
    Some((score, why))
}

/// Open eyes: the share of counted faces whose eyes are open, of those
/// where the eyes could be read (None when none could).
pub fn eyes(faces: &[&FaceFacts]) -> Option<(f64, String)> {
    let read: Vec<&FaceFacts> = faces.iter().copied().filter(|f| f.eyes_open.is_some()).collect();
    if read.is_empty() {
        return None;
    }
    let open = read.iter().filter(|f| f.eyes_open == Some(true)).count();
    let n = read.len();
    let closed: Vec<&FaceFacts> = read.iter().copied().filter(|f| f.eyes_open == Some(false)).collect();
    let named = !closed.is_empty() && closed.iter().all(|f| f.name.is_some());
    let why = match (n, closed.len()) {
        (1, 0) => "eyes open".to_string(),
        (_, 0) => format!("eyes open on all {n} faces"),
        (1, 1) if named => format!("{} eyes are closed", whose(closed[0])),
        (1, 1) => "eyes closed".to_string(),
        _ if named => {
            let names: Vec<String> = closed.iter().map(|f| whose(f)).collect();
            format!("{} eyes are closed ({open} of {n} faces with eyes open)", names.join(" and "))
        }
        (_, c) => format!("eyes closed on {c} of {n} faces"),
    };
    Some((open as f64 / n as f64, why))
}

/// Long sides (px) of the prints a picture fills at 300 dpi, largest
/// first: A3, A4, 13×18 cm, 10×15 cm.
const PRINTS: [(&str, f64, f64); 4] = [
    ("A3", 4961.0, 3508.0),
    ("A4", 3508.0, 2480.0),
    ("a 13×18 cm print", 2126.0, 1535.0),
    ("a 10×15 cm print", 1772.0, 1181.0),
];

/// Print fitness: how many pixels the picture has, as the largest print it
/// fills at 300 dpi. 0.5 at 1 MP, 0.78 at 2, 0.92 at 4, 0.98 at A4's
/// 8.7 MP; a 0.1 MP preview copy scores 0.02.
pub fn resolution(width: u32, height: u32) -> (f64, String) {
    let (long, short) = (f64::from(width.max(height)), f64::from(width.min(height)));
    let mp = long * short / 1e6;
    let score = log_logistic(mp, 1.0, 1.8);
    let size = format!("{mp:.1} MP ({width}×{height})");
    let why = match PRINTS.iter().find(|p| long >= p.1 && short >= p.2) {
        Some((name, ..)) => format!("{size}: enough for {name} at 300 dpi"),
        None if mp >= 1.0 => format!("{size}: fine on a screen, too small to print at 300 dpi"),
        None => format!("{size}: too small to print"),
    };
    (score, why)
}

/// Weights of the parts (renormalised over the parts a picture has).
/// `eyes` is there only when faces with readable eyes are: closed eyes
/// cost as much as a blur.
pub const WEIGHTS: [(&str, f64); 8] = [
    ("sharpness", 0.30),
    ("exposure", 0.20),
    ("noise", 0.10),
    ("brisque", 0.15),
    ("composition", 0.15),
    ("compression", 0.10),
    ("eyes", 0.30),
    ("resolution", 0.10),
];

/// All parts and the overall score: 0.5 + Σ weight × (score − 0.5).
pub fn score(m: &Measurements, brisque_value: Option<f64>, jpeg_quality: Option<u8>, iso: Option<i64>) -> Scored {
    score_with(m, brisque_value, jpeg_quality, iso, &Found::default(), None)
}

/// [`score`], with what the detectors found: where faces count, sharpness
/// is theirs and their eyes are a part of their own; else sharpness and
/// composition are taken where a detected subject is, when there is one
/// (`explain` says so). With the picture's full size, print fitness
/// ([`resolution`]) is a part too.
pub fn score_with(
    m: &Measurements,
    brisque_value: Option<f64>,
    jpeg_quality: Option<u8>,
    iso: Option<i64>,
    found: &Found,
    full: Option<(u32, u32)>,
) -> Scored {
    let subject = found.subject.as_ref();
    let faces: Vec<&FaceFacts> = found.faces.iter().filter(|f| f.counts()).collect();
    let sharp = sharpness_of_faces(m, &faces)
        .or_else(|| subject.and_then(|s| sharpness_of_subject(m, s)))
        .unwrap_or_else(|| sharpness(m));
    let mut raw: Vec<(&'static str, (f64, String))> =
        vec![("sharpness", sharp), ("exposure", exposure(m)), ("noise", noise(m, iso))];
    if let Some(b) = brisque_value {
        raw.push(("brisque", brisque(b)));
    }
    raw.push(("composition", subject.map(|s| composition_of_subject(m, s)).unwrap_or_else(|| composition(m))));
    if let Some(q) = jpeg_quality {
        raw.push(("compression", compression(q)));
    }
    if let Some(e) = eyes(&faces) {
        raw.push(("eyes", e));
    }
    if let Some((w, h)) = full.filter(|&(w, h)| w > 0 && h > 0) {
        raw.push(("resolution", resolution(w, h)));
    }
    let weight = |name: &str| WEIGHTS.iter().find(|w| w.0 == name).map_or(0.0, |w| w.1);
    let total: f64 = raw.iter().map(|(n, _)| weight(n)).sum();
    let parts: Vec<Part> = raw
        .into_iter()
        .map(|(name, (score, why))| {
            let w = weight(name) / total;
            Part { name, score, weight: w, contribution: w * (score - 0.5), why }
        })
        .collect();
    let overall = (0.5 + parts.iter().map(|p| p.contribution).sum::<f64>()).clamp(0.0, 1.0);
    Scored { overall, parts }
}

/// Two frames of one burst or near-duplicate group compared face by face,
/// not by their overall scores: first their eyes (fewer faces with closed
/// eyes wins, among faces whose eyes were read in both frames' counted
/// faces), then how many of their faces are sharp. `Some(Greater)` when
/// `a` is the better frame, with the reason in words (what the other frame
/// shows); None when the faces do not decide (no faces, or equal).
pub fn compare_frames(a: &Found, b: &Found) -> Option<(std::cmp::Ordering, String)> {
    use std::cmp::Ordering;
    let counted = |f: &Found| -> Vec<FaceFacts> { f.faces.iter().filter(|x| x.counts()).cloned().collect() };
    let (fa, fb) = (counted(a), counted(b));
    if fa.is_empty() || fb.is_empty() {
        return None;
    }
    let closed = |f: &[FaceFacts]| f.iter().filter(|x| x.eyes_open == Some(false)).count();
    let read = |f: &[FaceFacts]| f.iter().filter(|x| x.eyes_open.is_some()).count();
    let (ca, cb) = (closed(&fa), closed(&fb));
    if read(&fa) > 0 && read(&fb) > 0 && ca != cb {
        let (worse, order) = if ca < cb { (&fb, Ordering::Greater) } else { (&fa, Ordering::Less) };
        let refs: Vec<&FaceFacts> = worse.iter().collect();
        let there = eyes(&refs).map(|(_, w)| w).unwrap_or_default();
        return Some((order, format!("eyes: the other frame has {there}")));
    }
    let sharp = |f: &[FaceFacts]| f.iter().filter(|x| x.sharpness.is_some_and(|v| v >= FACE_SHARP_MID)).count();
    let (sa, sb) = (sharp(&fa), sharp(&fb));
    if sa != sb && fa.iter().chain(&fb).all(|x| x.sharpness.is_some()) {
        let order = if sa > sb { Ordering::Greater } else { Ordering::Less };
        let (n, k) = if sa > sb { (fb.len(), sb) } else { (fa.len(), sa) };
        return Some((order, format!("faces: the other frame has {k} of {n} faces sharp")));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overall_is_the_sum_of_its_explained_parts() {
        let m = Measurements {
            sharp_peak: 900.0,
            sharp_global: 120.0,
            entropy: 7.2,
            clip_high: 0.001,
            noise_sigma: 0.8,
            thirds_distance: 0.02,
            centre_distance: 0.2,
            negative_space: 0.4,
            ..Default::default()
        };
        let s = score(&m, Some(20.0), Some(92), Some(100));
        let sum: f64 = 0.5 + s.parts.iter().map(|p| p.contribution).sum::<f64>();
        assert!((s.overall - sum).abs() < 1e-12);
        assert!((s.parts.iter().map(|p| p.weight).sum::<f64>() - 1.0).abs() < 1e-12);
        assert_eq!(s.explain().len(), 6);
        assert!(s.explain()[0].starts_with("sharpness"), "{:?}", s.explain());
        // Without BRISQUE or a JPEG quality, the other weights fill in.
        let t = score(&m, None, None, None);
        assert_eq!(t.parts.len(), 4);
        assert!((t.parts.iter().map(|p| p.weight).sum::<f64>() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn each_score_moves_the_right_way() {
        let base = Measurements {
            sharp_peak: 300.0,
            sharp_global: 60.0,
            entropy: 7.0,
            value_p995: 250.0,
            ..Default::default()
        };
        let blurred = Measurements { sharp_peak: 100.0, ..base.clone() };
        assert!(sharpness(&base).0 > sharpness(&blurred).0);
        let blown = Measurements { clip_high: 0.08, ..base.clone() };
        assert!(exposure(&base).0 > exposure(&blown).0);
        let noisy = Measurements { noise_sigma: 3.0, ..base.clone() };
        assert!(noise(&base, None).0 > noise(&noisy, None).0);
        assert!(compression(95).0 > compression(60).0 && compression(60).0 > compression(30).0);
        assert!(compression(30).0 > compression(10).0);
    }

    #[test]
    fn a_detected_subject_decides_sharpness_and_placement() {
        let m = Measurements {
            sharp_peak: 900.0,
            sharp_global: 80.0,
            sharp_peak_x: 0.2,
            sharp_peak_y: 0.2,
            work_width: 640,
            work_height: 480,
            subject_x: 0.2,
            subject_y: 0.2,
            thirds_distance: 0.15,
            centre_distance: 0.4,
            negative_space: 0.4,
            entropy: 7.0,
            ..Default::default()
        };
        // The dog, at a thirds point, is blurred while the background is sharp.
        let dog =
            Subject { class: "dog".into(), confidence: 0.9, bbox: [0.58, 0.28, 0.16, 0.12], sharpness: Some(40.0) };
        let plain = score(&m, None, None, None);
        let found = |s: &Subject| Found { subject: Some(s.clone()), faces: vec![] };
        let aware = score_with(&m, None, None, None, &found(&dog), None);
        assert!(aware.part("sharpness").unwrap() < plain.part("sharpness").unwrap() - 0.3);
        assert!(aware.part("composition").unwrap() > plain.part("composition").unwrap());
        let why = aware.explain().join("\n");
        assert!(why.contains("the dog (detected, 90%)") && why.contains("the dog (detected) as the subject"), "{why}");
        // No box sharpness (tiny box): sharpness falls back to the tiles.
        let tiny = Subject { sharpness: None, ..dog };
        assert_eq!(score_with(&m, None, None, None, &found(&tiny), None).part("sharpness"), plain.part("sharpness"));
    }

    #[test]
    fn faces_decide_sharpness_and_closed_eyes_cost() {
        let m = Measurements { sharp_peak: 900.0, sharp_global: 80.0, entropy: 7.0, ..Default::default() };
        let face = |x: f64, sharp: f64, open: Option<bool>, name: Option<&str>| FaceFacts {
            confidence: 0.9,
            bbox: [x, 0.3, 0.1, 0.15],
            sharpness: Some(sharp),
            eyes_open: open,
            name: name.map(String::from),
        };
        let all_open = Found {
            subject: None,
            faces: vec![face(0.1, 900.0, Some(true), None), face(0.5, 800.0, Some(true), None)],
        };
        let blink = Found {
            subject: None,
            faces: vec![face(0.1, 900.0, Some(false), Some("Anna")), face(0.5, 800.0, Some(true), None)],
        };
        let a = score_with(&m, None, None, None, &all_open, None);
        let b = score_with(&m, None, None, None, &blink, None);
        assert_eq!(a.part("eyes"), Some(1.0));
        assert_eq!(b.part("eyes"), Some(0.5));
        assert!(a.overall > b.overall + 0.1, "a blink costs: {} vs {}", a.overall, b.overall);
        let why = b.explain().join("\n");
        assert!(why.contains("Anna's eyes are closed"), "{why}");
        assert!(a.explain().join("\n").contains("all 2 faces sharp"));
        // Frame against frame: the blink loses whatever the overall scores,
        // and says whose eyes; a soft face loses to a sharp one; no faces,
        // no decision.
        let (o, why) = compare_frames(&all_open, &blink).unwrap();
        assert_eq!(o, std::cmp::Ordering::Greater);
        assert!(why.contains("Anna's eyes are closed"), "{why}");
        assert_eq!(compare_frames(&blink, &all_open).unwrap().0, std::cmp::Ordering::Less);
        let blurred =
            Found { subject: None, faces: vec![face(0.1, 900.0, Some(true), None), face(0.5, 60.0, Some(true), None)] };
        let (o, why) = compare_frames(&all_open, &blurred).unwrap();
        assert_eq!(o, std::cmp::Ordering::Greater);
        assert!(why.contains("1 of 2 faces sharp"), "{why}");
        assert_eq!(compare_frames(&all_open, &all_open), None);
        assert_eq!(compare_frames(&all_open, &Found::default()), None);
        // A soft face is not rescued by a sharp background.
        let soft = Found { subject: None, faces: vec![face(0.1, 40.0, Some(true), None)] };
        assert!(score_with(&m, None, None, None, &soft, None).part("sharpness").unwrap() < 0.4);
        // Unsure eyes leave the eyes out; faces that do not count change nothing.
        let unsure = Found { subject: None, faces: vec![face(0.1, 900.0, None, None)] };
        assert_eq!(score_with(&m, None, None, None, &unsure, None).part("eyes"), None);
        let faint =
            Found { subject: None, faces: vec![FaceFacts { confidence: 0.52, ..face(0.1, 40.0, Some(false), None) }] };
        assert_eq!(score_with(&m, None, None, None, &faint, None), score(&m, None, None, None));
    }

    #[test]
    fn resolution_says_which_print_it_fills() {
        let (s, why) = resolution(6000, 4000);
        assert!(s > 0.99 && why == "24.0 MP (6000×4000): enough for A3 at 300 dpi", "{s} {why}");
        assert_eq!(resolution(4032, 3024).1, "12.2 MP (4032×3024): enough for A4 at 300 dpi");
        assert_eq!(resolution(2048, 1536).1, "3.1 MP (2048×1536): enough for a 10×15 cm print at 300 dpi");
        // Full HD is short of 10×15 cm's 1181 px on its short side.
        assert_eq!(resolution(1920, 1080).1, "2.1 MP (1920×1080): fine on a screen, too small to print at 300 dpi");
        let (s, why) = resolution(400, 250);
        assert!(s < 0.02 && why == "0.1 MP (400×250): too small to print", "{s} {why}");
        assert!((resolution(1000, 1000).0 - 0.5).abs() < 1e-9);
        // The same picture at a quarter of the pixels scores lower, all else equal.
        let m = Measurements { work_width: 400, work_height: 300, ..Default::default() };
        let big = score_with(&m, None, None, None, &Found::default(), Some((4000, 3000)));
        let small = score_with(&m, None, None, None, &Found::default(), Some((400, 300)));
        assert!(big.overall > small.overall + 0.05, "{} {}", big.overall, small.overall);
        assert!(
            small.explain().iter().any(|l| l.starts_with("resolution 0.0") && l.contains("too small to print")),
            "{:?}",
            small.explain()
        );
    }
}

//! One score from every stage. A picture's overall score, its parts and
//! their explanations are a pure function of what the catalogue stores
//! about its content: the analysis measurements, the main subject the
//! detector found, and the faces (their sharpness and eyes). No stage keeps a score of
//! its own: whenever a stage writes, the scores it may have changed are
//! recomputed from the catalogue (no decoding) and the groups that hold
//! those pictures get their best, ranks and reasons again in the same
//! transaction, so `top`, `show`, `groups` and the lightbox always agree.

use std::collections::HashMap;

use hma_catalog::{AnalysisRow, Catalog, ContentHash, ScoreUpdate, Scores};
use hma_faces::eyes::Verdict;
use hma_vision::score::{FaceFacts, Found, Scored, SCORE_VERSION};
use hma_vision::Measurements;

use crate::{groups, JobContext, Result};

/// Contents rescored per transaction when the scoring rules changed.
const PAGE: i64 = 500;

/// The technical scores of a stored analysis with the rules in force
/// (what the camera and the photographer did, without her taste). `iso`
/// only words the noise explanation; it never changes a number.
pub fn technical(a: &AnalysisRow, iso: Option<i64>, found: Option<&Found>) -> Option<(Measurements, Scored)> {
    let m: Measurements = serde_json::from_str(a.measurements.as_deref()?).ok()?;
    let none = Found::default();
    let full = a.full_width.zip(a.full_height).map(|(w, h)| (w.max(0) as u32, h.max(0) as u32));
    let s = hma_vision::score::score_with(
        &m,
        a.brisque,
        a.jpeg_quality.map(|q| q as u8),
        iso,
        found.unwrap_or(&none),
        full,
    );
    Some((m, s))
}

/// The scores of a stored analysis: the technical ones, with her taste
/// blended in where a taste model in force scored the picture (its
/// probability, weight and words are stored with the analysis).
pub fn scored(a: &AnalysisRow, iso: Option<i64>, found: Option<&Found>) -> Option<(Measurements, Scored)> {
    let (m, s) = technical(a, iso, found)?;
    Some((m, with_stored_taste(a, s)))
}

/// Technical scores with the analysis's stored taste blended in (where a
/// taste model in force scored it).
fn with_stored_taste(a: &AnalysisRow, s: Scored) -> Scored {
    match (a.scores.s_taste, a.scores.taste_weight) {
        (Some(p), Some(w)) => s.with_taste(p, w, a.scores.taste_why.as_deref().unwrap_or("")),
        _ => s,
    }
}

/// The stored scores of an analysis with what was `found` in it (None
/// where the picture could not be measured). Its taste (probability,
/// weight, words, model) is kept as it is; [`rescore`] sets it.
pub fn update_of(a: &AnalysisRow, found: Option<&Found>) -> ScoreUpdate {
    update_from(a, technical(a, None, found).map(|(_, s)| s).as_ref())
}

/// [`update_of`] from the analysis's technical scores already computed
/// (the rescoring pass computes them once for the taste model and the
/// scores both).
fn update_from(a: &AnalysisRow, technical: Option<&Scored>) -> ScoreUpdate {
    let s = technical.map(|s| with_stored_taste(a, s.clone()));
    let part = |n: &str| s.as_ref().and_then(|s| s.part(n));
    ScoreUpdate {
        content_hash: a.content_hash,
        scores: Scores {
            score_version: SCORE_VERSION,
            score: s.as_ref().map(|s| s.overall),
            s_sharpness: part("sharpness"),
            s_exposure: part("exposure"),
            s_noise: part("noise"),
            s_brisque: part("brisque"),
            s_composition: part("composition"),
            s_compression: part("compression"),
            s_eyes: part("eyes"),
            s_taste: a.scores.s_taste,
            taste_weight: a.scores.taste_weight,
            taste_why: a.scores.taste_why.clone(),
            taste_model: a.scores.taste_model,
        },
    }
}

/// Sets the scores of a freshly measured analysis row.
pub fn apply(row: &mut AnalysisRow, found: Option<&Found>) {
    row.scores = update_of(row, found).scores;
}

/// What the detectors found in a content (nothing when none looked).
pub fn found_of(cat: &mut Catalog, content_hash: ContentHash) -> Result<Option<Found>> {
    Ok(founds_of(cat, &[content_hash])?.remove(&content_hash))
}

/// What the detectors found in these contents: the main subject and the
/// faces (those where something was found).
pub fn founds_of(cat: &mut Catalog, hashes: &[ContentHash]) -> Result<HashMap<ContentHash, Found>> {
    let mut out: HashMap<ContentHash, Found> = HashMap::new();
    for (h, j) in cat.subjects_of(hashes, hma_detect::MODEL_ID)? {
        if let Ok(s) = serde_json::from_str(&j) {
            out.entry(h).or_default().subject = Some(s);
        }
    }
    let all = cat.faces_of_many(hashes)?;
    let ids: Vec<i64> = all.values().flatten().filter(|r| r.model == crate::faces::MODEL_ID).map(|r| r.id).collect();
    // Who they are (named people are named in the explanation); faces the
    // user said are none leave the score.
    let (who, not_faces, names) = if ids.is_empty() {
        Default::default()
    } else {
        let who = cat.persons_of_faces(&ids)?;
        let names = crate::faces::person_names(cat, &who)?;
        (who, cat.not_faces(&ids)?, names)
    };
    for (h, rows) in all {
        let faces = rows
            .into_iter()
            .filter(|r| r.model == crate::faces::MODEL_ID && !not_faces.contains(&r.id))
            .map(|r| FaceFacts {
                confidence: r.confidence,
                bbox: [r.box_x, r.box_y, r.box_w, r.box_h],
                sharpness: r.sharpness,
                eyes_open: match Verdict::parse(&r.eyes) {
                    Some(Verdict::Open) => Some(true),
                    Some(Verdict::Closed) => Some(false),
                    _ => None,
                },
                name: who.get(&r.id).and_then(|a| a.person_id).and_then(|p| names.get(&p).cloned()),
            })
            .collect();
        out.entry(h).or_default().faces = faces;
    }
    Ok(out)
}

/// Recomputes the stored scores of these contents from the catalogue, with
/// the taste model in force (or none: then their taste is cleared), and
/// re-ranks the groups whose members' scores changed. Call it inside the
/// transaction that wrote the stage's results. Returns how many changed.
pub fn rescore(cat: &mut Catalog, hashes: &[ContentHash]) -> Result<u64> {
    let taste = crate::taste::in_force(cat)?;
    rescore_with(cat, hashes, taste.as_ref())
}

fn rescore_with(cat: &mut Catalog, hashes: &[ContentHash], taste: Option<&crate::taste::InForce>) -> Result<u64> {
    let mut analyses = cat.analyses_of(hashes)?;
    let stored: HashMap<ContentHash, Scores> = analyses.iter().map(|a| (a.content_hash, a.scores.clone())).collect();
    let found = founds_of(cat, hashes)?;
    // Each analysis's measurements read and technical scores made once,
    // for her taste model and for the scores.
    let technical: Vec<Option<(Measurements, Scored)>> =
        analyses.iter().map(|a| technical(a, None, found.get(&a.content_hash))).collect();
    crate::taste::apply(cat, taste, &mut analyses, &found, &technical)?;
    let updates: Vec<ScoreUpdate> = analyses
        .iter()
        .zip(&technical)
        .map(|(a, t)| update_from(a, t.as_ref().map(|(_, s)| s)))
        .filter(|u| stored.get(&u.content_hash) != Some(&u.scores))
        .collect();
    if updates.is_empty() {
        return Ok(0);
    }
    cat.update_scores(&updates)?;
    let changed: Vec<ContentHash> = updates.iter().map(|u| u.content_hash).collect();
    groups::rerank_contents(cat, &changed)?;
    Ok(updates.len() as u64)
}

/// Rescores every content whose scores were made by older rules (after an
/// upgrade that changed `SCORE_VERSION`) or by another taste model than the
/// one in force (after a training, or taste turned on or off), a page per
/// transaction, so a kill loses nothing. Returns how many changed.
pub fn rescore_stale(cat: &mut Catalog, ctx: &JobContext) -> Result<u64> {
    rescore_stale_counted(cat, ctx, false)
}

/// [`rescore_stale`], counting its pages as its own stage of progress
/// (`hma taste`: the rescoring is the job).
pub fn rescore_stale_counted(cat: &mut Catalog, ctx: &JobContext, counted: bool) -> Result<u64> {
    if counted {
        ctx.progress.stage("rescoring with her taste", None);
    }
    let taste = crate::taste::in_force(cat)?;
    let model = taste.as_ref().map_or(0, |t| t.id);
    let mut changed = 0;
    let mut after = None;
    loop {
        if ctx.cancelled() {
            return Err(crate::EngineError::Cancelled);
        }
        let page = cat.stale_scores_page(SCORE_VERSION, model, after, PAGE)?;
        let Some(&last) = page.last() else { break };
        after = Some(last);
        // Each row's version or model differs, so each is written (and not
        // returned again).
        changed += cat.transaction(|c| rescore_with(c, &page, taste.as_ref()))?;
        if counted {
            ctx.progress.advance(page.len() as u64);
        }
    }
    Ok(changed)
}

//! One score from every stage. A picture's overall score, its parts and
//! their explanations are a pure function of what the catalogue stores
//! about its content: the analysis measurements and the main subject the
//! detector found (faces will add theirs here). No stage keeps a score of
//! its own: whenever a stage writes, the scores it may have changed are
//! recomputed from the catalogue (no decoding) and the groups that hold
//! those pictures get their best, ranks and reasons again in the same
//! transaction, so `top`, `show`, `groups` and the lightbox always agree.

use std::collections::HashMap;

use hma_catalog::{AnalysisRow, Catalog, ContentHash, ScoreUpdate, Scores};
use hma_vision::score::{Scored, Subject, SCORE_VERSION};
use hma_vision::Measurements;

use crate::{groups, JobContext, Result};

/// Contents rescored per transaction when the scoring rules changed.
const PAGE: i64 = 500;

/// The scores of a stored analysis with the rules in force. `iso` only
/// words the noise explanation; it never changes a number.
pub fn scored(a: &AnalysisRow, iso: Option<i64>, subject: Option<&Subject>) -> Option<(Measurements, Scored)> {
    let m: Measurements = serde_json::from_str(a.measurements.as_deref()?).ok()?;
    let s = hma_vision::score::score_with(&m, a.brisque, a.jpeg_quality.map(|q| q as u8), iso, subject);
    Some((m, s))
}

/// The stored scores of an analysis with `subject` (None where the
/// picture could not be measured).
pub fn update_of(a: &AnalysisRow, subject: Option<&Subject>) -> ScoreUpdate {
    let s = scored(a, None, subject).map(|(_, s)| s);
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
        },
    }
}

/// Sets the scores of a freshly measured analysis row.
pub fn apply(row: &mut AnalysisRow, subject: Option<&Subject>) {
    row.scores = update_of(row, subject).scores;
}

/// The main subject the detector found in a content, if it looked.
pub fn subject_of(cat: &mut Catalog, content_hash: ContentHash) -> Result<Option<Subject>> {
    Ok(subjects_of(cat, &[content_hash])?.remove(&content_hash))
}

/// The main subjects found in these contents (those with one).
pub fn subjects_of(cat: &mut Catalog, hashes: &[ContentHash]) -> Result<HashMap<ContentHash, Subject>> {
    Ok(cat
        .subjects_of(hashes, hma_detect::MODEL_ID)?
        .into_iter()
        .filter_map(|(h, j)| Some((h, serde_json::from_str(&j).ok()?)))
        .collect())
}

/// Recomputes the stored scores of these contents from the catalogue and
/// re-ranks the groups whose members' scores changed. Call it inside the
/// transaction that wrote the stage's results. Returns how many changed.
pub fn rescore(cat: &mut Catalog, hashes: &[ContentHash]) -> Result<u64> {
    let analyses = cat.analyses_of(hashes)?;
    let subjects = subjects_of(cat, hashes)?;
    let updates: Vec<ScoreUpdate> = analyses
        .iter()
        .map(|a| (a, update_of(a, subjects.get(&a.content_hash))))
        .filter(|(a, u)| a.scores != u.scores)
        .map(|(_, u)| u)
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
/// upgrade that changed `SCORE_VERSION`), a page per transaction, so a
/// kill loses nothing. Returns how many changed.
pub fn rescore_stale(cat: &mut Catalog, ctx: &JobContext) -> Result<u64> {
    let mut changed = 0;
    let mut after = None;
    loop {
        if ctx.cancelled() {
            return Err(crate::EngineError::Cancelled);
        }
        let page = cat.stale_scores_page(SCORE_VERSION, after, PAGE)?;
        let Some(&last) = page.last() else { break };
        after = Some(last);
        // Each row's version differs, so each is written (and not returned again).
        changed += cat.transaction(|c| rescore(c, &page))?;
    }
    Ok(changed)
}

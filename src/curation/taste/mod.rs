//! Her taste in the score: a model trained in candle (`hma_taste`) on her
//! own decisions — picks and rejects, stars as grades, made here or in
//! another program's XMP — from features the other stages stored
//! ([`features`]). It is trusted as far as its cross-validated AUC allows:
//! its weight in the overall score grows with that AUC's lower bound, and a
//! model no better than chance, or one with too few decisions, is off and
//! says why. The blend happens in the one scoring path
//! (`hma::scoring::rescore`), so `top`, groups' bests and the lightbox all
//! see the same score. `hma taste train|status|on|off`; the app's Taste
//! panel.

pub mod features;

use std::collections::HashMap;

use hma_catalog::{AnalysisRow, Catalog, ContentHash, NewTasteModel, TasteModelRow};
use hma_taste::{Example, Lesson, Model};
use hma_vision::score::Found;
use serde::Serialize;

use crate::{JobContext, Result};

pub use features::FEATURES_VERSION;

/// New decisions (made here) after which the app trains the model again.
pub const RETRAIN_AFTER: i64 = 25;

/// Decided captures read per query.
const PAGE: i64 = 1000;

/// The setting that turns taste off (`hma taste off`).
const SETTING: &str = "taste";

/// The model in force: what `rescore` blends in.
pub struct InForce {
    pub id: i64,
    pub weight: f64,
    pub model: Model,
}

/// A trained model as `hma taste status` and the app show it.
#[derive(Debug, Clone, Serialize, PartialEq, ts_rs::TS)]
pub struct TasteModelInfo {
    /// The model's id (its version in this catalogue).
    #[ts(type = "number")]
    pub model_version: i64,
    #[ts(type = "number")]
    pub trained_ms: i64,
    /// `logistic`, `mlp`, or `none` (too few decisions).
    pub kind: String,
    pub decisions: i32,
    pub positives: i32,
    pub negatives: i32,
    pub folds: i32,
    pub auc: Option<f64>,
    /// AUC − 2 standard errors.
    pub auc_low: Option<f64>,
    pub accuracy: Option<f64>,
    pub brier: Option<f64>,
    /// Expected calibration error.
    pub ece: Option<f64>,
    /// Its weight in the overall score (0: off).
    pub weight: f64,
    /// Why that weight, in words.
    pub reason: String,
    /// What it learned, in words, strongest first.
    pub learned: Vec<String>,
}

/// `hma taste train --json`.
#[derive(Debug, Clone, Serialize)]
pub struct TrainSummary {
    pub decisions: i32,
    pub positives: i32,
    pub negatives: i32,
    pub auc: Option<f64>,
    pub accuracy: Option<f64>,
    pub folds: i32,
    pub model_version: i64,
    pub kind: String,
    pub weight: f64,
    pub reason: String,
    pub learned: Vec<String>,
    /// Decided pictures not analysed yet (not learned from).
    pub waiting: usize,
    /// Pictures whose score changed.
    pub rescored: u64,
    pub seconds: f64,
    /// The full report: both kinds' cross-validation.
    pub report: serde_json::Value,
}

/// `hma taste status --json` and the app's Taste panel.
#[derive(Debug, Clone, Serialize, PartialEq, ts_rs::TS)]
pub struct TasteStatus {
    /// Taste is on (the user did not turn it off).
    pub on: bool,
    /// The newest training, if any.
    pub model: Option<TasteModelInfo>,
    /// Decisions made here since it was trained.
    #[ts(type = "number")]
    pub new_decisions: i64,
    /// Enough new decisions for a new training.
    pub due: bool,
}

impl TasteModelInfo {
    fn of(r: &TasteModelRow) -> TasteModelInfo {
        let lessons: Vec<Lesson> = serde_json::from_str(&r.spec.learned).unwrap_or_default();
        TasteModelInfo {
            model_version: r.id,
            trained_ms: r.spec.created_ms,
            kind: r.spec.kind.clone(),
            decisions: r.spec.decisions,
            positives: r.spec.positives,
            negatives: r.spec.negatives,
            folds: r.spec.folds,
            auc: r.spec.auc,
            auc_low: r.spec.auc_low,
            accuracy: r.spec.accuracy,
            brier: r.spec.brier,
            ece: r.spec.ece,
            weight: r.spec.weight,
            reason: r.spec.reason.clone(),
            learned: lessons.into_iter().map(|l| l.words).collect(),
        }
    }
}

/// Taste is on unless the user turned it off.
pub fn enabled(cat: &mut Catalog) -> Result<bool> {
    Ok(cat.setting(SETTING)?.as_deref() != Some("off"))
}

/// Where taste stands.
pub fn status(cat: &mut Catalog) -> Result<TasteStatus> {
    let on = enabled(cat)?;
    let latest = cat.latest_taste_model()?;
    let since = latest.as_ref().map_or(0, |m| m.spec.created_ms);
    let new_decisions = cat.decisions_since(since)?;
    Ok(TasteStatus {
        on,
        model: latest.as_ref().map(TasteModelInfo::of),
        new_decisions,
        due: on && new_decisions >= RETRAIN_AFTER,
    })
}

/// Turns taste on or off and rescores what that changes.
pub fn set_enabled(cat: &mut Catalog, ctx: &JobContext, on: bool) -> Result<u64> {
    cat.set_setting(SETTING, if on { "on" } else { "off" })?;
    crate::scoring::rescore_stale_counted(cat, ctx, true)
}

/// The model in force: taste on, the newest training with a weight. A
/// stored model that cannot be read (damaged, or made with other
/// features) is trained again from the decisions first.
pub fn in_force(cat: &mut Catalog) -> Result<Option<InForce>> {
    if !enabled(cat)? {
        return Ok(None);
    }
    let Some(row) = cat.latest_taste_model()? else { return Ok(None) };
    let Some(bytes) = row.spec.model.as_deref().filter(|_| row.spec.weight > 0.0) else { return Ok(None) };
    let loaded = if row.spec.features_version == FEATURES_VERSION {
        Model::from_bytes(bytes).map_err(|e| e.to_string())
    } else {
        Err(format!("made with features version {}", row.spec.features_version))
    };
    match loaded {
        Ok(model) => Ok(Some(InForce { id: row.id, weight: row.spec.weight, model })),
        Err(why) => {
            tracing::warn!(
                "the taste model in the catalogue cannot be used ({why}); training it again from the decisions"
            );
            let (id, report, model, _) = train_model(cat, &JobContext::system(), TrainOptions::default())?;
            Ok(model.filter(|_| report.weight > 0.0).map(|model| InForce { id, weight: report.weight, model }))
        }
    }
}

/// Sets the taste of these analyses with the model in force: probability,
/// weight, words, model id (the analyses that cannot be featured get the
/// id and no taste, so they are not rescored again and again). Without a
/// model in force, their taste is cleared (model 0). `technical`: each
/// analysis's measurements and technical scores, in the same order.
pub fn apply(
    cat: &mut Catalog,
    t: Option<&InForce>,
    analyses: &mut [AnalysisRow],
    found: &HashMap<ContentHash, Found>,
    technical: &[Option<(hma_vision::Measurements, hma_vision::score::Scored)>],
) -> Result<()> {
    for a in analyses.iter_mut() {
        (a.scores.s_taste, a.scores.taste_weight, a.scores.taste_why, a.scores.taste_model) =
            (None, None, None, t.map_or(0, |t| t.id));
    }
    let Some(t) = t else { return Ok(()) };
    let hashes: Vec<ContentHash> = analyses.iter().map(|a| a.content_hash).collect();
    let facts = cat.taste_facts_of(&hashes, hma_detect::MODEL_ID)?;
    let mut rows: Vec<(usize, Vec<f32>)> = Vec::with_capacity(analyses.len());
    for (k, (a, tech)) in analyses.iter().zip(technical).enumerate() {
        let f = found.get(&a.content_hash);
        if let Some((m, s)) = tech {
            let inputs = features::Inputs {
                analysis: a,
                measurements: m,
                technical: s,
                found: f,
                facts: facts.get(&a.content_hash),
            };
            rows.push((k, features::vector(&t.model.schema, &inputs)));
        }
    }
    let refs: Vec<&[f32]> = rows.iter().map(|(_, v)| v.as_slice()).collect();
    let (p, pushes) = t.model.predict_explained(&refs)?;
    for (((k, _), p), push) in rows.iter().zip(p).zip(pushes) {
        let a = &mut analyses[*k];
        a.scores.s_taste = Some(f64::from(p));
        a.scores.taste_weight = Some(t.weight);
        a.scores.taste_why = Some(hma_taste::why(&t.model, &push));
    }
    Ok(())
}

/// One decided content, as learned from.
struct Decided {
    hash: ContentHash,
    target: f32,
    updated_ms: i64,
    capture_id: i64,
}

/// Her decisions, one per content: pick 1, reject 0, else stars as grades
/// (1★ 0 … 5★ 1); where copies of one picture were decided differently,
/// the last decision counts.
fn decided(cat: &mut Catalog) -> Result<Vec<Decided>> {
    let mut by_content: HashMap<ContentHash, Decided> = HashMap::new();
    let mut after = 0;
    loop {
        let page = cat.taste_decisions_page(after, PAGE)?;
        let Some(last) = page.last() else { break };
        after = last.capture_id;
        for d in page {
            let target = match (d.flag, d.rating) {
                (Some(1), _) => 1.0,
                (Some(-1), _) => 0.0,
                (_, Some(r @ 1..=5)) => f32::from(r - 1) / 4.0,
                _ => continue,
            };
            let new = Decided { hash: d.content_hash, target, updated_ms: d.updated_ms, capture_id: d.capture_id };
            match by_content.get(&d.content_hash) {
                Some(old) if (old.updated_ms, old.capture_id) > (new.updated_ms, new.capture_id) => {}
                _ => {
                    by_content.insert(d.content_hash, new);
                }
            }
        }
    }
    let mut v: Vec<Decided> = by_content.into_values().collect();
    v.sort_by_key(|d| d.hash);
    Ok(v)
}

/// What a training reads.
#[derive(Debug, Clone, Copy)]
pub struct TrainOptions {
    /// The look axes (on unless measuring what they add:
    /// `hma taste train --without-look`).
    pub look: bool,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions { look: true }
    }
}

/// Trains a model from her decisions and stores it (the newest is in
/// force); does not rescore. Returns its id, its report, the model, and
/// how many decided pictures are not analysed yet (not learned from).
pub fn train_model(
    cat: &mut Catalog,
    ctx: &JobContext,
    opts: TrainOptions,
) -> Result<(i64, hma_taste::Report, Option<Model>, usize)> {
    ctx.progress.stage("reading her decisions", None);
    let decided = decided(cat)?;
    let hashes: Vec<ContentHash> = decided.iter().map(|d| d.hash).collect();
    let analyses: HashMap<ContentHash, AnalysisRow> =
        cat.analyses_of(&hashes)?.into_iter().map(|a| (a.content_hash, a)).collect();
    let found = crate::scoring::founds_of(cat, &hashes)?;
    let facts = cat.taste_facts_of(&hashes, hma_detect::MODEL_ID)?;
    if ctx.cancelled() {
        return Err(crate::EngineError::Cancelled);
    }
    let mut usable = Vec::new();
    for d in &decided {
        let Some(a) = analyses.get(&d.hash) else { continue };
        if let Some((m, s)) = crate::scoring::technical(a, None, found.get(&d.hash)) {
            usable.push((d, a, m, s));
        }
    }
    let waiting = decided.len() - usable.len();
    let looks: Vec<(Vec<f32>, String)> = if opts.look {
        usable
            .iter()
            .filter_map(|(d, ..)| {
                let f = facts.get(&d.hash)?;
                let look = hma_detect::decode_look(f.look.as_deref()?)?;
                Some((look, f.name.clone().unwrap_or_else(|| format!("{:016x}", d.hash.0))))
            })
            .collect()
    } else {
        Vec::new()
    };
    let schema = features::schema_for(usable.iter().filter_map(|(d, ..)| found.get(&d.hash)), &looks);
    let examples: Vec<Example> = usable
        .iter()
        .map(|(d, a, m, s)| {
            let inputs = features::Inputs {
                analysis: a,
                measurements: m,
                technical: s,
                found: found.get(&d.hash),
                facts: facts.get(&d.hash),
            };
            Example { x: features::vector(&schema, &inputs), target: d.target }
        })
        .collect();
    ctx.progress.stage("learning her taste", None);
    let (report, model) = hma_taste::learn(&schema, &examples)?;
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(&FEATURES_VERSION.to_le_bytes());
    for ((d, ..), e) in usable.iter().zip(&examples) {
        h.update(&d.hash.0.to_le_bytes());
        h.update(&e.target.to_le_bytes());
    }
    let m = report.metrics;
    let row = NewTasteModel {
        created_ms: ctx.now(),
        kind: report.kind.to_string(),
        features_version: FEATURES_VERSION,
        fingerprint: h.digest() as i64,
        decisions: report.decisions as i32,
        positives: report.positives as i32,
        negatives: report.negatives as i32,
        folds: report.folds as i32,
        auc: m.map(|m| m.auc),
        auc_low: report.auc_low,
        accuracy: m.map(|m| m.accuracy),
        brier: m.map(|m| m.brier),
        ece: m.map(|m| m.ece),
        weight: report.weight,
        reason: report.reason.clone(),
        learned: serde_json::to_string(&report.learned).map_err(|e| crate::EngineError::Internal(e.to_string()))?,
        report: serde_json::to_string(&report).map_err(|e| crate::EngineError::Internal(e.to_string()))?,
        model: model.as_ref().map(Model::to_bytes).transpose()?,
    };
    let id = cat.insert_taste_model(&row)?;
    tracing::info!(
        "taste model {id}: {} decisions, {} kept, {} rejected, weight {:.2}",
        report.decisions,
        report.positives,
        report.negatives,
        report.weight
    );
    Ok((id, report, model, waiting))
}

/// `hma taste train`: trains on her decisions, stores the model and
/// rescores every picture with it (or without taste, when it is off).
pub fn train(cat: &mut Catalog, ctx: &JobContext, opts: TrainOptions) -> Result<TrainSummary> {
    let start = std::time::Instant::now();
    let (id, report, _, waiting) = train_model(cat, ctx, opts)?;
    let rescored = crate::scoring::rescore_stale_counted(cat, ctx, true)?;
    let m = report.metrics;
    Ok(TrainSummary {
        decisions: report.decisions as i32,
        positives: report.positives as i32,
        negatives: report.negatives as i32,
        auc: m.map(|m| m.auc),
        accuracy: m.map(|m| m.accuracy),
        folds: report.folds as i32,
        model_version: id,
        kind: report.kind.to_string(),
        weight: report.weight,
        reason: report.reason.clone(),
        learned: report.learned.iter().map(|l| l.words.clone()).collect(),
        waiting,
        rescored,
        seconds: start.elapsed().as_secs_f64(),
        report: serde_json::to_value(&report).unwrap_or_default(),
    })
}

impl From<hma_taste::TasteError> for crate::EngineError {
    fn from(e: hma_taste::TasteError) -> Self {
        crate::EngineError::Model(e.to_string())
    }
}

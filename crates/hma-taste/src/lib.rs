//! Her taste: a small model trained in candle on her own culling
//! decisions (pick = keep, reject = not, stars as grades), that says how
//! well it ranks decisions it did not see before it is trusted, and how
//! much: its weight in the overall score grows with the lower bound of its
//! cross-validated AUC, and a model no better than chance is off. What it
//! learned is said in words, from the features' names, never as weights.
//!
//! The engine (`hma::taste`) makes the features from the catalogue, stores
//! the model and blends it into the one score.

pub mod eval;
pub mod model;
pub mod net;
pub mod schema;

use std::time::Instant;

use serde::Serialize;

pub use eval::{auc, metrics, Metrics};
pub use model::{Example, Model, TrainParams, LOGISTIC, MLP};
pub use schema::{FeatureDef, LookAxes, Schema, Shape};

#[derive(Debug, thiserror::Error)]
pub enum TasteError {
    #[error("taste model: {0}")]
    Candle(#[from] candle_core::Error),
    #[error("taste model: {0}")]
    Json(#[from] serde_json::Error),
    #[error("stored taste model is damaged: {0}")]
    Stored(String),
    #[error("taste model: {0}")]
    Input(String),
}

pub type Result<T, E = TasteError> = std::result::Result<T, E>;

/// Fewest picks and fewest rejects before a model is trained at all. Low
/// on purpose: the weight, from the AUC's lower bound, already shrinks
/// with few decisions; this only spares a cross-validation whose folds
/// would hold two or three of a kind. (The shared photographs have 39
/// with people: half of them is 19.)
pub const MIN_EACH: usize = 15;
/// Folds of the cross-validation.
pub const FOLDS: usize = 5;
/// The most a taste model weighs in the overall score (technical quality
/// always keeps at least half).
pub const MAX_WEIGHT: f64 = 0.5;
/// The lower bound of the AUC (AUC − 2 standard errors) from which taste
/// has a weight at all, and at which the weight reaches its maximum.
/// Chance is 0.5; the margin above it pays for choosing the better of two
/// kinds on the same folds (a coin-flipping user's better kind reached a
/// lower bound of 0.51 on the shared photographs, docs/taste.md).
pub const WEIGHT_FROM_AUC_LOW: f64 = 0.55;
pub const FULL_WEIGHT_AUC_LOW: f64 = 0.8;
/// The MLP is chosen only when it ranks clearly better than the logistic
/// model (by this much AUC): otherwise the simpler one.
pub const MLP_MARGIN: f64 = 0.02;
/// Seed of the folds and of the first weights: the same decisions give the
/// same model and the same report.
pub const SEED: u64 = 20;

/// One kind of model, cross-validated.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    pub kind: &'static str,
    pub metrics: Metrics,
    pub seconds: f64,
}

/// What a feature taught the model, in words.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Lesson {
    pub feature: String,
    /// "you keep photos with people".
    pub words: String,
    /// Its push on the logit per standard deviation (signed).
    pub effect: f64,
}

/// What a training gives: the report, and the model trained on every
/// decision (None when there were too few).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub decisions: usize,
    pub positives: usize,
    pub negatives: usize,
    pub folds: usize,
    /// The kind chosen (`logistic`, `mlp`; `none` with too few decisions).
    pub kind: &'static str,
    /// The chosen kind's cross-validated metrics.
    pub metrics: Option<Metrics>,
    /// AUC − 2 standard errors: what the weight is made from (for a chosen
    /// MLP, the lower of its own and the logistic model's).
    pub auc_low: Option<f64>,
    pub candidates: Vec<Candidate>,
    /// Its weight in the overall score (0: off).
    pub weight: f64,
    pub reason: String,
    /// Its strongest lessons, strongest first (empty when it is off).
    pub learned: Vec<Lesson>,
    pub seconds: f64,
}

/// Cross-validated probabilities (each decision predicted by a model that
/// did not see it).
pub fn cross_validated(schema: &Schema, examples: &[Example], params: &TrainParams, k: usize) -> Result<Vec<f32>> {
    let kept: Vec<bool> = examples.iter().map(|e| e.kept().unwrap_or(false)).collect();
    let fold = eval::folds(&kept, k, SEED);
    let mut out = vec![0.5f32; examples.len()];
    for f in 0..k {
        let train: Vec<Example> = (0..examples.len()).filter(|&i| fold[i] != f).map(|i| examples[i].clone()).collect();
        let test: Vec<usize> = (0..examples.len()).filter(|&i| fold[i] == f).collect();
        if train.is_empty() || test.is_empty() {
            continue;
        }
        let m = Model::fit(schema, &train, params, SEED + f as u64)?;
        let rows: Vec<&[f32]> = test.iter().map(|&i| examples[i].x.as_slice()).collect();
        for (&i, p) in test.iter().zip(m.predict(&rows)?) {
            out[i] = p;
        }
    }
    Ok(out)
}

/// The weight a model with this AUC lower bound earns.
pub fn weight_for(auc_low: f64) -> f64 {
    MAX_WEIGHT * ((auc_low - WEIGHT_FROM_AUC_LOW) / (FULL_WEIGHT_AUC_LOW - WEIGHT_FROM_AUC_LOW)).clamp(0.0, 1.0)
}

/// Learns her taste from `examples`: both kinds cross-validated, the better
/// (the simpler unless the MLP is clearly better) trained on all of them,
/// its weight from its AUC's lower bound, its lessons in words.
pub fn learn(schema: &Schema, examples: &[Example]) -> Result<(Report, Option<Model>)> {
    let start = Instant::now();
    let positives = examples.iter().filter(|e| e.kept() == Some(true)).count();
    let negatives = examples.iter().filter(|e| e.kept() == Some(false)).count();
    let mut report = Report {
        decisions: examples.len(),
        positives,
        negatives,
        folds: FOLDS,
        kind: "none",
        metrics: None,
        auc_low: None,
        candidates: Vec::new(),
        weight: 0.0,
        reason: String::new(),
        learned: Vec::new(),
        seconds: 0.0,
    };
    if positives < MIN_EACH || negatives < MIN_EACH {
        report.reason = format!(
            "taste is off until it has at least {MIN_EACH} picks and {MIN_EACH} rejects to learn from (it has {positives} and {negatives})"
        );
        report.seconds = start.elapsed().as_secs_f64();
        return Ok((report, None));
    }
    let scored: Vec<usize> = (0..examples.len()).filter(|&i| examples[i].kept().is_some()).collect();
    let truth: Vec<bool> = scored.iter().map(|&i| examples[i].kept() == Some(true)).collect();
    for (kind, params) in [("logistic", LOGISTIC), ("mlp", MLP)] {
        let t = Instant::now();
        let p = cross_validated(schema, examples, &params, FOLDS)?;
        let p: Vec<f64> = scored.iter().map(|&i| f64::from(p[i])).collect();
        let Some(metrics) = eval::metrics(&p, &truth) else { continue };
        report.candidates.push(Candidate { kind, metrics, seconds: t.elapsed().as_secs_f64() });
    }
    let auc_of = |k: &str| report.candidates.iter().find(|c| c.kind == k).map(|c| c.metrics.auc);
    let chosen = match (auc_of("logistic"), auc_of("mlp")) {
        (Some(l), Some(m)) if m > l + MLP_MARGIN => "mlp",
        _ => "logistic",
    };
    let params = if chosen == "mlp" { MLP } else { LOGISTIC };
    let Some(m) = report.candidates.iter().find(|c| c.kind == chosen).map(|c| c.metrics) else {
        report.reason = "taste is off: its cross-validation could not be scored".into();
        return Ok((report, None));
    };
    // Choosing the better of two kinds on the same folds flatters the one
    // chosen (a coin user's MLP reached AUC 0.67 ± 0.12 where its logistic
    // model had less): a chosen MLP is trusted only as far as the logistic
    // model, the kind that was not chosen by looking at the folds.
    let logistic = report.candidates.iter().find(|c| c.kind == "logistic").map(|c| c.metrics);
    let (auc_low, trusted) = match (chosen, logistic) {
        ("mlp", Some(l)) => (
            (m.auc - 2.0 * m.auc_se).min(l.auc - 2.0 * l.auc_se),
            format!(
                "; trusted as far as the simpler logistic model, AUC {:.2} ± {:.2}, as the two-layer one was chosen on the same folds",
                l.auc,
                2.0 * l.auc_se
            ),
        ),
        _ => (m.auc - 2.0 * m.auc_se, String::new()),
    };
    report.kind = chosen;
    report.metrics = Some(m);
    report.auc_low = Some(auc_low);
    report.weight = weight_for(auc_low);
    let model = Model::fit(schema, examples, &params, SEED)?;
    let n = positives + negatives;
    if report.weight > 0.0 {
        report.reason = format!(
            "its weight in the score is {:.2}: it ranks decisions it did not learn from with AUC {:.2} ± {:.2} ({n} decisions, {FOLDS}-fold cross-validation{trusted})",
            report.weight,
            m.auc,
            2.0 * m.auc_se
        );
        let rows: Vec<&[f32]> = examples.iter().map(|e| e.x.as_slice()).collect();
        report.learned = lessons(&model, &model.effects(&rows)?);
    } else {
        report.reason = format!(
            "taste is off: on {n} decisions it does not rank the ones it did not learn from clearly better than chance (AUC {:.2} ± {:.2}, {FOLDS}-fold cross-validation{trusted}; it needs {WEIGHT_FROM_AUC_LOW} or more after the ±)",
            m.auc,
            2.0 * m.auc_se
        );
    }
    report.seconds = start.elapsed().as_secs_f64();
    Ok((report, Some(model)))
}

/// The strongest effects in words: up to five, each at least a third of the
/// strongest and a tenth of a logit per standard deviation.
pub fn lessons(model: &Model, effects: &[f64]) -> Vec<Lesson> {
    let top = effects.iter().fold(0.0f64, |a, e| a.max(e.abs()));
    let mut idx: Vec<usize> = (0..effects.len()).filter(|&i| effects[i].abs() >= (top / 3.0).max(0.1)).collect();
    idx.sort_by(|&a, &b| effects[b].abs().total_cmp(&effects[a].abs()));
    idx.truncate(5);
    idx.into_iter()
        .map(|i| {
            let f = &model.schema.features[i];
            Lesson { feature: f.key.clone(), words: f.learned(effects[i]), effect: effects[i] }
        })
        .collect()
}

/// Why one picture's taste score is what it is: the (up to) two features
/// that pushed it most, in words ("photos with people: you keep those").
pub fn why(model: &Model, row: &[(f32, f32)]) -> String {
    let mut idx: Vec<usize> = (0..row.len()).filter(|&i| row[i].1.abs() >= 0.1).collect();
    idx.sort_by(|&a, &b| row[b].1.abs().total_cmp(&row[a].1.abs()));
    idx.truncate(2);
    if idx.is_empty() {
        return "nothing in it she has shown a liking for either way".into();
    }
    idx.iter()
        .map(|&i| model.schema.features[i].said_of(f64::from(row[i].0), f64::from(row[i].1)))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Schema {
        Schema {
            features: vec![
                FeatureDef::indicator("people", "photos with people", "photos without people"),
                FeatureDef::level("brightness", "bright photos", "dark photos"),
                FeatureDef::level("noise", "noise", "quiet"),
            ],
            look: None,
        }
    }

    /// A user who keeps every picture with people, on features where
    /// brightness and a third column are noise.
    fn examples(n: usize, rule: impl Fn(&[f32], &mut eval::Rng) -> f32) -> Vec<Example> {
        let mut rng = eval::Rng::new(3);
        (0..n)
            .map(|_| {
                let x = vec![(rng.unit() < 0.4) as u8 as f32, rng.unit() as f32, rng.unit() as f32];
                let target = rule(&x, &mut rng);
                Example { x, target }
            })
            .collect()
    }

    #[test]
    fn learns_a_clear_rule_and_says_it() {
        let ex = examples(200, |x, _| x[0]);
        let (report, model) = learn(&schema(), &ex).unwrap();
        let m = report.metrics.unwrap();
        assert!(m.auc > 0.95, "{report:?}");
        assert!(report.weight > 0.4, "{report:?}");
        assert_eq!(report.learned[0].words, "you keep photos with people", "{report:?}");
        // Saved and read back, it predicts the same.
        let model = model.unwrap();
        let again = Model::from_bytes(&model.to_bytes().unwrap()).unwrap();
        let rows: Vec<&[f32]> = ex.iter().take(10).map(|e| e.x.as_slice()).collect();
        assert_eq!(model.predict(&rows).unwrap(), again.predict(&rows).unwrap());
        let (p, both) = again.predict_explained(&rows).unwrap();
        let with = (0..10).find(|&i| ex[i].x[0] == 1.0).unwrap();
        assert!(p[with] > 0.8, "{p:?}");
        assert!(
            why(&again, &both[with]).starts_with("photos with people: you keep those"),
            "{}",
            why(&again, &both[with])
        );
    }

    #[test]
    fn a_dark_lover_is_learned_as_one() {
        let ex = examples(200, |x, _| (x[1] < 0.5) as u8 as f32);
        let (report, _) = learn(&schema(), &ex).unwrap();
        assert!(report.metrics.unwrap().auc > 0.9, "{report:?}");
        assert_eq!(report.learned[0].words, "you keep dark photos", "{report:?}");
    }

    #[test]
    fn random_decisions_turn_it_off() {
        let ex = examples(200, |_, rng| (rng.unit() < 0.5) as u8 as f32);
        let (report, _) = learn(&schema(), &ex).unwrap();
        let m = report.metrics.unwrap();
        assert!((m.auc - 0.5).abs() < 0.12, "{report:?}");
        assert_eq!(report.weight, 0.0, "{report:?}");
        assert!(report.learned.is_empty());
        assert!(report.reason.starts_with("taste is off"), "{}", report.reason);
    }

    #[test]
    fn too_few_decisions_train_nothing() {
        let ex = examples(24, |x, _| x[0]);
        assert!(ex.iter().filter(|e| e.target == 1.0).count() < MIN_EACH);
        let (report, model) = learn(&schema(), &ex).unwrap();
        assert!(model.is_none());
        assert_eq!(report.kind, "none");
        assert!(report.reason.contains("at least 15 picks"), "{}", report.reason);
    }

    #[test]
    fn a_damaged_model_is_an_error() {
        let ex = examples(100, |x, _| x[0]);
        let bytes = Model::fit(&schema(), &ex, &MLP, 1).unwrap().to_bytes().unwrap();
        assert!(Model::from_bytes(&bytes[..bytes.len() / 2]).is_err());
        assert!(Model::from_bytes(b"not a model").is_err());
        let mut flipped = bytes.clone();
        flipped[9] ^= 0xff;
        assert!(Model::from_bytes(&flipped).is_err());
    }
}

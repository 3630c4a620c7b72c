//! Her taste, both backends: the decisions a taste model learns from (what
//! she decided in the app, with `hma mark`, or in another program's XMP),
//! the facts of each content it reads beside the analysis, the trained
//! models, and the catalogue's settings. The learning is the engine's
//! (`hma::taste`).

use std::collections::HashMap;

use diesel::prelude::*;
use hma_media::ContentHash;

use crate::schema::*;
use crate::{last_insert_id, last_insert_rowid, with_conn, Catalog, Conn, Result};

/// One decided capture with a picture, as a taste model learns from it.
#[derive(Debug, Clone, PartialEq)]
pub struct TasteDecision {
    pub capture_id: i64,
    /// The content of its picture file (present or missing: a decision on
    /// a file that went away still says what she likes).
    pub content_hash: ContentHash,
    /// 1 pick, −1 reject, 0 or None unflagged: decided here, else from XMP.
    pub flag: Option<i16>,
    /// 0–5 stars: decided here, else from XMP.
    pub rating: Option<i16>,
    /// When it was decided here (0: read from XMP).
    pub updated_ms: i64,
}

/// What a taste model reads of a content beside its analysis and what the
/// face models found: when it was taken, whether a camera took it, and the
/// classes the object detector found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TasteFacts {
    pub taken_local_ms: Option<i64>,
    /// The capture names a camera (make or model): a photograph, not a
    /// screenshot or a graphic.
    pub camera: bool,
    /// The classes the detector found, with their best confidence.
    pub classes: Vec<(String, f64)>,
    /// Its look embedding as the detector stored it (encoded).
    pub look: Option<Vec<u8>>,
    /// The name of its first file (how her taste's words point at it).
    pub name: Option<String>,
}

/// A trained taste model as stored (see migrations/*/…_taste).
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = taste_models, treat_none_as_default_value = false)]
pub struct TasteModelRow {
    pub id: i64,
    #[diesel(embed)]
    pub spec: NewTasteModel,
}

/// A taste model to store.
#[derive(Debug, Clone, PartialEq, Default, Queryable, Selectable, Insertable)]
#[diesel(table_name = taste_models, treat_none_as_default_value = false)]
pub struct NewTasteModel {
    pub created_ms: i64,
    /// `logistic` or `mlp` (or `none` when there was too little to learn).
    pub kind: String,
    pub features_version: i32,
    /// Of the decisions it learned from (content, target).
    pub fingerprint: i64,
    pub decisions: i32,
    pub positives: i32,
    pub negatives: i32,
    pub folds: i32,
    /// Cross-validated: area under the ROC curve, its lower bound (two
    /// standard errors), accuracy, Brier score, expected calibration error.
    pub auc: Option<f64>,
    pub auc_low: Option<f64>,
    pub accuracy: Option<f64>,
    pub brier: Option<f64>,
    pub ece: Option<f64>,
    /// Its weight in the overall score (0: off).
    pub weight: f64,
    /// Why it has that weight, in words.
    pub reason: String,
    /// What it learned, JSON (the engine's).
    pub learned: String,
    /// How it was chosen and trained, JSON (the engine's).
    pub report: String,
    /// Its weights (safetensors); None when off for too few decisions.
    pub model: Option<Vec<u8>>,
}

/// Trained models kept (the newest is in force; the others are history).
const KEEP_MODELS: i64 = 10;

impl Catalog {
    /// Up to `limit` decided captures (flagged or starred, here or in XMP)
    /// after capture id `after`, each with the content of one picture file.
    /// A capture with several picture files (RAW + JPEG) counts once, with
    /// the content of its lowest file id.
    pub fn taste_decisions_page(&mut self, after: i64, limit: i64) -> Result<Vec<TasteDecision>> {
        type Row = (i64, Option<i16>, Option<i16>, Option<i64>, Option<i32>, Option<i32>, Option<ContentHash>);
        let rows: Vec<Row> = with_conn!(self, c => captures::table
            .left_join(decisions::table)
            .inner_join(files::table.on(files::capture_id.eq(captures::id.nullable())))
            .filter(captures::id.gt(after))
            .filter(files::kind.eq_any(["image", "raw"]))
            .filter(files::content_hash.is_not_null())
            .filter(
                decisions::flag.ne(0i16)
                    .or(decisions::rating.gt(0i16))
                    .or(captures::pick.ne(0))
                    .or(captures::rating.gt(0)),
            )
            .order((captures::id, files::id))
            .limit(limit * 4)
            .select((
                captures::id,
                decisions::flag.nullable(),
                decisions::rating.nullable(),
                decisions::updated_ms.nullable(),
                captures::pick,
                captures::rating,
                files::content_hash,
            ))
            .load(c))?;
        let mut out: Vec<TasteDecision> = Vec::new();
        let full = rows.len() as i64 == limit * 4;
        for (id, flag, rating, updated, pick, xmp_rating, hash) in rows {
            if out.last().is_some_and(|d| d.capture_id == id) {
                continue;
            }
            let Some(content_hash) = hash else { continue };
            // Decided here wins, field by field, as everywhere else.
            let decided_here = updated.is_some();
            out.push(TasteDecision {
                capture_id: id,
                content_hash,
                flag: if decided_here && flag.is_some() { flag } else { pick.map(|p| p as i16) },
                rating: if decided_here && rating.is_some() { rating } else { xmp_rating.map(|r| r as i16) },
                updated_ms: updated.unwrap_or(0),
            });
        }
        // The rows ended inside a capture's files: drop that capture, the
        // next page starts at it.
        if full && out.len() > 1 {
            out.pop();
        }
        out.truncate(limit as usize);
        Ok(out)
    }

    /// Decisions made here after `since_ms` (what a retraining waits for).
    pub fn decisions_since(&mut self, since_ms: i64) -> Result<i64> {
        Ok(with_conn!(self, c => decisions::table.filter(decisions::updated_ms.gt(since_ms)).count().get_result(c))?)
    }

    /// When each content was taken, whether a camera took it, and the
    /// classes the detector `model` found in it.
    pub fn taste_facts_of(&mut self, hashes: &[ContentHash], model: &str) -> Result<HashMap<ContentHash, TasteFacts>> {
        let mut out: HashMap<ContentHash, TasteFacts> = HashMap::new();
        for chunk in hashes.chunks(crate::BATCH) {
            type Row = (Option<ContentHash>, Option<i64>, Option<String>, Option<String>, String);
            let rows: Vec<Row> = with_conn!(self, c => files::table
                .left_join(captures::table)
                .filter(files::content_hash.eq_any(chunk))
                .filter(files::kind.eq_any(["image", "raw"]))
                .order(files::id)
                .select((
                    files::content_hash,
                    captures::taken_local_ms.nullable(),
                    captures::make.nullable(),
                    captures::model.nullable(),
                    files::rel_path,
                ))
                .load(c))?;
            for (h, taken, make, model, rel) in rows {
                let Some(h) = h else { continue };
                let f = out.entry(h).or_default();
                if f.name.is_none() {
                    f.name = Some(rel.rsplit('/').next().unwrap_or(&rel).to_string());
                }
                f.taken_local_ms = f.taken_local_ms.or(taken);
                f.camera |= make.is_some_and(|m| !m.trim().is_empty()) || model.is_some_and(|m| !m.trim().is_empty());
            }
            let found: Vec<(ContentHash, String, f64)> = with_conn!(self, c => detections::table
                .filter(detections::content_hash.eq_any(chunk))
                .filter(detections::model.eq(model))
                .select((detections::content_hash, detections::class_name, detections::confidence))
                .load(c))?;
            for (h, class, conf) in found {
                let f = out.entry(h).or_default();
                match f.classes.iter_mut().find(|(c, _)| *c == class) {
                    Some(x) => x.1 = x.1.max(conf),
                    None => f.classes.push((class, conf)),
                }
            }
            let looks: Vec<(ContentHash, Option<Vec<u8>>)> = with_conn!(self, c => detection_runs::table
                .filter(detection_runs::content_hash.eq_any(chunk))
                .filter(detection_runs::model.eq(model))
                .filter(detection_runs::look.is_not_null())
                .select((detection_runs::content_hash, detection_runs::look))
                .load(c))?;
            for (h, look) in looks {
                out.entry(h).or_default().look = look;
            }
        }
        Ok(out)
    }

    /// Stores a trained taste model; returns its id. Older ones beyond the
    /// last ten are dropped.
    pub fn insert_taste_model(&mut self, m: &NewTasteModel) -> Result<i64> {
        self.transaction(|cat| {
            let id = match &mut cat.conn {
                Conn::Sqlite(c) => {
                    diesel::insert_into(taste_models::table).values(m).execute(c)?;
                    diesel::select(last_insert_rowid()).get_result::<i64>(c)?
                }
                Conn::Mysql(c) => {
                    diesel::insert_into(taste_models::table).values(m).execute(c)?;
                    diesel::select(last_insert_id()).get_result::<u64>(c)? as i64
                }
            };
            with_conn!(cat, c => diesel::delete(taste_models::table.filter(taste_models::id.le(id - KEEP_MODELS))).execute(c))?;
            Ok(id)
        })
    }

    /// The newest taste model (the one in force), if any was trained.
    pub fn latest_taste_model(&mut self) -> Result<Option<TasteModelRow>> {
        Ok(with_conn!(self, c => taste_models::table
            .order(taste_models::id.desc())
            .select(TasteModelRow::as_select())
            .first(c)
            .optional())?)
    }

    /// A catalogue setting.
    pub fn setting(&mut self, name: &str) -> Result<Option<String>> {
        Ok(with_conn!(self, c => settings::table.find(name).select(settings::value).first(c).optional())?)
    }

    /// Sets a catalogue setting.
    pub fn set_setting(&mut self, name: &str, value: &str) -> Result<()> {
        self.transaction(|cat| {
            with_conn!(cat, c => diesel::delete(settings::table.find(name)).execute(c))?;
            with_conn!(cat, c => diesel::insert_into(settings::table)
                .values((settings::name.eq(name), settings::value.eq(value)))
                .execute(c))?;
            Ok(())
        })
    }
}

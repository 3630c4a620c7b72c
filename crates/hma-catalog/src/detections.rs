//! Detected objects per content and model, the runs that found them (so
//! detection is incremental), their links into the COCO taxonomy, and the
//! class lookups `hma search` needs.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use hma_media::ContentHash;

use crate::schema::*;
use crate::BATCH;
use crate::{with_conn, Catalog, Result};

/// A picture looked at by a model.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = detection_runs, treat_none_as_default_value = false)]
pub struct DetectionRun {
    pub content_hash: ContentHash,
    pub model: String,
    pub version: i32,
    pub detected_ms: i64,
    /// Why the picture could not be looked at.
    pub error: Option<String>,
    pub objects: i32,
    /// The main subject and the sharpness in its box (JSON).
    pub subject: Option<String>,
    /// The look embedding as the detector's crate encodes it.
    pub look: Option<Vec<u8>>,
}

/// A detected object (box as shares of the picture as displayed).
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = detections)]
pub struct NewDetection {
    pub content_hash: ContentHash,
    pub model: String,
    pub class_id: i32,
    pub class_name: String,
    pub confidence: f64,
    pub box_x: f64,
    pub box_y: f64,
    pub box_w: f64,
    pub box_h: f64,
}

impl Catalog {
    /// Which of these contents `model` has looked at, at `version`.
    pub fn detected_hashes(
        &mut self,
        hashes: &[ContentHash],
        model: &str,
        version: i32,
    ) -> Result<HashSet<ContentHash>> {
        let mut out = HashSet::new();
        for chunk in hashes.chunks(BATCH) {
            let v: Vec<ContentHash> = with_conn!(self, c => detection_runs::table
                .filter(detection_runs::content_hash.eq_any(chunk))
                .filter(detection_runs::model.eq(model))
                .filter(detection_runs::version.eq(version))
                .select(detection_runs::content_hash)
                .load(c))?;
            out.extend(v);
        }
        Ok(out)
    }

    /// Stores what one batch of pictures showed (replacing earlier results
    /// of the same model), in one transaction, with each capture linked to
    /// the taxonomy nodes of its classes (`nodes`: class name → node id).
    pub fn put_detections(
        &mut self,
        runs: &[DetectionRun],
        dets: &[NewDetection],
        nodes: &HashMap<String, i64>,
        now_ms: i64,
    ) -> Result<()> {
        self.transaction(|cat| {
            for run in runs {
                with_conn!(cat, c => diesel::delete(detections::table
                    .filter(detections::content_hash.eq(run.content_hash))
                    .filter(detections::model.eq(&run.model)))
                    .execute(c))?;
                with_conn!(cat, c => diesel::delete(detection_runs::table
                    .filter(detection_runs::content_hash.eq(run.content_hash))
                    .filter(detection_runs::model.eq(&run.model)))
                    .execute(c))?;
            }
            with_conn!(cat, c => diesel::insert_into(detection_runs::table).values(runs).execute(c))?;
            for chunk in dets.chunks(BATCH) {
                with_conn!(cat, c => diesel::insert_into(detections::table).values(chunk).execute(c))?;
            }
            // Taxonomy links: each capture of each content, once per class,
            // with the best confidence.
            let hashes: Vec<ContentHash> = runs.iter().map(|r| r.content_hash).collect();
            let caps: Vec<(ContentHash, Option<i64>)> = with_conn!(cat, c => files::table
                .filter(files::content_hash.eq_any(&hashes))
                .select((files::content_hash.assume_not_null(), files::capture_id))
                .load(c))?;
            let mut by_content: HashMap<ContentHash, Vec<i64>> = HashMap::new();
            for (h, cap) in caps {
                if let Some(cap) = cap {
                    by_content.entry(h).or_default().push(cap);
                }
            }
            let Some(model) = runs.first().map(|r| r.model.clone()) else { return Ok(()) };
            let all_caps: Vec<i64> = by_content.values().flatten().copied().collect();
            with_conn!(cat, c => diesel::delete(capture_taxa::table
                .filter(capture_taxa::capture_id.eq_any(&all_caps))
                .filter(capture_taxa::source.eq(&model)))
                .execute(c))?;
            let mut best: HashMap<(i64, i64), f64> = HashMap::new();
            for d in dets {
                let Some(&node) = nodes.get(&d.class_name) else { continue };
                for &cap in by_content.get(&d.content_hash).into_iter().flatten() {
                    let e = best.entry((cap, node)).or_insert(0.0);
                    *e = e.max(d.confidence);
                }
            }
            let version = runs.first().map(|r| r.version.to_string());
            let rows: Vec<_> = best
                .into_iter()
                .map(|((cap, node), conf)| {
                    (
                        capture_taxa::capture_id.eq(cap),
                        capture_taxa::node_id.eq(node),
                        capture_taxa::source.eq(model.clone()),
                        capture_taxa::confidence.eq(Some(conf)),
                        capture_taxa::model_version.eq(version.clone()),
                        capture_taxa::created_ms.eq(now_ms),
                    )
                })
                .collect();
            for chunk in rows.chunks(BATCH) {
                with_conn!(cat, c => diesel::insert_into(capture_taxa::table).values(chunk).execute(c))?;
            }
            Ok(())
        })
    }

    /// The objects found in a content (best first).
    pub fn detections_of(&mut self, content_hash: ContentHash) -> Result<Vec<NewDetection>> {
        Ok(with_conn!(self, c => detections::table
            .filter(detections::content_hash.eq(content_hash))
            .order(detections::confidence.desc())
            .select(NewDetection::as_select())
            .load(c))?)
    }

    /// The objects found in these contents.
    pub fn detections_of_many(&mut self, hashes: &[ContentHash]) -> Result<Vec<NewDetection>> {
        self.by_chunks(hashes, |cat, chunk| {
            Ok(with_conn!(cat, c => detections::table
            .filter(detections::content_hash.eq_any(chunk))
            .select(NewDetection::as_select())
            .load(c))?)
        })
    }

    /// (contents looked at, objects found) by `model`.
    pub fn detection_counts(&mut self, model: &str) -> Result<(i64, i64)> {
        let runs: i64 =
            with_conn!(self, c => detection_runs::table.filter(detection_runs::model.eq(model)).count().get_result(c))?;
        let objects: i64 =
            with_conn!(self, c => detections::table.filter(detections::model.eq(model)).count().get_result(c))?;
        Ok((runs, objects))
    }

    /// The main subject `model` found in a content (JSON), if any.
    pub fn subject_of(&mut self, content_hash: ContentHash, model: &str) -> Result<Option<String>> {
        let v: Option<Option<String>> = with_conn!(self, c => detection_runs::table
            .filter(detection_runs::content_hash.eq(content_hash))
            .filter(detection_runs::model.eq(model))
            .select(detection_runs::subject)
            .first(c)
            .optional())?;
        Ok(v.flatten())
    }

    /// The main subjects `model` found in these contents (JSON), by content.
    pub fn subjects_of(&mut self, hashes: &[ContentHash], model: &str) -> Result<HashMap<ContentHash, String>> {
        let mut out = HashMap::new();
        for chunk in hashes.chunks(BATCH) {
            let v: Vec<(ContentHash, Option<String>)> = with_conn!(self, c => detection_runs::table
                .filter(detection_runs::content_hash.eq_any(chunk))
                .filter(detection_runs::model.eq(model))
                .select((detection_runs::content_hash, detection_runs::subject))
                .load(c))?;
            out.extend(v.into_iter().filter_map(|(h, s)| Some((h, s?))));
        }
        Ok(out)
    }

    /// Node ids of a taxonomy by external id.
    pub fn taxon_ids(&mut self, taxonomy_id: i64) -> Result<HashMap<String, i64>> {
        let v: Vec<(String, i64)> = with_conn!(self, c => taxonomy_nodes::table
            .filter(taxonomy_nodes::taxonomy_id.eq(taxonomy_id))
            .select((taxonomy_nodes::external_id, taxonomy_nodes::id))
            .load(c))?;
        Ok(v.into_iter().collect())
    }
}

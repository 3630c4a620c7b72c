//! Captures (one moment a camera recorded, its files and XMP marks): insert,
//! merge, forget with a root, keywords.

use diesel::prelude::*;

use crate::models::*;
use crate::schema::*;
use crate::{last_insert_id, last_insert_rowid};
use crate::{with_conn, Catalog, Conn, Result, BATCH};

/// A capture's link to a taxon node, as a merge moves it.
#[derive(Debug, Queryable)]
struct TaxonLink {
    node_id: i64,
    source: String,
    confidence: Option<f64>,
    model_version: Option<String>,
    created_ms: i64,
}

impl Catalog {
    /// Inserts a capture; returns its id.
    pub fn insert_capture(&mut self, fields: &CaptureFields, now_ms: i64) -> Result<i64> {
        match &mut self.conn {
            Conn::Sqlite(c) => {
                diesel::insert_into(captures::table)
                    .values(&NewCapture { fields: fields.clone(), created_ms: now_ms })
                    .execute(c)?;
                Ok(diesel::select(last_insert_rowid()).get_result::<i64>(c)?)
            }
            Conn::Mysql(c) => {
                diesel::insert_into(captures::table)
                    .values(&NewCapture { fields: fields.clone(), created_ms: now_ms })
                    .execute(c)?;
                Ok(diesel::select(last_insert_id()).get_result::<u64>(c)? as i64)
            }
        }
    }

    /// One capture.
    pub fn capture(&mut self, id: i64) -> Result<Option<CaptureRow>> {
        Ok(with_conn!(self, c => captures::table.find(id).select(CaptureRow::as_select()).first(c).optional())?)
    }

    /// Captures by id.
    pub fn captures_by_ids(&mut self, ids: &[i64]) -> Result<Vec<CaptureRow>> {
        self.by_chunks(ids, |cat, chunk| {
            Ok(with_conn!(cat, c => captures::table
            .filter(captures::id.eq_any(chunk))
            .select(CaptureRow::as_select())
            .load(c))?)
        })
    }

    /// Overwrites a capture's fields. When its GPS position changes, its
    /// place (the link from source `gps`) goes, for the places job to set again.
    pub fn update_capture(&mut self, id: i64, fields: &CaptureFields) -> Result<()> {
        let old: Option<(Option<f64>, Option<f64>)> = with_conn!(self, c => captures::table
            .find(id)
            .select((captures::gps_lat, captures::gps_lon))
            .first(c)
            .optional())?;
        if old.is_some_and(|o| o != (fields.gps_lat, fields.gps_lon)) {
            with_conn!(self, c => diesel::delete(capture_taxa::table
                .filter(capture_taxa::capture_id.eq(id))
                .filter(capture_taxa::source.eq("gps")))
                .execute(c))?;
        }
        with_conn!(self, c => diesel::update(captures::table.find(id)).set(fields).execute(c))?;
        Ok(())
    }

    /// Captures taken at exactly this local time.
    pub fn captures_at(&mut self, taken_local_ms: i64) -> Result<Vec<CaptureRow>> {
        Ok(with_conn!(self, c => captures::table
            .filter(captures::taken_local_ms.eq(taken_local_ms))
            .select(CaptureRow::as_select())
            .load(c))?)
    }

    /// Moves everything of capture `from` into `into` and deletes `from`.
    pub fn merge_capture(&mut self, from: i64, into: i64) -> Result<()> {
        if from == into {
            return Ok(());
        }
        with_conn!(self, c => diesel::update(files::table.filter(files::capture_id.eq(from)))
            .set(files::capture_id.eq(into))
            .execute(c))?;
        let kws: Vec<(String, bool)> = with_conn!(self, c => capture_keywords::table
            .filter(capture_keywords::capture_id.eq(from))
            .select((capture_keywords::keyword, capture_keywords::hierarchical))
            .load(c))?;
        with_conn!(self, c => diesel::delete(capture_keywords::table.filter(capture_keywords::capture_id.eq(from))).execute(c))?;
        self.add_keywords(into, &kws)?;
        let taxa: Vec<TaxonLink> = with_conn!(self, c => capture_taxa::table
            .filter(capture_taxa::capture_id.eq(from))
            .select((capture_taxa::node_id, capture_taxa::source, capture_taxa::confidence, capture_taxa::model_version, capture_taxa::created_ms))
            .load(c))?;
        with_conn!(self, c => diesel::delete(capture_taxa::table.filter(capture_taxa::capture_id.eq(from))).execute(c))?;
        for t in taxa {
            with_conn!(self, c => diesel::insert_or_ignore_into(capture_taxa::table)
                .values((
                    capture_taxa::capture_id.eq(into),
                    capture_taxa::node_id.eq(t.node_id),
                    capture_taxa::source.eq(&t.source),
                    capture_taxa::confidence.eq(t.confidence),
                    capture_taxa::model_version.eq(&t.model_version),
                    capture_taxa::created_ms.eq(t.created_ms),
                ))
                .execute(c))?;
        }
        // The user's decision moves with the photo unless the survivor has its own.
        let has_own: i64 = with_conn!(self, c => decisions::table.find(into).count().get_result(c))?;
        if has_own == 0 {
            with_conn!(self, c => diesel::update(decisions::table.find(from)).set(decisions::capture_id.eq(into)).execute(c))?;
        } else {
            with_conn!(self, c => diesel::delete(decisions::table.find(from)).execute(c))?;
        }
        with_conn!(self, c => diesel::delete(captures::table.find(from)).execute(c))?;
        Ok(())
    }

    /// Deletes every catalogue row of a root (files, their history,
    /// relations, group and duplicate memberships, problems, locations) and
    /// the captures left without files, with their keywords, taxa and
    /// decisions. Call inside a transaction; returns the files forgotten.
    pub fn forget_root(&mut self, root_id: i64) -> Result<u64> {
        let ids: Vec<i64> =
            with_conn!(self, c => files::table.filter(files::root_id.eq(root_id)).select(files::id).load(c))?;
        let mut captures_touched: Vec<i64> = with_conn!(self, c => files::table
            .filter(files::root_id.eq(root_id))
            .filter(files::capture_id.is_not_null())
            .select(files::capture_id.assume_not_null())
            .distinct()
            .load(c))?;
        for chunk in ids.chunks(BATCH) {
            with_conn!(self, c => diesel::delete(file_relations::table.filter(file_relations::file_id.eq_any(chunk).or(file_relations::other_file_id.eq_any(chunk)))).execute(c))?;
            with_conn!(self, c => diesel::delete(content_history::table.filter(content_history::file_id.eq_any(chunk))).execute(c))?;
            with_conn!(self, c => diesel::delete(photo_group_members::table.filter(photo_group_members::file_id.eq_any(chunk))).execute(c))?;
            with_conn!(self, c => diesel::delete(duplicate_members::table.filter(duplicate_members::file_id.eq_any(chunk))).execute(c))?;
            let dead: Vec<i64> = with_conn!(self, c => photo_groups::table.filter(photo_groups::best_file_id.eq_any(chunk)).select(photo_groups::id).load(c))?;
            with_conn!(self, c => diesel::delete(photo_group_members::table.filter(photo_group_members::group_id.eq_any(&dead))).execute(c))?;
            with_conn!(self, c => diesel::delete(photo_groups::table.filter(photo_groups::id.eq_any(&dead))).execute(c))?;
            with_conn!(self, c => diesel::delete(files::table.filter(files::id.eq_any(chunk))).execute(c))?;
        }
        with_conn!(self, c => diesel::delete(scan_problems::table.filter(scan_problems::root_id.eq(root_id))).execute(c))?;
        with_conn!(self, c => diesel::delete(root_locations::table.filter(root_locations::root_id.eq(root_id))).execute(c))?;
        with_conn!(self, c => diesel::delete(sidecars::table.filter(sidecars::root_id.eq(root_id))).execute(c))?;
        with_conn!(self, c => diesel::delete(roots::table.find(root_id)).execute(c))?;
        captures_touched.sort_unstable();
        for chunk in captures_touched.chunks(BATCH) {
            let still_used: Vec<i64> = with_conn!(self, c => files::table
                .filter(files::capture_id.eq_any(chunk))
                .select(files::capture_id.assume_not_null())
                .distinct()
                .load(c))?;
            let gone: Vec<i64> = chunk.iter().copied().filter(|id| !still_used.contains(id)).collect();
            with_conn!(self, c => diesel::delete(capture_keywords::table.filter(capture_keywords::capture_id.eq_any(&gone))).execute(c))?;
            with_conn!(self, c => diesel::delete(capture_taxa::table.filter(capture_taxa::capture_id.eq_any(&gone))).execute(c))?;
            with_conn!(self, c => diesel::delete(decisions::table.filter(decisions::capture_id.eq_any(&gone))).execute(c))?;
            with_conn!(self, c => diesel::delete(captures::table.filter(captures::id.eq_any(&gone))).execute(c))?;
        }
        self.mark_stats_dirty()?;
        Ok(ids.len() as u64)
    }

    /// Deletes a capture no file points at any more (and its keywords).
    pub fn delete_capture_if_orphan(&mut self, id: i64) -> Result<bool> {
        let users: i64 = with_conn!(self, c => files::table.filter(files::capture_id.eq(id)).count().get_result(c))?;
        let taxa: i64 =
            with_conn!(self, c => capture_taxa::table.filter(capture_taxa::capture_id.eq(id)).count().get_result(c))?;
        // A capture the user decided on is kept: its files may come back.
        let decided: i64 = with_conn!(self, c => decisions::table.find(id).count().get_result(c))?;
        if users > 0 || taxa > 0 || decided > 0 {
            return Ok(false);
        }
        with_conn!(self, c => diesel::delete(capture_keywords::table.filter(capture_keywords::capture_id.eq(id))).execute(c))?;
        with_conn!(self, c => diesel::delete(captures::table.find(id)).execute(c))?;
        Ok(true)
    }

    /// Adds keywords to a capture (duplicates ignored).
    pub fn add_keywords(&mut self, capture_id: i64, kws: &[(String, bool)]) -> Result<()> {
        for chunk in kws.chunks(BATCH) {
            let rows: Vec<_> = chunk
                .iter()
                .map(|(k, h)| {
                    (
                        capture_keywords::capture_id.eq(capture_id),
                        capture_keywords::keyword.eq(k),
                        capture_keywords::hierarchical.eq(*h),
                    )
                })
                .collect();
            with_conn!(self, c => diesel::insert_or_ignore_into(capture_keywords::table).values(&rows).execute(c))?;
        }
        Ok(())
    }

    /// Keywords of a capture.
    pub fn keywords(&mut self, capture_id: i64) -> Result<Vec<(String, bool)>> {
        Ok(with_conn!(self, c => capture_keywords::table
            .filter(capture_keywords::capture_id.eq(capture_id))
            .order(capture_keywords::id)
            .select((capture_keywords::keyword, capture_keywords::hierarchical))
            .load(c))?)
    }
}

//! Culling decisions (pick/reject, stars, colour label) per capture, made in
//! the app or with `hma mark`. Kept apart from the values read from XMP so a
//! rescan never overwrites what the user decided here.

use diesel::prelude::*;
use hma_media::ContentHash;

use crate::schema::*;
use crate::{with_conn, Catalog, Result};

/// The decision stored for a capture; `None` = not decided here (the XMP
/// value, if any, shows instead).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = decisions, treat_none_as_default_value = false)]
pub struct DecisionRow {
    pub capture_id: i64,
    /// 1 pick, −1 reject, 0 unflagged.
    pub flag: Option<i16>,
    /// 0–5 stars.
    pub rating: Option<i16>,
    /// Colour label (red, yellow, green, blue, purple).
    pub label: Option<String>,
    pub updated_ms: i64,
}

impl DecisionRow {
    /// True when the row says nothing (then it is not stored).
    pub fn is_empty(&self) -> bool {
        self.flag.is_none() && self.rating.is_none() && self.label.is_none()
    }
}

/// A present picture file of a capture, as export chooses among them.
#[derive(Debug, Clone, Queryable)]
pub struct CaptureFile {
    pub file_id: i64,
    pub capture_id: Option<i64>,
    pub root_id: i64,
    pub rel_path: String,
    pub raw_path: Option<Vec<u8>>,
    pub size: i64,
    pub mtime_ns: i64,
    pub content_hash: Option<ContentHash>,
    pub format: hma_media::Format,
    pub score: Option<f64>,
    pub taken_local_ms: Option<i64>,
}

impl Catalog {
    /// The stored decisions of these captures.
    pub fn decisions_of(&mut self, capture_ids: &[i64]) -> Result<Vec<DecisionRow>> {
        self.by_chunks(capture_ids, |cat, chunk| {
            Ok(with_conn!(cat, c => decisions::table
            .filter(decisions::capture_id.eq_any(chunk))
            .select(DecisionRow::as_select())
            .load(c))?)
        })
    }

    /// Stores a capture's decision (replacing the previous one; an empty
    /// one is removed), in one transaction: a crash leaves the old or the
    /// new decision, never half of one.
    pub fn put_decision(&mut self, row: &DecisionRow) -> Result<()> {
        self.transaction(|cat| {
            let exists: i64 = with_conn!(cat, c => captures::table.find(row.capture_id).count().get_result(c))?;
            if exists == 0 {
                return Err(crate::CatalogError::NotFound(format!("no capture {}", row.capture_id)));
            }
            with_conn!(cat, c => diesel::delete(decisions::table.find(row.capture_id)).execute(c))?;
            if !row.is_empty() {
                with_conn!(cat, c => diesel::insert_into(decisions::table).values(row).execute(c))?;
            }
            Ok(())
        })
    }

    /// Captures whose flag is "pick" — decided here, or read from XMP and
    /// not overruled — `limit` of them after capture id `after`.
    pub fn picked_captures_page(&mut self, after: i64, limit: i64) -> Result<Vec<i64>> {
        Ok(with_conn!(self, c => captures::table
            .left_join(decisions::table)
            .filter(captures::id.gt(after))
            .filter(
                decisions::flag.eq(1i16)
                    .or(decisions::flag.is_null().and(captures::pick.eq(1))),
            )
            .order(captures::id)
            .limit(limit)
            .select(captures::id)
            .load(c))?)
    }

    /// The present picture files (image or raw) of these captures, with
    /// their analysis score when analysed.
    pub fn picture_files_of_captures(&mut self, capture_ids: &[i64]) -> Result<Vec<CaptureFile>> {
        self.by_chunks(capture_ids, |cat, chunk| {
            Ok(with_conn!(cat, c => files::table
            .left_join(analyses::table)
            .left_join(captures::table)
            .filter(files::capture_id.eq_any(chunk))
            .filter(files::missing.eq(false))
            .filter(files::kind.eq_any(["image", "raw"]))
            .select((
                files::id,
                files::capture_id,
                files::root_id,
                files::rel_path,
                files::raw_path,
                files::size,
                files::mtime_ns,
                files::content_hash,
                files::format,
                analyses::score.nullable(),
                captures::taken_local_ms.nullable(),
            ))
            .load(c))?)
        })
    }
}

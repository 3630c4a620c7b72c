//! Catalogue-wide counts (kept by scans, recounted on demand) and exact
//! duplicates.

use diesel::prelude::*;
use hma_media::ContentHash;

use crate::schema::*;
use crate::{with_conn, Catalog, Result, BATCH};

/// Catalogue-wide counts for `hma status`.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Counts {
    /// Storage roots.
    pub roots: i64,
    /// Files present on disk.
    pub files: i64,
    /// Captures.
    pub captures: i64,
    /// Groups of two or more present files with the same content.
    pub duplicate_groups: i64,
    /// Present files whose last read recorded a problem.
    pub errors: i64,
}

/// A present file that shares its content with another: what `hma dupes`
/// needs to choose which copy to keep.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct DupeMember {
    pub file_id: i64,
    pub root_id: i64,
    pub rel_path: String,
    pub content_hash: ContentHash,
    pub first_seen_ms: i64,
}

impl Catalog {
    /// Counts for `hma status`: the kept ones when they are current, else
    /// computed now.
    pub fn counts(&mut self) -> Result<Counts> {
        let kept: Option<(i64, i64, i64, i64, bool)> = with_conn!(self, c => catalog_stats::table
            .order(catalog_stats::id.desc())
            .select((catalog_stats::files, catalog_stats::captures, catalog_stats::duplicate_groups, catalog_stats::errors, catalog_stats::dirty))
            .first(c)
            .optional())?;
        if let Some((files, captures, duplicate_groups, errors, false)) = kept {
            let roots: i64 = with_conn!(self, c => roots::table.count().get_result(c))?;
            return Ok(Counts { roots, files, captures, duplicate_groups, errors });
        }
        self.live_counts()
    }

    /// Marks the kept counts stale (a job is about to change files).
    pub fn mark_stats_dirty(&mut self) -> Result<()> {
        with_conn!(self, c => diesel::update(catalog_stats::table).set(catalog_stats::dirty.eq(true)).execute(c))?;
        Ok(())
    }

    /// Marks the kept counts current again (a job changed nothing).
    pub fn mark_stats_clean(&mut self) -> Result<()> {
        with_conn!(self, c => diesel::update(catalog_stats::table).set(catalog_stats::dirty.eq(false)).execute(c))?;
        Ok(())
    }

    /// True when kept counts exist and are current.
    pub fn stats_current(&mut self) -> Result<bool> {
        let dirty: Option<bool> = with_conn!(self, c => catalog_stats::table.order(catalog_stats::id.desc()).select(catalog_stats::dirty).first(c).optional())?;
        Ok(dirty == Some(false))
    }

    /// Recomputes the kept counts and duplicate groups (one pass over the
    /// files' hash index).
    pub fn refresh_stats(&mut self, now_ms: i64) -> Result<Counts> {
        self.transaction(|cat| -> Result<Counts> {
            with_conn!(cat, c => diesel::delete(duplicate_hashes::table).execute(c))?;
            let q = files::table
                .filter(files::content_hash.is_not_null())
                .filter(files::missing.eq(false))
                .group_by(files::content_hash)
                .having(diesel::dsl::count_star().gt(1))
                .select((files::content_hash.assume_not_null(), diesel::dsl::count_star()));
            with_conn!(cat, c => diesel::insert_into(duplicate_hashes::table)
                .values(q)
                .into_columns((duplicate_hashes::content_hash, duplicate_hashes::files))
                .execute(c))?;
            with_conn!(cat, c => diesel::delete(duplicate_members::table).execute(c))?;
            let members = files::table
                .inner_join(
                    duplicate_hashes::table.on(files::content_hash.eq(duplicate_hashes::content_hash.nullable())),
                )
                .filter(files::missing.eq(false))
                .select((
                    files::id,
                    duplicate_hashes::content_hash,
                    files::root_id,
                    files::rel_path,
                    files::first_seen_ms,
                ));
            with_conn!(cat, c => diesel::insert_into(duplicate_members::table)
                .values(members)
                .into_columns((
                    duplicate_members::file_id,
                    duplicate_members::content_hash,
                    duplicate_members::root_id,
                    duplicate_members::rel_path,
                    duplicate_members::first_seen_ms,
                ))
                .execute(c))?;
            let mut counts = cat.live_counts()?;
            counts.duplicate_groups = with_conn!(cat, c => duplicate_hashes::table.count().get_result(c))?;
            with_conn!(cat, c => diesel::delete(catalog_stats::table).execute(c))?;
            with_conn!(cat, c => diesel::insert_into(catalog_stats::table)
                .values((
                    catalog_stats::files.eq(counts.files),
                    catalog_stats::captures.eq(counts.captures),
                    catalog_stats::duplicate_groups.eq(counts.duplicate_groups),
                    catalog_stats::errors.eq(counts.errors),
                    catalog_stats::dirty.eq(false),
                    catalog_stats::computed_ms.eq(now_ms),
                ))
                .execute(c))?;
            Ok(counts)
        })
    }

    fn live_counts(&mut self) -> Result<Counts> {
        let roots: i64 = with_conn!(self, c => roots::table.count().get_result(c))?;
        let files: i64 = with_conn!(self, c => files::table.filter(files::missing.eq(false)).count().get_result(c))?;
        let captures: i64 = with_conn!(self, c => captures::table.count().get_result(c))?;
        let errors: i64 = with_conn!(self, c => files::table
            .filter(files::missing.eq(false))
            .filter(files::error.is_not_null())
            .count()
            .get_result(c))?;
        let duplicate_groups = self.live_duplicate_hashes()?.len() as i64;
        Ok(Counts { roots, files, captures, duplicate_groups, errors })
    }

    /// Hashes shared by two or more present files.
    pub fn duplicate_hashes(&mut self) -> Result<Vec<ContentHash>> {
        if self.stats_current()? {
            return Ok(with_conn!(self, c => duplicate_hashes::table.select(duplicate_hashes::content_hash).load(c))?);
        }
        self.live_duplicate_hashes()
    }

    fn live_duplicate_hashes(&mut self) -> Result<Vec<ContentHash>> {
        let v: Vec<Option<ContentHash>> = with_conn!(self, c => files::table
            .filter(files::content_hash.is_not_null())
            .filter(files::missing.eq(false))
            .group_by(files::content_hash)
            .having(diesel::dsl::count_star().gt(1))
            .select(files::content_hash)
            .load(c))?;
        Ok(v.into_iter().flatten().collect())
    }

    /// The few columns `hma dupes` needs of every present file that has a
    /// twin: (id, root, relative path, hash, first seen), by id. Read from
    /// the kept copy when it is current.
    pub fn dupe_members(&mut self) -> Result<Vec<DupeMember>> {
        if self.stats_current()? {
            let mut rows: Vec<DupeMember> = with_conn!(self, c => duplicate_members::table
                .select((
                    duplicate_members::file_id,
                    duplicate_members::root_id,
                    duplicate_members::rel_path,
                    duplicate_members::content_hash,
                    duplicate_members::first_seen_ms,
                ))
                .load(c))?;
            rows.sort_by_key(|r| r.file_id);
            return Ok(rows);
        }
        let hashes = self.live_duplicate_hashes()?;
        let mut out = Vec::new();
        for chunk in hashes.chunks(BATCH) {
            // `eq_any` on the hashes leaves no file without one.
            let rows: Vec<DupeMember> = with_conn!(self, c => files::table
                .filter(files::content_hash.eq_any(chunk))
                .filter(files::missing.eq(false))
                .select((
                    files::id,
                    files::root_id,
                    files::rel_path,
                    files::content_hash.assume_not_null(),
                    files::first_seen_ms,
                ))
                .load(c))?;
            out.extend(rows);
        }
        out.sort_by_key(|r| r.file_id);
        Ok(out)
    }
}

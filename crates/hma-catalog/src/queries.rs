//! Named queries, one method per question the engine asks. Backend
//! differences are spelled out in place (`match self.backend()` or a
//! per-connection arm) and nowhere else.

use diesel::prelude::*;

use crate::models::*;
use crate::schema::*;
use crate::{with_conn, Catalog, CatalogError, Conn, Result};

diesel::define_sql_function! {
    /// SQLite: id of the last inserted row on this connection.
    fn last_insert_rowid() -> BigInt;
}
diesel::define_sql_function! {
    /// MariaDB: first id of the last INSERT on this connection.
    fn last_insert_id() -> Unsigned<BigInt>;
}

/// (id, root id, relative path, content hash, first seen) of a duplicate.
pub type DupeMember = (i64, i64, String, i64, i64);

/// (node, source, confidence, model version, created) of a capture's taxon link.
type TaxonLink = (i64, String, Option<f64>, Option<String>, i64);

/// Most rows written or looked up in one statement (keeps both backends well
/// under their placeholder limits).
pub const BATCH: usize = 500;

/// What the scanner needs to know of a file it may not need to read.
#[derive(Debug, Clone, Copy, Queryable)]
pub struct IndexEntry {
    /// Row id.
    pub id: i64,
    /// Path key.
    pub path_key: i64,
    /// Size.
    pub size: i64,
    /// mtime (ns).
    pub mtime_ns: i64,
    /// Missing flag.
    pub missing: bool,
}

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

/// New content for a file whose size or mtime changed.
#[derive(Debug, Clone)]
pub struct ContentUpdate {
    /// Bytes.
    pub size: i64,
    /// mtime.
    pub mtime_ns: i64,
    /// New hash.
    pub content_hash: Option<i64>,
    /// Kind.
    pub kind: String,
    /// Format.
    pub format: String,
    /// Width.
    pub width: Option<i32>,
    /// Height.
    pub height: Option<i32>,
    /// Problem, if any.
    pub error: Option<String>,
}

/// Where a file moved to.
#[derive(Debug, Clone)]
pub struct NewPlace {
    /// Root.
    pub root_id: i64,
    /// Path text.
    pub rel_path: String,
    /// Path key.
    pub path_key: i64,
    /// Folder key.
    pub dir_key: i64,
    /// Exact bytes.
    pub raw_path: Option<Vec<u8>>,
    /// mtime at the new place.
    pub mtime_ns: i64,
}

impl Catalog {
    // ---- roots -------------------------------------------------------

    /// Adds a root named `name` at `path` on `machine`.
    pub fn add_root(&mut self, name: &str, path: &str, machine: &str, is_backup: bool, now_ms: i64) -> Result<Root> {
        if self.root_by_name(name)?.is_some() {
            return Err(CatalogError::Invalid(format!("a root named '{name}' already exists")));
        }
        let uuid = uuid::Uuid::new_v4().to_string();
        self.transaction(|cat| -> Result<Root> {
            with_conn!(cat, c => diesel::insert_into(roots::table)
                .values(&NewRoot { uuid: &uuid, name, is_backup, created_ms: now_ms })
                .execute(c))?;
            let root: Root =
                with_conn!(cat, c => roots::table.filter(roots::uuid.eq(&uuid)).select(Root::as_select()).first(c))?;
            cat.set_location(root.id, machine, path, now_ms)?;
            Ok(root)
        })
    }

    /// The root called `name`.
    pub fn root_by_name(&mut self, name: &str) -> Result<Option<Root>> {
        Ok(
            with_conn!(self, c => roots::table.filter(roots::name.eq(name)).select(Root::as_select()).first(c).optional())?,
        )
    }

    /// Every root, with its location on `machine` when it has one.
    pub fn roots(&mut self, machine: &str) -> Result<Vec<(Root, Option<String>)>> {
        let all: Vec<Root> = with_conn!(self, c => roots::table.order(roots::id).select(Root::as_select()).load(c))?;
        let locs: Vec<(i64, String)> = with_conn!(self, c => root_locations::table
            .filter(root_locations::machine.eq(machine))
            .select((root_locations::root_id, root_locations::path))
            .load(c))?;
        Ok(all
            .into_iter()
            .map(|r| {
                let loc = locs.iter().find(|(id, _)| *id == r.id).map(|(_, p)| p.clone());
                (r, loc)
            })
            .collect())
    }

    /// Sets where `root_id` lives on `machine` (relocation keeps every row).
    pub fn set_location(&mut self, root_id: i64, machine: &str, path: &str, now_ms: i64) -> Result<()> {
        with_conn!(self, c => diesel::delete(root_locations::table
            .filter(root_locations::root_id.eq(root_id))
            .filter(root_locations::machine.eq(machine)))
            .execute(c))?;
        with_conn!(self, c => diesel::insert_into(root_locations::table)
            .values(&NewLocation { root_id, machine, path, updated_ms: now_ms })
            .execute(c))?;
        Ok(())
    }

    // ---- files -------------------------------------------------------

    /// The scanner's view of every file of a root.
    pub fn file_index(&mut self, root_id: i64) -> Result<Vec<IndexEntry>> {
        Ok(with_conn!(self, c => files::table
            .filter(files::root_id.eq(root_id))
            .select((files::id, files::path_key, files::size, files::mtime_ns, files::missing))
            .load(c))?)
    }

    /// Inserts files; returns their ids in the same order.
    pub fn insert_files(&mut self, rows: &[NewFile]) -> Result<Vec<i64>> {
        let mut ids = Vec::with_capacity(rows.len());
        for chunk in rows.chunks(BATCH) {
            with_conn!(self, c => diesel::insert_into(files::table).values(chunk).execute(c))?;
            let root_id = chunk[0].root_id;
            debug_assert!(chunk.iter().all(|r| r.root_id == root_id));
            let keys: Vec<i64> = chunk.iter().map(|r| r.path_key).collect();
            let found: Vec<(i64, i64)> = with_conn!(self, c => files::table
                .filter(files::root_id.eq(root_id))
                .filter(files::path_key.eq_any(&keys))
                .select((files::path_key, files::id))
                .load(c))?;
            let map: std::collections::HashMap<i64, i64> = found.into_iter().collect();
            for k in keys {
                ids.push(*map.get(&k).ok_or_else(|| CatalogError::Invalid("inserted file row not found".into()))?);
            }
        }
        Ok(ids)
    }

    /// Records new content for a changed file.
    pub fn update_content(&mut self, id: i64, u: &ContentUpdate, now_ms: i64) -> Result<()> {
        with_conn!(self, c => diesel::update(files::table.find(id))
            .set((
                files::size.eq(u.size),
                files::mtime_ns.eq(u.mtime_ns),
                files::content_hash.eq(u.content_hash),
                files::kind.eq(&u.kind),
                files::format.eq(&u.format),
                files::width.eq(u.width),
                files::height.eq(u.height),
                files::error.eq(&u.error),
                files::missing.eq(false),
                files::last_seen_ms.eq(now_ms),
            ))
            .execute(c))?;
        Ok(())
    }

    /// Points a file at a capture.
    pub fn set_file_capture(&mut self, id: i64, capture_id: Option<i64>) -> Result<()> {
        with_conn!(self, c => diesel::update(files::table.find(id)).set(files::capture_id.eq(capture_id)).execute(c))?;
        Ok(())
    }

    /// Adds a content-history entry.
    pub fn record_history(
        &mut self,
        file_id: i64,
        hash: i64,
        size: i64,
        mtime_ns: i64,
        now_ms: i64,
        scan_id: i64,
    ) -> Result<()> {
        with_conn!(self, c => diesel::insert_into(content_history::table)
            .values((
                content_history::file_id.eq(file_id),
                content_history::content_hash.eq(hash),
                content_history::size.eq(size),
                content_history::mtime_ns.eq(mtime_ns),
                content_history::seen_ms.eq(now_ms),
                content_history::scan_id.eq(Some(scan_id)),
            ))
            .execute(c))?;
        Ok(())
    }

    /// Every hash a file has had, oldest first.
    pub fn history(&mut self, file_id: i64) -> Result<Vec<(i64, i64, i64)>> {
        Ok(with_conn!(self, c => content_history::table
            .filter(content_history::file_id.eq(file_id))
            .order(content_history::id)
            .select((content_history::content_hash, content_history::size, content_history::seen_ms))
            .load(c))?)
    }

    /// Marks files missing (they are never deleted: they may hold the user's work).
    pub fn mark_missing(&mut self, ids: &[i64]) -> Result<()> {
        for chunk in ids.chunks(BATCH) {
            with_conn!(self, c => diesel::update(files::table.filter(files::id.eq_any(chunk)))
                .set(files::missing.eq(true))
                .execute(c))?;
        }
        Ok(())
    }

    /// Records that a scan starting at `started_ms` walked the whole root.
    /// (Unchanged files are not stamped one by one: their last sighting is
    /// this time, which keeps a rescan of a million files read-only.)
    pub fn set_root_scanned(&mut self, root_id: i64, started_ms: i64) -> Result<()> {
        with_conn!(self, c => diesel::update(roots::table.find(root_id)).set(roots::last_scan_ms.eq(Some(started_ms))).execute(c))?;
        Ok(())
    }

    /// Present files with this content.
    pub fn files_with_hash(&mut self, hash: i64) -> Result<Vec<FileRow>> {
        Ok(with_conn!(self, c => files::table
            .filter(files::content_hash.eq(hash))
            .filter(files::missing.eq(false))
            .order(files::id)
            .select(FileRow::as_select())
            .load(c))?)
    }

    /// Every file with this content, present or missing.
    pub fn files_with_hash_any(&mut self, hash: i64) -> Result<Vec<FileRow>> {
        Ok(with_conn!(self, c => files::table
            .filter(files::content_hash.eq(hash))
            .order(files::id)
            .select(FileRow::as_select())
            .load(c))?)
    }

    /// Moves a file row to a new place (same content found elsewhere).
    pub fn move_file(&mut self, id: i64, to: &NewPlace, now_ms: i64) -> Result<()> {
        with_conn!(self, c => diesel::update(files::table.find(id))
            .set((
                files::root_id.eq(to.root_id),
                files::rel_path.eq(&to.rel_path),
                files::path_key.eq(to.path_key),
                files::dir_key.eq(to.dir_key),
                files::raw_path.eq(&to.raw_path),
                files::mtime_ns.eq(to.mtime_ns),
                files::missing.eq(false),
                files::last_seen_ms.eq(now_ms),
            ))
            .execute(c))?;
        Ok(())
    }

    /// Deletes a file row created by this scan for content that turned out
    /// to be a moved file (the old row keeps the identity). Refuses rows
    /// anything else points at.
    pub fn delete_new_file(&mut self, id: i64) -> Result<()> {
        with_conn!(self, c => diesel::delete(file_relations::table
            .filter(file_relations::file_id.eq(id).or(file_relations::other_file_id.eq(id))))
            .execute(c))?;
        with_conn!(self, c => diesel::delete(content_history::table.filter(content_history::file_id.eq(id))).execute(c))?;
        with_conn!(self, c => diesel::delete(files::table.find(id)).execute(c))?;
        Ok(())
    }

    /// One file.
    pub fn file(&mut self, id: i64) -> Result<FileRow> {
        Ok(with_conn!(self, c => files::table.find(id).select(FileRow::as_select()).first(c))?)
    }

    /// The file at a path.
    pub fn file_by_key(&mut self, root_id: i64, path_key: i64) -> Result<Option<FileRow>> {
        Ok(with_conn!(self, c => files::table
            .filter(files::root_id.eq(root_id))
            .filter(files::path_key.eq(path_key))
            .select(FileRow::as_select())
            .first(c)
            .optional())?)
    }

    /// Files of one folder.
    pub fn files_in_dir(&mut self, root_id: i64, dir_key: i64) -> Result<Vec<FileRow>> {
        Ok(with_conn!(self, c => files::table
            .filter(files::root_id.eq(root_id))
            .filter(files::dir_key.eq(dir_key))
            .order(files::id)
            .select(FileRow::as_select())
            .load(c))?)
    }

    /// Files of a capture.
    pub fn files_of_capture(&mut self, capture_id: i64) -> Result<Vec<FileRow>> {
        Ok(with_conn!(self, c => files::table
            .filter(files::capture_id.eq(capture_id))
            .order(files::id)
            .select(FileRow::as_select())
            .load(c))?)
    }

    /// Files by id.
    pub fn files_by_ids(&mut self, ids: &[i64]) -> Result<Vec<FileRow>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(BATCH) {
            let rows: Vec<FileRow> = with_conn!(self, c => files::table.filter(files::id.eq_any(chunk)).select(FileRow::as_select()).load(c))?;
            out.extend(rows);
        }
        Ok(out)
    }

    /// A page of files in id order after `after_id` (keyset paging keeps
    /// listing a million rows in bounded memory).
    pub fn files_page(&mut self, after_id: i64, limit: i64) -> Result<Vec<FileRow>> {
        Ok(with_conn!(self, c => files::table
            .filter(files::id.gt(after_id))
            .order(files::id)
            .limit(limit)
            .select(FileRow::as_select())
            .load(c))?)
    }

    // ---- captures ----------------------------------------------------

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
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(BATCH) {
            let rows: Vec<CaptureRow> = with_conn!(self, c => captures::table
                .filter(captures::id.eq_any(chunk))
                .select(CaptureRow::as_select())
                .load(c))?;
            out.extend(rows);
        }
        Ok(out)
    }

    /// Overwrites a capture's fields.
    pub fn update_capture(&mut self, id: i64, fields: &CaptureFields) -> Result<()> {
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
        for (node, source, conf, mv, created) in taxa {
            with_conn!(self, c => diesel::insert_or_ignore_into(capture_taxa::table)
                .values((
                    capture_taxa::capture_id.eq(into),
                    capture_taxa::node_id.eq(node),
                    capture_taxa::source.eq(&source),
                    capture_taxa::confidence.eq(conf),
                    capture_taxa::model_version.eq(&mv),
                    capture_taxa::created_ms.eq(created),
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

    // ---- relations ---------------------------------------------------

    /// Records relations (ones already known are ignored).
    pub fn add_relations(&mut self, rels: &[Relation]) -> Result<()> {
        for chunk in rels.chunks(BATCH) {
            with_conn!(self, c => diesel::insert_or_ignore_into(file_relations::table).values(chunk).execute(c))?;
        }
        Ok(())
    }

    /// Relations touching any of these files.
    pub fn relations_for(&mut self, ids: &[i64]) -> Result<Vec<Relation>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(BATCH) {
            let rows: Vec<Relation> = with_conn!(self, c => file_relations::table
                .filter(file_relations::file_id.eq_any(chunk).or(file_relations::other_file_id.eq_any(chunk)))
                .order(file_relations::id)
                .select(Relation::as_select())
                .load(c))?;
            out.extend(rows);
        }
        out.dedup();
        Ok(out)
    }

    // ---- scans -------------------------------------------------------

    /// Opens a scan's audit record.
    pub fn begin_scan(&mut self, machine: &str, now_ms: i64) -> Result<i64> {
        let values = (scans::machine.eq(machine), scans::started_ms.eq(now_ms), scans::status.eq("running"));
        match &mut self.conn {
            Conn::Sqlite(c) => {
                diesel::insert_into(scans::table).values(values).execute(c)?;
                Ok(diesel::select(last_insert_rowid()).get_result::<i64>(c)?)
            }
            Conn::Mysql(c) => {
                diesel::insert_into(scans::table).values(values).execute(c)?;
                Ok(diesel::select(last_insert_id()).get_result::<u64>(c)? as i64)
            }
        }
    }

    /// Closes a scan's audit record.
    pub fn finish_scan(&mut self, s: &ScanRow) -> Result<()> {
        with_conn!(self, c => diesel::update(scans::table.find(s.id))
            .set((
                scans::finished_ms.eq(s.finished_ms),
                scans::status.eq(&s.status),
                scans::seen.eq(s.seen),
                scans::new_files.eq(s.new_files),
                scans::changed.eq(s.changed),
                scans::unchanged.eq(s.unchanged),
                scans::moved.eq(s.moved),
                scans::missing.eq(s.missing),
                scans::errors.eq(s.errors),
            ))
            .execute(c))?;
        Ok(())
    }

    /// Recent scans, newest first.
    pub fn scans(&mut self, limit: i64) -> Result<Vec<ScanRow>> {
        Ok(
            with_conn!(self, c => scans::table.order(scans::id.desc()).limit(limit).select(ScanRow::as_select()).load(c))?,
        )
    }

    /// Records problems met while walking (unreadable folders, link loops).
    pub fn add_problems(&mut self, scan_id: i64, root_id: i64, problems: &[(String, String)]) -> Result<()> {
        for chunk in problems.chunks(BATCH) {
            let rows: Vec<_> = chunk
                .iter()
                .map(|(p, m)| {
                    (
                        scan_problems::scan_id.eq(scan_id),
                        scan_problems::root_id.eq(root_id),
                        scan_problems::rel_path.eq(p),
                        scan_problems::message.eq(m),
                    )
                })
                .collect();
            with_conn!(self, c => diesel::insert_into(scan_problems::table).values(&rows).execute(c))?;
        }
        Ok(())
    }

    /// Problems recorded by one scan: (root id, path, message).
    pub fn problems(&mut self, scan_id: i64) -> Result<Vec<(i64, String, String)>> {
        Ok(with_conn!(self, c => scan_problems::table
            .filter(scan_problems::scan_id.eq(scan_id))
            .order(scan_problems::id)
            .select((scan_problems::root_id, scan_problems::rel_path, scan_problems::message))
            .load(c))?)
    }

    // ---- status and duplicates ---------------------------------------

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
    pub fn duplicate_hashes(&mut self) -> Result<Vec<i64>> {
        if self.stats_current()? {
            return Ok(with_conn!(self, c => duplicate_hashes::table.select(duplicate_hashes::content_hash).load(c))?);
        }
        self.live_duplicate_hashes()
    }

    fn live_duplicate_hashes(&mut self) -> Result<Vec<i64>> {
        let v: Vec<Option<i64>> = with_conn!(self, c => files::table
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
            rows.sort_by_key(|r| r.0);
            return Ok(rows);
        }
        let hashes = self.live_duplicate_hashes()?;
        let mut out = Vec::new();
        for chunk in hashes.chunks(BATCH) {
            let rows: Vec<(i64, i64, String, Option<i64>, i64)> = with_conn!(self, c => files::table
                .filter(files::content_hash.eq_any(chunk))
                .filter(files::missing.eq(false))
                .select((files::id, files::root_id, files::rel_path, files::content_hash, files::first_seen_ms))
                .load(c))?;
            out.extend(rows.into_iter().map(|(id, root, rel, h, seen)| (id, root, rel, h.unwrap_or_default(), seen)));
        }
        out.sort_by_key(|r| r.0);
        Ok(out)
    }

    /// Roots by id.
    pub fn root(&mut self, id: i64) -> Result<Root> {
        Ok(with_conn!(self, c => roots::table.find(id).select(Root::as_select()).first(c))?)
    }

    // ---- taxonomies --------------------------------------------------

    /// The taxonomy called `name`.
    pub fn taxonomy(&mut self, name: &str) -> Result<Option<Taxonomy>> {
        Ok(
            with_conn!(self, c => taxonomies::table.filter(taxonomies::name.eq(name)).select(Taxonomy::as_select()).first(c).optional())?,
        )
    }

    /// All taxonomies.
    pub fn taxonomies(&mut self) -> Result<Vec<Taxonomy>> {
        Ok(with_conn!(self, c => taxonomies::table.order(taxonomies::id).select(Taxonomy::as_select()).load(c))?)
    }

    /// Creates (or empties, for a new version) the taxonomy `name`; returns its id.
    pub fn reset_taxonomy(&mut self, name: &str, format: &str, source_hash: i64, now_ms: i64) -> Result<i64> {
        if let Some(t) = self.taxonomy(name)? {
            let linked: i64 = with_conn!(self, c => capture_taxa::table
                .inner_join(taxonomy_nodes::table)
                .filter(taxonomy_nodes::taxonomy_id.eq(t.id))
                .count()
                .get_result(c))?;
            if linked > 0 {
                return Err(CatalogError::Invalid(format!(
                    "taxonomy '{name}' has {linked} links to photos; import the new version under another name"
                )));
            }
            with_conn!(self, c => diesel::update(taxonomy_nodes::table.filter(taxonomy_nodes::taxonomy_id.eq(t.id)))
                .set(taxonomy_nodes::parent_id.eq(None::<i64>))
                .execute(c))?;
            with_conn!(self, c => diesel::delete(taxonomy_nodes::table.filter(taxonomy_nodes::taxonomy_id.eq(t.id))).execute(c))?;
            with_conn!(self, c => diesel::update(taxonomies::table.find(t.id))
                .set((taxonomies::source_format.eq(format), taxonomies::source_hash.eq(source_hash), taxonomies::node_count.eq(0), taxonomies::imported_ms.eq(now_ms)))
                .execute(c))?;
            return Ok(t.id);
        }
        with_conn!(self, c => diesel::insert_into(taxonomies::table)
            .values((
                taxonomies::name.eq(name),
                taxonomies::source_format.eq(format),
                taxonomies::source_hash.eq(source_hash),
                taxonomies::node_count.eq(0),
                taxonomies::imported_ms.eq(now_ms),
            ))
            .execute(c))?;
        Ok(self.taxonomy(name)?.map(|t| t.id).unwrap_or_default())
    }

    /// Inserts a batch of nodes.
    pub fn insert_taxa(&mut self, nodes: &[NewTaxon]) -> Result<()> {
        for chunk in nodes.chunks(BATCH) {
            with_conn!(self, c => diesel::insert_into(taxonomy_nodes::table).values(chunk).execute(c))?;
        }
        Ok(())
    }

    /// Links every node of a taxonomy to its parent row; returns the node
    /// count. One set-based statement per backend (MariaDB cannot update a
    /// table from a subquery on itself, so it joins instead).
    pub fn resolve_taxonomy(&mut self, taxonomy_id: i64) -> Result<i64> {
        match &mut self.conn {
            Conn::Sqlite(c) => {
                diesel::sql_query(
                    "UPDATE taxonomy_nodes SET parent_id = (SELECT p.id FROM taxonomy_nodes p \
                     WHERE p.taxonomy_id = taxonomy_nodes.taxonomy_id AND p.external_id = taxonomy_nodes.parent_external_id) \
                     WHERE taxonomy_id = ? AND parent_external_id IS NOT NULL",
                )
                .bind::<diesel::sql_types::BigInt, _>(taxonomy_id)
                .execute(c)?;
            }
            Conn::Mysql(c) => {
                diesel::sql_query(
                    "UPDATE taxonomy_nodes n JOIN taxonomy_nodes p \
                     ON p.taxonomy_id = n.taxonomy_id AND p.external_id = n.parent_external_id \
                     SET n.parent_id = p.id WHERE n.taxonomy_id = ?",
                )
                .bind::<diesel::sql_types::BigInt, _>(taxonomy_id)
                .execute(c)?;
            }
        }
        let n: i64 = with_conn!(self, c => taxonomy_nodes::table.filter(taxonomy_nodes::taxonomy_id.eq(taxonomy_id)).count().get_result(c))?;
        with_conn!(self, c => diesel::update(taxonomies::table.find(taxonomy_id)).set(taxonomies::node_count.eq(n)).execute(c))?;
        Ok(n)
    }

    /// A node's path from the top: names from root to the node.
    pub fn taxon_lineage(&mut self, taxonomy_id: i64, external_id: &str) -> Result<Vec<(String, Option<String>)>> {
        let mut out = Vec::new();
        let mut cur: Option<(Option<i64>, String, Option<String>)> = with_conn!(self, c => taxonomy_nodes::table
            .filter(taxonomy_nodes::taxonomy_id.eq(taxonomy_id))
            .filter(taxonomy_nodes::external_id.eq(external_id))
            .select((taxonomy_nodes::parent_id, taxonomy_nodes::name, taxonomy_nodes::taxon_rank))
            .first(c)
            .optional())?;
        while let Some((parent, name, rank)) = cur {
            out.push((name, rank));
            if out.len() > 200 {
                break; // a cycle in bad source data
            }
            cur = match parent {
                Some(p) => with_conn!(self, c => taxonomy_nodes::table
                    .find(p)
                    .select((taxonomy_nodes::parent_id, taxonomy_nodes::name, taxonomy_nodes::taxon_rank))
                    .first(c)
                    .optional())?,
                None => None,
            };
        }
        out.reverse();
        Ok(out)
    }

    /// Nodes whose parent id in the source is not in the taxonomy.
    pub fn orphan_taxa(&mut self, taxonomy_id: i64) -> Result<i64> {
        Ok(with_conn!(self, c => taxonomy_nodes::table
            .filter(taxonomy_nodes::taxonomy_id.eq(taxonomy_id))
            .filter(taxonomy_nodes::parent_external_id.is_not_null())
            .filter(taxonomy_nodes::parent_id.is_null())
            .count()
            .get_result(c))?)
    }
}

//! File rows: the scanner's index, inserts, content changes and history,
//! moves, missing files, and the look-ups by id, path, folder and hash.

use diesel::prelude::*;
use hma_media::ContentHash;

use crate::models::*;
use crate::schema::*;
use crate::{with_conn, Catalog, CatalogError, Result, BATCH};

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

/// One content a file had, as its content history keeps it.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = content_history)]
pub struct HistoryRow {
    pub content_hash: ContentHash,
    /// Bytes.
    pub size: i64,
    /// When a scan first saw it.
    pub seen_ms: i64,
}

/// New content for a file whose size or mtime changed.
#[derive(Debug, Clone)]
pub struct ContentUpdate {
    /// Bytes.
    pub size: i64,
    /// mtime.
    pub mtime_ns: i64,
    /// New hash.
    pub content_hash: Option<ContentHash>,
    /// Kind.
    pub kind: hma_media::Kind,
    /// Format.
    pub format: hma_media::Format,
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
        hash: ContentHash,
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

    /// Every content a file has had, oldest first.
    pub fn history(&mut self, file_id: i64) -> Result<Vec<HistoryRow>> {
        Ok(with_conn!(self, c => content_history::table
            .filter(content_history::file_id.eq(file_id))
            .order(content_history::id)
            .select(HistoryRow::as_select())
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
    pub fn files_with_hash(&mut self, hash: ContentHash) -> Result<Vec<FileRow>> {
        Ok(with_conn!(self, c => files::table
            .filter(files::content_hash.eq(hash))
            .filter(files::missing.eq(false))
            .order(files::id)
            .select(FileRow::as_select())
            .load(c))?)
    }

    /// Every file with this content, present or missing.
    pub fn files_with_hash_any(&mut self, hash: ContentHash) -> Result<Vec<FileRow>> {
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
        self.by_chunks(ids, |cat, chunk| {
            Ok(with_conn!(cat, c => files::table.filter(files::id.eq_any(chunk)).select(FileRow::as_select()).load(c))?)
        })
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
}

//! Scan runs and the folders they could not read.

use diesel::prelude::*;

use crate::models::*;
use crate::schema::*;
use crate::{last_insert_id, last_insert_rowid};
use crate::{with_conn, Catalog, Conn, Result, BATCH};

/// A problem a scan met (a folder it could not read, a link loop…).
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = scan_problems)]
pub struct ProblemRow {
    pub root_id: i64,
    /// Relative to the root.
    pub rel_path: String,
    pub message: String,
}

impl Catalog {
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

    /// Problems recorded by one scan.
    pub fn problems(&mut self, scan_id: i64) -> Result<Vec<ProblemRow>> {
        Ok(with_conn!(self, c => scan_problems::table
            .filter(scan_problems::scan_id.eq(scan_id))
            .order(scan_problems::id)
            .select(ProblemRow::as_select())
            .load(c))?)
    }
}

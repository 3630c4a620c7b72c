//! Relations between files (RAW+JPEG pairs, edits, sidecars, copies).

use diesel::prelude::*;

use crate::models::*;
use crate::schema::*;
use crate::{with_conn, Catalog, Result, BATCH};

impl Catalog {
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
}

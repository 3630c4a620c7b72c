//! Relations between files (RAW+JPEG pairs, edits, sidecars, copies).

use diesel::prelude::*;

use crate::models::*;
use crate::schema::*;
use crate::{with_conn, Catalog, Result, BATCH};

/// What links two files (see [`Relation`]); stored as its snake_case name.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[serde(rename_all = "snake_case")]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum RelationKind {
    /// A camera's JPEG and its RAW of the same shot (the file is the JPEG).
    RawJpegPair,
    /// An edited or exported version of the other file.
    EditOf,
    /// An XMP sidecar of the other file.
    SidecarOf,
    /// The same bytes as the other file.
    SameContent,
}

impl RelationKind {
    /// Its stored (and JSON) name.
    pub fn as_str(self) -> &'static str {
        match self {
            RelationKind::RawJpegPair => "raw_jpeg_pair",
            RelationKind::EditOf => "edit_of",
            RelationKind::SidecarOf => "sidecar_of",
            RelationKind::SameContent => "same_content",
        }
    }
}

crate::text_enum!(
    RelationKind,
    "relation kind",
    [RelationKind::RawJpegPair, RelationKind::EditOf, RelationKind::SidecarOf, RelationKind::SameContent]
);

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

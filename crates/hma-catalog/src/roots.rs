//! Roots (the folders and drives the catalogue covers) and where each is on
//! each machine; whether their photos get XMP sidecars, and the sidecars
//! written.

use diesel::prelude::*;

use crate::models::*;
use crate::schema::*;
use crate::{with_conn, Catalog, CatalogError, Result};

impl Catalog {
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

    /// Turns writing XMP sidecars for `root_id`'s photos on or off.
    pub fn set_root_sidecars(&mut self, root_id: i64, on: bool) -> Result<()> {
        with_conn!(self, c => diesel::update(roots::table.find(root_id)).set(roots::sidecars.eq(on)).execute(c))?;
        Ok(())
    }

    /// The sidecars last written for a capture (one per copy in a root with sidecars on).
    pub fn sidecars_of(&mut self, capture_id: i64) -> Result<Vec<SidecarRow>> {
        Ok(with_conn!(self, c => sidecars::table
            .filter(sidecars::capture_id.eq(capture_id))
            .select(SidecarRow::as_select())
            .load(c))?)
    }

    /// Records the sidecar just written for a capture (replacing the last
    /// record of that file).
    pub fn put_sidecar(&mut self, row: &SidecarRow) -> Result<()> {
        self.transaction(|cat| -> Result<()> {
            with_conn!(cat, c => diesel::delete(sidecars::table
                .filter(sidecars::capture_id.eq(row.capture_id))
                .filter(sidecars::root_id.eq(row.root_id))
                .filter(sidecars::rel_path.eq(&row.rel_path)))
                .execute(c))?;
            with_conn!(cat, c => diesel::insert_into(sidecars::table).values(row).execute(c))?;
            Ok(())
        })
    }

    /// The captures with a file in `root_id` that a sidecar has something
    /// to say about: a decision made here, or a face of a named person or
    /// pet (those in other roots too; the sidecar writer skips roots with
    /// sidecars off).
    pub fn captures_for_sidecars(&mut self, root_id: i64) -> Result<Vec<i64>> {
        let mut ids: Vec<i64> = with_conn!(self, c => files::table
            .inner_join(decisions::table.on(files::capture_id.eq(decisions::capture_id.nullable())))
            .filter(files::root_id.eq(root_id))
            .select(decisions::capture_id)
            .distinct()
            .load(c))?;
        let named_faces: Vec<i64> = with_conn!(self, c => face_people::table
            .inner_join(people::table.on(face_people::person_id.eq(people::id.nullable())))
            .filter(people::name.is_not_null())
            .filter(face_people::source.ne("rejected"))
            .select(face_people::face_id)
            .distinct()
            .load(c))?;
        ids.extend(self.captures_of_faces(&named_faces)?);
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }

    /// Roots by id.
    pub fn root(&mut self, id: i64) -> Result<Root> {
        Ok(with_conn!(self, c => roots::table.find(id).select(Root::as_select()).first(c))?)
    }
}

/// The XMP sidecar last written for a capture, and its size and
/// modification time right after: another size or time means another
/// program changed it since.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = sidecars)]
pub struct SidecarRow {
    pub capture_id: i64,
    pub root_id: i64,
    /// The sidecar's path in its root (`/`-separated).
    pub rel_path: String,
    pub size: i64,
    pub mtime_ms: i64,
    pub written_ms: i64,
}

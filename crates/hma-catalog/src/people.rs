//! People and pets, and whose face each face is (clusters found by the
//! faces job are unnamed people rows). Named people are also the `people`
//! taxonomy, linked to the captures they are in, so every path that reads
//! taxonomies sees them.

use std::collections::HashMap;

use diesel::prelude::*;
use hma_media::ContentHash;

use crate::schema::*;
use crate::{with_conn, Catalog, CatalogError, Conn, Result, BATCH};

/// A person, a pet, or an unnamed cluster of faces (`name` None).
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = people)]
pub struct PersonRow {
    pub id: i64,
    pub name: Option<String>,
    /// person or pet.
    pub kind: String,
    /// YYYY-MM-DD.
    pub birthday: Option<String>,
    pub cover_face: Option<i64>,
    pub created_ms: i64,
}

/// Who a face is: auto (the clustering), confirmed (the user) or rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Auto,
    Confirmed,
    Rejected,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Auto => "auto",
            Source::Confirmed => "confirmed",
            Source::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Source> {
        match s {
            "auto" => Some(Source::Auto),
            "confirmed" => Some(Source::Confirmed),
            "rejected" => Some(Source::Rejected),
            _ => None,
        }
    }
}

/// One face-to-person row.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = face_people)]
pub struct Assignment {
    pub face_id: i64,
    /// None with a rejection: not a face.
    pub person_id: Option<i64>,
    pub source: String,
    pub distance: Option<f64>,
}

/// A face as the clustering reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct IdentityFace {
    pub id: i64,
    /// SFace's embedding, 128 little-endian f32.
    pub embedding: Vec<u8>,
    /// How well it shows its person (for the cover).
    pub quality: f64,
    /// Its picture.
    pub content_hash: ContentHash,
}

/// The taxonomy named people are nodes of (external id: the person's id).
pub const PEOPLE_TAXONOMY: &str = "people";

/// Set-based statements that differ by backend.
fn backend_sql(cat: &Catalog, sqlite: &'static str, mysql: &'static str) -> &'static str {
    match cat.conn {
        Conn::Sqlite(_) => sqlite,
        Conn::Mysql(_) => mysql,
    }
}

impl Catalog {
    /// Every person, pet and cluster, by id.
    pub fn people(&mut self) -> Result<Vec<PersonRow>> {
        Ok(with_conn!(self, c => people::table.order(people::id).select(PersonRow::as_select()).load(c))?)
    }

    /// A person by id.
    pub fn person(&mut self, id: i64) -> Result<Option<PersonRow>> {
        Ok(with_conn!(self, c => people::table.find(id).select(PersonRow::as_select()).first(c).optional())?)
    }

    /// The names of these people (those named).
    pub fn people_names(&mut self, ids: &[i64]) -> Result<HashMap<i64, String>> {
        let v: Vec<(i64, Option<String>)> = self.by_chunks(ids, |cat, chunk| {
            Ok(with_conn!(cat, c => people::table
                .filter(people::id.eq_any(chunk))
                .filter(people::name.is_not_null())
                .select((people::id, people::name))
                .load(c))?)
        })?;
        Ok(v.into_iter().filter_map(|(id, n)| Some((id, n?))).collect())
    }

    /// A named person or pet by name: exact, else ignoring case (when that
    /// is unambiguous).
    pub fn person_named(&mut self, name: &str) -> Result<Option<PersonRow>> {
        let exact = with_conn!(self, c => people::table
            .filter(people::name.eq(name))
            .select(PersonRow::as_select())
            .first(c)
            .optional())?;
        if exact.is_some() {
            return Ok(exact);
        }
        let lower = name.to_lowercase();
        let mut like: Vec<PersonRow> = self
            .people()?
            .into_iter()
            .filter(|p| p.name.as_deref().is_some_and(|n| n.to_lowercase() == lower))
            .collect();
        Ok(if like.len() == 1 { like.pop() } else { None })
    }

    /// Adds a person (or an unnamed cluster: `name` None); returns its id.
    pub fn add_person(&mut self, name: Option<&str>, kind: &str, birthday: Option<&str>, now_ms: i64) -> Result<i64> {
        self.transaction(|cat| {
            with_conn!(cat, c => diesel::insert_into(people::table)
                .values((
                    people::name.eq(name),
                    people::kind.eq(kind),
                    people::birthday.eq(birthday),
                    people::cover_face.eq(None::<i64>),
                    people::created_ms.eq(now_ms),
                ))
                .execute(c))?;
            let id: i64 =
                with_conn!(cat, c => people::table.select(diesel::dsl::max(people::id)).first::<Option<i64>>(c))?
                    .ok_or_else(|| CatalogError::Invalid("person not stored".into()))?;
            Ok(id)
        })
    }

    /// Names (or renames) a person and sets what is given of kind and birthday.
    pub fn set_person(
        &mut self,
        id: i64,
        name: Option<&str>,
        kind: Option<&str>,
        birthday: Option<Option<&str>>,
    ) -> Result<()> {
        if let Some(n) = name {
            with_conn!(self, c => diesel::update(people::table.find(id)).set(people::name.eq(n)).execute(c))?;
        }
        if let Some(k) = kind {
            with_conn!(self, c => diesel::update(people::table.find(id)).set(people::kind.eq(k)).execute(c))?;
        }
        if let Some(b) = birthday {
            with_conn!(self, c => diesel::update(people::table.find(id)).set(people::birthday.eq(b)).execute(c))?;
        }
        Ok(())
    }

    /// Sets people's cover faces.
    pub fn set_covers(&mut self, covers: &[(i64, Option<i64>)]) -> Result<()> {
        for &(id, face) in covers {
            with_conn!(self, c => diesel::update(people::table.find(id)).set(people::cover_face.eq(face)).execute(c))?;
        }
        Ok(())
    }

    /// Removes people rows (their faces' rows go with them).
    pub fn delete_people(&mut self, ids: &[i64]) -> Result<()> {
        for chunk in ids.chunks(BATCH) {
            with_conn!(self, c => diesel::delete(face_people::table.filter(face_people::person_id.eq_any(chunk))).execute(c))?;
            with_conn!(self, c => diesel::delete(people::table.filter(people::id.eq_any(chunk))).execute(c))?;
        }
        Ok(())
    }

    /// Faces assigned (auto or confirmed) per person.
    pub fn people_face_counts(&mut self) -> Result<HashMap<i64, i64>> {
        let v: Vec<(Option<i64>, i64)> = with_conn!(self, c => face_people::table
            .filter(face_people::source.ne(Source::Rejected.as_str()))
            .group_by(face_people::person_id)
            .select((face_people::person_id, diesel::dsl::count_star()))
            .load(c))?;
        Ok(v.into_iter().filter_map(|(p, n)| Some((p?, n))).collect())
    }

    /// Every face-to-person row (for the clustering: confirmed faces hold
    /// their person, rejections are kept).
    pub fn assignments(&mut self) -> Result<Vec<Assignment>> {
        Ok(with_conn!(self, c => face_people::table.order(face_people::id).select(Assignment::as_select()).load(c))?)
    }

    /// The person (auto or confirmed) of each of these faces that has one.
    pub fn persons_of_faces(&mut self, face_ids: &[i64]) -> Result<HashMap<i64, Assignment>> {
        let v = self.by_chunks(face_ids, |cat, chunk| {
            Ok(with_conn!(cat, c => face_people::table
                .filter(face_people::face_id.eq_any(chunk))
                .filter(face_people::source.ne(Source::Rejected.as_str()))
                .select(Assignment::as_select())
                .load(c))?)
        })?;
        Ok(v.into_iter().map(|a| (a.face_id, a)).collect())
    }

    /// The faces of a person (auto or confirmed), with their rows.
    pub fn faces_of_person(&mut self, person_id: i64) -> Result<Vec<(crate::FaceRow, Assignment)>> {
        let v: Vec<(crate::FaceRow, Assignment)> = with_conn!(self, c => face_people::table
            .inner_join(faces::table)
            .filter(face_people::person_id.eq(person_id))
            .filter(face_people::source.ne(Source::Rejected.as_str()))
            .order((faces::confidence.desc(), faces::id))
            .select((crate::FaceRow::as_select(), Assignment::as_select()))
            .load(c))?;
        Ok(v)
    }

    /// Contents with a face of any of these people (auto or confirmed).
    pub fn contents_of_people(&mut self, person_ids: &[i64]) -> Result<Vec<ContentHash>> {
        Ok(with_conn!(self, c => face_people::table
            .inner_join(faces::table)
            .filter(face_people::person_id.eq_any(person_ids))
            .filter(face_people::source.ne(Source::Rejected.as_str()))
            .select(faces::content_hash)
            .distinct()
            .load(c))?)
    }

    /// The named people and pets shown in these contents (auto or
    /// confirmed), as (content, name), once each.
    pub fn names_in_contents(&mut self, hashes: &[ContentHash]) -> Result<Vec<(ContentHash, String)>> {
        let v: Vec<(ContentHash, Option<String>)> = self.by_chunks(hashes, |cat, chunk| {
            Ok(with_conn!(cat, c => face_people::table
                .inner_join(faces::table)
                .inner_join(people::table.on(face_people::person_id.eq(people::id.nullable())))
                .filter(faces::content_hash.eq_any(chunk))
                .filter(face_people::source.ne(Source::Rejected.as_str()))
                .filter(people::name.is_not_null())
                .select((faces::content_hash, people::name))
                .distinct()
                .load(c))?)
        })?;
        Ok(v.into_iter().filter_map(|(h, n)| Some((h, n?))).collect())
    }

    /// Makes these faces `person_id`'s (source confirmed or auto),
    /// replacing whoever they were; a rejection of them from this person
    /// is lifted.
    pub fn assign_faces(&mut self, face_ids: &[i64], person_id: i64, source: Source, now_ms: i64) -> Result<()> {
        self.transaction(|cat| {
            for chunk in face_ids.chunks(BATCH) {
                with_conn!(cat, c => diesel::delete(face_people::table
                    .filter(face_people::face_id.eq_any(chunk))
                    .filter(face_people::source.ne(Source::Rejected.as_str()).or(face_people::person_id.eq(person_id))))
                    .execute(c))?;
                let rows: Vec<_> = chunk
                    .iter()
                    .map(|&f| {
                        (
                            face_people::face_id.eq(f),
                            face_people::person_id.eq(Some(person_id)),
                            face_people::source.eq(source.as_str()),
                            face_people::distance.eq(None::<f64>),
                            face_people::created_ms.eq(now_ms),
                        )
                    })
                    .collect();
                with_conn!(cat, c => diesel::insert_into(face_people::table).values(&rows).execute(c))?;
            }
            Ok(())
        })
    }

    /// The user says face `face_id` is not `person_id` (None: not a face
    /// at all): its assignment goes, the rejection stays.
    pub fn reject_face(&mut self, face_id: i64, person_id: Option<i64>, now_ms: i64) -> Result<()> {
        self.transaction(|cat| {
            with_conn!(cat, c => diesel::delete(face_people::table
                .filter(face_people::face_id.eq(face_id))
                .filter(face_people::source.ne(Source::Rejected.as_str())))
                .execute(c))?;
            with_conn!(cat, c => diesel::insert_into(face_people::table)
                .values((
                    face_people::face_id.eq(face_id),
                    face_people::person_id.eq(person_id),
                    face_people::source.eq(Source::Rejected.as_str()),
                    face_people::distance.eq(None::<f64>),
                    face_people::created_ms.eq(now_ms),
                ))
                .execute(c))?;
            if person_id.is_none() {
                // No face at all: it no longer counts in its picture.
                let h: Option<ContentHash> =
                    with_conn!(cat, c => faces::table.find(face_id).select(faces::content_hash).first(c).optional())?;
                cat.refresh_face_facts(&h.into_iter().collect::<Vec<_>>())?;
            }
            Ok(())
        })
    }

    /// Replaces every automatic assignment with `auto` (face, person,
    /// distance), in batches (call inside a transaction).
    pub fn replace_auto(&mut self, auto: &[(i64, i64, f64)], now_ms: i64) -> Result<()> {
        with_conn!(self, c => diesel::delete(face_people::table.filter(face_people::source.eq(Source::Auto.as_str()))).execute(c))?;
        for chunk in auto.chunks(BATCH) {
            let rows: Vec<_> = chunk
                .iter()
                .map(|&(f, p, d)| {
                    (
                        face_people::face_id.eq(f),
                        face_people::person_id.eq(Some(p)),
                        face_people::source.eq(Source::Auto.as_str()),
                        face_people::distance.eq(Some(d)),
                        face_people::created_ms.eq(now_ms),
                    )
                })
                .collect();
            with_conn!(self, c => diesel::insert_into(face_people::table).values(&rows).execute(c))?;
        }
        Ok(())
    }

    /// Moves everything of person `from` to `into` (faces, rejections)
    /// and removes `from`.
    pub fn merge_people(&mut self, from: i64, into: i64) -> Result<()> {
        self.transaction(|cat| {
            with_conn!(cat, c => diesel::update(face_people::table.filter(face_people::person_id.eq(from)))
                .set(face_people::person_id.eq(Some(into)))
                .execute(c))?;
            with_conn!(cat, c => diesel::delete(people::table.find(from)).execute(c))?;
            Ok(())
        })
    }

    /// The identity embeddings of `model`'s faces at confidence ≥
    /// `min_confidence` that have one, by face id, a page at a time in id
    /// order (for clustering; bounded pages), with how well each shows its
    /// person (confidence × box size, halved when the eyes are not open:
    /// the cover is the best).
    pub fn identity_page(
        &mut self,
        model: &str,
        min_confidence: f64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<IdentityFace>> {
        type Row = (i64, Option<Vec<u8>>, f64, f64, f64, String, ContentHash);
        let v: Vec<Row> = with_conn!(self, c => faces::table
            .filter(faces::model.eq(model))
            .filter(faces::id.gt(after))
            .filter(faces::confidence.ge(min_confidence))
            .filter(faces::embedding.is_not_null())
            .order(faces::id)
            .limit(limit)
            .select((faces::id, faces::embedding, faces::confidence, faces::box_w, faces::box_h, faces::eyes, faces::content_hash))
            .load(c))?;
        Ok(v.into_iter()
            .filter_map(|(id, e, conf, w, h, eyes, content_hash)| {
                let quality = conf * (w * h).sqrt() * if eyes == "open" { 1.0 } else { 0.5 };
                Some(IdentityFace { id, embedding: e?, quality, content_hash })
            })
            .collect())
    }

    /// One face.
    pub fn face(&mut self, id: i64) -> Result<Option<crate::FaceRow>> {
        Ok(with_conn!(self, c => faces::table.find(id).select(crate::FaceRow::as_select()).first(c).optional())?)
    }

    /// These faces (those that exist).
    pub fn faces_by_id(&mut self, ids: &[i64]) -> Result<Vec<crate::FaceRow>> {
        self.by_chunks(ids, |cat, chunk| {
            Ok(with_conn!(cat, c => faces::table
                .filter(faces::id.eq_any(chunk))
                .select(crate::FaceRow::as_select())
                .load(c))?)
        })
    }

    /// Faces of these that the user said are no face at all.
    pub fn not_faces(&mut self, ids: &[i64]) -> Result<std::collections::HashSet<i64>> {
        let v = self.by_chunks(ids, |cat, chunk| {
            Ok(with_conn!(cat, c => face_people::table
                .filter(face_people::face_id.eq_any(chunk))
                .filter(face_people::source.eq(Source::Rejected.as_str()))
                .filter(face_people::person_id.is_null())
                .select(face_people::face_id)
                .load(c))?)
        })?;
        Ok(v.into_iter().collect())
    }

    /// Records that face `face_id` is not person `person_id` (keeping
    /// whoever it is now).
    pub fn add_rejection(&mut self, face_id: i64, person_id: i64, now_ms: i64) -> Result<()> {
        with_conn!(self, c => diesel::insert_into(face_people::table)
            .values((
                face_people::face_id.eq(face_id),
                face_people::person_id.eq(Some(person_id)),
                face_people::source.eq(Source::Rejected.as_str()),
                face_people::distance.eq(None::<f64>),
                face_people::created_ms.eq(now_ms),
            ))
            .execute(c))?;
        Ok(())
    }

    /// Adds a box named by hand (a pet's), with a run row giving the
    /// picture's size as displayed; returns its id.
    pub fn add_manual_face(&mut self, face: &crate::NewFace, (width, height): (i32, i32), now_ms: i64) -> Result<i64> {
        self.transaction(|cat| {
            with_conn!(cat, c => diesel::insert_into(faces::table).values(face).execute(c))?;
            let id: i64 =
                with_conn!(cat, c => faces::table.select(diesel::dsl::max(faces::id)).first::<Option<i64>>(c))?
                    .ok_or_else(|| CatalogError::Invalid("face not stored".into()))?;
            cat.refresh_manual_run(face.content_hash, &face.model, (width, height), now_ms)?;
            Ok(id)
        })
    }

    /// Removes a box named by hand, and who it was.
    pub fn delete_manual_face(&mut self, id: i64) -> Result<()> {
        self.transaction(|cat| {
            let Some(f) = cat.face(id)? else { return Ok(()) };
            with_conn!(cat, c => diesel::delete(face_people::table.filter(face_people::face_id.eq(id))).execute(c))?;
            with_conn!(cat, c => diesel::delete(faces::table.find(id)).execute(c))?;
            let run = cat.face_run(f.content_hash, &f.model)?;
            let size = run.map_or((0, 0), |r| (r.width, r.height));
            cat.refresh_manual_run(f.content_hash, &f.model, size, 0)
        })
    }

    fn refresh_manual_run(
        &mut self,
        h: ContentHash,
        model: &str,
        (width, height): (i32, i32),
        now_ms: i64,
    ) -> Result<()> {
        let n: i64 = with_conn!(self, c => faces::table
            .filter(faces::content_hash.eq(h))
            .filter(faces::model.eq(model))
            .count()
            .get_result(c))?;
        with_conn!(self, c => diesel::delete(face_runs::table
            .filter(face_runs::content_hash.eq(h))
            .filter(face_runs::model.eq(model)))
            .execute(c))?;
        if n > 0 {
            let run = crate::FaceRun {
                content_hash: h,
                model: model.into(),
                version: 1,
                detected_ms: now_ms,
                error: None,
                faces: n as i32,
                width,
                height,
            };
            with_conn!(self, c => diesel::insert_into(face_runs::table).values(&run).execute(c))?;
        }
        Ok(())
    }

    /// Makes the `people` taxonomy match the named people (one node each,
    /// external id = person id, rank = kind) and links every capture that
    /// has a file showing one of their faces (source `people`). Set-based:
    /// a few statements whatever the size.
    pub fn sync_people_taxonomy(&mut self, now_ms: i64) -> Result<()> {
        self.transaction(|cat| {
            let tid = match cat.taxonomy(PEOPLE_TAXONOMY)? {
                Some(t) => t.id,
                None => {
                    with_conn!(cat, c => diesel::insert_into(taxonomies::table)
                        .values((
                            taxonomies::name.eq(PEOPLE_TAXONOMY),
                            taxonomies::source_format.eq("people"),
                            taxonomies::source_hash.eq(ContentHash(0)),
                            taxonomies::node_count.eq(0),
                            taxonomies::imported_ms.eq(now_ms),
                        ))
                        .execute(c))?;
                    cat.taxonomy(PEOPLE_TAXONOMY)?.map(|t| t.id).unwrap_or_default()
                }
            };
            let node_ids: Vec<i64> = with_conn!(cat, c => taxonomy_nodes::table
                .filter(taxonomy_nodes::taxonomy_id.eq(tid))
                .select(taxonomy_nodes::id)
                .load(c))?;
            for chunk in node_ids.chunks(BATCH) {
                with_conn!(cat, c => diesel::delete(capture_taxa::table.filter(capture_taxa::node_id.eq_any(chunk))).execute(c))?;
            }
            with_conn!(cat, c => diesel::delete(taxonomy_nodes::table.filter(taxonomy_nodes::taxonomy_id.eq(tid))).execute(c))?;
            let named: Vec<PersonRow> = cat.people()?.into_iter().filter(|p| p.name.is_some()).collect();
            let nodes: Vec<crate::NewTaxon> = named
                .iter()
                .map(|p| crate::NewTaxon {
                    taxonomy_id: tid,
                    external_id: p.id.to_string(),
                    parent_external_id: None,
                    name: p.name.clone().unwrap_or_default(),
                    taxon_rank: Some(p.kind.clone()),
                    status: None,
                    name_key: Some(crate::taxon_key(p.name.as_deref().unwrap_or_default())),
                })
                .collect();
            cat.insert_taxa(&nodes)?;
            with_conn!(cat, c => diesel::update(taxonomies::table.find(tid))
                .set((taxonomies::node_count.eq(nodes.len() as i64), taxonomies::imported_ms.eq(now_ms)))
                .execute(c))?;
            let sql = backend_sql(
                cat,
                "INSERT OR IGNORE INTO capture_taxa (capture_id, node_id, source, confidence, model_version, created_ms) \
                 SELECT DISTINCT f.capture_id, n.id, 'people', NULL, NULL, ? \
                 FROM face_people fp JOIN faces fa ON fa.id = fp.face_id \
                 JOIN files f ON f.content_hash = fa.content_hash AND f.missing = 0 \
                 JOIN taxonomy_nodes n ON n.taxonomy_id = ? AND n.external_id = CAST(fp.person_id AS TEXT) \
                 WHERE fp.source <> 'rejected' AND f.capture_id IS NOT NULL",
                "INSERT IGNORE INTO capture_taxa (capture_id, node_id, source, confidence, model_version, created_ms) \
                 SELECT DISTINCT f.capture_id, n.id, 'people', NULL, NULL, ? \
                 FROM face_people fp JOIN faces fa ON fa.id = fp.face_id \
                 JOIN files f ON f.content_hash = fa.content_hash AND f.missing = 0 \
                 JOIN taxonomy_nodes n ON n.taxonomy_id = ? AND n.external_id = CAST(fp.person_id AS CHAR) \
                 WHERE fp.source <> 'rejected' AND f.capture_id IS NOT NULL",
            );
            with_conn!(cat, c => diesel::sql_query(sql)
                .bind::<diesel::sql_types::BigInt, _>(now_ms)
                .bind::<diesel::sql_types::BigInt, _>(tid)
                .execute(c))?;
            Ok(())
        })
    }

    /// Captures linked to the `people` taxonomy node of person `id`.
    pub fn captures_of_person_taxon(&mut self, id: i64) -> Result<Vec<i64>> {
        let Some(t) = self.taxonomy(PEOPLE_TAXONOMY)? else { return Ok(vec![]) };
        Ok(with_conn!(self, c => capture_taxa::table
            .inner_join(taxonomy_nodes::table)
            .filter(taxonomy_nodes::taxonomy_id.eq(t.id))
            .filter(taxonomy_nodes::external_id.eq(id.to_string()))
            .select(capture_taxa::capture_id)
            .distinct()
            .load(c))?)
    }
}

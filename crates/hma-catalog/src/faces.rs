//! Faces per content and face model, and the runs that found them (so the
//! faces job is incremental).

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use hma_media::ContentHash;

use crate::schema::*;
use crate::{with_conn, Catalog, Result};

/// The faces that count (in the score, in `faces:N` and `eyes:`): at least
/// this confident… (the same numbers as `hma_vision::score::FACE_CONFIDENCE`
/// and `FACE_MIN_SHARE`; the engine's tests check they agree, and
/// migration 9 filled the stored facts with them).
pub const FACE_COUNT_CONFIDENCE: f64 = 0.6;
/// …and at least this wide or tall, as a share of the picture.
pub const FACE_COUNT_SHARE: f64 = 0.02;

/// A picture looked at by a face model.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = face_runs, treat_none_as_default_value = false)]
pub struct FaceRun {
    pub content_hash: ContentHash,
    pub model: String,
    pub version: i32,
    pub detected_ms: i64,
    /// Why the picture could not be looked at.
    pub error: Option<String>,
    pub faces: i32,
    /// The whole picture's size as displayed (0 when it failed).
    pub width: i32,
    pub height: i32,
}

/// A face to store (box and keypoints as shares of the picture as
/// displayed; keypoints a JSON array of six `[x, y]`).
#[derive(Debug, Clone, PartialEq, Insertable)]
#[diesel(table_name = faces, treat_none_as_default_value = false)]
pub struct NewFace {
    pub content_hash: ContentHash,
    pub model: String,
    pub confidence: f64,
    pub box_x: f64,
    pub box_y: f64,
    pub box_w: f64,
    pub box_h: f64,
    pub keypoints: String,
    pub sharpness: Option<f64>,
    pub exposure: Option<f64>,
    /// Openness of the subject's left and right eye (None: not read).
    pub eye_left: Option<f64>,
    pub eye_right: Option<f64>,
    /// open, closed or unsure.
    pub eyes: String,
    /// Blink scores of the subject's left and right eye (0–1).
    pub blink_left: Option<f64>,
    pub blink_right: Option<f64>,
    /// SFace's identity embedding: 128 little-endian f32 (None: too small).
    pub embedding: Option<Vec<u8>>,
}

/// A stored face.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = faces)]
pub struct FaceRow {
    pub id: i64,
    pub content_hash: ContentHash,
    pub model: String,
    pub confidence: f64,
    pub box_x: f64,
    pub box_y: f64,
    pub box_w: f64,
    pub box_h: f64,
    pub keypoints: String,
    pub sharpness: Option<f64>,
    pub exposure: Option<f64>,
    /// Openness of the subject's left and right eye (None: not read).
    pub eye_left: Option<f64>,
    pub eye_right: Option<f64>,
    /// open, closed or unsure.
    pub eyes: String,
    /// Blink scores of the subject's left and right eye (0–1).
    pub blink_left: Option<f64>,
    pub blink_right: Option<f64>,
}

/// Rejections without a person: "not a face".
type NotFaceRows = diesel::dsl::Filter<
    diesel::dsl::Filter<face_people::table, diesel::dsl::Eq<face_people::source, &'static str>>,
    diesel::dsl::IsNull<face_people::person_id>,
>;

/// The faces the user said are no face at all (`hma people reject
/// --not-a-face`): they count nowhere.
pub(crate) fn not_faces() -> diesel::dsl::Select<NotFaceRows, face_people::face_id> {
    face_people::table
        .filter(face_people::source.eq("rejected"))
        .filter(face_people::person_id.is_null())
        .select(face_people::face_id)
}

/// Intersection over union of two `[x, y, w, h]` boxes (any one unit).
pub fn box_iou(a: [f64; 4], b: [f64; 4]) -> f64 {
    let ix = (a[0] + a[2]).min(b[0] + b[2]) - a[0].max(b[0]);
    let iy = (a[1] + a[3]).min(b[1] + b[3]) - a[1].max(b[1]);
    let inter = ix.max(0.0) * iy.max(0.0);
    let union = a[2] * a[3] + b[2] * b[3] - inter;
    if union > 0.0 {
        inter / union
    } else {
        0.0
    }
}

impl FaceRow {
    /// `[x, y, w, h]`, shares of the picture.
    pub fn share(&self) -> [f64; 4] {
        [self.box_x, self.box_y, self.box_w, self.box_h]
    }
}

impl Catalog {
    /// The identity embeddings of `model`'s faces with one, by face id, a
    /// page at a time in id order (for clustering; bounded memory).
    pub fn face_embeddings_page(&mut self, model: &str, after: i64, limit: i64) -> Result<Vec<(i64, Vec<u8>)>> {
        let v: Vec<(i64, Option<Vec<u8>>)> = with_conn!(self, c => faces::table
            .filter(faces::model.eq(model))
            .filter(faces::id.gt(after))
            .filter(faces::embedding.is_not_null())
            .order(faces::id)
            .limit(limit)
            .select((faces::id, faces::embedding))
            .load(c))?;
        Ok(v.into_iter().filter_map(|(id, e)| Some((id, e?))).collect())
    }

    /// Recounts what search asks of these contents' faces (every model's
    /// runs): the faces that count, and how many of them have their eyes
    /// open and closed. After faces are stored and after "not a face".
    pub fn refresh_face_facts(&mut self, hashes: &[ContentHash]) -> Result<()> {
        for chunk in hashes.chunks(crate::BATCH) {
            with_conn!(self, c => diesel::update(face_runs::table.filter(face_runs::content_hash.eq_any(chunk)))
                .set((face_runs::counted.eq(Some(0)), face_runs::eyes_open.eq(Some(0)), face_runs::eyes_closed.eq(Some(0))))
                .execute(c))?;
            let rows: Vec<(ContentHash, String, String)> = with_conn!(self, c => faces::table
                .filter(faces::content_hash.eq_any(chunk))
                .filter(faces::confidence.ge(FACE_COUNT_CONFIDENCE))
                .filter(faces::box_w.ge(FACE_COUNT_SHARE).or(faces::box_h.ge(FACE_COUNT_SHARE)))
                .filter(faces::id.ne_all(not_faces()))
                .select((faces::content_hash, faces::model, faces::eyes))
                .load(c))?;
            let mut per: HashMap<(ContentHash, String), (i32, i32, i32)> = HashMap::new();
            for (h, m, eyes) in rows {
                let e = per.entry((h, m)).or_default();
                e.0 += 1;
                e.1 += (eyes == "open") as i32;
                e.2 += (eyes == "closed") as i32;
            }
            for ((h, m), (n, open, closed)) in per {
                with_conn!(self, c => diesel::update(face_runs::table
                    .filter(face_runs::content_hash.eq(h))
                    .filter(face_runs::model.eq(&m)))
                    .set((face_runs::counted.eq(Some(n)), face_runs::eyes_open.eq(Some(open)), face_runs::eyes_closed.eq(Some(closed))))
                    .execute(c))?;
            }
        }
        Ok(())
    }

    /// Which of these contents face model `model` has looked at, at `version`.
    pub fn faced_hashes(&mut self, hashes: &[ContentHash], model: &str, version: i32) -> Result<HashSet<ContentHash>> {
        let v = self.by_chunks(hashes, |cat, chunk| {
            Ok(with_conn!(cat, c => face_runs::table
                .filter(face_runs::content_hash.eq_any(chunk))
                .filter(face_runs::model.eq(model))
                .filter(face_runs::version.eq(version))
                .select(face_runs::content_hash)
                .load(c))?)
        })?;
        Ok(v.into_iter().collect())
    }

    /// Stores what one batch of pictures showed (replacing earlier faces of
    /// the same model in those contents), in one transaction. Who the
    /// earlier faces were (named, confirmed, rejected) passes to the new
    /// face in the same place (boxes overlapping by IoU ≥ 0.5); the rest of
    /// their rows go.
    pub fn put_faces(&mut self, runs: &[FaceRun], faces: &[NewFace]) -> Result<()> {
        self.transaction(|cat| {
            let hashes: Vec<ContentHash> = runs.iter().map(|r| r.content_hash).collect();
            let model = runs.first().map(|r| r.model.clone()).unwrap_or_default();
            let old = cat.faces_of_model(&hashes, &model)?;
            let old_ids: Vec<i64> = old.iter().map(|f| f.id).collect();
            for run in runs {
                with_conn!(cat, c => diesel::delete(faces::table
                    .filter(faces::content_hash.eq(run.content_hash))
                    .filter(faces::model.eq(&run.model)))
                    .execute(c))?;
                with_conn!(cat, c => diesel::delete(face_runs::table
                    .filter(face_runs::content_hash.eq(run.content_hash))
                    .filter(face_runs::model.eq(&run.model)))
                    .execute(c))?;
            }
            for chunk in runs.chunks(crate::BATCH) {
                with_conn!(cat, c => diesel::insert_into(face_runs::table).values(chunk).execute(c))?;
            }
            for chunk in faces.chunks(crate::BATCH) {
                with_conn!(cat, c => diesel::insert_into(faces::table).values(chunk).execute(c))?;
            }
            if !old_ids.is_empty() {
                let new = cat.faces_of_model(&hashes, &model)?;
                let mut moved: Vec<(i64, i64)> = Vec::new();
                for o in &old {
                    let best = new
                        .iter()
                        .filter(|n| n.content_hash == o.content_hash)
                        .map(|n| (box_iou(o.share(), n.share()), n.id))
                        .filter(|&(v, _)| v >= 0.5)
                        .max_by(|a, b| a.0.total_cmp(&b.0));
                    if let Some((_, n)) = best {
                        moved.push((o.id, n));
                    }
                }
                for (o, n) in moved {
                    with_conn!(cat, c => diesel::update(face_people::table.filter(face_people::face_id.eq(o)))
                        .set(face_people::face_id.eq(n))
                        .execute(c))?;
                }
                for chunk in old_ids.chunks(crate::BATCH) {
                    with_conn!(cat, c => diesel::delete(face_people::table.filter(face_people::face_id.eq_any(chunk))).execute(c))?;
                }
            }
            cat.refresh_face_facts(&hashes)?;
            Ok(())
        })
    }

    /// The faces of `model` in these contents.
    fn faces_of_model(&mut self, hashes: &[ContentHash], model: &str) -> Result<Vec<FaceRow>> {
        self.by_chunks(hashes, |cat, chunk| {
            Ok(with_conn!(cat, c => faces::table
                .filter(faces::content_hash.eq_any(chunk))
                .filter(faces::model.eq(model))
                .select(FaceRow::as_select())
                .load(c))?)
        })
    }

    /// The faces found in a content, best first.
    pub fn faces_of(&mut self, content_hash: ContentHash) -> Result<Vec<FaceRow>> {
        Ok(with_conn!(self, c => faces::table
            .filter(faces::content_hash.eq(content_hash))
            .order((faces::confidence.desc(), faces::id))
            .select(FaceRow::as_select())
            .load(c))?)
    }

    /// The captures showing these faces (through their contents' files).
    pub fn captures_of_faces(&mut self, face_ids: &[i64]) -> Result<Vec<i64>> {
        let hashes: Vec<ContentHash> = self.by_chunks(face_ids, |cat, chunk| {
            Ok(with_conn!(cat, c => faces::table.filter(faces::id.eq_any(chunk)).select(faces::content_hash).distinct().load(c))?)
        })?;
        let mut ids: Vec<i64> = self.by_chunks(&hashes, |cat, chunk| {
            Ok(with_conn!(cat, c => files::table
                .filter(files::content_hash.eq_any(chunk))
                .filter(files::capture_id.is_not_null())
                .select(files::capture_id.assume_not_null())
                .distinct()
                .load(c))?)
        })?;
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }

    /// The faces found in these contents, by content.
    pub fn faces_of_many(&mut self, hashes: &[ContentHash]) -> Result<HashMap<ContentHash, Vec<FaceRow>>> {
        let rows = self.by_chunks(hashes, |cat, chunk| {
            Ok(with_conn!(cat, c => faces::table
                .filter(faces::content_hash.eq_any(chunk))
                .order((faces::confidence.desc(), faces::id))
                .select(FaceRow::as_select())
                .load(c))?)
        })?;
        let mut out: HashMap<ContentHash, Vec<FaceRow>> = HashMap::new();
        for r in rows {
            out.entry(r.content_hash).or_default().push(r);
        }
        Ok(out)
    }

    /// The runs of `model` on these contents.
    pub fn face_runs_of(&mut self, hashes: &[ContentHash], model: &str) -> Result<Vec<FaceRun>> {
        self.by_chunks(hashes, |cat, chunk| {
            Ok(with_conn!(cat, c => face_runs::table
                .filter(face_runs::content_hash.eq_any(chunk))
                .filter(face_runs::model.eq(model))
                .select(FaceRun::as_select())
                .load(c))?)
        })
    }

    /// The run of `model` on a content.
    pub fn face_run(&mut self, content_hash: ContentHash, model: &str) -> Result<Option<FaceRun>> {
        Ok(with_conn!(self, c => face_runs::table
            .filter(face_runs::content_hash.eq(content_hash))
            .filter(face_runs::model.eq(model))
            .select(FaceRun::as_select())
            .first(c)
            .optional())?)
    }

    /// (contents looked at, faces found) by face model `model`.
    pub fn face_counts(&mut self, model: &str) -> Result<(i64, i64)> {
        let runs: i64 =
            with_conn!(self, c => face_runs::table.filter(face_runs::model.eq(model)).count().get_result(c))?;
        let faces: i64 = with_conn!(self, c => faces::table.filter(faces::model.eq(model)).count().get_result(c))?;
        Ok((runs, faces))
    }
}

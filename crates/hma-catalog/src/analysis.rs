//! Queries of the analysis: measurements and scores per content, the
//! near-duplicate/burst groups, and ranking.

use std::collections::HashSet;

use diesel::prelude::*;
use hma_media::ContentHash;

use crate::schema::*;
use crate::BATCH;
use crate::{with_conn, Catalog, Result};

/// One analysed content (exact copies share it).
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = analyses, treat_none_as_default_value = false)]
pub struct AnalysisRow {
    pub content_hash: ContentHash,
    /// `hma_vision::ANALYSIS_VERSION` that made it.
    pub version: i32,
    pub analyzed_ms: i64,
    /// Why the picture could not be analysed (then the rest is empty).
    pub error: Option<String>,
    pub method: Option<String>,
    pub full_width: Option<i32>,
    pub full_height: Option<i32>,
    /// Every raw measurement, JSON.
    pub measurements: Option<String>,
    pub brisque: Option<f64>,
    pub jpeg_quality: Option<i32>,
    /// DCT hash of the picture as displayed.
    pub phash: Option<i64>,
    /// The hashes of its 7 rotations/mirrors.
    pub phash_turns: Option<Turns>,
    /// The scores made from these measurements and the other stages.
    #[diesel(embed)]
    pub scores: Scores,
}

/// The DCT hashes of a picture's rotations and mirrors (what finds a copy
/// shown sideways). Stored as text, 16 hex digits each, comma-separated, so
/// catalogues written before this type read the same.
#[derive(Debug, Clone, Default, PartialEq, Eq, diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub struct Turns(pub Vec<u64>);

impl Turns {
    /// As stored.
    pub fn to_text(&self) -> String {
        self.0.iter().map(|v| format!("{v:016x}")).collect::<Vec<_>>().join(",")
    }

    /// From the stored text; a part that is not 16 hex digits is an error.
    pub fn parse(s: &str) -> std::result::Result<Turns, String> {
        if s.is_empty() {
            return Ok(Turns::default());
        }
        s.split(',')
            .map(|h| {
                (h.len() == 16)
                    .then(|| u64::from_str_radix(h, 16).ok())
                    .flatten()
                    .ok_or_else(|| format!("bad hash {h:?}"))
            })
            .collect::<std::result::Result<_, _>>()
            .map(Turns)
    }
}

// Written per backend: the text is made here, and the generic impl could
// only lend the output a `&str` that outlives this call.
impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::sqlite::Sqlite> for Turns {
    fn to_sql<'b>(
        &'b self,
        out: &mut diesel::serialize::Output<'b, '_, diesel::sqlite::Sqlite>,
    ) -> diesel::serialize::Result {
        out.set_value(self.to_text());
        Ok(diesel::serialize::IsNull::No)
    }
}

impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::mysql::Mysql> for Turns {
    fn to_sql<'b>(
        &'b self,
        out: &mut diesel::serialize::Output<'b, '_, diesel::mysql::Mysql>,
    ) -> diesel::serialize::Result {
        use std::io::Write;
        out.write_all(self.to_text().as_bytes())?;
        Ok(diesel::serialize::IsNull::No)
    }
}

impl<DB: diesel::backend::Backend> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for Turns
where
    String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
        Ok(Turns::parse(&String::from_sql(bytes)?)?)
    }
}

/// The scores of an analysed content: overall and each part (0–1; None
/// where the picture could not be measured), and the version of the
/// scoring rules that made them (see `hma::scoring`).
#[derive(Debug, Clone, Default, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = analyses, treat_none_as_default_value = false, treat_none_as_null = true)]
pub struct Scores {
    pub score_version: i32,
    pub score: Option<f64>,
    pub s_sharpness: Option<f64>,
    pub s_exposure: Option<f64>,
    pub s_noise: Option<f64>,
    pub s_brisque: Option<f64>,
    pub s_composition: Option<f64>,
    pub s_compression: Option<f64>,
    /// Share of the counted faces with their eyes open (None: no face
    /// whose eyes could be read).
    pub s_eyes: Option<f64>,
    /// The taste model's probability that she keeps the picture (None: no
    /// taste model in force), its weight in `score`, and the features that
    /// moved it most, in words.
    pub s_taste: Option<f64>,
    pub taste_weight: Option<f64>,
    pub taste_why: Option<String>,
    /// The taste model that made `s_taste` (0: none).
    pub taste_model: i64,
}

/// New scores for one analysed content.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreUpdate {
    pub content_hash: ContentHash,
    pub scores: Scores,
}

/// A present picture file with content, as the analysis job sees it.
#[derive(Debug, Clone, Queryable)]
pub struct AnalysableFile {
    pub id: i64,
    pub root_id: i64,
    pub rel_path: String,
    pub raw_path: Option<Vec<u8>>,
    pub content_hash: ContentHash,
    pub format: hma_media::Format,
}

/// What grouping needs of one analysed, present file.
#[derive(Debug, Clone, Queryable)]
pub struct GroupInput {
    pub file_id: i64,
    pub root_id: i64,
    pub rel_path: String,
    pub first_seen_ms: i64,
    pub content_hash: ContentHash,
    pub capture_id: Option<i64>,
    pub phash: Option<i64>,
    pub phash_turns: Option<Turns>,
    pub score: Option<f64>,
}

/// What joins a group: the same bytes, a near-duplicate look, or frames
/// of one burst. Stored as its lower-case name.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    ts_rs::TS,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[serde(rename_all = "lowercase")]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum GroupKind {
    Exact,
    Near,
    Burst,
}

impl GroupKind {
    /// Its stored (and JSON) name.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupKind::Exact => "exact",
            GroupKind::Near => "near",
            GroupKind::Burst => "burst",
        }
    }
}

crate::text_enum!(GroupKind, "group kind", [GroupKind::Exact, GroupKind::Near, GroupKind::Burst]);

/// A group as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = photo_groups)]
pub struct GroupRow {
    pub id: i64,
    pub kind: GroupKind,
    pub best_file_id: i64,
    pub size: i32,
    pub why: String,
}

/// A group member as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = photo_group_members)]
pub struct MemberRow {
    pub file_id: i64,
    pub group_id: i64,
    /// 1 = best of its group.
    pub member_rank: i32,
}

/// A ranked file for `hma top` (the columns in this order are what the
/// ranking queries select).
#[derive(Debug, Clone, Queryable)]
pub struct RankedFile {
    pub file_id: i64,
    pub root_id: i64,
    pub rel_path: String,
    pub capture_id: Option<i64>,
    pub content_hash: ContentHash,
    pub score: f64,
    pub taken_local_ms: Option<i64>,
}

/// Filters of `top`, applied by the database.
#[derive(Debug, Clone, Default)]
pub struct RankFilter {
    pub root_id: Option<i64>,
    pub taken_from_ms: Option<i64>,
    pub taken_to_ms: Option<i64>,
    pub min_score: Option<f64>,
    /// Month of the year (1–12) of the capture time, any year.
    pub month: Option<u32>,
}

impl RankFilter {
    /// True when a filter needs the capture (date or month).
    pub fn by_capture(&self) -> bool {
        self.taken_from_ms.is_some() || self.taken_to_ms.is_some() || self.month.is_some()
    }
}

/// SQL for "the capture was taken in month `m`" (camera local time stored
/// as if UTC): each backend spells calendar arithmetic its own way.
fn month_sql(backend: crate::Backend, m: u32) -> String {
    match backend {
        crate::Backend::Sqlite => {
            format!("CAST(strftime('%m', captures.taken_local_ms / 1000, 'unixepoch') AS INTEGER) = {m}")
        }
        crate::Backend::Mysql => format!(
            "MONTH(DATE_ADD('1970-01-01 00:00:00', INTERVAL FLOOR(captures.taken_local_ms / 1000) SECOND)) = {m}"
        ),
    }
}

const PICTURE_KINDS: [hma_media::Kind; 2] = [hma_media::Kind::Image, hma_media::Kind::Raw];

/// A present file of a content, with its capture time (what
/// [`Catalog::files_of_contents`] reads before it adds the score).
#[derive(Debug, Clone, Queryable)]
struct ContentFile {
    file_id: i64,
    root_id: i64,
    rel_path: String,
    capture_id: Option<i64>,
    content_hash: ContentHash,
    taken_local_ms: Option<i64>,
}

/// A file's group, its rank in it and the group's size.
#[derive(Debug, Clone, PartialEq, Queryable)]
pub struct FileGroup {
    pub file_id: i64,
    pub group_id: i64,
    pub kind: GroupKind,
    pub member_rank: i32,
    pub size: i32,
}

impl Catalog {
    /// A page of present picture files with known content, by id.
    pub fn analysable_page(&mut self, after_id: i64, limit: i64) -> Result<Vec<AnalysableFile>> {
        Ok(with_conn!(self, c => files::table
            .filter(files::id.gt(after_id))
            .filter(files::missing.eq(false))
            .filter(files::content_hash.is_not_null())
            .filter(files::kind.eq_any(PICTURE_KINDS))
            .order(files::id)
            .limit(limit)
            .select((
                files::id,
                files::root_id,
                files::rel_path,
                files::raw_path,
                files::content_hash.assume_not_null(),
                files::format,
            ))
            .load(c))?)
    }

    /// How many present picture files with content there are.
    pub fn analysable_count(&mut self) -> Result<i64> {
        Ok(with_conn!(self, c => files::table
            .filter(files::missing.eq(false))
            .filter(files::content_hash.is_not_null())
            .filter(files::kind.eq_any(PICTURE_KINDS))
            .count()
            .get_result(c))?)
    }

    /// Of `hashes`, those already analysed at `version`.
    pub fn analysed_hashes(&mut self, hashes: &[ContentHash], version: i32) -> Result<HashSet<ContentHash>> {
        let mut out = HashSet::new();
        for chunk in hashes.chunks(BATCH) {
            let v: Vec<ContentHash> = with_conn!(self, c => analyses::table
                .filter(analyses::content_hash.eq_any(chunk))
                .filter(analyses::version.eq(version))
                .select(analyses::content_hash)
                .load(c))?;
            out.extend(v);
        }
        Ok(out)
    }

    /// Every content analysed with `version` (8 bytes each in memory: a
    /// million is 8 MB, read once by `hma import`).
    pub fn all_analysed_hashes(&mut self, version: i32) -> Result<HashSet<ContentHash>> {
        let v: Vec<ContentHash> = with_conn!(self, c => analyses::table
            .filter(analyses::version.eq(version))
            .select(analyses::content_hash)
            .load(c))?;
        Ok(v.into_iter().collect())
    }

    /// Stores analyses, replacing older ones of the same content.
    pub fn put_analyses(&mut self, rows: &[AnalysisRow]) -> Result<()> {
        for chunk in rows.chunks(BATCH / 4) {
            let keys: Vec<ContentHash> = chunk.iter().map(|r| r.content_hash).collect();
            with_conn!(self, c => diesel::delete(analyses::table.filter(analyses::content_hash.eq_any(&keys))).execute(c))?;
            with_conn!(self, c => diesel::insert_into(analyses::table).values(chunk).execute(c))?;
        }
        Ok(())
    }

    /// The analysis of a content, if any.
    pub fn analysis(&mut self, content_hash: ContentHash) -> Result<Option<AnalysisRow>> {
        Ok(with_conn!(self, c => analyses::table
            .find(content_hash)
            .select(AnalysisRow::as_select())
            .first(c)
            .optional())?)
    }

    /// How many analyses there are, and how many of them failed.
    pub fn analysis_counts(&mut self) -> Result<(i64, i64)> {
        let all: i64 = with_conn!(self, c => analyses::table.count().get_result(c))?;
        let failed: i64 =
            with_conn!(self, c => analyses::table.filter(analyses::error.is_not_null()).count().get_result(c))?;
        Ok((all, failed))
    }

    /// A page (by file id) of present files with a successful analysis.
    pub fn group_inputs_page(&mut self, after_id: i64, limit: i64) -> Result<Vec<GroupInput>> {
        Ok(with_conn!(self, c => files::table
            .inner_join(analyses::table)
            .filter(files::id.gt(after_id))
            .filter(files::missing.eq(false))
            .filter(analyses::error.is_null())
            .order(files::id)
            .limit(limit)
            .select((
                files::id,
                files::root_id,
                files::rel_path,
                files::first_seen_ms,
                analyses::content_hash,
                files::capture_id,
                analyses::phash,
                analyses::phash_turns,
                analyses::score,
            ))
            .load(c))?)
    }

    /// A fingerprint of everything the groups depend on: the present
    /// analysed files and their contents.
    pub fn groups_signature(&mut self) -> Result<String> {
        use diesel::dsl::{count_star, max};
        let (n, top, last): (i64, Option<i64>, Option<i64>) = with_conn!(self, c => files::table
            .inner_join(analyses::table)
            .filter(files::missing.eq(false))
            .select((count_star(), max(files::id), max(analyses::analyzed_ms)))
            .first(c))?;
        // A content change keeps the counts but changes this sum.
        let mix_sql = match self.backend() {
            crate::Backend::Sqlite => "CAST(COALESCE(SUM(files.content_hash % 1000003), 0) AS INTEGER)",
            crate::Backend::Mysql => "CAST(COALESCE(SUM(files.content_hash % 1000003), 0) AS SIGNED)",
        };
        let mix: i64 = with_conn!(self, c => files::table
            .filter(files::missing.eq(false))
            .filter(files::content_hash.is_not_null())
            .filter(files::kind.eq_any(PICTURE_KINDS))
            .select(diesel::dsl::sql::<diesel::sql_types::BigInt>(mix_sql))
            .first(c))?;
        Ok(format!("{n}:{}:{}:{mix}", top.unwrap_or(0), last.unwrap_or(0)))
    }

    /// The signature the stored groups were computed at.
    pub fn stored_groups_signature(&mut self) -> Result<Option<String>> {
        Ok(with_conn!(self, c => analysis_state::table
            .find(1i64)
            .select(analysis_state::groups_signature)
            .first(c)
            .optional())?)
    }

    /// Replaces every group (ids are assigned by the caller, from 1).
    pub fn replace_groups(
        &mut self,
        groups: &[GroupRow],
        members: &[MemberRow],
        signature: &str,
        now_ms: i64,
    ) -> Result<()> {
        with_conn!(self, c => diesel::delete(photo_group_members::table).execute(c))?;
        with_conn!(self, c => diesel::delete(photo_groups::table).execute(c))?;
        self.insert_groups(groups, members)?;
        with_conn!(self, c => diesel::delete(analysis_state::table).execute(c))?;
        with_conn!(self, c => diesel::insert_into(analysis_state::table)
            .values((
                analysis_state::id.eq(1i64),
                analysis_state::groups_signature.eq(signature),
                analysis_state::computed_ms.eq(now_ms),
            ))
            .execute(c))?;
        Ok(())
    }

    /// The group of a file and its rank in it.
    pub fn group_of_file(&mut self, file_id: i64) -> Result<Option<(GroupRow, i32)>> {
        Ok(with_conn!(self, c => photo_group_members::table
            .inner_join(photo_groups::table)
            .filter(photo_group_members::file_id.eq(file_id))
            .select((GroupRow::as_select(), photo_group_members::member_rank))
            .first(c)
            .optional())?)
    }

    /// Groups of the given files: file id → (group id, kind, rank, size).
    pub fn groups_of_files(&mut self, ids: &[i64]) -> Result<Vec<FileGroup>> {
        self.by_chunks(ids, |cat, chunk| {
            Ok(with_conn!(cat, c => photo_group_members::table
            .inner_join(photo_groups::table)
            .filter(photo_group_members::file_id.eq_any(chunk))
            .select((
                photo_group_members::file_id,
                photo_groups::id,
                photo_groups::kind,
                photo_group_members::member_rank,
                photo_groups::size,
            ))
            .load(c))?)
        })
    }

    /// A page of groups by id, largest first within the page is the
    /// caller's business.
    pub fn groups_page(&mut self, after_id: i64, limit: i64) -> Result<Vec<GroupRow>> {
        Ok(with_conn!(self, c => photo_groups::table
            .filter(photo_groups::id.gt(after_id))
            .order(photo_groups::id)
            .limit(limit)
            .select(GroupRow::as_select())
            .load(c))?)
    }

    /// The members of groups, by group, best first.
    pub fn group_members(&mut self, group_ids: &[i64]) -> Result<Vec<MemberRow>> {
        self.by_chunks(group_ids, |cat, chunk| {
            Ok(with_conn!(cat, c => photo_group_members::table
            .filter(photo_group_members::group_id.eq_any(chunk))
            .order((photo_group_members::group_id, photo_group_members::member_rank))
            .select(MemberRow::as_select())
            .load(c))?)
        })
    }

    /// Analysed contents by score (best first): `limit` of them after the
    /// keyset `(score, content hash)` of the previous page. An index walk on
    /// `analyses (score, content_hash)`, however large the catalogue.
    pub fn ranked_contents_page(
        &mut self,
        after: Option<(f64, ContentHash)>,
        min_score: Option<f64>,
        limit: i64,
    ) -> Result<Vec<(ContentHash, f64)>> {
        let rows: Vec<(ContentHash, Option<f64>)> = with_conn!(self, c => {
            let mut q = analyses::table.filter(analyses::score.is_not_null()).into_boxed();
            if let Some(s) = min_score {
                q = q.filter(analyses::score.ge(s));
            }
            if let Some((score, hash)) = after {
                q = q.filter(analyses::score.lt(score).or(analyses::score.eq(score).and(analyses::content_hash.lt(hash))));
            }
            q.order((analyses::score.desc(), analyses::content_hash.desc()))
                .limit(limit)
                .select((analyses::content_hash, analyses::score))
                .load(c)
        })?;
        Ok(rows.into_iter().map(|(h, s)| (h, s.unwrap_or(0.0))).collect())
    }

    /// Present analysed files passing a capture filter (date range, month),
    /// best first, `limit` after the keyset `(score, file id)`: the
    /// database filters first and sorts only what passed.
    pub fn ranked_filtered_page(
        &mut self,
        filter: &RankFilter,
        after: Option<(f64, i64)>,
        limit: i64,
    ) -> Result<Vec<RankedFile>> {
        let month = filter.month.map(|m| month_sql(self.backend(), m));
        Ok(with_conn!(self, c => {
            let mut q = files::table
                .inner_join(analyses::table)
                .inner_join(captures::table)
                .filter(files::missing.eq(false))
                .filter(analyses::score.is_not_null())
                .into_boxed();
            if let Some(r) = filter.root_id {
                q = q.filter(files::root_id.eq(r));
            }
            if let Some(t) = filter.taken_from_ms {
                q = q.filter(captures::taken_local_ms.ge(t));
            }
            if let Some(t) = filter.taken_to_ms {
                q = q.filter(captures::taken_local_ms.lt(t));
            }
            if let Some(s) = filter.min_score {
                q = q.filter(analyses::score.ge(s));
            }
            if let Some(m) = &month {
                q = q.filter(diesel::dsl::sql::<diesel::sql_types::Bool>(m));
            }
            if let Some((score, id)) = after {
                q = q.filter(analyses::score.lt(score).or(analyses::score.eq(score).and(files::id.gt(id))));
            }
            q.order((analyses::score.desc(), files::id))
                .limit(limit)
                .select((
                    files::id,
                    files::root_id,
                    files::rel_path,
                    files::capture_id,
                    analyses::content_hash,
                    analyses::score.assume_not_null(),
                    captures::taken_local_ms,
                ))
                .load(c)
        })?)
    }

    /// Stores recomputed scores (overall, each part and the rules' version)
    /// of analysed contents; measurements are not touched.
    pub fn update_scores(&mut self, rows: &[ScoreUpdate]) -> Result<()> {
        for r in rows {
            with_conn!(self, c => diesel::update(analyses::table.find(r.content_hash))
                .set(&r.scores)
                .execute(c))?;
        }
        Ok(())
    }

    /// The analyses of these contents (those that have one).
    pub fn analyses_of(&mut self, hashes: &[ContentHash]) -> Result<Vec<AnalysisRow>> {
        self.by_chunks(hashes, |cat, chunk| {
            Ok(with_conn!(cat, c => analyses::table
            .filter(analyses::content_hash.eq_any(chunk))
            .select(AnalysisRow::as_select())
            .load(c))?)
        })
    }

    /// Up to `limit` analysed contents, after `after` in hash order, whose
    /// scores were made by other rules than `score_version`, or by another
    /// taste model than `taste_model` (0: none in force).
    pub fn stale_scores_page(
        &mut self,
        score_version: i32,
        taste_model: i64,
        after: Option<ContentHash>,
        limit: i64,
    ) -> Result<Vec<ContentHash>> {
        Ok(with_conn!(self, c => {
            let mut q = analyses::table
                .filter(analyses::score_version.ne(score_version).or(analyses::taste_model.ne(taste_model)))
                .filter(analyses::error.is_null())
                .into_boxed();
            if let Some(a) = after {
                q = q.filter(analyses::content_hash.gt(a));
            }
            q.order(analyses::content_hash).limit(limit).select(analyses::content_hash).load(c)
        })?)
    }

    /// The groups holding a file of any of these contents.
    pub fn groups_of_contents(&mut self, hashes: &[ContentHash]) -> Result<Vec<i64>> {
        let mut out = Vec::new();
        for chunk in hashes.chunks(BATCH) {
            let v: Vec<i64> = with_conn!(self, c => photo_group_members::table
                .inner_join(files::table.on(files::id.eq(photo_group_members::file_id)))
                .filter(files::content_hash.eq_any(chunk))
                .select(photo_group_members::group_id)
                .distinct()
                .load(c))?;
            out.extend(v);
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// Groups by id.
    pub fn groups_by_ids(&mut self, ids: &[i64]) -> Result<Vec<GroupRow>> {
        self.by_chunks(ids, |cat, chunk| {
            Ok(with_conn!(cat, c => photo_groups::table
            .filter(photo_groups::id.eq_any(chunk))
            .select(GroupRow::as_select())
            .load(c))?)
        })
    }

    /// Replaces the groups `ids` with `groups` (a subset of those ids; the
    /// others are dropped) and their members' ranks, leaving the other
    /// groups and the groups' signature as they are.
    pub fn update_groups(&mut self, ids: &[i64], groups: &[GroupRow], members: &[MemberRow]) -> Result<()> {
        for chunk in ids.chunks(BATCH) {
            with_conn!(self, c => diesel::delete(photo_group_members::table.filter(photo_group_members::group_id.eq_any(chunk))).execute(c))?;
            with_conn!(self, c => diesel::delete(photo_groups::table.filter(photo_groups::id.eq_any(chunk))).execute(c))?;
        }
        self.insert_groups(groups, members)
    }

    /// Inserts groups and their members (ids assigned by the caller).
    fn insert_groups(&mut self, groups: &[GroupRow], members: &[MemberRow]) -> Result<()> {
        for chunk in groups.chunks(BATCH / 5) {
            with_conn!(self, c => diesel::insert_into(photo_groups::table).values(chunk).execute(c))?;
        }
        for chunk in members.chunks(BATCH / 3) {
            with_conn!(self, c => diesel::insert_into(photo_group_members::table).values(chunk).execute(c))?;
        }
        Ok(())
    }

    /// Whether any present picture lacks an analysis at `version` (one
    /// anti-join that stops at the first).
    pub fn analysis_pending(&mut self, version: i32) -> Result<bool> {
        let v: Option<i64> = with_conn!(self, c => files::table
            .left_join(analyses::table)
            .filter(files::missing.eq(false))
            .filter(files::content_hash.is_not_null())
            .filter(files::kind.eq_any(PICTURE_KINDS))
            .filter(analyses::content_hash.nullable().is_null().or(analyses::version.nullable().ne(version)))
            .select(files::id)
            .first(c)
            .optional())?;
        Ok(v.is_some())
    }

    /// The present files of these contents (in `root_id` when given), with
    /// their capture time. Capture filters (dates, month) go through
    /// [`Catalog::ranked_filtered_page`] instead.
    pub fn files_of_contents(
        &mut self,
        hashes: &[(ContentHash, f64)],
        root_id: Option<i64>,
    ) -> Result<Vec<RankedFile>> {
        let score: std::collections::HashMap<ContentHash, f64> = hashes.iter().copied().collect();
        let keys: Vec<ContentHash> = hashes.iter().map(|h| h.0).collect();
        let mut out = Vec::new();
        for chunk in keys.chunks(BATCH) {
            // `eq_any` on the hashes leaves no file without one.
            let rows: Vec<ContentFile> = with_conn!(self, c => {
                let mut q = files::table
                    .left_join(captures::table)
                    .filter(files::content_hash.eq_any(chunk))
                    .filter(files::missing.eq(false))
                    .into_boxed();
                if let Some(r) = root_id {
                    q = q.filter(files::root_id.eq(r));
                }
                q.select((
                    files::id,
                    files::root_id,
                    files::rel_path,
                    files::capture_id,
                    files::content_hash.assume_not_null(),
                    captures::taken_local_ms.nullable(),
                ))
                .load(c)
            })?;
            out.extend(rows.into_iter().filter_map(|f| {
                Some(RankedFile {
                    score: *score.get(&f.content_hash)?,
                    file_id: f.file_id,
                    root_id: f.root_id,
                    rel_path: f.rel_path,
                    capture_id: f.capture_id,
                    content_hash: f.content_hash,
                    taken_local_ms: f.taken_local_ms,
                })
            }));
        }
        // Best first, as the contents came; copies by file id.
        let order: std::collections::HashMap<ContentHash, usize> =
            keys.iter().enumerate().map(|(i, &h)| (h, i)).collect();
        out.sort_by_key(|r| (order.get(&r.content_hash).copied().unwrap_or(usize::MAX), r.file_id));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::Turns;

    #[test]
    fn turns_read_what_older_versions_wrote_and_refuse_garbage() {
        let t = Turns(vec![0, u64::MAX, 0x00ff_00ff_00ff_00ff]);
        assert_eq!(t.to_text(), "0000000000000000,ffffffffffffffff,00ff00ff00ff00ff");
        assert_eq!(Turns::parse(&t.to_text()), Ok(t));
        assert_eq!(Turns::parse(""), Ok(Turns::default()));
        for bad in ["xyz", "00ff00ff00ff00ff,", "ff", "00ff00ff00ff00ff,0000000000000000000"] {
            assert!(Turns::parse(bad).is_err(), "{bad:?}");
        }
    }
}

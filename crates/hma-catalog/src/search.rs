//! The search language's filters as Diesel expressions, both backends, no
//! SQL built from strings. The engine parses a query and resolves its names
//! (people, places, tags) to ids; what reaches here is a [`Filter`] tree
//! over a picture file, its content and its capture, compiled into one
//! `SELECT … FROM files ⋈ analyses ⋈ captures … ORDER BY score DESC` per
//! step of a search ([`Phase`]: a walk down the score index, a start from
//! one set, the pictures without a score); the engine chooses the steps.
//!
//! Every leaf is two-valued (true or false, never NULL): a leaf about
//! another table is an `EXISTS` probe (or, for the set a step starts from,
//! an `IN (subquery)` selecting no NULLs), and files without a capture or a
//! content are outside the search. So `NOT` means "does not have", as a
//! person reads it.

use diesel::dsl::{exists, not};
use diesel::expression::BoxableExpression;
use diesel::helper_types::{InnerJoinQuerySource, LeftJoinQuerySource};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable, Text};

use crate::schema::*;
use crate::{with_conn, Catalog, ContentHash, Result};

diesel::define_sql_function! {
    /// Lower case (both backends have it).
    fn lower(x: Nullable<Text>) -> Nullable<Text>;
}
diesel::define_sql_function! {
    /// Without leading and trailing spaces (both backends have it).
    fn trim(x: Nullable<Text>) -> Nullable<Text>;
}

/// A comparison (as a query writes it, in `--explain`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Cmp {
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "=")]
    Eq,
}

/// What a leaf asks of a file.
#[derive(Debug, Clone, PartialEq)]
pub enum Leaf {
    /// Its content has an object of one of these classes.
    Classes(Vec<String>),
    /// Its content shows one of these people or pets (a face of theirs not
    /// rejected).
    People(Vec<i64>),
    /// Its overall score compares so (no score: false).
    Score(Cmp, f64),
    /// Between `lo` and `hi` (inclusive, no upper bound when None) faces
    /// of `model` that count ([`crate::FACE_COUNT_CONFIDENCE`], size, not
    /// said to be no face); the picture must have been looked at.
    Faces { model: String, lo: i64, hi: Option<i64> },
    /// A counted face with its eyes `closed`; or, for "open", at least one
    /// with open eyes and none closed.
    Eyes { model: String, closed: bool },
    /// Another present file has the same content.
    Duplicated,
    /// The best of its group, or in no group.
    BestOfGroup,
    /// Its capture is linked to one of these taxonomy nodes.
    Taxa(Vec<i64>),
    /// Taken (local time) in one of these `[from, to)` ranges, ms.
    Taken(Vec<(i64, i64)>),
    /// The camera's make or model contains this (lower case).
    Camera(String),
    /// The lens contains this (lower case).
    Lens(String),
    /// Within `km` of a point (equirectangular distance, the same formula
    /// as [`near_km`]).
    Near { lat: f64, lon: f64, km: f64 },
    /// The stars shown (decided here, else the XMP's, else 0) are within `lo..=hi`.
    Stars { lo: i16, hi: i16 },
    /// The flag shown is this (1 picked, −1 rejected, 0 none).
    Flag(i16),
    /// The colour label shown is this (lower case), or none.
    Label(Option<String>),
    /// The file's kind (image, raw, video).
    Kind(String),
    /// The file's format (jpeg, heic, png…).
    Format(String),
    /// Its path in its root contains this (lower case).
    PathContains(String),
    /// In this root.
    Root(i64),
    /// Marked missing.
    Missing,
    /// Nothing passes (a name nobody has).
    Nothing,
}

/// A filter over picture files.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    All(Vec<Filter>),
    Any(Vec<Filter>),
    Not(Box<Filter>),
    Leaf(Leaf),
}

/// Where two sets of `[from, to)` ranges overlap.
fn intersect(a: &[(i64, i64)], b: &[(i64, i64)]) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    for &(a0, a1) in a {
        for &(b0, b1) in b {
            let (lo, hi) = (a0.max(b0), a1.min(b1));
            if lo < hi {
                out.push((lo, hi));
            }
        }
    }
    out
}

/// Distance between two points, km, as `near:` measures it: flat
/// (equirectangular) around the asked point, good to well under 1 % within
/// a few hundred km; what the database can compute with arithmetic alone.
pub fn near_km(lat0: f64, lon0: f64, lat: f64, lon: f64) -> f64 {
    let k = KM_PER_DEGREE;
    let dx = (lon - lon0) * lat0.to_radians().cos() * k;
    let dy = (lat - lat0) * k;
    (dx * dx + dy * dy).sqrt()
}

const KM_PER_DEGREE: f64 = 111.195;

/// One file found, in score order.
#[derive(Debug, Clone, Queryable)]
pub struct SearchRow {
    pub file_id: i64,
    pub capture_id: Option<i64>,
    pub root_id: i64,
    pub rel_path: String,
    pub content_hash: Option<ContentHash>,
    pub score: Option<f64>,
}

/// Scored pictures: `files ⋈ analyses ⋈ captures`.
type Scored = InnerJoinQuerySource<InnerJoinQuerySource<files::table, analyses::table>, captures::table>;
/// Pictures without a score (not analysed yet, or failed): `files ⟕ analyses ⋈ captures`.
type Unscored = InnerJoinQuerySource<LeftJoinQuerySource<files::table, analyses::table>, captures::table>;

const PICTURE_KINDS: [&str; 3] = ["image", "raw", "video"];

// Each leaf about another table is a correlated `EXISTS` probe: for the
// picture at hand, one seek into that table's index. An `IN (subquery)`
// would make the database build the whole set first (every picture with a
// person: 300,000 rows at a million) before it can test the first picture;
// a probe costs the same whether the set is ten pictures or all of them.
// The one set a search may start from (its driver) is compiled apart, by
// `driver!`, as an `IN` over a plain indexed column.
macro_rules! compiler {
    (
        $name:ident,
        $db:ty,
        $src:ty,
        $scored:literal,
        $content:expr,
        $capture:expr,
        $file:expr,
        $score:expr,
        $taken:expr,
        $lat:expr
    ) => {
        fn $name(f: &Filter) -> Box<dyn BoxableExpression<$src, $db, SqlType = Nullable<Bool>>> {
            type B = Box<dyn BoxableExpression<$src, $db, SqlType = Nullable<Bool>>>;
            fn yes() -> B {
                Box::new(files::id.eq(files::id).nullable())
            }
            fn no() -> B {
                Box::new(files::id.ne(files::id).nullable())
            }
            // A test on the capture's row (joined), written so it is never
            // NULL: each nullable column is tested for NULL first.
            macro_rules! on_capture {
                ($pred:expr) => {
                    Box::new(($pred).nullable()) as B
                };
            }
            // The capture has a decision passing a test.
            macro_rules! decided_where {
                ($pred:expr) => {
                    exists(
                        decisions::table
                            .filter(decisions::capture_id.nullable().eq($capture))
                            .filter($pred)
                            .select(decisions::capture_id),
                    )
                };
            }
            match f {
                Filter::All(v) => v.iter().map($name).reduce(|a, b| Box::new(a.and(b)) as B).unwrap_or_else(yes),
                Filter::Any(v) => v.iter().map($name).reduce(|a, b| Box::new(a.or(b)) as B).unwrap_or_else(no),
                Filter::Not(e) => Box::new(not($name(e))),
                Filter::Leaf(l) => match l {
                    Leaf::Nothing => no(),
                    Leaf::Classes(c) => Box::new(
                        exists(
                            detections::table
                                .filter(detections::content_hash.nullable().eq($content))
                                .filter(detections::class_name.eq_any(c.clone()))
                                .select(detections::content_hash),
                        )
                        .nullable(),
                    ),
                    Leaf::People(ids) => Box::new(
                        exists(
                            faces::table
                                .inner_join(face_people::table)
                                .filter(faces::content_hash.nullable().eq($content))
                                .filter(face_people::person_id.eq_any(ids.clone()))
                                .filter(face_people::source.ne("rejected"))
                                .select(faces::id),
                        )
                        .nullable(),
                    ),
                    Leaf::Score(op, v) => {
                        // The scored phases join the analysis (score not
                        // NULL there); the other phase has no score.
                        if !$scored {
                            return no();
                        }
                        let (v, s) = (*v, $score);
                        match op {
                            Cmp::Ge => Box::new(s.ge(v).nullable()),
                            Cmp::Gt => Box::new(s.gt(v).nullable()),
                            Cmp::Le => Box::new(s.le(v).nullable()),
                            Cmp::Lt => Box::new(s.lt(v).nullable()),
                            Cmp::Eq => Box::new(s.eq(v).nullable()),
                        }
                    }
                    // The faces' facts kept with each face run (migration 9:
                    // counted faces, eyes open and closed among them), so a
                    // term reads one row, not every face.
                    Leaf::Faces { model, lo, hi } => Box::new(
                        exists(
                            face_runs::table
                                .filter(face_runs::content_hash.nullable().eq($content))
                                .filter(face_runs::model.eq(model.clone()))
                                .filter(face_runs::error.is_null())
                                .filter(face_runs::counted.between(small(*lo), hi.map_or(i32::MAX, small)))
                                .select(face_runs::content_hash),
                        )
                        .nullable(),
                    ),
                    Leaf::Eyes { model, closed } => {
                        let runs = face_runs::table
                            .filter(face_runs::content_hash.nullable().eq($content))
                            .filter(face_runs::model.eq(model.clone()))
                            .filter(face_runs::error.is_null())
                            .select(face_runs::content_hash);
                        if *closed {
                            Box::new(exists(runs.filter(face_runs::eyes_closed.gt(0))).nullable())
                        } else {
                            Box::new(
                                exists(runs.filter(face_runs::eyes_closed.eq(0)).filter(face_runs::eyes_open.gt(0)))
                                    .nullable(),
                            )
                        }
                    }
                    Leaf::Duplicated => Box::new(
                        exists(
                            duplicate_hashes::table
                                .filter(duplicate_hashes::content_hash.nullable().eq($content))
                                .select(duplicate_hashes::content_hash),
                        )
                        .nullable(),
                    ),
                    // In no group, or its group's best.
                    Leaf::BestOfGroup => Box::new(
                        not(exists(
                            photo_group_members::table
                                .filter(photo_group_members::file_id.eq($file))
                                .select(photo_group_members::file_id),
                        ))
                        .or(exists(
                            photo_group_members::table
                                .inner_join(photo_groups::table)
                                .filter(photo_group_members::file_id.eq($file))
                                .filter(photo_groups::best_file_id.eq($file))
                                .select(photo_group_members::file_id),
                        ))
                        .nullable(),
                    ),
                    Leaf::Taxa(ids) => Box::new(
                        exists(
                            capture_taxa::table
                                .filter(capture_taxa::capture_id.nullable().eq($capture))
                                .filter(capture_taxa::node_id.eq_any(ids.clone()))
                                .select(capture_taxa::capture_id),
                        )
                        .nullable(),
                    ),
                    Leaf::Taken(ranges) => {
                        let Some(((a0, b0), rest)) = ranges.split_first() else { return no() };
                        let t = $taken;
                        let mut any: B = Box::new(t.ge(*a0).and(t.lt(*b0)).nullable());
                        for (a, b) in rest {
                            any = Box::new(any.or(t.ge(*a).and(t.lt(*b))));
                        }
                        Box::new(t.is_not_null().and(any))
                    }
                    Leaf::Camera(s) => {
                        let pat = like_pattern(s);
                        on_capture!(captures::make
                            .is_not_null()
                            .and(lower(captures::make).like(pat.clone()).escape('\\'))
                            .or(captures::model.is_not_null().and(lower(captures::model).like(pat).escape('\\'))))
                    }
                    Leaf::Lens(s) => on_capture!(captures::lens
                        .is_not_null()
                        .and(lower(captures::lens).like(like_pattern(s)).escape('\\'))),
                    Leaf::Near { lat, lon, km } => {
                        let dlat = km / KM_PER_DEGREE;
                        let c = lat.to_radians().cos() * KM_PER_DEGREE;
                        let k = KM_PER_DEGREE;
                        on_capture!(captures::gps_lat.is_not_null().and(captures::gps_lon.is_not_null()).and(
                            ($lat).between(lat - dlat, lat + dlat).and(
                                ((captures::gps_lon - *lon) * c * ((captures::gps_lon - *lon) * c)
                                    + (captures::gps_lat - *lat) * k * ((captures::gps_lat - *lat) * k))
                                    .le(km * km),
                            )
                        ))
                    }
                    Leaf::Stars { lo, hi } => {
                        // Stars 1–5 shown: decided so, or not decided and
                        // the XMP's rating (capped at 5) so.
                        let shown = |lo: i16, hi: i16| -> B {
                            let xmp_hi = if hi >= 5 { i32::MAX } else { hi as i32 };
                            Box::new(
                                decided_where!(decisions::rating.between(lo, hi)).nullable().or(not(decided_where!(
                                    decisions::rating.is_not_null()
                                ))
                                .nullable()
                                .and(captures::rating.is_not_null())
                                .and(captures::rating.between(lo as i32, xmp_hi))),
                            )
                        };
                        let (lo, hi) = ((*lo).max(0), (*hi).min(5));
                        if lo > hi {
                            no()
                        } else if lo >= 1 {
                            shown(lo, hi)
                        } else if hi >= 5 {
                            yes()
                        } else {
                            Box::new(not(shown(hi + 1, 5)))
                        }
                    }
                    Leaf::Flag(v) => {
                        let undecided = || not(decided_where!(decisions::flag.is_not_null())).nullable();
                        let picked: B = Box::new(
                            decided_where!(decisions::flag.eq(1i16))
                                .nullable()
                                .or(undecided().and(captures::pick.is_not_null()).and(captures::pick.gt(0))),
                        );
                        let rejected: B = Box::new(
                            decided_where!(decisions::flag.eq(-1i16)).nullable().or(undecided().and(
                                captures::pick.is_not_null().and(captures::pick.lt(0)).or(captures::pick
                                    .is_null()
                                    .and(captures::rating.is_not_null())
                                    .and(captures::rating.lt(0))),
                            )),
                        );
                        match v {
                            1 => picked,
                            -1 => rejected,
                            _ => Box::new(not(picked.or(rejected))),
                        }
                    }
                    Leaf::Label(want) => {
                        let undecided = || not(decided_where!(decisions::label.is_not_null())).nullable();
                        match want {
                            Some(l) => Box::new(
                                decided_where!(decisions::label.eq(l.clone())).nullable().or(undecided()
                                    .and(captures::label.is_not_null())
                                    .and(lower(trim(captures::label)).eq(l.clone()))),
                            ),
                            None => {
                                let any: B = Box::new(decided_where!(decisions::label.ne("")).nullable().or(
                                    undecided().and(captures::label.is_not_null()).and(trim(captures::label).ne("")),
                                ));
                                Box::new(not(any))
                            }
                        }
                    }
                    Leaf::Kind(k) => Box::new(files::kind.eq(k.clone()).nullable()),
                    Leaf::Format(k) => Box::new(files::format.eq(k.clone()).nullable()),
                    Leaf::PathContains(s) => {
                        Box::new(lower(files::rel_path.nullable()).like(like_pattern(s)).escape('\\').nullable())
                    }
                    Leaf::Root(r) => Box::new(files::root_id.eq(*r).nullable()),
                    Leaf::Missing => Box::new(files::missing.eq(true).nullable()),
                },
            }
        }
    };
}

// The set a driven search starts from: an `IN (subquery)` over a plain
// indexed column of the picture (its content, its capture) or the capture's
// own indexed columns (time, GPS latitude), so the database reads that set
// first and joins the rest to it. None for a leaf that is no such set.
macro_rules! driver {
    ($name:ident, $db:ty, $src:ty) => {
        fn $name(l: &Leaf) -> Option<Box<dyn BoxableExpression<$src, $db, SqlType = Nullable<Bool>>>> {
            type B = Box<dyn BoxableExpression<$src, $db, SqlType = Nullable<Bool>>>;
            let content = files::content_hash;
            Some(match l {
                Leaf::Classes(c) => Box::new(
                    content.eq_any(
                        detections::table
                            .filter(detections::class_name.eq_any(c.clone()))
                            .select(detections::content_hash.nullable()),
                    ),
                ) as B,
                Leaf::People(ids) => Box::new(
                    content.eq_any(
                        face_people::table
                            .inner_join(faces::table)
                            .filter(face_people::person_id.eq_any(ids.clone()))
                            .filter(face_people::source.ne("rejected"))
                            .select(faces::content_hash.nullable()),
                    ),
                ),
                Leaf::Faces { model, lo, hi } => Box::new(
                    content.eq_any(
                        face_runs::table
                            .filter(face_runs::model.eq(model.clone()))
                            .filter(face_runs::counted.between(small(*lo), hi.map_or(i32::MAX, small)))
                            .filter(face_runs::error.is_null())
                            .select(face_runs::content_hash.nullable()),
                    ),
                ),
                Leaf::Eyes { model, closed } => {
                    let runs = face_runs::table
                        .filter(face_runs::model.eq(model.clone()))
                        .filter(face_runs::error.is_null())
                        .select(face_runs::content_hash.nullable());
                    if *closed {
                        Box::new(content.eq_any(runs.filter(face_runs::eyes_closed.gt(0))))
                    } else {
                        Box::new(
                            content
                                .eq_any(runs.filter(face_runs::eyes_closed.eq(0)).filter(face_runs::eyes_open.gt(0))),
                        )
                    }
                }
                Leaf::Duplicated => {
                    Box::new(content.eq_any(duplicate_hashes::table.select(duplicate_hashes::content_hash.nullable())))
                }
                Leaf::Taxa(ids) => Box::new(
                    files::capture_id.eq_any(
                        capture_taxa::table
                            .filter(capture_taxa::node_id.eq_any(ids.clone()))
                            .select(capture_taxa::capture_id.nullable()),
                    ),
                ),
                Leaf::Taken(ranges) => {
                    let Some(((a0, b0), rest)) = ranges.split_first() else {
                        return Some(Box::new(files::id.ne(files::id).nullable()));
                    };
                    let t = captures::taken_local_ms;
                    let mut any: B = Box::new(t.ge(*a0).and(t.lt(*b0)));
                    for (a, b) in rest {
                        any = Box::new(any.or(t.ge(*a).and(t.lt(*b))));
                    }
                    any
                }
                // The latitude band (indexed) and the distance itself: the
                // driver leaves the rest of the filter, so it is exact.
                Leaf::Near { lat, lon, km } => {
                    let dlat = km / KM_PER_DEGREE;
                    let c = lat.to_radians().cos() * KM_PER_DEGREE;
                    let k = KM_PER_DEGREE;
                    Box::new(
                        captures::gps_lat.between(lat - dlat, lat + dlat).and(
                            ((captures::gps_lon - *lon) * c * ((captures::gps_lon - *lon) * c)
                                + (captures::gps_lat - *lat) * k * ((captures::gps_lat - *lat) * k))
                                .le(km * km),
                        ),
                    )
                }
                _ => return None,
            })
        }
    };
}

// The walk reads the best pictures in score order and tests each; the
// indexed columns a leaf tests are written `column + 0` there (the same
// values, no index: the capture's time and latitude, and on SQLite the
// file's content, capture and id), so the database cannot choose to start
// from a set and sort it. (MariaDB keeps the file's plain columns: its
// probes are dependent subqueries that cannot drive, and with `column + 0
// IN (subquery) OR …` it once returned too few rows.) A driven phase also
// hides the score (`score + 0`): it starts from its driver alone and
// sorts what passed.
compiler!(
    walk_sqlite,
    diesel::sqlite::Sqlite,
    Scored,
    true,
    files::content_hash + 0i64,
    files::capture_id + 0i64,
    files::id + 0i64,
    analyses::score,
    captures::taken_local_ms + 0i64,
    captures::gps_lat + 0.0
);
compiler!(
    walk_mysql,
    diesel::mysql::Mysql,
    Scored,
    true,
    files::content_hash,
    files::capture_id,
    files::id,
    analyses::score,
    captures::taken_local_ms + 0i64,
    captures::gps_lat + 0.0
);
compiler!(
    driven_sqlite,
    diesel::sqlite::Sqlite,
    Scored,
    true,
    files::content_hash + 0i64,
    files::capture_id + 0i64,
    files::id + 0i64,
    analyses::score + 0.0,
    captures::taken_local_ms + 0i64,
    captures::gps_lat + 0.0
);
compiler!(
    driven_mysql,
    diesel::mysql::Mysql,
    Scored,
    true,
    files::content_hash,
    files::capture_id,
    files::id,
    analyses::score + 0.0,
    captures::taken_local_ms + 0i64,
    captures::gps_lat + 0.0
);
driver!(driver_sqlite, diesel::sqlite::Sqlite, Scored);
driver!(driver_mysql, diesel::mysql::Mysql, Scored);
driver!(driver_unscored_sqlite, diesel::sqlite::Sqlite, Unscored);
driver!(driver_unscored_mysql, diesel::mysql::Mysql, Unscored);
compiler!(
    unscored_sqlite,
    diesel::sqlite::Sqlite,
    Unscored,
    false,
    files::content_hash,
    files::capture_id,
    files::id,
    analyses::score,
    captures::taken_local_ms,
    captures::gps_lat
);
compiler!(
    unscored_mysql,
    diesel::mysql::Mysql,
    Unscored,
    false,
    files::content_hash,
    files::capture_id,
    files::id,
    analyses::score,
    captures::taken_local_ms,
    captures::gps_lat
);

/// A face count as the column holds it (past its range: its end).
fn small(v: i64) -> i32 {
    v.clamp(0, i32::MAX as i64) as i32
}

/// `%text%` with `\`, `%` and `_` escaped.
fn like_pattern(s: &str) -> String {
    let mut p = String::from("%");
    for ch in s.chars() {
        if matches!(ch, '\\' | '%' | '_') {
            p.push('\\');
        }
        p.push(ch);
    }
    p.push('%');
    p
}

/// `EXPLAIN` in front of a query Diesel built, its values bound as in
/// the query itself: the plan of exactly what runs.
struct Explain<Q>(&'static str, Q);

impl<Q> diesel::query_builder::QueryId for Explain<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q> diesel::query_builder::Query for Explain<Q> {
    type SqlType = diesel::sql_types::Untyped;
}

impl<Q, DB> diesel::query_builder::QueryFragment<DB> for Explain<Q>
where
    DB: diesel::backend::Backend,
    Q: diesel::query_builder::QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: diesel::query_builder::AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql(self.0);
        self.1.walk_ast(out.reborrow())
    }
}

impl<Q, C> RunQueryDsl<C> for Explain<Q> {}

impl Filter {
    /// Whether the filter asks about missing files (then they are in the
    /// search; otherwise only present files are).
    pub fn mentions_missing(&self) -> bool {
        match self {
            Filter::All(v) | Filter::Any(v) => v.iter().any(Filter::mentions_missing),
            Filter::Not(e) => e.mentions_missing(),
            Filter::Leaf(l) => *l == Leaf::Missing,
        }
    }

    /// The same filter with nested ANDs and ORs flattened, and alternatives
    /// of one kind made one leaf (`has:cat OR has:dog` is the classes
    /// {cat, dog}; `tag:A OR tag:B` the nodes of both): the same pictures
    /// pass, and the merged leaf is one set a search can start from.
    pub fn simplified(self) -> Filter {
        match self {
            Filter::All(v) => {
                let mut out = Vec::new();
                for f in v.into_iter().map(Filter::simplified) {
                    match f {
                        Filter::All(w) => out.extend(w),
                        f => out.push(f),
                    }
                }
                // Times ANDed are one time: `from:2019-05-01 to:2019-05-31`
                // is the month, a set to start from, where each alone is
                // half the catalogue.
                let mut time: Option<Vec<(i64, i64)>> = None;
                out.retain(|f| match f {
                    Filter::Leaf(Leaf::Taken(r)) => {
                        time = Some(match time.take() {
                            None => r.clone(),
                            Some(t) => intersect(&t, r),
                        });
                        false
                    }
                    _ => true,
                });
                if let Some(t) = time {
                    out.insert(0, Filter::Leaf(Leaf::Taken(t)).simplified());
                }
                // Nothing AND anything is nothing.
                if out.contains(&Filter::Leaf(Leaf::Nothing)) {
                    return Filter::Leaf(Leaf::Nothing);
                }
                if out.len() == 1 {
                    out.pop().unwrap_or(Filter::All(vec![]))
                } else {
                    Filter::All(out)
                }
            }
            Filter::Any(v) => {
                let mut out: Vec<Filter> = Vec::new();
                for f in v.into_iter().map(Filter::simplified) {
                    let parts = match f {
                        Filter::Any(w) => w,
                        f => vec![f],
                    };
                    for f in parts {
                        let merged = out.iter_mut().any(|o| match (o, &f) {
                            (Filter::Leaf(Leaf::Classes(a)), Filter::Leaf(Leaf::Classes(b))) => {
                                a.extend(b.iter().cloned());
                                true
                            }
                            (Filter::Leaf(Leaf::People(a)), Filter::Leaf(Leaf::People(b)))
                            | (Filter::Leaf(Leaf::Taxa(a)), Filter::Leaf(Leaf::Taxa(b))) => {
                                a.extend(b.iter().copied());
                                true
                            }
                            (Filter::Leaf(Leaf::Taken(a)), Filter::Leaf(Leaf::Taken(b))) => {
                                a.extend(b.iter().copied());
                                true
                            }
                            _ => false,
                        });
                        // Nothing OR anything is that thing.
                        if !merged && f != Filter::Leaf(Leaf::Nothing) {
                            out.push(f);
                        }
                    }
                }
                match out.len() {
                    0 => Filter::Leaf(Leaf::Nothing),
                    1 => out.pop().unwrap_or(Filter::Leaf(Leaf::Nothing)),
                    _ => Filter::Any(out),
                }
            }
            Filter::Not(e) => Filter::Not(Box::new(e.simplified())),
            // No range (a month or day no year of the catalogue has): nothing.
            Filter::Leaf(Leaf::Taken(r)) if r.is_empty() => Filter::Leaf(Leaf::Nothing),
            Filter::Leaf(l) => Filter::Leaf(l),
        }
    }

    /// The leaves every passing picture must pass (the top level's AND),
    /// with their place in it.
    pub fn required(&self) -> Vec<(usize, &Leaf)> {
        match self {
            Filter::All(v) => v
                .iter()
                .enumerate()
                .filter_map(|(i, f)| match f {
                    Filter::Leaf(l) => Some((i, l)),
                    _ => None,
                })
                .collect(),
            Filter::Leaf(l) => vec![(0, l)],
            _ => vec![],
        }
    }

    /// The filter without its required leaf at `at` (see [`Filter::required`]).
    pub fn without(&self, at: usize) -> Filter {
        match self {
            Filter::All(v) => {
                Filter::All(v.iter().enumerate().filter(|(i, _)| *i != at).map(|(_, f)| f.clone()).collect())
            }
            _ => Filter::All(vec![]),
        }
    }
}

/// Which pictures a page reads.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// Those scoring at least `lo` and below `hi` (no upper bound with
    /// None), best first, read down the score index with the filter tested
    /// on each: quick when matches are not rare.
    Walk { lo: f64, hi: Option<f64> },
    /// Those scoring below `below` (all, with None) in the `driver` set,
    /// the database starting from that set, the filter tested on each and
    /// what passed sorted by score: quick when the set is small.
    Driven { driver: Leaf, below: Option<f64> },
    /// Then those without a score (not analysed yet, or failed), by id;
    /// from the `driver` set when there is one (else every file is read).
    Unscored { driver: Option<Leaf> },
}

macro_rules! base_filter {
    ($q:expr, $f:expr) => {
        base_filter!($q, $f, files::capture_id, files::content_hash)
    };
    // In a walk, the file's capture and content written `column + 0`: with
    // the plain columns MariaDB may read every file with a capture (its
    // index) and sort them, instead of walking the score index.
    ($q:expr, $f:expr, walk) => {
        base_filter!($q, $f, files::capture_id + 0i64, files::content_hash + 0i64)
    };
    ($q:expr, $f:expr, $capture:expr, $content:expr) => {{
        let mut q = $q
            .filter(($capture).is_not_null())
            .filter(($content).is_not_null())
            .filter(files::kind.eq_any(PICTURE_KINDS));
        if !$f.mentions_missing() {
            q = q.filter(files::missing.eq(false));
        }
        q
    }};
}

macro_rules! scored_query {
    ($f:expr, $compile:ident, $db:ty, $lo:expr, $hi:expr) => {{
        let mut q = files::table
            .inner_join(analyses::table)
            .inner_join(captures::table)
            .filter(analyses::score.is_not_null())
            .into_boxed::<$db>();
        if let Some(lo) = $lo {
            q = q.filter(analyses::score.ge(lo));
        }
        if let Some(hi) = $hi {
            q = q.filter(analyses::score.lt(hi));
        }
        // Ties in the order of the score index: (score, content). (Not
        // the file too: on MariaDB a key from a second table makes it sort
        // every match instead of walking the index.)
        base_filter!(q, $f, walk)
            .filter($compile($f))
            .order((analyses::score.desc(), analyses::content_hash.desc()))
            .select((
                files::id,
                files::capture_id,
                files::root_id,
                files::rel_path,
                files::content_hash,
                analyses::score,
            ))
    }};
}

// A driven phase: the score hidden from the planner (`score + 0`), so it
// cannot prefer the score index; the driver set first, then a sort.
macro_rules! driven_query {
    ($f:expr, $compile:ident, $driver:ident, $db:ty, $leaf:expr, $below:expr) => {{
        let hidden = analyses::score + 0.0;
        let mut q = files::table
            .inner_join(analyses::table)
            .inner_join(captures::table)
            .filter(analyses::score.is_not_null())
            .into_boxed::<$db>();
        if let Some(b) = $below {
            q = q.filter(hidden.lt(b));
        }
        // The driver leaf is not in `$f`: a leaf that is no set (never
        // chosen as one) must find nothing here, not everything.
        q = q.filter($driver($leaf).unwrap_or_else(|| Box::new(files::id.ne(files::id).nullable())));
        base_filter!(q, $f)
            .filter($compile($f))
            .order((hidden.desc(), analyses::content_hash.desc(), files::id.desc()))
            .select((
                files::id,
                files::capture_id,
                files::root_id,
                files::rel_path,
                files::content_hash,
                analyses::score,
            ))
    }};
}

macro_rules! unscored_query {
    ($f:expr, $compile:ident, $driver:ident, $db:ty, $leaf:expr) => {{
        let mut q = files::table
            .left_join(analyses::table)
            .inner_join(captures::table)
            .filter(analyses::score.is_null())
            .into_boxed::<$db>();
        if let Some(leaf) = $leaf.as_ref() {
            q = q.filter($driver(leaf).unwrap_or_else(|| Box::new(files::id.ne(files::id).nullable())));
        }
        base_filter!(q, $f).filter($compile($f)).order(files::id).select((
            files::id,
            files::capture_id,
            files::root_id,
            files::rel_path,
            files::content_hash,
            analyses::score.nullable(),
        ))
    }};
}

type Row = (i64, Option<i64>, i64, String, Option<ContentHash>, Option<f64>);

/// One phase's query on this connection: `$body` evaluated with `$c` the
/// connection, `$q` the query, `$db` the backend's type and `$sqlite`
/// whether it is SQLite; the six (phase, backend) pairs written once for
/// the search, its SQL and its plan.
macro_rules! with_phase_query {
    ($conn:expr, $f:expr, $phase:expr, |$c:ident, $q:ident, $db:ident, $sqlite:ident| $body:expr) => {
        match ($conn, $phase) {
            (crate::Conn::Sqlite($c), Phase::Walk { lo, hi }) => {
                type $db = diesel::sqlite::Sqlite;
                let ($sqlite, $q) = (true, scored_query!($f, walk_sqlite, $db, Some(*lo), *hi));
                $body
            }
            (crate::Conn::Mysql($c), Phase::Walk { lo, hi }) => {
                type $db = diesel::mysql::Mysql;
                let ($sqlite, $q) = (false, scored_query!($f, walk_mysql, $db, Some(*lo), *hi));
                $body
            }
            (crate::Conn::Sqlite($c), Phase::Driven { driver, below }) => {
                type $db = diesel::sqlite::Sqlite;
                let ($sqlite, $q) = (true, driven_query!($f, driven_sqlite, driver_sqlite, $db, driver, *below));
                $body
            }
            (crate::Conn::Mysql($c), Phase::Driven { driver, below }) => {
                type $db = diesel::mysql::Mysql;
                let ($sqlite, $q) = (false, driven_query!($f, driven_mysql, driver_mysql, $db, driver, *below));
                $body
            }
            (crate::Conn::Sqlite($c), Phase::Unscored { driver }) => {
                type $db = diesel::sqlite::Sqlite;
                let ($sqlite, $q) = (true, unscored_query!($f, unscored_sqlite, driver_unscored_sqlite, $db, driver));
                $body
            }
            (crate::Conn::Mysql($c), Phase::Unscored { driver }) => {
                type $db = diesel::mysql::Mysql;
                let ($sqlite, $q) = (false, unscored_query!($f, unscored_mysql, driver_unscored_mysql, $db, driver));
                $body
            }
        }
    };
}

/// How many rows a set is counted to at most when a search weighs where
/// to start ([`Catalog::driver_size`]): beyond it, a set is too big to
/// start from.
pub const SIZE_CAP: i64 = 100_000;

// The size of one set, counted to [`SIZE_CAP`] + 1 at most: a probe past
// the cap (one index range step per row), then an exact count below it.
macro_rules! capped_count {
    ($c:expr, $q:expr, $col:expr) => {{
        let past: Option<i64> = $q.select($col).offset(SIZE_CAP).first($c).optional()?;
        if past.is_some() {
            SIZE_CAP + 1
        } else {
            $q.count().get_result::<i64>($c)?
        }
    }};
}

impl Catalog {
    /// Files passing a filter, in one phase's order: `limit` of them after
    /// the first `offset`.
    pub fn search_files(&mut self, f: &Filter, phase: &Phase, offset: i64, limit: i64) -> Result<Vec<SearchRow>> {
        let rows: Vec<Row> =
            with_phase_query!(&mut self.conn, f, phase, |c, q, _Db, _sqlite| q.offset(offset).limit(limit).load(c)?);
        Ok(rows
            .into_iter()
            .map(|(file_id, capture_id, root_id, rel_path, content_hash, score)| SearchRow {
                file_id,
                capture_id,
                root_id,
                rel_path,
                content_hash,
                score,
            })
            .collect())
    }

    /// One phase's SQL (with its bound values) and the database's plan for
    /// it (`EXPLAIN QUERY PLAN` on SQLite, `EXPLAIN` on MariaDB, in front of
    /// the very statement): `hma search --explain`.
    pub fn explain_phase(&mut self, f: &Filter, phase: &Phase, limit: i64) -> Result<(String, Vec<String>)> {
        #[derive(QueryableByName)]
        struct SqlitePlan {
            #[diesel(sql_type = Text)]
            detail: String,
        }
        #[derive(QueryableByName)]
        struct MysqlPlan {
            #[diesel(sql_type = Text)]
            select_type: String,
            #[diesel(sql_type = Nullable<Text>)]
            table: Option<String>,
            #[diesel(sql_type = Nullable<Text>)]
            r#type: Option<String>,
            #[diesel(sql_type = Nullable<Text>)]
            key: Option<String>,
            #[diesel(sql_type = Nullable<Text>)]
            rows: Option<String>,
            #[diesel(sql_type = Nullable<Text>, column_name = Extra)]
            extra: Option<String>,
        }
        let sqlite = |rows: Vec<SqlitePlan>| rows.into_iter().map(|r| r.detail).collect::<Vec<_>>();
        let mysql = |rows: Vec<MysqlPlan>| {
            rows.into_iter()
                .map(|r| {
                    format!(
                        "{} {} access {} key {} rows {} {}",
                        r.select_type,
                        r.table.unwrap_or_default(),
                        r.r#type.unwrap_or_default(),
                        r.key.unwrap_or_else(|| "-".into()),
                        r.rows.unwrap_or_else(|| "-".into()),
                        r.extra.unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
        };
        let sql = with_phase_query!(&mut self.conn, f, phase, |_c, q, Db, _sqlite| diesel::debug_query::<Db, _>(
            &q.limit(limit)
        )
        .to_string());
        let plan = with_phase_query!(&mut self.conn, f, phase, |c, q, _Db, is_sqlite| if is_sqlite {
            sqlite(Explain("EXPLAIN QUERY PLAN ", q.limit(limit)).load(c)?)
        } else {
            mysql(Explain("EXPLAIN ", q.limit(limit)).load(c)?)
        });
        Ok((sql, plan))
    }

    /// How many rows the set a leaf names has, counted to [`SIZE_CAP`] + 1
    /// at most (a face, detection or link each, so about the pictures it
    /// holds); None for a leaf that is no set a search can start from.
    pub fn driver_size(&mut self, l: &Leaf) -> Result<Option<i64>> {
        macro_rules! size {
            ($q:expr, $col:expr) => {
                with_conn!(self, c => capped_count!(c, $q, $col))
            };
        }
        Ok(Some(match l {
            Leaf::Classes(v) => size!(detections::table.filter(detections::class_name.eq_any(v)), detections::id),
            Leaf::People(ids) => size!(
                face_people::table
                    .filter(face_people::person_id.eq_any(ids))
                    .filter(face_people::source.ne("rejected")),
                face_people::id
            ),
            Leaf::Faces { model, lo, hi } => size!(
                face_runs::table
                    .filter(face_runs::model.eq(model))
                    .filter(face_runs::error.is_null())
                    .filter(face_runs::counted.between(small(*lo), hi.map_or(i32::MAX, small))),
                face_runs::content_hash
            ),
            Leaf::Eyes { model, closed } => {
                let runs = face_runs::table.filter(face_runs::model.eq(model)).filter(face_runs::error.is_null());
                if *closed {
                    size!(runs.filter(face_runs::eyes_closed.gt(0)), face_runs::content_hash)
                } else {
                    size!(
                        runs.filter(face_runs::eyes_closed.eq(0)).filter(face_runs::eyes_open.gt(0)),
                        face_runs::content_hash
                    )
                }
            }
            Leaf::Duplicated => size!(duplicate_hashes::table, duplicate_hashes::content_hash),
            Leaf::Taxa(ids) => size!(capture_taxa::table.filter(capture_taxa::node_id.eq_any(ids)), capture_taxa::id),
            Leaf::Taken(ranges) => {
                let mut n = 0;
                for (a, b) in ranges {
                    n += size!(
                        captures::table.filter(captures::taken_local_ms.ge(a)).filter(captures::taken_local_ms.lt(b)),
                        captures::id
                    );
                    if n > SIZE_CAP {
                        break;
                    }
                }
                n.min(SIZE_CAP + 1)
            }
            Leaf::Near { lat, km, .. } => {
                let dlat = km / KM_PER_DEGREE;
                size!(captures::table.filter(captures::gps_lat.between(lat - dlat, lat + dlat)), captures::id)
            }
            _ => return Ok(None),
        }))
    }

    /// Whether any file's path in its root contains this (lower case):
    /// a bare word no file or folder name has is then no name test at all
    /// (one pass over the paths instead of a walk over every picture).
    pub fn any_path_contains(&mut self, text: &str) -> Result<bool> {
        let hit: Option<i64> = with_conn!(self, c => files::table
            .filter(lower(files::rel_path.nullable()).like(like_pattern(text)).escape('\\'))
            .select(files::id)
            .first(c)
            .optional())?;
        Ok(hit.is_some())
    }

    /// The score of the `rank`-th best analysed content (0-based), None
    /// when fewer are scored: where a walk down the score index stops.
    pub fn score_at_rank(&mut self, rank: i64) -> Result<Option<f64>> {
        let v: Option<Option<f64>> = with_conn!(self, c => analyses::table
            .filter(analyses::score.is_not_null())
            .order((analyses::score.desc(), analyses::content_hash.desc()))
            .offset(rank)
            .select(analyses::score)
            .first(c)
            .optional())?;
        Ok(v.flatten())
    }

    /// Whether any capture has a taken time, and the first and last year.
    pub fn taken_years(&mut self) -> Result<Option<(i64, i64)>> {
        let (lo, hi): (Option<i64>, Option<i64>) = with_conn!(self, c => captures::table
            .select((diesel::dsl::min(captures::taken_local_ms), diesel::dsl::max(captures::taken_local_ms)))
            .first(c))?;
        Ok(lo.zip(hi))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simplified_merges_alternatives_and_empties_nothing() {
        let f = Filter::Any(vec![
            Filter::Leaf(Leaf::Classes(vec!["cat".into()])),
            Filter::Any(vec![Filter::Leaf(Leaf::Classes(vec!["dog".into()])), Filter::Leaf(Leaf::Taxa(vec![1]))]),
            Filter::Leaf(Leaf::Taxa(vec![2])),
        ]);
        assert_eq!(
            f.simplified(),
            Filter::Any(vec![
                Filter::Leaf(Leaf::Classes(vec!["cat".into(), "dog".into()])),
                Filter::Leaf(Leaf::Taxa(vec![1, 2])),
            ])
        );
        // A day no year of the catalogue has (29 February without a leap
        // year) is no range: nothing, not a set of size 0 to start from.
        let f = Filter::All(vec![Filter::Leaf(Leaf::Taken(vec![])), Filter::Leaf(Leaf::Duplicated)]);
        assert_eq!(f.simplified(), Filter::Leaf(Leaf::Nothing));
        let f = Filter::Any(vec![Filter::Leaf(Leaf::Nothing), Filter::Leaf(Leaf::Duplicated)]);
        assert_eq!(f.simplified(), Filter::Leaf(Leaf::Duplicated));
        assert_eq!(Filter::Any(vec![Filter::Leaf(Leaf::Nothing)]).simplified(), Filter::Leaf(Leaf::Nothing));
        // Times ANDed are their overlap: from: and to: make one range; a
        // month of any year within a year is that one month; no overlap is nothing.
        let taken = |r: Vec<(i64, i64)>| Filter::Leaf(Leaf::Taken(r));
        let f =
            Filter::All(vec![taken(vec![(10, i64::MAX)]), Filter::Leaf(Leaf::Duplicated), taken(vec![(i64::MIN, 20)])]);
        assert_eq!(f.simplified(), Filter::All(vec![taken(vec![(10, 20)]), Filter::Leaf(Leaf::Duplicated)]));
        let f = Filter::All(vec![taken(vec![(0, 5), (100, 105), (200, 205)]), taken(vec![(90, 150)])]);
        assert_eq!(f.simplified(), taken(vec![(100, 105)]));
        let f = Filter::All(vec![taken(vec![(0, 5)]), taken(vec![(5, 10)])]);
        assert_eq!(f.simplified(), Filter::Leaf(Leaf::Nothing));
    }

    #[test]
    fn like_patterns_are_escaped() {
        assert_eq!(like_pattern("a_b%c\\"), "%a\\_b\\%c\\\\%");
        assert!((near_km(48.0, 11.0, 48.0, 12.0) - 74.4).abs() < 0.5);
    }
}

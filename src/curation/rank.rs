//! Ranking and explaining: `hma top`, `hma groups`, and the quality part
//! of `hma show`.

use std::collections::{HashMap, HashSet};

use hma_catalog::{AnalysisRow, Catalog, ContentHash, RankFilter};
use hma_vision::score::Found;
use serde::Serialize;

use crate::report::Places;
use crate::Result;

/// A file's group as shown.
#[derive(Debug, Clone, Serialize, PartialEq, ts_rs::TS)]
pub struct GroupRef {
    pub id: i64,
    pub kind: hma_catalog::GroupKind,
    /// 1 = best of the group.
    pub rank: i32,
    pub size: i32,
}

/// The quality of a file as `hma show --json` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct QualityReport {
    /// Overall 0–1 (None when the picture could not be analysed).
    pub score: Option<f64>,
    /// Each part, 0–1.
    pub scores: HashMap<&'static str, f64>,
    /// Every raw measurement behind them.
    pub raw: serde_json::Value,
    /// One line per part, biggest contribution first.
    pub explain: Vec<String>,
    /// Why analysis failed, when it did.
    pub error: Option<String>,
    pub analysis_version: i32,
}

/// The quality report of an analysis.
pub fn quality_report(a: &AnalysisRow, iso: Option<i64>, found: Option<&Found>) -> QualityReport {
    match crate::scoring::scored(a, iso, found) {
        Some((m, s)) => {
            let mut raw = serde_json::to_value(&m).unwrap_or_default();
            raw["brisque"] = serde_json::json!(a.brisque);
            raw["jpeg_quality"] = serde_json::json!(a.jpeg_quality);
            raw["decoded_as"] = serde_json::json!(a.method);
            raw["full_width"] = serde_json::json!(a.full_width);
            raw["full_height"] = serde_json::json!(a.full_height);
            raw["phash"] = serde_json::json!(a.phash.map(|h| format!("{:016x}", h as u64)));
            QualityReport {
                score: Some(s.overall),
                scores: s.parts.iter().map(|p| (p.name, p.score)).collect(),
                raw,
                explain: s.explain(),
                error: None,
                analysis_version: a.version,
            }
        }
        None => QualityReport {
            score: None,
            scores: HashMap::new(),
            raw: serde_json::Value::Null,
            explain: vec![],
            error: a.error.clone(),
            analysis_version: a.version,
        },
    }
}

/// A line on a file's group for `explain`.
pub fn group_line(g: &GroupRef) -> String {
    let what = match g.kind {
        hma_catalog::GroupKind::Exact => "identical copies",
        hma_catalog::GroupKind::Burst => "its burst",
        hma_catalog::GroupKind::Near => "its near-duplicate group",
    };
    format!("rank {} of {} in {what}", g.rank, g.size)
}

/// One entry of `hma top` — also one photo of the app's lightbox.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(rename = "Entry")]
pub struct TopEntry {
    pub path: String,
    pub score: f64,
    pub group: Option<GroupRef>,
    pub explain: Vec<String>,
    pub capture_id: Option<i64>,
    /// Capture time (camera's local time), `YYYY-MM-DD HH:MM:SS`.
    pub taken: Option<String>,
    /// The file's catalogue id (the app asks for originals by it).
    pub file_id: i64,
    /// Content hash, 16 hex digits (the app asks for previews by it).
    pub content: String,
    /// File name.
    pub name: String,
    /// Each part of the score, 0–1.
    pub scores: std::collections::BTreeMap<&'static str, f64>,
    /// Where the sharpest region is (share of width, height), for 100 % zoom.
    pub sharpest: Option<[f64; 2]>,
    /// Full picture size as displayed.
    pub width: Option<i32>,
    pub height: Option<i32>,
    /// The culling state: decided in the app or read from XMP.
    pub marks: crate::marks::Marks,
    /// What the detector found (classes, most confident first, once each).
    pub objects: Vec<String>,
    /// The named people and pets in it, by name.
    pub people: Vec<String>,
}

/// Month (1–12) of a local-time timestamp (ms).
pub fn month_of(ms: i64) -> u32 {
    civil(ms).1
}

/// Year of a local-time timestamp (ms).
pub fn year_of(ms: i64) -> i32 {
    civil(ms).0
}

/// The start (ms) of a day that exists (none for 2023-02-29 or 04-31).
pub fn date_ms(y: i32, m: u32, d: u32) -> Option<i64> {
    let days = hma_media::exif::days_from_civil(y, m, d);
    (hma_media::exif::civil_from_days(days) == (y, m, d)).then_some(days * 86_400_000)
}

/// (year, month, day) of a ms timestamp (proleptic Gregorian, UTC arithmetic).
fn civil(ms: i64) -> (i32, u32, u32) {
    hma_media::exif::civil_from_days(ms.div_euclid(86_400_000))
}

/// `YYYY-MM-DD HH:MM:SS` of a local-time timestamp.
pub fn format_local(ms: i64) -> String {
    let (y, m, d) = civil(ms);
    let s = ms.rem_euclid(86_400_000) / 1000;
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// The start (ms, local time) of a `YYYY-MM-DD` date.
pub fn parse_date(s: &str) -> Option<i64> {
    let mut it = s.trim().splitn(3, '-');
    let (y, m, d): (i64, i64, i64) = (it.next()?.parse().ok()?, it.next()?.parse().ok()?, it.next()?.parse().ok()?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    Some(hma_media::exif::days_from_civil(y as i32, m as u32, d as u32) * 86_400_000)
}

/// Filters of `hma top`.
#[derive(Debug, Clone, Default)]
pub struct TopFilter {
    pub db: RankFilter,
    /// Only captures with this flag.
    pub flag: Option<crate::marks::Flag>,
    /// Never captures with this flag (the calendar leaves rejects out).
    pub not_flag: Option<crate::marks::Flag>,
    /// Only captures with at least this many stars.
    pub min_rating: Option<i16>,
    /// Only pictures showing this person or pet (their contents).
    pub contents: Option<HashSet<ContentHash>>,
    /// Only pictures a search-language query finds (`TopQuery::query`).
    pub search: Option<hma_catalog::search::Filter>,
}

/// The lightbox's and `hma top`'s request as a person gives it: how many,
/// and the filters in words (dates `YYYY-MM-DD`, a root by name).
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(optional_fields, rename = "ListFilter")]
pub struct TopQuery {
    /// How many (default 2,000, the lightbox's page).
    pub n: Option<usize>,
    /// Taken on or after this day (camera time).
    pub from: Option<String>,
    /// Taken before the end of this day.
    pub to: Option<String>,
    /// Month of any year, 1–12.
    pub month: Option<u32>,
    /// Only this root.
    pub root: Option<String>,
    pub min_score: Option<f64>,
    pub flag: Option<crate::marks::Flag>,
    /// At least this many stars (0: any).
    pub min_rating: Option<i16>,
    /// Only photos showing this person or pet (their id, `hma people`).
    pub person: Option<i64>,
    /// Only photos a query in the search language finds
    /// (`person:Anna place:Bavaria -flag:reject`, docs/places.md).
    pub query: Option<String>,
}

impl TopQuery {
    /// The default number of entries.
    pub const DEFAULT_N: usize = 2000;

    /// Checks the words and turns them into the catalogue's filter.
    pub fn filter(&self, cat: &mut Catalog) -> Result<TopFilter> {
        let date = |what: &str, d: &str| {
            parse_date(d).ok_or_else(|| crate::EngineError::Invalid(format!("{what} {d}: use YYYY-MM-DD")))
        };
        let mut t = TopFilter::default();
        if let Some(d) = self.from.as_deref().filter(|d| !d.is_empty()) {
            t.db.taken_from_ms = Some(date("from", d)?);
        }
        if let Some(d) = self.to.as_deref().filter(|d| !d.is_empty()) {
            t.db.taken_to_ms = Some(date("to", d)? + 86_400_000);
        }
        if let Some(m) = self.month {
            if !(1..=12).contains(&m) {
                return Err(crate::EngineError::Invalid(format!("month {m}: use 1 to 12")));
            }
            t.db.month = Some(m);
        }
        if let Some(r) = self.root.as_deref().filter(|r| !r.is_empty()) {
            let root =
                cat.root_by_name(r)?.ok_or_else(|| crate::EngineError::NotFound(format!("no root named '{r}'")))?;
            t.db.root_id = Some(root.id);
        }
        t.db.min_score = self.min_score;
        if let Some(q) = self.query.as_deref().filter(|q| !q.trim().is_empty()) {
            let e = crate::search::parse(q)?;
            t.search = Some(crate::search::resolve(cat, &e)?.filter);
        }
        t.flag = self.flag;
        t.min_rating = self.min_rating.filter(|&r| r > 0);
        if let Some(p) = self.person {
            cat.person(p)?.ok_or_else(|| crate::EngineError::NotFound(format!("no person {p}")))?;
            t.contents = Some(cat.contents_of_people(&[p])?.into_iter().collect());
        }
        Ok(t)
    }
}

/// `hma top` and the lightbox: the query checked, then [`top`].
pub fn top_of(cat: &mut Catalog, places: &Places, q: &TopQuery) -> Result<Vec<TopEntry>> {
    let filter = q.filter(cat)?;
    top(cat, places, q.n.unwrap_or(TopQuery::DEFAULT_N), &filter)
}

/// The best `n` pictures, one per group and per capture, best first.
pub fn top(cat: &mut Catalog, places: &Places, n: usize, filter: &TopFilter) -> Result<Vec<TopEntry>> {
    let mut out = Vec::new();
    let mut chosen: Vec<Chosen> = Vec::new();
    let mut seen_groups = HashSet::new();
    let mut seen_captures = HashSet::new();
    // Without a capture filter: walk the (score, content) index. With one:
    // let the database filter, then sort what passed.
    let mut after_content = None;
    let mut after_file = None;
    let mut searched = filter.search.as_ref().map(|f| crate::search::ScoredPages::new(f.clone()));
    'pages: while out.len() + chosen.len() < n {
        let mut page = if let Some(pages) = searched.as_mut() {
            // A query: its pages in score order, the other filters here.
            let rows = pages.next(cat, 500)?;
            if rows.is_empty() {
                break;
            }
            let mut page = crate::search::ranked(cat, rows)?;
            let db = &filter.db;
            page.retain(|r| {
                db.root_id.is_none_or(|id| r.root_id == id)
                    && db.min_score.is_none_or(|m| r.score >= m)
                    && db.taken_from_ms.is_none_or(|t| r.taken_local_ms.is_some_and(|x| x >= t))
                    && db.taken_to_ms.is_none_or(|t| r.taken_local_ms.is_some_and(|x| x < t))
                    && db.month.is_none_or(|m| r.taken_local_ms.is_some_and(|x| month_of(x) == m))
            });
            page
        } else if filter.db.by_capture() {
            let page = cat.ranked_filtered_page(&filter.db, after_file, 500)?;
            let Some(last) = page.last() else { break };
            after_file = Some((last.score, last.file_id));
            page
        } else {
            let contents = cat.ranked_contents_page(after_content, filter.db.min_score, 500)?;
            let Some(&(last_hash, last_score)) = contents.last() else { break };
            after_content = Some((last_score, last_hash));
            cat.files_of_contents(&contents, filter.db.root_id)?
        };
        if let Some(only) = &filter.contents {
            page.retain(|r| only.contains(&r.content_hash));
        }
        let ids: Vec<i64> = page.iter().map(|r| r.file_id).collect();
        let mut groups: HashMap<i64, GroupRef> = cat
            .groups_of_files(&ids)?
            .into_iter()
            .map(|g| (g.file_id, GroupRef { id: g.group_id, kind: g.kind, rank: g.member_rank, size: g.size }))
            .collect();
        // Equal scores (exact copies share one): the group's own order
        // decides, so a group's first entry here is its best.
        let rank = |r: &hma_catalog::RankedFile| groups.get(&r.file_id).map_or(0, |g| g.rank);
        page.sort_by(|a, b| b.score.total_cmp(&a.score).then(rank(a).cmp(&rank(b))));
        best_of_groups(cat, filter, &seen_groups, &mut page, &mut groups)?;
        let capture_ids: Vec<i64> = page.iter().filter_map(|r| r.capture_id).collect();
        let captures: HashMap<i64, hma_catalog::CaptureFields> =
            cat.captures_by_ids(&capture_ids)?.into_iter().map(|c| (c.id, c.fields)).collect();
        let decisions: HashMap<i64, hma_catalog::DecisionRow> =
            cat.decisions_of(&capture_ids)?.into_iter().map(|d| (d.capture_id, d)).collect();
        for r in page {
            if out.len() + chosen.len() >= n {
                break 'pages;
            }
            let group = groups.get(&r.file_id).cloned();
            if let Some(g) = &group {
                if seen_groups.contains(&g.id) {
                    continue;
                }
            }
            if let Some(c) = r.capture_id {
                if seen_captures.contains(&c) {
                    continue;
                }
            }
            let fields = r.capture_id.and_then(|c| captures.get(&c));
            let marks = crate::marks::Marks::of(r.capture_id.and_then(|c| decisions.get(&c)), fields);
            if filter.flag.is_some_and(|f| marks.flag != f.value())
                || filter.not_flag.is_some_and(|f| marks.flag == f.value())
                || filter.min_rating.is_some_and(|m| marks.rating < m)
            {
                continue;
            }
            if let Some(g) = &group {
                seen_groups.insert(g.id);
            }
            if let Some(c) = r.capture_id {
                seen_captures.insert(c);
            }
            let iso = fields.and_then(|c| c.iso);
            chosen.push(Chosen { r, group, iso, marks });
        }
        out.extend(entries(cat, places, std::mem::take(&mut chosen))?);
    }
    out.extend(entries(cat, places, chosen)?);
    Ok(out)
}

/// Where a group's best frame was decided face by face
/// (`groups::Ranker::by_faces`), it can score below a sibling; the list
/// shows the group's best, at the place of its first frame here. Only
/// without capture filters (dates, months: the database applied those to
/// the page, and the best might not pass them).
fn best_of_groups(
    cat: &mut Catalog,
    filter: &TopFilter,
    seen: &HashSet<i64>,
    page: &mut [hma_catalog::RankedFile],
    groups: &mut HashMap<i64, GroupRef>,
) -> Result<()> {
    if filter.db.by_capture() || filter.search.is_some() {
        return Ok(());
    }
    let mut first = HashSet::new();
    let swap: Vec<(usize, i64)> = page
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let g = groups.get(&r.file_id)?;
            (first.insert(g.id) && g.rank > 1 && !seen.contains(&g.id)).then_some((i, g.id))
        })
        .collect();
    if swap.is_empty() {
        return Ok(());
    }
    let gids: Vec<i64> = swap.iter().map(|s| s.1).collect();
    let best_of: HashMap<i64, i64> = cat.groups_by_ids(&gids)?.into_iter().map(|g| (g.id, g.best_file_id)).collect();
    let best_ids: Vec<i64> = best_of.values().copied().collect();
    let files: HashMap<i64, hma_catalog::FileRow> =
        cat.files_by_ids(&best_ids)?.into_iter().map(|f| (f.id, f)).collect();
    let hashes: Vec<ContentHash> = files.values().filter_map(|f| f.content_hash).collect();
    let scores: HashMap<ContentHash, f64> = cat
        .analyses_of(&hashes)?
        .into_iter()
        .filter_map(|a| Some((a.content_hash, a.scores.score.filter(|_| a.error.is_none())?)))
        .collect();
    let caps: Vec<i64> = files.values().filter_map(|f| f.capture_id).collect();
    let taken: HashMap<i64, Option<i64>> =
        cat.captures_by_ids(&caps)?.into_iter().map(|c| (c.id, c.fields.taken_local_ms)).collect();
    for (i, gid) in swap {
        let Some(f) = best_of.get(&gid).and_then(|b| files.get(b)) else { continue };
        let Some(h) = f.content_hash else { continue };
        let Some(&score) = scores.get(&h) else { continue };
        if f.missing
            || filter.db.root_id.is_some_and(|r| r != f.root_id)
            || filter.db.min_score.is_some_and(|m| score < m)
            || filter.contents.as_ref().is_some_and(|c| !c.contains(&h))
        {
            continue;
        }
        if let Some(mut g) = groups.get(&page[i].file_id).cloned() {
            g.rank = 1;
            groups.insert(f.id, g);
        }
        page[i] = hma_catalog::RankedFile {
            file_id: f.id,
            root_id: f.root_id,
            rel_path: f.rel_path.clone(),
            capture_id: f.capture_id,
            content_hash: h,
            score,
            taken_local_ms: f.capture_id.and_then(|c| taken.get(&c).copied().flatten()),
        };
    }
    Ok(())
}

/// A ranked file chosen for the list, before its entry is built.
pub(crate) struct Chosen {
    pub r: hma_catalog::RankedFile,
    pub group: Option<GroupRef>,
    pub iso: Option<i64>,
    pub marks: crate::marks::Marks,
}

/// The [`TopEntry`]s of chosen files, in their order, with three batched
/// queries (analyses, subjects, detections) for the whole page.
pub(crate) fn entries(cat: &mut Catalog, places: &Places, chosen: Vec<Chosen>) -> Result<Vec<TopEntry>> {
    let mut hashes: Vec<ContentHash> = chosen.iter().map(|c| c.r.content_hash).collect();
    hashes.sort_unstable();
    hashes.dedup();
    let analyses: HashMap<ContentHash, AnalysisRow> =
        cat.analyses_of(&hashes)?.into_iter().map(|a| (a.content_hash, a)).collect();
    let seen = crate::scoring::founds_of(cat, &hashes)?;
    let mut names: HashMap<ContentHash, Vec<String>> = HashMap::new();
    for (h, n) in cat.names_in_contents(&hashes)? {
        names.entry(h).or_default().push(n);
    }
    let mut found: HashMap<ContentHash, Vec<(f64, String)>> = HashMap::new();
    for d in cat.detections_of_many(&hashes)? {
        found.entry(d.content_hash).or_default().push((d.confidence, d.class_name));
    }
    Ok(chosen
        .into_iter()
        .map(|Chosen { r, group, iso, marks }| {
            let a = analyses.get(&r.content_hash);
            let sc = a.and_then(|a| crate::scoring::scored(a, iso, seen.get(&r.content_hash)));
            let mut explain = sc.as_ref().map(|(_, s)| s.explain()).unwrap_or_default();
            if let Some(g) = &group {
                explain.push(group_line(g));
            }
            // Classes, most confident first, once each.
            let mut dets = found.remove(&r.content_hash).unwrap_or_default();
            dets.sort_by(|x, y| y.0.total_cmp(&x.0));
            let mut objects: Vec<String> = Vec::new();
            for (_, class) in dets {
                if !objects.contains(&class) {
                    objects.push(class);
                }
            }
            TopEntry {
                path: places.path_in(r.root_id, &r.rel_path),
                score: r.score,
                group,
                explain,
                capture_id: r.capture_id,
                taken: r.taken_local_ms.map(format_local),
                file_id: r.file_id,
                content: r.content_hash.to_hex(),
                name: r.rel_path.rsplit('/').next().unwrap_or(&r.rel_path).to_string(),
                scores: sc
                    .as_ref()
                    .map(|(_, s)| s.parts.iter().map(|p| (p.name, p.score)).collect())
                    .unwrap_or_default(),
                sharpest: sc.as_ref().map(|(m, _)| [m.sharp_peak_x, m.sharp_peak_y]),
                width: a.and_then(|a| a.full_width),
                height: a.and_then(|a| a.full_height),
                marks,
                objects,
                people: {
                    let mut n = names.remove(&r.content_hash).unwrap_or_default();
                    n.sort();
                    n.dedup();
                    n
                },
            }
        })
        .collect())
}

/// A group as `hma groups --json` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct GroupEntry {
    pub id: i64,
    pub kind: hma_catalog::GroupKind,
    /// Path of the best member.
    pub best: String,
    /// Every member, best first.
    pub files: Vec<String>,
    pub why: String,
}

/// Every group, largest first (then by id).
pub fn groups(cat: &mut Catalog, places: &Places) -> Result<Vec<GroupEntry>> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let page = cat.groups_page(after, 1000)?;
        let Some(last) = page.last() else { break };
        after = last.id;
        let ids: Vec<i64> = page.iter().map(|g| g.id).collect();
        let members = cat.group_members(&ids)?;
        let file_ids: Vec<i64> = members.iter().map(|m| m.file_id).collect();
        let paths: HashMap<i64, String> =
            cat.files_by_ids(&file_ids)?.into_iter().map(|f| (f.id, places.path_of(&f))).collect();
        let mut by_group: HashMap<i64, Vec<String>> = HashMap::new();
        for m in members {
            by_group.entry(m.group_id).or_default().push(paths.get(&m.file_id).cloned().unwrap_or_default());
        }
        for g in page {
            out.push(GroupEntry {
                id: g.id,
                kind: g.kind,
                best: paths.get(&g.best_file_id).cloned().unwrap_or_default(),
                files: by_group.remove(&g.id).unwrap_or_default(),
                why: g.why,
            });
        }
    }
    out.sort_by(|a, b| b.files.len().cmp(&a.files.len()).then(a.id.cmp(&b.id)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_arithmetic_round_trips() {
        for s in ["1970-01-01", "2000-02-29", "2024-12-31", "1998-07-15", "2026-11-26"] {
            let ms = parse_date(s).unwrap();
            assert_eq!(&format_local(ms)[..10], s);
        }
        assert_eq!(month_of(parse_date("2023-12-24").unwrap() + 15 * 3_600_000), 12);
        assert_eq!(parse_date("2023-13-01"), None);
    }
}

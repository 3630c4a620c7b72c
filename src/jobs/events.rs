//! Events: captures taken together — a birthday afternoon, a day at the
//! beach — found from the gaps between one capture and the next, the way
//! a person's own shooting rhythm sets them, and from a change of place.
//!
//! The rule (after Platt, Czerwinski and Field, "PhotoTOC", 2003): with
//! captures in time order and `g` the gap before each (seconds, at least
//! one), a new event starts where `ln g ≥ ln 17 + mean(ln g)` over the
//! [`WINDOW`] gaps either side — a gap seventeen times the usual one around
//! it (geometric mean): a burst every few seconds breaks at a pause of a
//! few minutes, a photo a day breaks only at a gap of weeks. Bounds keep it
//! human: never under [`MIN_GAP_S`], always over [`MAX_GAP_S`]. With GPS on
//! both sides, more than [`PLACE_KM`] apart after at least [`PLACE_GAP_S`]
//! is a new event too (the drive from the beach to the grandparents').
//!
//! An event's id is its first capture's id, so regrouping after a scan
//! writes only the captures whose event changed.

use std::collections::HashMap;

use serde::Serialize;

use crate::report::Places;
use crate::{Catalog, JobContext, Result};

/// Gaps either side that set the usual gap.
pub const WINDOW: usize = 10;
/// How many times the usual gap starts an event (ln 17 ≈ 2.83).
pub const FACTOR: f64 = 17.0;
/// Never a new event for a gap under this (seconds).
pub const MIN_GAP_S: f64 = 15.0 * 60.0;
/// Always a new event after this (seconds).
pub const MAX_GAP_S: f64 = 24.0 * 3600.0;
/// A move of more than this (km) between two captures with GPS…
pub const PLACE_KM: f64 = 25.0;
/// …after a gap of at least this (seconds) starts an event.
pub const PLACE_GAP_S: f64 = 5.0 * 60.0;

/// Reads of the captures a page at a time.
const PAGE: i64 = 50_000;

/// One capture as the rule reads it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moment {
    pub taken_ms: i64,
    pub gps: Option<(f64, f64)>,
}

/// Where events start: the indices (into `moments`, in time order) of each
/// event's first capture; the first is always 0 when there are any.
pub fn starts(moments: &[Moment]) -> Vec<usize> {
    if moments.is_empty() {
        return vec![];
    }
    // ln of the gap before each capture (index i: between i-1 and i).
    let gaps: Vec<f64> =
        moments.windows(2).map(|w| (((w[1].taken_ms - w[0].taken_ms) as f64 / 1000.0).max(1.0)).ln()).collect();
    // Prefix sums for the window means.
    let mut prefix = Vec::with_capacity(gaps.len() + 1);
    prefix.push(0.0);
    for g in &gaps {
        prefix.push(prefix.last().copied().unwrap_or(0.0) + g);
    }
    let (min, max, k) = (MIN_GAP_S.ln(), MAX_GAP_S.ln(), FACTOR.ln());
    let mut out = vec![0];
    for (j, &g) in gaps.iter().enumerate() {
        let lo = j.saturating_sub(WINDOW);
        let hi = (j + WINDOW + 1).min(gaps.len());
        let mean = (prefix[hi] - prefix[lo]) / (hi - lo) as f64;
        let (a, b) = (moments[j], moments[j + 1]);
        let moved = match (a.gps, b.gps) {
            (Some(p), Some(q)) => g >= PLACE_GAP_S.ln() && km(p, q) > PLACE_KM,
            _ => false,
        };
        if g >= max || moved || (g >= min && g >= k + mean) {
            out.push(j + 1);
        }
    }
    out
}

/// Great-circle distance, km.
fn km((lat1, lon1): (f64, f64), (lat2, lon2): (f64, f64)) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6371.0 * a.sqrt().asin()
}

/// What a grouping did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EventsSummary {
    /// Captures with a time (those without one are in no event).
    pub captures: u64,
    pub events: u64,
    /// Captures put in a (new or other) event this time.
    pub moved: u64,
    pub new_events: u64,
    pub removed_events: u64,
}

/// Groups every capture with a time into events; writes only what changed.
/// Reads the captures' times and positions in pages (about 40 bytes a
/// capture held: 40 MB at a million).
pub fn update(cat: &mut Catalog, ctx: &JobContext) -> Result<EventsSummary> {
    ctx.progress.stage("events", None);
    let mut ids = Vec::new();
    let mut moments = Vec::new();
    let mut current = Vec::new();
    let mut after = None;
    loop {
        if ctx.cancelled() {
            return Err(crate::EngineError::Cancelled);
        }
        let page = cat.timed_captures(after, PAGE)?;
        let Some(last) = page.last() else { break };
        after = Some((last.taken_local_ms, last.id));
        for c in page {
            ids.push(c.id);
            moments.push(Moment { taken_ms: c.taken_local_ms, gps: c.gps_lat.zip(c.gps_lon) });
            current.push(c.event_id);
        }
    }
    let starts = starts(&moments);
    let now = ctx.now();
    let old: HashMap<i64, hma_catalog::EventRow> = cat.events()?.into_iter().map(|e| (e.id, e)).collect();
    let mut rows = Vec::new();
    let mut links = Vec::new();
    let mut kept = std::collections::HashSet::new();
    for (n, &s) in starts.iter().enumerate() {
        let end = starts.get(n + 1).copied().unwrap_or(moments.len());
        let id = ids[s];
        let row = hma_catalog::EventRow {
            id,
            start_ms: moments[s].taken_ms,
            end_ms: moments[end - 1].taken_ms,
            captures: (end - s) as i32,
            updated_ms: now,
        };
        let same = old
            .get(&id)
            .is_some_and(|o| (o.start_ms, o.end_ms, o.captures) == (row.start_ms, row.end_ms, row.captures));
        if !same {
            rows.push(row);
        }
        kept.insert(id);
        for i in s..end {
            if current[i] != Some(id) {
                links.push((ids[i], id));
            }
        }
    }
    let gone: Vec<i64> = old.keys().filter(|id| !kept.contains(id)).copied().collect();
    let s = EventsSummary {
        captures: ids.len() as u64,
        events: starts.len() as u64,
        moved: links.len() as u64,
        new_events: rows.iter().filter(|r| !old.contains_key(&r.id)).count() as u64,
        removed_events: gone.len() as u64,
    };
    // One transaction: a reader sees the old grouping or the new one.
    cat.transaction(|cat| -> Result<()> {
        cat.put_events(&rows, &gone)?;
        cat.set_capture_events(&links)?;
        cat.drop_stale_capture_events()?;
        Ok(())
    })?;
    ctx.progress.advance(s.captures);
    Ok(s)
}

/// An event as `hma events` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct EventReport {
    pub id: i64,
    /// Local times, as `show` writes them.
    pub start: String,
    pub end: String,
    /// Captures in it.
    pub count: i32,
    /// Its best picture (highest overall score), when any is scored.
    pub best: Option<BestPicture>,
    /// Named people and pets in its pictures, most pictures first.
    pub people: Vec<String>,
    /// Where most of its captures with GPS were taken ("Munich, Germany").
    pub place: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BestPicture {
    pub path: String,
    pub score: f64,
}

/// The events, newest first (`limit` of them when given).
pub fn list(cat: &mut Catalog, places: &Places, limit: Option<usize>) -> Result<Vec<EventReport>> {
    let all = cat.latest_events(limit.map(|n| n as i64))?;
    let mut out = Vec::with_capacity(all.len());
    for page in all.chunks(500) {
        let ids: Vec<i64> = page.iter().map(|e| e.id).collect();
        let pictures = cat.event_pictures(&ids)?;
        let hashes: Vec<hma_catalog::ContentHash> = pictures.iter().filter_map(|p| p.content_hash).collect();
        let mut names: HashMap<hma_catalog::ContentHash, Vec<String>> = HashMap::new();
        for (h, n) in cat.names_in_contents(&hashes)? {
            names.entry(h).or_default().push(n);
        }
        let mut by_event: HashMap<i64, Vec<&hma_catalog::EventPicture>> = HashMap::new();
        for p in &pictures {
            by_event.entry(p.event_id).or_default().push(p);
        }
        for e in page {
            let pics = by_event.remove(&e.id).unwrap_or_default();
            let best = pics
                .iter()
                .filter_map(|p| Some((p.score?, *p)))
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(score, p)| BestPicture { path: places.path_in(p.root_id, &p.rel_path), score });
            // People: counted once per capture, most captures first.
            let mut people: HashMap<String, std::collections::HashSet<i64>> = HashMap::new();
            let mut towns: HashMap<String, usize> = HashMap::new();
            let mut seen_captures = std::collections::HashSet::new();
            for p in &pics {
                for n in p.content_hash.and_then(|h| names.get(&h)).into_iter().flatten() {
                    people.entry(n.clone()).or_default().insert(p.capture_id);
                }
                if seen_captures.insert(p.capture_id) {
                    if let Some(pl) = p.gps_lat.zip(p.gps_lon).and_then(|(a, b)| crate::places::locate(a, b).ok()) {
                        let town = pl.city.clone();
                        *towns.entry(format!("{town}, {}", pl.country)).or_default() += 1;
                    }
                }
            }
            let mut people: Vec<(String, usize)> = people.into_iter().map(|(n, c)| (n, c.len())).collect();
            people.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let place = towns.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0))).map(|(t, _)| t);
            out.push(EventReport {
                id: e.id,
                start: crate::rank::format_local(e.start_ms),
                end: crate::rank::format_local(e.end_ms),
                count: e.captures,
                best,
                people: people.into_iter().map(|(n, _)| n).collect(),
                place,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(mins: &[f64]) -> Vec<Moment> {
        mins.iter().map(|m| Moment { taken_ms: (m * 60_000.0) as i64, gps: None }).collect()
    }

    #[test]
    fn gaps_against_the_usual_gap() {
        // Bursts a few seconds apart, a 20-minute pause: two events.
        let burst: Vec<f64> = (0..12).map(|i| i as f64 * 0.1).collect();
        let mut m: Vec<f64> = burst.clone();
        m.extend(burst.iter().map(|t| t + 21.0));
        assert_eq!(starts(&at(&m)), vec![0, 12]);
        // A photo every 10 minutes for hours: one event (no gap is unusual).
        let steady: Vec<f64> = (0..30).map(|i| i as f64 * 10.0).collect();
        assert_eq!(starts(&at(&steady)), vec![0]);
        // Under 15 minutes never splits, even after a burst.
        let mut m = burst.clone();
        m.extend(burst.iter().map(|t| t + 12.0));
        assert_eq!(starts(&at(&m)), vec![0]);
        // Over a day always splits, even for someone who shoots once a day.
        let daily: Vec<f64> = (0..5).map(|i| i as f64 * 1441.0).collect();
        assert_eq!(starts(&at(&daily)), vec![0, 1, 2, 3, 4]);
        assert!(starts(&[]).is_empty());
        assert_eq!(starts(&at(&[5.0])), vec![0]);
    }

    #[test]
    fn a_change_of_place_starts_an_event() {
        let mut m = at(&[0.0, 1.0, 2.0, 3.0, 9.0, 10.0, 11.0]);
        for x in &mut m[..4] {
            x.gps = Some((48.137, 11.575)); // Munich
        }
        for x in &mut m[4..] {
            x.gps = Some((47.267, 11.393)); // Innsbruck, 6 minutes later
        }
        assert_eq!(starts(&m), vec![0, 4]);
        // The same move within 5 minutes is not taken as one (a clock or a
        // GPS fix that jumped).
        m[4].taken_ms = 4 * 60_000;
        assert_eq!(starts(&m), vec![0]);
    }
}

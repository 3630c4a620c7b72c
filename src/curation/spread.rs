//! A shortlist spread over time, events and people (`hma top N --spread`):
//! the best photos, but not ten from one afternoon, not the same child in
//! every frame, and the months in proportion to how many good photos each
//! has.
//!
//! The rule, greedy in the manner of maximal marginal relevance: from a
//! pool of the best photos (the lightbox's list: one per burst and
//! near-duplicate group, so those are never twice), take at each step the
//! one with the highest
//!
//! ```text
//! gain = score
//!      + NEW_PERSON                    if it shows a named person not yet in the list
//!      − CROWD × (largest share any of its people already has of the list)
//!      − SAME_EVENT × (photos already taken from its event)
//!      − FULL_MONTH                    if its month already has its share of the list
//! ```
//!
//! never more than `per_event` from one event. Each pick says why in words
//! (the first line of its `explain`).

use std::collections::{HashMap, HashSet};

use crate::rank::{top_of, TopEntry, TopQuery};
use crate::report::Places;
use crate::{Catalog, Result};

/// What a named person not yet in the list adds.
pub const NEW_PERSON: f64 = 0.15;
/// What the share of the list a person already has costs (all of it: 0.1).
pub const CROWD: f64 = 0.10;
/// What each photo already taken from the same event costs.
pub const SAME_EVENT: f64 = 0.10;
/// What a month that already has its share costs.
pub const FULL_MONTH: f64 = 0.08;
/// The default most photos from one event.
pub const PER_EVENT: usize = 1;

struct Candidate {
    entry: TopEntry,
    event: Option<i64>,
    month: Option<u32>,
}

/// The best `q.n` photos of what `q` finds, spread (see the module).
pub fn spread(cat: &mut Catalog, places: &Places, q: &TopQuery, per_event: usize) -> Result<Vec<TopEntry>> {
    let n = q.n.unwrap_or(TopQuery::DEFAULT_N);
    let per_event = per_event.max(1);
    // The pool: the best eight times as many (one per group), enough to
    // fill the list when the best are crowded into a few events.
    let pool_q = TopQuery { n: Some(n.saturating_mul(8).clamp(200, 20_000)), ..q.clone() };
    let pool = top_of(cat, places, &pool_q)?;
    let ids: Vec<i64> = pool.iter().filter_map(|e| e.capture_id).collect();
    let events: HashMap<i64, i64> = cat.events_of_captures(&ids)?.into_iter().collect();
    let event_rows: HashMap<i64, hma_catalog::EventRow> = {
        let eids: Vec<i64> = events.values().copied().collect::<HashSet<_>>().into_iter().collect();
        cat.events_by_ids(&eids)?.into_iter().map(|e| (e.id, e)).collect()
    };
    let mut cands: Vec<Candidate> = pool
        .into_iter()
        .map(|entry| {
            let event = entry.capture_id.and_then(|c| events.get(&c).copied());
            let month = entry.taken.as_deref().and_then(|t| t.get(5..7)).and_then(|m| m.parse().ok());
            Candidate { entry, event, month }
        })
        .collect();
    // Each month's share of the list: its share of the pool.
    let mut pool_months: HashMap<u32, usize> = HashMap::new();
    for c in &cands {
        if let Some(m) = c.month {
            *pool_months.entry(m).or_default() += 1;
        }
    }
    let dated: usize = pool_months.values().sum();
    let mut out = Vec::new();
    let mut per_ev: HashMap<i64, usize> = HashMap::new();
    let mut per_person: HashMap<String, usize> = HashMap::new();
    let mut per_month: HashMap<u32, usize> = HashMap::new();
    while out.len() < n && !cands.is_empty() {
        let k = out.len() as f64;
        let gain = |c: &Candidate| -> Option<f64> {
            let taken = c.event.map_or(0, |e| per_ev.get(&e).copied().unwrap_or(0));
            if c.event.is_some() && taken >= per_event {
                return None;
            }
            let mut g = c.entry.score - SAME_EVENT * taken as f64;
            if c.entry.people.iter().any(|p| !per_person.contains_key(p)) {
                g += NEW_PERSON;
            }
            let crowd = c.entry.people.iter().map(|p| per_person.get(p).copied().unwrap_or(0)).max().unwrap_or(0);
            if k > 0.0 {
                g -= CROWD * crowd as f64 / k;
            }
            if let Some(m) = c.month {
                let share = pool_months.get(&m).copied().unwrap_or(0) as f64 / dated.max(1) as f64;
                if per_month.get(&m).copied().unwrap_or(0) as f64 >= (share * (k + 1.0)).ceil() {
                    g -= FULL_MONTH;
                }
            }
            Some(g)
        };
        let Some((i, _)) = cands
            .iter()
            .enumerate()
            .filter_map(|(i, c)| Some((i, gain(c)?)))
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
        else {
            break;
        };
        let c = cands.remove(i);
        let mut why = Vec::new();
        match c.event.and_then(|e| event_rows.get(&e)) {
            Some(e) => {
                let nth = per_ev.get(&e.id).copied().unwrap_or(0);
                let day = crate::rank::format_local(e.start_ms);
                let what = match nth {
                    0 => "best left of".to_string(),
                    1 => "second from".to_string(),
                    n => format!("photo {} from", n + 1),
                };
                let photos = if e.captures == 1 { "1 photo".to_string() } else { format!("{} photos", e.captures) };
                why.push(format!("{what} the {} event ({photos})", &day[..10]));
            }
            None if c.entry.taken.is_none() => why.push("in no event (no date)".into()),
            None => why.push("in no event yet (`hma events` groups them)".into()),
        }
        let new: Vec<&String> = c.entry.people.iter().filter(|p| !per_person.contains_key(*p)).collect();
        if !new.is_empty() {
            let names: Vec<&str> = new.iter().map(|s| s.as_str()).collect();
            why.push(format!("first appearance of {} in the list", names.join(", ")));
        }
        if let Some(m) = c.month {
            let had = per_month.get(&m).copied().unwrap_or(0);
            if had == 0 {
                why.push(format!("first from {}", MONTHS[(m as usize).saturating_sub(1) % 12]));
            }
            *per_month.entry(m).or_default() += 1;
        }
        if let Some(e) = c.event {
            *per_ev.entry(e).or_default() += 1;
        }
        for p in &c.entry.people {
            *per_person.entry(p.clone()).or_default() += 1;
        }
        let mut entry = c.entry;
        entry.explain.insert(0, format!("spread: {}", why.join("; ")));
        out.push(entry);
    }
    Ok(out)
}

pub const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

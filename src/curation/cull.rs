//! Culling: the pick/reject flag, stars and colour label of each capture,
//! the lightbox's list and a burst's members side by side. The app and
//! `hma mark` both go through here; every decision is one transaction.

use std::collections::HashMap;

use hma_catalog::{CaptureFields, Catalog, DecisionRow};
use serde::Serialize;

use crate::marks::{normalise_label, Decision, Marks, LABELS};
use crate::rank::{GroupRef, TopEntry};
use crate::report::Places;
use crate::{EngineError, Result};

/// Checks a decision's values (flag −1/0/1, stars 0–5, a known label or
/// the empty label, which clears an XMP label).
pub fn validate(d: &Decision) -> Result<()> {
    if d.flag.is_some_and(|f| !(-1..=1).contains(&f)) {
        return Err(EngineError::Invalid("flag must be -1 (reject), 0 (unflag) or 1 (pick)".into()));
    }
    if d.rating.is_some_and(|r| !(0..=5).contains(&r)) {
        return Err(EngineError::Invalid("rating must be 0 to 5 stars".into()));
    }
    if let Some(l) = &d.label {
        if !l.is_empty() && !LABELS.contains(&l.as_str()) {
            return Err(EngineError::Invalid(format!("unknown label {l:?} (one of {})", LABELS.join(", "))));
        }
    }
    Ok(())
}

/// Stores a capture's whole decision (the app's undo sends back the one
/// before) and returns the marks now in force.
pub fn set_decision(cat: &mut Catalog, capture_id: i64, d: &Decision, now_ms: i64) -> Result<Marks> {
    validate(d)?;
    let row = DecisionRow {
        capture_id,
        flag: d.flag,
        rating: d.rating,
        label: d.label.as_deref().map(normalise_label),
        updated_ms: now_ms,
    };
    cat.put_decision(&row)?;
    marks_of(cat, capture_id)
}

/// Stores a capture's whole decision, as [`set_decision`], and writes it
/// into the capture's XMP sidecar when its root has sidecars on (a newer
/// sidecar from another program wins for the fields this decision does
/// not change). A sidecar that cannot be written does not undo the
/// decision: `marks.sidecar` says why, once per folder (`reporter`).
pub fn decide(
    cat: &mut Catalog,
    places: &Places,
    capture_id: i64,
    d: &Decision,
    now_ms: i64,
    reporter: &mut crate::sidecar::Reporter,
) -> Result<Marks> {
    let before = cat.decisions_of(&[capture_id])?.into_iter().next();
    let prev = before.as_ref().map(|b| Decision { flag: b.flag, rating: b.rating, label: b.label.clone() });
    let prev = prev.unwrap_or_default();
    let label = d.label.as_deref().map(normalise_label);
    let changed = crate::sidecar::Changed {
        flag: prev.flag != d.flag,
        rating: prev.rating != d.rating,
        label: prev.label != label,
    };
    let marks = set_decision(cat, capture_id, d, now_ms)?;
    match crate::sidecar::sync(cat, places, capture_id, before.as_ref(), changed, now_ms)? {
        Ok(crate::sidecar::Synced::Off) => Ok(marks),
        // A newer sidecar may have changed what shows.
        Ok(_) => marks_of(cat, capture_id),
        Err(e) => Ok(Marks { sidecar: reporter.first(&e), ..marks }),
    }
}

/// The marks of one capture.
pub fn marks_of(cat: &mut Catalog, capture_id: i64) -> Result<Marks> {
    let capture = cat.capture(capture_id)?.ok_or_else(|| EngineError::NotFound(format!("no capture {capture_id}")))?;
    let d = cat.decisions_of(&[capture_id])?;
    Ok(Marks::of(d.first(), Some(&capture.fields)))
}

/// A change asked for by `hma mark` (only the fields given change).
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub flag: Option<i16>,
    pub rating: Option<i16>,
    /// `Some("")` removes the label.
    pub label: Option<String>,
}

/// Applies a change to a capture's decision, keeping what it does not name
/// (and writes the sidecar, as [`decide`]).
pub fn change(
    cat: &mut Catalog,
    places: &Places,
    capture_id: i64,
    c: &Change,
    now_ms: i64,
    reporter: &mut crate::sidecar::Reporter,
) -> Result<Marks> {
    let before = marks_of(cat, capture_id)?.decided;
    let d = Decision {
        flag: c.flag.or(before.flag),
        rating: c.rating.or(before.rating),
        label: c.label.clone().or(before.label),
    };
    decide(cat, places, capture_id, &d, now_ms, reporter)
}

/// A burst or near-duplicate group with every member, best first, for the
/// compare view and the "why" overlay.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct GroupDetail {
    pub id: i64,
    pub kind: hma_catalog::GroupKind,
    /// Why the best one won (against the runner-up).
    pub why: String,
    pub members: Vec<TopEntry>,
}

/// The group of a file, all members as lightbox entries (best first), or
/// `None` when the file is in no group.
pub fn group_detail(cat: &mut Catalog, places: &Places, file_id: i64) -> Result<Option<GroupDetail>> {
    let Some((g, _)) = cat.group_of_file(file_id)? else { return Ok(None) };
    let members = cat.group_members(&[g.id])?;
    let ids: Vec<i64> = members.iter().map(|m| m.file_id).collect();
    let files: HashMap<i64, hma_catalog::FileRow> = cat.files_by_ids(&ids)?.into_iter().map(|f| (f.id, f)).collect();
    let cap_ids: Vec<i64> = files.values().filter_map(|f| f.capture_id).collect();
    let captures: HashMap<i64, CaptureFields> =
        cat.captures_by_ids(&cap_ids)?.into_iter().map(|c| (c.id, c.fields)).collect();
    let decisions: HashMap<i64, DecisionRow> =
        cat.decisions_of(&cap_ids)?.into_iter().map(|d| (d.capture_id, d)).collect();
    let hashes: Vec<hma_catalog::ContentHash> = files.values().filter_map(|f| f.content_hash).collect();
    let scores: HashMap<hma_catalog::ContentHash, f64> =
        cat.analyses_of(&hashes)?.into_iter().map(|a| (a.content_hash, a.scores.score.unwrap_or(0.0))).collect();
    let mut chosen = Vec::new();
    for hma_catalog::MemberRow { file_id: fid, member_rank: rank, .. } in members {
        let Some(f) = files.get(&fid) else { continue };
        let (Some(hash), false) = (f.content_hash, f.missing) else { continue };
        let fields = f.capture_id.and_then(|c| captures.get(&c));
        let r = hma_catalog::RankedFile {
            file_id: fid,
            root_id: f.root_id,
            rel_path: f.rel_path.clone(),
            capture_id: f.capture_id,
            content_hash: hash,
            score: scores.get(&hash).copied().unwrap_or(0.0),
            taken_local_ms: fields.and_then(|c| c.taken_local_ms),
        };
        chosen.push(crate::rank::Chosen {
            r,
            group: Some(GroupRef { id: g.id, kind: g.kind, rank, size: g.size }),
            iso: fields.and_then(|c| c.iso),
            marks: Marks::of(f.capture_id.and_then(|c| decisions.get(&c)), fields),
        });
    }
    let members = crate::rank::entries(cat, places, chosen)?;
    Ok(Some(GroupDetail { id: g.id, kind: g.kind, why: g.why, members }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_overrule_xmp_and_empty_label_clears_it() {
        let xmp = CaptureFields { rating: Some(3), label: Some("Red".into()), pick: Some(1), ..Default::default() };
        let m = Marks::of(None, Some(&xmp));
        assert_eq!((m.flag, m.rating, m.label.as_deref()), (1, 3, Some("red")));
        let d = DecisionRow { capture_id: 1, flag: Some(-1), rating: None, label: Some(String::new()), updated_ms: 0 };
        let m = Marks::of(Some(&d), Some(&xmp));
        assert_eq!((m.flag, m.rating, m.label), (-1, 3, None));
        let lr_reject = CaptureFields { rating: Some(-1), ..Default::default() };
        assert_eq!(Marks::of(None, Some(&lr_reject)).flag, -1);
        assert_eq!(Marks::of(None, Some(&lr_reject)).rating, 0);
        assert!(validate(&Decision { rating: Some(6), ..Default::default() }).is_err());
        assert!(validate(&Decision { label: Some("pink".into()), ..Default::default() }).is_err());
        assert!(validate(&Decision { flag: Some(1), rating: Some(5), label: Some("green".into()) }).is_ok());
    }
}

//! `hma search 'person:Anna has:dog -has:cat faces:2+ eyes:open month:12
//! min-score:0.5'`: captures by what was detected in them (AND of classes
//! or COCO super-categories such as `animal`, `-has:` to exclude; who is in
//! them, named people and pets, `-person:` to exclude; how many faces; open
//! or closed eyes) and the `top` filters, ranked by score. A
//! capture has a class (faces, eyes) when any of its files does (the JPEG
//! of a RAW+JPEG pair, say). Faces count as in the score: confident and not
//! tiny (`hma_vision::score::FaceFacts::counts`).

use std::collections::{HashMap, HashSet};

use hma_catalog::Catalog;
use serde::Serialize;

use crate::rank::{format_local, month_of, parse_date};
use crate::report::Places;
use crate::{EngineError, Result};

/// A parsed query.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query {
    /// Each inner list: the classes one `has:` term means (any of them).
    pub has: Vec<(String, Vec<String>)>,
    pub has_not: Vec<(String, Vec<String>)>,
    pub month: Option<u32>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    pub root: Option<String>,
    pub min_score: Option<f64>,
    /// `faces:N`, `faces:N+`, `faces:N-M`: how many faces (inclusive; no
    /// upper bound for `N+`).
    pub faces: Option<(i64, Option<i64>)>,
    /// `eyes:open` / `eyes:closed`, each maybe negated (`-eyes:closed`).
    pub eyes: Vec<(bool, EyesTerm)>,
    /// `person:NAME` / `pet:NAME` (negated: `-person:NAME`): who must (or
    /// must not) be in the photo. `_` stands for a space in a name.
    pub who: Vec<(bool, Who)>,
}

/// A `person:` or `pet:` term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Who {
    /// person or pet.
    pub kind: String,
    pub name: String,
}

/// What an `eyes:` term asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EyesTerm {
    /// Every face whose eyes could be read has them open (at least one).
    Open,
    /// Some face has its eyes closed.
    Closed,
}

impl Query {
    /// Whether the query says what to look for (not only filters).
    fn has_content_terms(&self) -> bool {
        !self.has.is_empty() || self.faces.is_some() || !self.eyes.is_empty() || !self.who.is_empty()
    }
}

const TERMS: &str = "terms are has:CLASS, -has:CLASS, person:NAME, pet:NAME (-person:…, _ for a space), faces:N (N+, N-M), eyes:open, eyes:closed (-eyes:…), month:1-12, from:YYYY-MM-DD, to:YYYY-MM-DD, root:NAME, min-score:0-1";

/// `2`, `2+`, `1-3`.
fn face_range(v: &str) -> Option<(i64, Option<i64>)> {
    if let Some(n) = v.strip_suffix('+') {
        return Some((n.parse().ok().filter(|n: &i64| *n >= 0)?, None));
    }
    if let Some((a, b)) = v.split_once('-') {
        let (a, b): (i64, i64) = (a.parse().ok()?, b.parse().ok()?);
        return (0 <= a && a <= b).then_some((a, Some(b)));
    }
    let n: i64 = v.parse().ok().filter(|n: &i64| *n >= 0)?;
    Some((n, Some(n)))
}

fn classes_of(word: &str) -> Result<Vec<String>> {
    let ids = hma_detect::coco::expand(word);
    if ids.is_empty() {
        return Err(EngineError::Invalid(format!(
            "unknown class {word:?}: a COCO class (person, dog, horse, bicycle, car, cat…, with _ for spaces) or a group (animal, vehicle, food…)"
        )));
    }
    Ok(ids.into_iter().map(|i| hma_detect::coco::CLASSES[i].to_string()).collect())
}

/// Parses a query (terms separated by spaces).
pub fn parse(q: &str) -> Result<Query> {
    let mut out = Query::default();
    for term in q.split_whitespace() {
        let (neg, t) = match term.strip_prefix('-') {
            Some(t) => (true, t),
            None => (false, term),
        };
        let Some((key, value)) = t.split_once(':') else {
            return Err(EngineError::Invalid(format!("{term:?}: {TERMS}")));
        };
        let bad = |what: &str| EngineError::Invalid(format!("{term:?}: {what}"));
        match (neg, key) {
            (false, "has") => out.has.push((value.to_string(), classes_of(value)?)),
            (true, "has") => out.has_not.push((value.to_string(), classes_of(value)?)),
            (false, "month") => {
                out.month =
                    Some(value.parse().ok().filter(|m| (1..=12).contains(m)).ok_or_else(|| bad("month is 1 to 12"))?)
            }
            (false, "from") => out.from_ms = Some(parse_date(value).ok_or_else(|| bad("use YYYY-MM-DD"))?),
            (false, "to") => out.to_ms = Some(parse_date(value).ok_or_else(|| bad("use YYYY-MM-DD"))? + 86_400_000),
            (false, "root") => out.root = Some(value.to_string()),
            (false, "faces") => {
                out.faces = Some(face_range(value).ok_or_else(|| bad("faces:N, faces:N+ or faces:N-M"))?)
            }
            (_, "person" | "pet") => {
                if value.is_empty() {
                    return Err(bad("person:NAME or pet:NAME"));
                }
                out.who.push((neg, Who { kind: key.to_string(), name: value.replace('_', " ") }))
            }
            (_, "eyes") => out.eyes.push((
                neg,
                match value {
                    "open" => EyesTerm::Open,
                    "closed" => EyesTerm::Closed,
                    _ => return Err(bad("eyes:open or eyes:closed")),
                },
            )),
            (false, "min-score") => {
                out.min_score = Some(
                    value
                        .parse()
                        .ok()
                        .filter(|s: &f64| (0.0..=1.0).contains(s))
                        .ok_or_else(|| bad("a score 0 to 1"))?,
                )
            }
            _ => return Err(bad(&format!("unknown term; {TERMS}"))),
        }
    }
    Ok(out)
}

/// One capture found.
#[derive(Debug, Clone, Serialize)]
pub struct SearchHit {
    /// The capture's best-scored present picture.
    pub path: String,
    pub score: Option<f64>,
    pub capture_id: i64,
    pub taken: Option<String>,
    /// Every class detected in the capture's pictures.
    pub classes: Vec<String>,
}

/// Captures whose pictures' contents are among `hashes`.
fn captures_of(cat: &mut Catalog, hashes: &HashSet<hma_catalog::ContentHash>) -> Result<HashSet<i64>> {
    let list: Vec<(hma_catalog::ContentHash, f64)> = hashes.iter().map(|&h| (h, 0.0)).collect();
    Ok(cat.files_of_contents(&list, None)?.into_iter().filter_map(|f| f.capture_id).collect())
}

/// Runs a query; at most `limit` captures, best first.
pub fn search(cat: &mut Catalog, places: &Places, q: &Query, limit: usize) -> Result<Vec<SearchHit>> {
    if !q.has_content_terms() {
        return Err(EngineError::Invalid(
            "say what to look for: at least one has:CLASS, person:NAME, pet:NAME, faces:N or eyes:open|closed term"
                .into(),
        ));
    }
    // Each positive term narrows the captures; negative ones remove.
    let mut caps: Option<HashSet<i64>> = None;
    let narrow = |caps: &mut Option<HashSet<i64>>, c: HashSet<i64>| {
        *caps = Some(match caps.take() {
            None => c,
            Some(prev) => prev.intersection(&c).copied().collect(),
        });
    };
    for (_, classes) in &q.has {
        let contents = cat.contents_with_classes(classes)?;
        narrow(&mut caps, captures_of(cat, &contents)?);
    }
    let (model, conf, share) =
        (crate::faces::MODEL_ID, hma_vision::score::FACE_CONFIDENCE, hma_vision::score::FACE_MIN_SHARE);
    if let Some((lo, hi)) = q.faces {
        let contents = if lo == 0 {
            // Looked at, minus those with more faces than asked.
            let mut looked = cat.faced_contents(model)?;
            let more = cat.contents_by_face_count(model, conf, share, hi.map_or(i64::MAX, |h| h + 1), None)?;
            looked.retain(|h| !more.contains(h));
            looked
        } else {
            cat.contents_by_face_count(model, conf, share, lo, hi)?
        };
        narrow(&mut caps, captures_of(cat, &contents)?);
    }
    let mut exclude: Vec<HashSet<i64>> = Vec::new();
    for (neg, who) in &q.who {
        let p = cat
            .person_named(&who.name)?
            .filter(|p| p.kind == who.kind)
            .ok_or_else(|| EngineError::NotFound(format!("no {} named {:?} (see `hma people`)", who.kind, who.name)))?;
        let contents: HashSet<hma_catalog::ContentHash> = cat.contents_of_people(&[p.id])?.into_iter().collect();
        let c = captures_of(cat, &contents)?;
        if *neg {
            exclude.push(c);
        } else {
            narrow(&mut caps, c);
        }
    }
    for &(neg, e) in &q.eyes {
        let closed = cat.contents_with_eyes(model, conf, share, "closed")?;
        let contents = match e {
            EyesTerm::Closed => closed,
            EyesTerm::Open => {
                let mut open = cat.contents_with_eyes(model, conf, share, "open")?;
                open.retain(|h| !closed.contains(h));
                open
            }
        };
        let c = captures_of(cat, &contents)?;
        if neg {
            exclude.push(c);
        } else {
            narrow(&mut caps, c);
        }
    }
    let mut caps = match caps {
        Some(c) => c,
        // Only negative terms: start from every capture looked at for faces.
        None => {
            let looked = cat.faced_contents(model)?;
            captures_of(cat, &looked)?
        }
    };
    for c in exclude {
        caps.retain(|x| !c.contains(x));
    }
    for (_, classes) in &q.has_not {
        let contents = cat.contents_with_classes(classes)?;
        let c = captures_of(cat, &contents)?;
        caps.retain(|x| !c.contains(x));
    }
    let root_id = match &q.root {
        Some(r) => Some(cat.root_by_name(r)?.ok_or_else(|| EngineError::NotFound(format!("no root named '{r}'")))?.id),
        None => None,
    };
    let ids: Vec<i64> = caps.into_iter().collect();
    let files = cat.picture_files_of_captures(&ids)?;
    // Best present picture per capture.
    let mut best: HashMap<i64, hma_catalog::CaptureFile> = HashMap::new();
    for f in files {
        let Some(c) = f.capture_id else { continue };
        let better = match best.get(&c) {
            None => true,
            Some(b) => f.score.unwrap_or(-1.0) > b.score.unwrap_or(-1.0),
        };
        if better {
            best.insert(c, f);
        }
    }
    let mut hits: Vec<(i64, hma_catalog::CaptureFile)> = best
        .into_iter()
        .filter(|(_, f)| root_id.is_none_or(|r| f.root_id == r))
        .filter(|(_, f)| q.min_score.is_none_or(|m| f.score.unwrap_or(-1.0) >= m))
        .filter(|(_, f)| q.month.is_none_or(|m| f.taken_local_ms.is_some_and(|t| month_of(t) == m)))
        .filter(|(_, f)| q.from_ms.is_none_or(|m| f.taken_local_ms.is_some_and(|t| t >= m)))
        .filter(|(_, f)| q.to_ms.is_none_or(|m| f.taken_local_ms.is_some_and(|t| t < m)))
        .collect();
    hits.sort_by(|a, b| b.1.score.unwrap_or(-1.0).total_cmp(&a.1.score.unwrap_or(-1.0)).then(a.0.cmp(&b.0)));
    hits.truncate(limit);
    let mut out = Vec::new();
    for (c, f) in hits {
        let contents: Vec<hma_catalog::ContentHash> =
            cat.picture_files_of_captures(&[c])?.into_iter().filter_map(|f| f.content_hash).collect();
        let mut classes: Vec<String> = cat.detections_of_many(&contents)?.into_iter().map(|d| d.class_name).collect();
        classes.sort();
        classes.dedup();
        out.push(SearchHit {
            path: places.path_in(f.root_id, &f.rel_path),
            score: f.score,
            capture_id: c,
            taken: f.taken_local_ms.map(format_local),
            classes,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_parse_and_refuse_nonsense() {
        let q = parse("has:dog -has:cat has:animal month:12 min-score:0.5 root:family").unwrap();
        assert_eq!(q.has[0].1, vec!["dog".to_string()]);
        assert_eq!(q.has[1].1.len(), 10);
        assert_eq!(q.has_not[0].1, vec!["cat".to_string()]);
        assert_eq!((q.month, q.min_score, q.root.as_deref()), (Some(12), Some(0.5), Some("family")));
        assert!(parse("has:unicorn").is_err());
        assert!(parse("month:13").is_err());
        assert!(parse("dog").is_err());
        assert!(parse("-month:3").is_err());
        let f = parse("faces:2+ eyes:open -eyes:closed").unwrap();
        assert_eq!(
            (f.faces, f.eyes.clone()),
            (Some((2, None)), vec![(false, EyesTerm::Open), (true, EyesTerm::Closed)])
        );
        assert_eq!(parse("faces:1-3").unwrap().faces, Some((1, Some(3))));
        assert_eq!(parse("faces:0").unwrap().faces, Some((0, Some(0))));
        assert!(parse("faces:3-1").is_err() && parse("faces:x").is_err() && parse("eyes:half").is_err());
        assert_eq!(parse("has:cell_phone").unwrap().has[0].1, vec!["cell phone".to_string()]);
        let w = parse("person:Anna_Maria -person:Ben pet:Rex").unwrap();
        assert_eq!(
            w.who,
            vec![
                (false, Who { kind: "person".into(), name: "Anna Maria".into() }),
                (true, Who { kind: "person".into(), name: "Ben".into() }),
                (false, Who { kind: "pet".into(), name: "Rex".into() }),
            ]
        );
        assert!(parse("person:").is_err());
        assert!(parse("-person:Ben").unwrap().has_content_terms());
    }
}

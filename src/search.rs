//! `hma search 'has:dog has:person -has:cat month:12 min-score:0.5'`:
//! captures by what was detected in them (AND of classes or COCO
//! super-categories such as `animal`, `-has:` to exclude) and the `top`
//! filters, ranked by score. A capture has a class when any of its files
//! does (the JPEG of a RAW+JPEG pair, say).

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
            return Err(EngineError::Invalid(format!(
                "{term:?}: terms are has:CLASS, -has:CLASS, month:1-12, from:YYYY-MM-DD, to:YYYY-MM-DD, root:NAME, min-score:0-1"
            )));
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
            (false, "min-score") => {
                out.min_score = Some(
                    value
                        .parse()
                        .ok()
                        .filter(|s: &f64| (0.0..=1.0).contains(s))
                        .ok_or_else(|| bad("a score 0 to 1"))?,
                )
            }
            _ => return Err(bad("unknown term")),
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
    if q.has.is_empty() {
        return Err(EngineError::Invalid("say what to look for: at least one has:CLASS term".into()));
    }
    let mut caps: Option<HashSet<i64>> = None;
    for (_, classes) in &q.has {
        let contents = cat.contents_with_classes(classes)?;
        let c = captures_of(cat, &contents)?;
        caps = Some(match caps {
            None => c,
            Some(prev) => prev.intersection(&c).copied().collect(),
        });
    }
    let mut caps = caps.unwrap_or_default();
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
        assert_eq!(parse("has:cell_phone").unwrap().has[0].1, vec!["cell phone".to_string()]);
    }
}

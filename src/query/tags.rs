//! Tags: captures linked to nodes of any taxonomy — imported ones (WFO or
//! Darwin Core species, a CSV), the built-in ones (people, places, COCO) and
//! `keywords`, the user's own, made on the fly with `/` between levels
//! (`keywords:Holidays/Beach`). Keywords read from a photo's XMP at scan
//! time land in `keywords` too (Lightroom's `lr:hierarchicalSubject`
//! `Holidays|Beach` as that hierarchy). Tags live in the catalogue only:
//! nothing is written into the photos.
//!
//! A tag is written `TAXONOMY:NODE` (no `TAXONOMY:` means `keywords`); NODE
//! is a path of names from the top (`Germany/Bavaria`), a node's id in its
//! source (`wfo-0000988238`), or one name found once in that taxonomy
//! (`Rosa canina`; among several, the accepted one).

use std::collections::{BTreeMap, HashMap, HashSet};

use hma_catalog::{Catalog, NodeSpec, TaxonNode};
use serde::Serialize;

use crate::{EngineError, JobContext, Result};

/// The user's own keywords.
pub const KEYWORDS: &str = "keywords";
/// Links made with `hma tag`.
pub const USER: &str = "user";
/// Links from the photo's XMP keywords.
pub const XMP: &str = "xmp";
const KEYWORD_MARK: &str = "keywords";

/// A tag as written: taxonomy and node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagRef {
    pub taxonomy: String,
    pub node: String,
}

/// Reads `TAXONOMY:NODE` (or `NODE`, in `keywords`).
pub fn parse_tag(s: &str) -> Result<TagRef> {
    let s = s.trim();
    let (taxonomy, node) = match s.split_once(':') {
        Some((t, n)) if !t.is_empty() && !t.contains('/') => (t.trim(), n.trim()),
        _ => (KEYWORDS, s),
    };
    if node.is_empty() || node.split('/').any(|p| p.trim().is_empty()) {
        return Err(EngineError::Invalid(format!(
            "{s:?}: a tag is TAXONOMY:NODE, e.g. keywords:Holidays/Beach or 'wfo:Rosa canina' (no empty level)"
        )));
    }
    Ok(TagRef { taxonomy: taxonomy.to_string(), node: node.to_string() })
}

/// The nodes of a `keywords` path, from the top (`Holidays`, `Holidays/Beach`).
fn keyword_nodes(path: &str) -> Vec<NodeSpec> {
    NodeSpec::chain(path.split('/').map(str::trim).filter(|p| !p.is_empty()).map(|p| (p, p, "keyword")))
}

/// The node a tag names. In `keywords`, a missing path is made when `create`.
pub fn resolve(cat: &mut Catalog, tag: &TagRef, create: bool, now_ms: i64) -> Result<TaxonNode> {
    if tag.taxonomy == KEYWORDS {
        let nodes = keyword_nodes(&tag.node);
        let leaf = nodes.last().map(|n| n.external_id.clone()).unwrap_or_default();
        let tid = match cat.taxonomy(KEYWORDS)? {
            Some(t) => t.id,
            None if create => cat.ensure_taxonomy(KEYWORDS, "keywords", now_ms)?,
            None => return Err(EngineError::NotFound(format!("no keyword {:?}", tag.node))),
        };
        if create {
            cat.ensure_nodes(tid, &nodes)?;
        }
        return cat
            .node_by_external_id(tid, &leaf)?
            .ok_or_else(|| EngineError::NotFound(format!("no keyword {:?}", tag.node)));
    }
    let t = cat.taxonomy(&tag.taxonomy)?.ok_or_else(|| {
        EngineError::NotFound(format!("no taxonomy named '{}' (see `hma taxonomy list`)", tag.taxonomy))
    })?;
    if let Some(n) = cat.node_by_external_id(t.id, &tag.node)? {
        return Ok(n);
    }
    let found = find_by_names(cat, t.id, &tag.node)?;
    match found.len() {
        0 => Err(EngineError::NotFound(format!("no node {:?} in taxonomy '{}'", tag.node, tag.taxonomy))),
        1 => Ok(found.into_iter().next().unwrap_or_else(|| unreachable!())),
        n => {
            let accepted: Vec<&TaxonNode> = found
                .iter()
                .filter(|n| n.status.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("accepted")))
                .collect();
            if accepted.len() == 1 {
                return Ok(accepted[0].clone());
            }
            let ids: Vec<&str> = found.iter().take(5).map(|n| n.external_id.as_str()).collect();
            Err(EngineError::Invalid(format!(
                "{n} nodes are called {:?} in '{}' (e.g. {}): give the node's id or its path",
                tag.node,
                tag.taxonomy,
                ids.join(", ")
            )))
        }
    }
}

/// Nodes of taxonomy `tid` matching a name, or a `/` path of names from a
/// top node (any case).
pub fn find_by_names(cat: &mut Catalog, tid: i64, text: &str) -> Result<Vec<TaxonNode>> {
    let parts: Vec<&str> = text.split('/').map(str::trim).filter(|p| !p.is_empty()).collect();
    if parts.len() <= 1 {
        return Ok(cat.nodes_named(Some(tid), text)?);
    }
    // A path: the last name, kept when its ancestors' names match.
    let mut out = Vec::new();
    'cands: for n in cat.nodes_named(Some(tid), parts[parts.len() - 1])? {
        let mut cur = n.parent_id;
        for want in parts[..parts.len() - 1].iter().rev() {
            let Some(p) = cur else { continue 'cands };
            let Some(pn) = cat.nodes_by_ids(&[p])?.pop() else { continue 'cands };
            if hma_catalog::taxon_key(&pn.name) != hma_catalog::taxon_key(want) {
                continue 'cands;
            }
            cur = pn.parent_id;
        }
        out.push(n);
    }
    Ok(out)
}

/// What `hma tag` did.
#[derive(Debug, Clone, Default, Serialize, ts_rs::TS)]
pub struct TagSummary {
    /// Captures of the paths given.
    #[ts(type = "number")]
    pub captures: usize,
    /// Links added (a capture already tagged so counts nothing).
    #[ts(type = "number")]
    pub added: usize,
    /// Links removed.
    #[ts(type = "number")]
    pub removed: usize,
    /// The nodes, as `taxonomy:path`.
    pub tags: Vec<String>,
}

/// Adds and removes tags on captures (source `user`). Removing takes away
/// only what was tagged here; a keyword in the photo's own XMP stays (it is
/// the photo's, changed in the program that wrote it).
pub fn tag(cat: &mut Catalog, captures: &[i64], add: &[String], remove: &[String], now_ms: i64) -> Result<TagSummary> {
    let add: Vec<TagRef> = add.iter().map(|s| parse_tag(s)).collect::<Result<_>>()?;
    let remove: Vec<TagRef> = remove.iter().map(|s| parse_tag(s)).collect::<Result<_>>()?;
    let mut s = TagSummary { captures: captures.len(), ..Default::default() };
    cat.transaction(|cat| -> Result<()> {
        for t in &add {
            let n = resolve(cat, t, true, now_ms)?;
            let links: Vec<(i64, i64)> = captures.iter().map(|&c| (c, n.id)).collect();
            s.added += cat.link_taxa(&links, USER, None, now_ms)?;
            s.tags.push(format!("{}:{}", t.taxonomy, node_path(cat, &n)?));
        }
        for t in &remove {
            let n = resolve(cat, t, false, now_ms)?;
            s.removed += cat.unlink_taxa(captures, n.id, USER)?;
            s.tags.push(format!("{}:{}", t.taxonomy, node_path(cat, &n)?));
        }
        Ok(())
    })?;
    Ok(s)
}

/// A node's names from the top, `/` between them.
pub fn node_path(cat: &mut Catalog, n: &TaxonNode) -> Result<String> {
    let names: Vec<String> =
        cat.taxon_lineage(n.taxonomy_id, &n.external_id)?.into_iter().map(|(name, _)| name).collect();
    Ok(names.join("/"))
}

/// Every tag of a capture as `taxonomy:path`, sorted, once each.
pub fn tags_of(cat: &mut Catalog, capture_id: i64) -> Result<Vec<String>> {
    let links = cat.links_of_captures(&[capture_id])?;
    let mut out = Vec::new();
    let mut paths: HashMap<i64, String> = HashMap::new();
    for (_, node, _, taxonomy) in links {
        let path = match paths.get(&node) {
            Some(p) => p.clone(),
            None => {
                let Some(n) = cat.nodes_by_ids(&[node])?.pop() else { continue };
                let p = node_path(cat, &n)?;
                paths.insert(node, p.clone());
                p
            }
        };
        out.push(format!("{taxonomy}:{path}"));
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// The keyword paths of one capture's XMP keywords: each hierarchical one
/// (`A|B|C` → `A/B/C`), and each flat one that is not a level of those
/// (Lightroom also writes every level of a hierarchical keyword as a flat
/// one, which would otherwise appear twice).
pub fn keyword_paths(kws: &[(String, bool)]) -> Vec<String> {
    let mut levels = HashSet::new();
    let mut out = Vec::new();
    for (k, _) in kws.iter().filter(|(_, h)| *h) {
        let parts: Vec<&str> = k.split('|').map(str::trim).filter(|p| !p.is_empty() && !p.contains('/')).collect();
        if parts.is_empty() {
            continue;
        }
        for p in &parts {
            levels.insert(hma_catalog::taxon_key(p));
        }
        out.push(parts.join("/"));
    }
    for (k, _) in kws.iter().filter(|(_, h)| !*h) {
        let k = k.trim();
        if !k.is_empty() && !k.contains('/') && !levels.contains(&hma_catalog::taxon_key(k)) {
            out.push(k.to_string());
        }
    }
    out.sort();
    out.dedup();
    out
}

/// What a keyword sync did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct KeywordSummary {
    /// Captures whose XMP keywords were read.
    pub captures: u64,
    /// Links from captures to keywords made.
    pub linked: u64,
}

/// Puts the XMP keywords the scans read since the last sync into
/// `keywords` (source `xmp`). Incremental: the last keyword row done is
/// kept in the catalogue.
pub fn sync_keywords(cat: &mut Catalog, ctx: &JobContext) -> Result<KeywordSummary> {
    let mut s = KeywordSummary::default();
    let mut mark = cat.job_mark(KEYWORD_MARK)?;
    loop {
        let rows = cat.keywords_after(mark, 2000)?;
        let Some(last) = rows.last().map(|r| r.0) else { break };
        let captures: Vec<i64> = rows.iter().map(|r| r.1).collect::<HashSet<_>>().into_iter().collect();
        let now = ctx.now();
        cat.transaction(|cat| -> Result<()> {
            let mut wanted: BTreeMap<i64, Vec<String>> = BTreeMap::new();
            for &c in &captures {
                let kws = cat.keywords(c)?;
                wanted.insert(c, keyword_paths(&kws));
            }
            let specs: Vec<NodeSpec> = wanted.values().flatten().flat_map(|p| keyword_nodes(p)).collect();
            let tid = cat.ensure_taxonomy(KEYWORDS, "keywords", now)?;
            let ids = cat.ensure_nodes(tid, &specs)?;
            let links: Vec<(i64, i64)> =
                wanted.iter().flat_map(|(c, ps)| ps.iter().filter_map(|p| Some((*c, *ids.get(p)?)))).collect();
            cat.link_taxa(&links, XMP, None, now)?;
            cat.set_job_mark(KEYWORD_MARK, last)?;
            s.linked += links.len() as u64;
            Ok(())
        })?;
        s.captures += captures.len() as u64;
        mark = last;
    }
    Ok(s)
}

/// A node and its children, each with the photos under it.
#[derive(Debug, Clone, Serialize)]
pub struct Browse {
    pub taxonomy: String,
    /// The node's names from the top (empty at the top).
    pub path: String,
    pub id: Option<i64>,
    /// Photos (captures) linked to it or to anything below it.
    pub photos: usize,
    pub children: Vec<BrowseChild>,
}

/// A child in [`Browse`].
#[derive(Debug, Clone, Serialize)]
pub struct BrowseChild {
    pub id: i64,
    pub external_id: String,
    pub name: String,
    pub rank: Option<String>,
    /// Photos linked to it or below it.
    pub photos: usize,
    /// Its own children.
    pub children: i64,
}

/// `hma taxonomy show NAME [NODE]`: counts come from the links (each
/// linked node's ancestors walked once), so a million-node backbone with
/// a few hundred tagged species is quick.
pub fn browse(cat: &mut Catalog, taxonomy: &str, node: Option<&str>) -> Result<Browse> {
    let t = cat
        .taxonomy(taxonomy)?
        .ok_or_else(|| EngineError::NotFound(format!("no taxonomy named '{taxonomy}' (see `hma taxonomy list`)")))?;
    let at = match node {
        Some(n) => Some(resolve(cat, &TagRef { taxonomy: taxonomy.into(), node: n.into() }, false, 0)?),
        None => None,
    };
    let children = cat.child_nodes(t.id, at.as_ref().map(|n| n.id))?;
    let child_ids: HashSet<i64> = children.iter().map(|c| c.id).collect();
    let mut parent: HashMap<i64, Option<i64>> = HashMap::new();
    let mut per_child: HashMap<i64, HashSet<i64>> = HashMap::new();
    let mut here: HashSet<i64> = HashSet::new();
    for (capture, node) in cat.taxonomy_links(t.id)? {
        // Walk up from the linked node; note the child of `at` passed and
        // whether `at` (or the top, when browsing the top) was reached.
        let mut cur = Some(node);
        let mut steps = 0;
        while let Some(id) = cur {
            if child_ids.contains(&id) {
                per_child.entry(id).or_default().insert(capture);
            }
            if at.as_ref().is_some_and(|a| a.id == id) {
                here.insert(capture);
                break;
            }
            let p = match parent.get(&id) {
                Some(p) => *p,
                None => {
                    let p = cat.nodes_by_ids(&[id])?.pop().and_then(|n| n.parent_id);
                    parent.insert(id, p);
                    p
                }
            };
            if p.is_none() && at.is_none() {
                here.insert(capture);
            }
            cur = p;
            steps += 1;
            if steps > 200 {
                break;
            }
        }
    }
    let counts = cat.child_counts(&children.iter().map(|c| c.id).collect::<Vec<_>>())?;
    let mut kids: Vec<BrowseChild> = children
        .into_iter()
        .map(|c| BrowseChild {
            photos: per_child.get(&c.id).map_or(0, HashSet::len),
            children: counts.get(&c.id).copied().unwrap_or(0),
            id: c.id,
            external_id: c.external_id,
            name: c.name,
            rank: c.taxon_rank,
        })
        .collect();
    kids.sort_by(|a, b| b.photos.cmp(&a.photos).then_with(|| a.name.cmp(&b.name)));
    Ok(Browse {
        taxonomy: taxonomy.into(),
        path: match &at {
            Some(n) => node_path(cat, n)?,
            None => String::new(),
        },
        id: at.as_ref().map(|n| n.id),
        photos: here.len(),
        children: kids,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_keyword_paths() {
        assert_eq!(
            parse_tag("keywords:Holidays/Beach").unwrap(),
            TagRef { taxonomy: "keywords".into(), node: "Holidays/Beach".into() }
        );
        assert_eq!(parse_tag("wfo:Rosa canina").unwrap().taxonomy, "wfo");
        assert_eq!(parse_tag("Beach").unwrap().taxonomy, "keywords");
        assert!(parse_tag("keywords:").is_err() && parse_tag("a//b").is_err());
        let k = |s: &str, h: bool| (s.to_string(), h);
        assert_eq!(
            keyword_paths(&[k("Family|Kids|Max", true), k("Max", false), k("Kids", false), k("Beach", false)]),
            vec!["Beach".to_string(), "Family/Kids/Max".to_string()]
        );
        let n = keyword_nodes("Holidays/ Beach");
        assert_eq!((n[1].external_id.as_str(), n[1].parent.as_deref()), ("Holidays/Beach", Some("Holidays")));
    }
}

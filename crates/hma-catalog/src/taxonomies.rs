//! Hierarchical taxonomies (COCO, species, places…): import, lineage.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use hma_media::ContentHash;

use crate::models::*;
use crate::schema::*;
use crate::{with_conn, Catalog, CatalogError, Conn, Result, BATCH};

impl Catalog {
    /// The taxonomy called `name`.
    pub fn taxonomy(&mut self, name: &str) -> Result<Option<Taxonomy>> {
        Ok(
            with_conn!(self, c => taxonomies::table.filter(taxonomies::name.eq(name)).select(Taxonomy::as_select()).first(c).optional())?,
        )
    }

    /// All taxonomies.
    pub fn taxonomies(&mut self) -> Result<Vec<Taxonomy>> {
        Ok(with_conn!(self, c => taxonomies::table.order(taxonomies::id).select(Taxonomy::as_select()).load(c))?)
    }

    /// Creates (or empties, for a new version) the taxonomy `name`; returns its id.
    pub fn reset_taxonomy(&mut self, name: &str, format: &str, source_hash: ContentHash, now_ms: i64) -> Result<i64> {
        if let Some(t) = self.taxonomy(name)? {
            let linked: i64 = with_conn!(self, c => capture_taxa::table
                .inner_join(taxonomy_nodes::table)
                .filter(taxonomy_nodes::taxonomy_id.eq(t.id))
                .count()
                .get_result(c))?;
            if linked > 0 {
                return Err(CatalogError::Invalid(format!(
                    "taxonomy '{name}' has {linked} links to photos; import the new version under another name"
                )));
            }
            with_conn!(self, c => diesel::update(taxonomy_nodes::table.filter(taxonomy_nodes::taxonomy_id.eq(t.id)))
                .set(taxonomy_nodes::parent_id.eq(None::<i64>))
                .execute(c))?;
            with_conn!(self, c => diesel::delete(taxonomy_nodes::table.filter(taxonomy_nodes::taxonomy_id.eq(t.id))).execute(c))?;
            with_conn!(self, c => diesel::update(taxonomies::table.find(t.id))
                .set((taxonomies::source_format.eq(format), taxonomies::source_hash.eq(source_hash), taxonomies::node_count.eq(0), taxonomies::imported_ms.eq(now_ms)))
                .execute(c))?;
            return Ok(t.id);
        }
        with_conn!(self, c => diesel::insert_into(taxonomies::table)
            .values((
                taxonomies::name.eq(name),
                taxonomies::source_format.eq(format),
                taxonomies::source_hash.eq(source_hash),
                taxonomies::node_count.eq(0),
                taxonomies::imported_ms.eq(now_ms),
            ))
            .execute(c))?;
        Ok(self.taxonomy(name)?.map(|t| t.id).unwrap_or_default())
    }

    /// Inserts a batch of nodes.
    pub fn insert_taxa(&mut self, nodes: &[NewTaxon]) -> Result<()> {
        for chunk in nodes.chunks(BATCH) {
            with_conn!(self, c => diesel::insert_into(taxonomy_nodes::table).values(chunk).execute(c))?;
        }
        Ok(())
    }

    /// Links every node of a taxonomy to its parent row; returns the node
    /// count. One set-based statement per backend (MariaDB cannot update a
    /// table from a subquery on itself, so it joins instead).
    pub fn resolve_taxonomy(&mut self, taxonomy_id: i64) -> Result<i64> {
        match &mut self.conn {
            Conn::Sqlite(c) => {
                diesel::sql_query(
                    "UPDATE taxonomy_nodes SET parent_id = (SELECT p.id FROM taxonomy_nodes p \
                     WHERE p.taxonomy_id = taxonomy_nodes.taxonomy_id AND p.external_id = taxonomy_nodes.parent_external_id) \
                     WHERE taxonomy_id = ? AND parent_external_id IS NOT NULL",
                )
                .bind::<diesel::sql_types::BigInt, _>(taxonomy_id)
                .execute(c)?;
            }
            Conn::Mysql(c) => {
                diesel::sql_query(
                    "UPDATE taxonomy_nodes n JOIN taxonomy_nodes p \
                     ON p.taxonomy_id = n.taxonomy_id AND p.external_id = n.parent_external_id \
                     SET n.parent_id = p.id WHERE n.taxonomy_id = ?",
                )
                .bind::<diesel::sql_types::BigInt, _>(taxonomy_id)
                .execute(c)?;
            }
        }
        let n: i64 = with_conn!(self, c => taxonomy_nodes::table.filter(taxonomy_nodes::taxonomy_id.eq(taxonomy_id)).count().get_result(c))?;
        with_conn!(self, c => diesel::update(taxonomies::table.find(taxonomy_id)).set(taxonomies::node_count.eq(n)).execute(c))?;
        Ok(n)
    }

    /// A node's path from the top: names from root to the node.
    pub fn taxon_lineage(&mut self, taxonomy_id: i64, external_id: &str) -> Result<Vec<(String, Option<String>)>> {
        let mut out = Vec::new();
        let mut cur: Option<(Option<i64>, String, Option<String>)> = with_conn!(self, c => taxonomy_nodes::table
            .filter(taxonomy_nodes::taxonomy_id.eq(taxonomy_id))
            .filter(taxonomy_nodes::external_id.eq(external_id))
            .select((taxonomy_nodes::parent_id, taxonomy_nodes::name, taxonomy_nodes::taxon_rank))
            .first(c)
            .optional())?;
        while let Some((parent, name, rank)) = cur {
            out.push((name, rank));
            if out.len() > 200 {
                break; // a cycle in bad source data
            }
            cur = match parent {
                Some(p) => with_conn!(self, c => taxonomy_nodes::table
                    .find(p)
                    .select((taxonomy_nodes::parent_id, taxonomy_nodes::name, taxonomy_nodes::taxon_rank))
                    .first(c)
                    .optional())?,
                None => None,
            };
        }
        out.reverse();
        Ok(out)
    }

    /// Nodes whose parent id in the source is not in the taxonomy.
    pub fn orphan_taxa(&mut self, taxonomy_id: i64) -> Result<i64> {
        Ok(with_conn!(self, c => taxonomy_nodes::table
            .filter(taxonomy_nodes::taxonomy_id.eq(taxonomy_id))
            .filter(taxonomy_nodes::parent_external_id.is_not_null())
            .filter(taxonomy_nodes::parent_id.is_null())
            .count()
            .get_result(c))?)
    }
}

/// A node the caller wants to exist: its id in the source (a place's path,
/// a keyword's path), its parent's, name and rank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeSpec {
    pub external_id: String,
    pub parent: Option<String>,
    pub name: String,
    pub rank: Option<String>,
}

impl NodeSpec {
    /// The nodes of one path from the top, each level `(id part, name,
    /// rank)`: a level's source id is the id parts so far joined by `/`
    /// (`DE/Bavaria/Munich`), its parent the level above. Parents come
    /// first, as [`Catalog::ensure_nodes`] wants them; several chains may
    /// share their upper levels (ensure_nodes makes each node once).
    pub fn chain<'a>(levels: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>) -> Vec<NodeSpec> {
        let mut out: Vec<NodeSpec> = Vec::new();
        for (part, name, rank) in levels {
            let parent = out.last().map(|n| n.external_id.clone());
            out.push(NodeSpec {
                external_id: match &parent {
                    Some(p) => format!("{p}/{part}"),
                    None => part.to_string(),
                },
                parent,
                name: name.to_string(),
                rank: Some(rank.to_string()),
            });
        }
        out
    }
}

/// A taxonomy node as read back.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = taxonomy_nodes)]
pub struct TaxonNode {
    pub id: i64,
    pub taxonomy_id: i64,
    pub external_id: String,
    pub parent_id: Option<i64>,
    pub name: String,
    pub taxon_rank: Option<String>,
    pub status: Option<String>,
}

impl Catalog {
    /// The taxonomy `name`, created empty (format `format`) when missing;
    /// returns its id. Unlike [`Catalog::reset_taxonomy`] it never empties one.
    pub fn ensure_taxonomy(&mut self, name: &str, format: &str, now_ms: i64) -> Result<i64> {
        if let Some(t) = self.taxonomy(name)? {
            return Ok(t.id);
        }
        with_conn!(self, c => diesel::insert_into(taxonomies::table)
            .values((
                taxonomies::name.eq(name),
                taxonomies::source_format.eq(format),
                taxonomies::source_hash.eq(ContentHash(0)),
                taxonomies::node_count.eq(0),
                taxonomies::imported_ms.eq(now_ms),
            ))
            .execute(c))?;
        self.taxonomy(name)?.map(|t| t.id).ok_or_else(|| CatalogError::Invalid(format!("taxonomy '{name}' vanished")))
    }

    /// Makes sure these nodes exist in taxonomy `tid` (parents listed before
    /// their children, or already there; a node listed twice is made once);
    /// returns each one's row id by its source id. Existing nodes are left
    /// as they are.
    pub fn ensure_nodes(&mut self, tid: i64, specs: &[NodeSpec]) -> Result<HashMap<String, i64>> {
        let mut ids: HashMap<String, i64> = HashMap::new();
        let mut wanted: Vec<&str> =
            specs.iter().flat_map(|s| std::iter::once(s.external_id.as_str()).chain(s.parent.as_deref())).collect();
        wanted.sort_unstable();
        wanted.dedup();
        for chunk in wanted.chunks(BATCH) {
            let v: Vec<(String, i64)> = with_conn!(self, c => taxonomy_nodes::table
                .filter(taxonomy_nodes::taxonomy_id.eq(tid))
                .filter(taxonomy_nodes::external_id.eq_any(chunk))
                .select((taxonomy_nodes::external_id, taxonomy_nodes::id))
                .load(c))?;
            ids.extend(v);
        }
        let mut added = 0i64;
        for s in specs {
            if ids.contains_key(&s.external_id) {
                continue;
            }
            let parent_id = s.parent.as_ref().and_then(|p| ids.get(p).copied());
            with_conn!(self, c => diesel::insert_into(taxonomy_nodes::table)
                .values((
                    taxonomy_nodes::taxonomy_id.eq(tid),
                    taxonomy_nodes::external_id.eq(&s.external_id),
                    taxonomy_nodes::parent_external_id.eq(&s.parent),
                    taxonomy_nodes::parent_id.eq(parent_id),
                    taxonomy_nodes::name.eq(&s.name),
                    taxonomy_nodes::taxon_rank.eq(&s.rank),
                    taxonomy_nodes::name_key.eq(crate::taxon_key(&s.name)),
                ))
                .execute(c))?;
            let id: i64 = with_conn!(self, c => taxonomy_nodes::table
                .filter(taxonomy_nodes::taxonomy_id.eq(tid))
                .filter(taxonomy_nodes::external_id.eq(&s.external_id))
                .select(taxonomy_nodes::id)
                .first(c))?;
            ids.insert(s.external_id.clone(), id);
            added += 1;
        }
        if added > 0 {
            with_conn!(self, c => diesel::update(taxonomies::table.find(tid))
                .set(taxonomies::node_count.eq(taxonomies::node_count + added))
                .execute(c))?;
        }
        Ok(ids)
    }

    /// Links captures to nodes (`(capture, node)` pairs) from `source`
    /// (gps, xmp, user…); pairs already linked from it stay as they are.
    /// Returns how many links are new.
    pub fn link_taxa(
        &mut self,
        links: &[(i64, i64)],
        source: &str,
        version: Option<&str>,
        now_ms: i64,
    ) -> Result<usize> {
        let mut added = 0;
        for chunk in links.chunks(BATCH) {
            let rows: Vec<_> = chunk
                .iter()
                .map(|&(capture, node)| {
                    (
                        capture_taxa::capture_id.eq(capture),
                        capture_taxa::node_id.eq(node),
                        capture_taxa::source.eq(source),
                        capture_taxa::confidence.eq(None::<f64>),
                        capture_taxa::model_version.eq(version),
                        capture_taxa::created_ms.eq(now_ms),
                    )
                })
                .collect();
            added +=
                with_conn!(self, c => diesel::insert_or_ignore_into(capture_taxa::table).values(&rows).execute(c))?;
        }
        Ok(added)
    }

    /// Removes these captures' links to `node_id` from `source`; returns how many went.
    pub fn unlink_taxa(&mut self, capture_ids: &[i64], node_id: i64, source: &str) -> Result<usize> {
        let mut n = 0;
        for chunk in capture_ids.chunks(BATCH) {
            n += with_conn!(self, c => diesel::delete(capture_taxa::table
                .filter(capture_taxa::capture_id.eq_any(chunk))
                .filter(capture_taxa::node_id.eq(node_id))
                .filter(capture_taxa::source.eq(source)))
                .execute(c))?;
        }
        Ok(n)
    }

    /// Removes every link of these captures from `source`.
    pub fn unlink_source(&mut self, capture_ids: &[i64], source: &str) -> Result<usize> {
        let mut n = 0;
        for chunk in capture_ids.chunks(BATCH) {
            n += with_conn!(self, c => diesel::delete(capture_taxa::table
                .filter(capture_taxa::capture_id.eq_any(chunk))
                .filter(capture_taxa::source.eq(source)))
                .execute(c))?;
        }
        Ok(n)
    }

    /// Captures with GPS coordinates and no link from `source`, `limit`
    /// after capture id `after`, as (id, latitude, longitude).
    pub fn gps_captures_without(&mut self, source: &str, after: i64, limit: i64) -> Result<Vec<(i64, f64, f64)>> {
        let v: Vec<(i64, Option<f64>, Option<f64>)> = with_conn!(self, c => captures::table
            .left_join(capture_taxa::table.on(capture_taxa::capture_id.eq(captures::id).and(capture_taxa::source.eq(source))))
            .filter(captures::id.gt(after))
            .filter(captures::gps_lat.is_not_null())
            .filter(captures::gps_lon.is_not_null())
            .filter(capture_taxa::id.nullable().is_null())
            .order(captures::id)
            .limit(limit)
            .select((captures::id, captures::gps_lat, captures::gps_lon))
            .load(c))?;
        Ok(v.into_iter().filter_map(|(id, la, lo)| Some((id, la?, lo?))).collect())
    }

    /// One node by its source id.
    pub fn node_by_external_id(&mut self, tid: i64, external_id: &str) -> Result<Option<TaxonNode>> {
        Ok(with_conn!(self, c => taxonomy_nodes::table
            .filter(taxonomy_nodes::taxonomy_id.eq(tid))
            .filter(taxonomy_nodes::external_id.eq(external_id))
            .select(TaxonNode::as_select())
            .first(c)
            .optional())?)
    }

    /// Nodes whose name is `name` (any case), in one taxonomy or in all.
    pub fn nodes_named(&mut self, tid: Option<i64>, name: &str) -> Result<Vec<TaxonNode>> {
        let key = crate::taxon_key(name);
        Ok(with_conn!(self, c => {
            let mut q = taxonomy_nodes::table.filter(taxonomy_nodes::name_key.eq(&key)).into_boxed();
            if let Some(t) = tid {
                q = q.filter(taxonomy_nodes::taxonomy_id.eq(t));
            }
            q.order(taxonomy_nodes::id).select(TaxonNode::as_select()).load(c)
        })?)
    }

    /// Nodes by row id.
    pub fn nodes_by_ids(&mut self, ids: &[i64]) -> Result<Vec<TaxonNode>> {
        self.by_chunks(ids, |cat, chunk| {
            Ok(with_conn!(cat, c => taxonomy_nodes::table
                .filter(taxonomy_nodes::id.eq_any(chunk))
                .select(TaxonNode::as_select())
                .load(c))?)
        })
    }

    /// The children of a node (or the top nodes of taxonomy `tid` with `parent` None).
    pub fn child_nodes(&mut self, tid: i64, parent: Option<i64>) -> Result<Vec<TaxonNode>> {
        Ok(with_conn!(self, c => {
            let q = taxonomy_nodes::table.filter(taxonomy_nodes::taxonomy_id.eq(tid)).into_boxed();
            let q = match parent {
                Some(p) => q.filter(taxonomy_nodes::parent_id.eq(p)),
                None => q.filter(taxonomy_nodes::parent_id.is_null()),
            };
            q.order(taxonomy_nodes::name).select(TaxonNode::as_select()).load(c)
        })?)
    }

    /// Of the nodes in the subtrees under `tops` (themselves included),
    /// those linked to a capture: what a search for them needs. The tree is
    /// walked level by level, but only linked nodes are kept, so a query on
    /// a large backbone binds few ids.
    pub fn linked_nodes_under(&mut self, tops: &[i64]) -> Result<Vec<i64>> {
        let mut linked = Vec::new();
        let mut seen: HashSet<i64> = tops.iter().copied().collect();
        let mut level: Vec<i64> = tops.to_vec();
        let mut depth = 0;
        while !level.is_empty() && depth < 200 {
            for chunk in level.chunks(BATCH) {
                let v: Vec<i64> = with_conn!(self, c => capture_taxa::table
                    .filter(capture_taxa::node_id.eq_any(chunk))
                    .select(capture_taxa::node_id)
                    .distinct()
                    .load(c))?;
                linked.extend(v);
            }
            let mut next = Vec::new();
            for chunk in level.chunks(BATCH) {
                let v: Vec<i64> = with_conn!(self, c => taxonomy_nodes::table
                    .filter(taxonomy_nodes::parent_id.eq_any(chunk))
                    .select(taxonomy_nodes::id)
                    .load(c))?;
                next.extend(v.into_iter().filter(|id| seen.insert(*id)));
            }
            level = next;
            depth += 1;
        }
        linked.sort_unstable();
        linked.dedup();
        Ok(linked)
    }

    /// Every (capture, node) link of taxonomy `tid`.
    pub fn taxonomy_links(&mut self, tid: i64) -> Result<Vec<(i64, i64)>> {
        Ok(with_conn!(self, c => capture_taxa::table
            .inner_join(taxonomy_nodes::table)
            .filter(taxonomy_nodes::taxonomy_id.eq(tid))
            .select((capture_taxa::capture_id, capture_taxa::node_id))
            .distinct()
            .load(c))?)
    }

    /// The links of these captures: (capture, node, source), with each
    /// node's taxonomy name.
    pub fn links_of_captures(&mut self, capture_ids: &[i64]) -> Result<Vec<(i64, i64, String, String)>> {
        self.by_chunks(capture_ids, |cat, chunk| {
            Ok(with_conn!(cat, c => capture_taxa::table
                .inner_join(taxonomy_nodes::table.inner_join(taxonomies::table))
                .filter(capture_taxa::capture_id.eq_any(chunk))
                .select((capture_taxa::capture_id, capture_taxa::node_id, capture_taxa::source, taxonomies::name))
                .load(c))?)
        })
    }

    /// A job's mark (how far it came), 0 when it never ran.
    pub fn job_mark(&mut self, name: &str) -> Result<i64> {
        let v: Option<i64> =
            with_conn!(self, c => job_marks::table.find(name).select(job_marks::value).first(c).optional())?;
        Ok(v.unwrap_or(0))
    }

    /// Sets a job's mark.
    pub fn set_job_mark(&mut self, name: &str, value: i64) -> Result<()> {
        let n = with_conn!(self, c => diesel::update(job_marks::table.find(name)).set(job_marks::value.eq(value)).execute(c))?;
        if n == 0 {
            with_conn!(self, c => diesel::insert_into(job_marks::table)
                .values((job_marks::name.eq(name), job_marks::value.eq(value)))
                .execute(c))?;
        }
        Ok(())
    }

    /// Keywords read from XMP with a row id above `after`, as (row id,
    /// capture, keyword, hierarchical), `limit` of them in id order.
    pub fn keywords_after(&mut self, after: i64, limit: i64) -> Result<Vec<(i64, i64, String, bool)>> {
        Ok(with_conn!(self, c => capture_keywords::table
            .filter(capture_keywords::id.gt(after))
            .order(capture_keywords::id)
            .limit(limit)
            .select((capture_keywords::id, capture_keywords::capture_id, capture_keywords::keyword, capture_keywords::hierarchical))
            .load(c))?)
    }
}

impl Catalog {
    /// How many children each of these nodes has.
    pub fn child_counts(&mut self, ids: &[i64]) -> Result<HashMap<i64, i64>> {
        let v: Vec<(Option<i64>, i64)> = self.by_chunks(ids, |cat, chunk| {
            Ok(with_conn!(cat, c => taxonomy_nodes::table
                .filter(taxonomy_nodes::parent_id.eq_any(chunk))
                .group_by(taxonomy_nodes::parent_id)
                .select((taxonomy_nodes::parent_id, diesel::dsl::count_star()))
                .load(c))?)
        })?;
        Ok(v.into_iter().filter_map(|(p, n)| Some((p?, n))).collect())
    }
}

/// A search the user kept (a smart album).
#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = saved_searches)]
pub struct SavedSearch {
    pub id: i64,
    pub name: String,
    pub query: String,
    pub created_ms: i64,
}

impl Catalog {
    /// Nodes whose name starts with `prefix` (any case), in one taxonomy
    /// or all, at most `limit`, shortest names first: autocomplete. A range
    /// on the indexed `name_key`, not a LIKE, so the index serves it.
    pub fn nodes_starting(&mut self, tid: Option<i64>, prefix: &str, limit: i64) -> Result<Vec<TaxonNode>> {
        let lo = crate::taxon_key(prefix);
        let hi = format!("{lo}\u{10FFFF}");
        let mut v: Vec<TaxonNode> = with_conn!(self, c => {
            let mut q = taxonomy_nodes::table
                .filter(taxonomy_nodes::name_key.ge(&lo))
                .filter(taxonomy_nodes::name_key.lt(&hi))
                .into_boxed();
            if let Some(t) = tid {
                q = q.filter(taxonomy_nodes::taxonomy_id.eq(t));
            }
            q.order(taxonomy_nodes::name_key).limit(limit * 4).select(TaxonNode::as_select()).load(c)
        })?;
        v.sort_by_key(|n| (n.name.chars().count(), n.name.clone()));
        v.truncate(limit as usize);
        Ok(v)
    }

    /// The searches kept, by name.
    pub fn saved_searches(&mut self) -> Result<Vec<SavedSearch>> {
        Ok(
            with_conn!(self, c => saved_searches::table.order(saved_searches::name).select(SavedSearch::as_select()).load(c))?,
        )
    }

    /// Keeps a search under `name` (replacing the query of one so named).
    pub fn save_search(&mut self, name: &str, query: &str, now_ms: i64) -> Result<()> {
        let n = with_conn!(self, c => diesel::update(saved_searches::table.filter(saved_searches::name.eq(name)))
            .set(saved_searches::query.eq(query))
            .execute(c))?;
        if n == 0 {
            with_conn!(self, c => diesel::insert_into(saved_searches::table)
                .values((saved_searches::name.eq(name), saved_searches::query.eq(query), saved_searches::created_ms.eq(now_ms)))
                .execute(c))?;
        }
        Ok(())
    }

    /// Forgets a kept search; false when there was none so named.
    pub fn delete_search(&mut self, name: &str) -> Result<bool> {
        Ok(
            with_conn!(self, c => diesel::delete(saved_searches::table.filter(saved_searches::name.eq(name))).execute(c))?
                > 0,
        )
    }
}

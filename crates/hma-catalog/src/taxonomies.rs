//! Hierarchical taxonomies (COCO, species, places…): import, lineage.

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

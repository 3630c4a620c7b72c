//! Importing taxonomies in bulk: a Darwin Core `taxon.txt` (the World Flora
//! Online backbone format: tab-separated, with taxonID, parentNameUsageID,
//! scientificName, taxonRank, taxonomicStatus) or a simple CSV
//! (`id,parent_id,name,rank`). The file's xxh3 is the version: importing the
//! same file again changes nothing.
//!
//! Rows stream through in batches, and parents are linked by one set-based
//! statement at the end, so a million-node backbone needs bounded memory.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use hma_catalog::{Catalog, NewTaxon};
use hma_media::hash::hash_stream;
use serde::Serialize;

use crate::{EngineError, JobContext, Result};

/// What an import did.
#[derive(Debug, Clone, Serialize)]
pub struct ImportSummary {
    /// Taxonomy name.
    pub name: String,
    /// dwc or csv.
    pub format: String,
    /// Nodes in the catalogue after the import.
    pub nodes: i64,
    /// Nodes whose parent id was not in the file.
    pub orphans: i64,
    /// Version (xxh3 of the file, hex).
    pub version: String,
    /// False when this exact file was imported before.
    pub changed: bool,
}

const NODE_BATCH: usize = 5000;

/// Imports `file` as taxonomy `name`.
pub fn import(cat: &mut Catalog, file: &Path, name: &str, ctx: &JobContext) -> Result<ImportSummary> {
    let io = |e: std::io::Error| EngineError::Io { path: file.display().to_string(), source: e };
    let mut f = File::open(file).map_err(io)?;
    let mut buf = vec![0u8; 1 << 20];
    let (hash, _) = hash_stream(&[], &mut f, &mut buf).map_err(io)?;
    let version = hash.to_hex();
    let mut head = String::new();
    File::open(file).map_err(io)?.take(4096).read_to_string(&mut head).ok();
    let first = head.lines().next().unwrap_or_default().to_string();
    let (format, delim) = if first.contains("taxonID") { ("dwc", b'\t') } else { ("csv", b',') };
    if let Some(t) = cat.taxonomy(name)? {
        if t.source_hash == hash {
            let orphans = cat.orphan_taxa(t.id)?;
            return Ok(ImportSummary {
                name: name.into(),
                format: format.into(),
                nodes: t.node_count,
                orphans,
                version,
                changed: false,
            });
        }
    }
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delim)
        .flexible(true)
        .quoting(format == "csv")
        .from_reader(BufReader::new(File::open(file).map_err(io)?));
    let headers = rdr.headers().map_err(|e| EngineError::Invalid(format!("{}: {e}", file.display())))?.clone();
    let col = |names: &[&str]| headers.iter().position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)));
    let (id_c, parent_c, name_c, rank_c, status_c) = if format == "dwc" {
        (
            col(&["taxonID"]),
            col(&["parentNameUsageID"]),
            col(&["scientificName"]),
            col(&["taxonRank"]),
            col(&["taxonomicStatus"]),
        )
    } else {
        (col(&["id"]), col(&["parent_id", "parent"]), col(&["name"]), col(&["rank"]), col(&["status"]))
    };
    let (Some(id_c), Some(name_c)) = (id_c, name_c) else {
        return Err(EngineError::Invalid(format!(
            "{}: no id/name columns (expected Darwin Core taxonID+scientificName, or CSV id,parent_id,name,rank)",
            file.display()
        )));
    };
    ctx.progress.stage("taxonomy", None);
    let now = ctx.now();
    cat.transaction(|cat| -> Result<ImportSummary> {
        let tid = cat.reset_taxonomy(name, format, hash, now)?;
        let mut batch = Vec::with_capacity(NODE_BATCH);
        for (i, rec) in rdr.records().enumerate() {
            let line = i + 2; // 1-based, after the header
            let rec = rec.map_err(|e| hma_catalog::CatalogError::Invalid(format!("line {line}: {e}")))?;
            let get = |c: Option<usize>| {
                c.and_then(|c| rec.get(c)).map(|s| s.trim().trim_matches('"').to_string()).filter(|s| !s.is_empty())
            };
            let Some(external_id) = get(Some(id_c)) else { continue };
            let name = get(Some(name_c)).unwrap_or_default();
            batch.push(NewTaxon {
                taxonomy_id: tid,
                external_id,
                parent_external_id: get(parent_c),
                name_key: Some(hma_catalog::taxon_key(&name)),
                name,
                taxon_rank: get(rank_c),
                status: get(status_c),
            });
            if batch.len() >= NODE_BATCH {
                cat.insert_taxa(&batch)?;
                ctx.progress.advance(batch.len() as u64);
                batch.clear();
            }
        }
        cat.insert_taxa(&batch)?;
        ctx.progress.advance(batch.len() as u64);
        let nodes = cat.resolve_taxonomy(tid)?;
        let orphans = cat.orphan_taxa(tid)?;
        Ok(ImportSummary {
            name: name.into(),
            format: format.into(),
            nodes,
            orphans,
            version: version.clone(),
            changed: true,
        })
    })
}

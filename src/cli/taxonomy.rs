//! `hma taxonomy`: hierarchical taxonomies (species, places, family members…).

use std::path::PathBuf;

use clap::Subcommand;

use super::Env;

#[derive(Subcommand, Debug)]
pub enum TaxonomyCmd {
    /// Import a Darwin Core taxon.txt (World Flora Online format) or a CSV id,parent_id,name,rank.
    Import {
        /// The file.
        file: PathBuf,
        /// The taxonomy's name.
        #[arg(long)]
        name: String,
    },
    /// List taxonomies.
    List,
    /// Browse a taxonomy: a node (or the top) and its children, each with how many
    /// photos are under it (`hma taxonomy show places Germany`, `hma taxonomy show keywords`).
    Show {
        /// The taxonomy (places, keywords, people, coco, or one imported).
        name: String,
        /// A node: its path of names (Germany/Bavaria), its id, or a name found once.
        node: Option<String>,
    },
}

pub fn run(cmd: &TaxonomyCmd, env: &Env) -> anyhow::Result<u8> {
    let mut cat = env.open()?;
    match cmd {
        TaxonomyCmd::Import { file, name } => {
            let s = hma::taxonomy::import(&mut cat, file, name, &env.ctx)?;
            env.finish("import", &s, false, false, |s| {
                if s.changed {
                    println!(
                        "imported taxonomy '{}' ({}): {} nodes, {} without a parent in the file, version {}",
                        s.name, s.format, s.nodes, s.orphans, s.version
                    );
                } else {
                    println!(
                        "taxonomy '{}' is already at version {} ({} nodes); nothing to do",
                        s.name, s.version, s.nodes
                    );
                }
            })
        }
        TaxonomyCmd::Show { name, node } => {
            let v = hma::tags::browse(&mut cat, name, node.as_deref())?;
            env.print(&v, |v| {
                println!("{}  ({} photos)", v.path, v.photos);
                for c in &v.children {
                    println!(
                        "  {:<40} {:>8} photos{}",
                        c.name,
                        c.photos,
                        if c.children > 0 { format!("  ({} below)", c.children) } else { String::new() }
                    );
                }
            })?;
            Ok(super::exit::OK)
        }
        TaxonomyCmd::List => {
            let ts = cat.taxonomies()?;
            let v: Vec<_> = ts
                .iter()
                .map(|t| serde_json::json!({"name": t.name, "format": t.source_format, "nodes": t.node_count, "version": t.source_hash.to_hex(), "imported_ms": t.imported_ms}))
                .collect();
            env.print(&v, |_| {
                for t in &ts {
                    println!(
                        "{:<24} {:>8} nodes  {}  {}",
                        t.name,
                        t.node_count,
                        t.source_format,
                        t.source_hash.to_hex()
                    );
                }
            })?;
            Ok(super::exit::OK)
        }
    }
}

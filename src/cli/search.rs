//! `hma search`, `hma tag` and `hma places`: finding photos by what, who,
//! where and when; tagging them; placing them.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use hma::report::{self, Places};

use super::{exit, Env};

#[derive(Args, Debug)]
pub struct SearchArgs {
    /// The query (quote it), e.g. 'person:Anna has:dog place:Bavaria (month:7 OR month:8) -eyes:closed'.
    #[arg(allow_hyphen_values = true)]
    pub query: String,
    /// At most this many captures.
    #[arg(long, default_value_t = 100)]
    pub limit: usize,
    /// Print the parsed query, what its names resolved to, the SQL and the
    /// database's plan instead of the results.
    #[arg(long)]
    pub explain: bool,
    /// Keep the query under this name (a smart album; `hma searches` lists them).
    #[arg(long, value_name = "NAME")]
    pub save: Option<String>,
    /// Print the completions of the query's last word instead (what the app's
    /// search box offers: people, places, tags, classes, terms).
    #[arg(long)]
    pub suggest: bool,
}

#[derive(Args, Debug)]
pub struct SearchesArgs {
    /// Forget the search kept under this name.
    #[arg(long, value_name = "NAME")]
    pub delete: Option<String>,
}

pub fn searches(a: &SearchesArgs, env: &Env) -> anyhow::Result<u8> {
    let mut cat = env.open()?;
    if let Some(n) = &a.delete {
        if !cat.delete_search(n)? {
            anyhow::bail!("no search kept under the name {n:?} (see `hma searches`)");
        }
    }
    let v = cat.saved_searches()?;
    env.print(&v, |v| {
        for s in v {
            println!("{:<24} {}", s.name, s.query);
        }
    })?;
    Ok(exit::OK)
}

pub fn search(a: &SearchArgs, env: &Env) -> anyhow::Result<u8> {
    let mut cat = env.open()?;
    if a.suggest {
        let v = hma::search::suggest(&mut cat, &a.query, a.limit.min(50))?;
        env.print(&v, |v| {
            for s in v {
                println!("{:<40} {:<8} {}", s.insert, s.kind, s.label);
            }
        })?;
        return Ok(exit::OK);
    }
    if let Some(name) = &a.save {
        // Only a query that reads is kept.
        if let Err(e @ hma::EngineError::Query { .. }) = hma::search::parse(&a.query) {
            return bad_query(&e);
        }
        cat.save_search(name, &a.query, env.ctx.now())?;
    }
    if a.explain {
        let e = match hma::search::explain(&mut cat, &a.query, a.limit) {
            Err(e @ hma::EngineError::Query { .. }) => return bad_query(&e),
            other => other?,
        };
        env.print(&e, |e| {
            println!("query: {}", e.query);
            println!("parsed: {}", serde_json::to_string_pretty(&e.ast).unwrap_or_default());
            println!("resolved: {}", e.filter);
            for ph in &e.phases {
                println!("step: {} ({})", ph.phase, ph.why);
                println!("sql: {}", ph.sql);
                println!("plan:");
                for p in &ph.plan {
                    println!("  {p}");
                }
            }
            for n in &e.notes {
                println!("note: {n}");
            }
        })?;
        return Ok(exit::OK);
    }
    let places = Places::load(&mut cat, &env.ctx.machine)?;
    let r = match hma::search::search(&mut cat, &places, &a.query, a.limit) {
        Err(e @ hma::EngineError::Query { .. }) => return bad_query(&e),
        other => other?,
    };
    for n in &r.notes {
        eprintln!("hma: note: {n}");
    }
    env.print(&r.hits, |hits| {
        for h in hits {
            println!(
                "{}  {}  {}  [{}]",
                h.score.map(|s| format!("{s:.2}")).unwrap_or_else(|| "  - ".into()),
                h.taken.as_deref().unwrap_or("(no date)         "),
                h.path,
                h.classes.join(", ")
            );
        }
        println!("{} captures", hits.len());
    })?;
    Ok(exit::OK)
}

/// A query that cannot be read: said with its column, exit 64 (EX_USAGE).
fn bad_query(e: &hma::EngineError) -> anyhow::Result<u8> {
    eprintln!("{e}");
    eprintln!("terms: {}", hma::search::TERMS);
    Ok(exit::USAGE)
}

#[derive(Args, Debug)]
pub struct TagArgs {
    /// Photos (files in the catalogue).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// A tag to add: TAXONOMY:NODE ('wfo:Rosa canina', places:Germany/Bavaria), or
    /// keywords:A/B (made when new; a tag without TAXONOMY: is a keyword).
    #[arg(long, value_name = "TAG")]
    pub add: Vec<String>,
    /// A tag to take away (only tags added here; a keyword in the photo's own XMP stays).
    #[arg(long, value_name = "TAG")]
    pub remove: Vec<String>,
}

pub fn tag(a: &TagArgs, env: &Env) -> anyhow::Result<u8> {
    if a.add.is_empty() && a.remove.is_empty() {
        anyhow::bail!("nothing to do: give --add TAG or --remove TAG");
    }
    let mut cat = env.open()?;
    let places = Places::load(&mut cat, &env.ctx.machine)?;
    let mut captures = Vec::new();
    for p in &a.paths {
        let f = report::find_file(&mut cat, &places, p)?;
        captures.push(f.capture_id.with_context(|| format!("{} is not a photo (no capture)", p.display()))?);
    }
    captures.sort_unstable();
    captures.dedup();
    let s = hma::tags::tag(&mut cat, &captures, &a.add, &a.remove, env.ctx.now())?;
    env.print(&s, |s| {
        println!("{} photos: {} tags added, {} removed ({})", s.captures, s.added, s.removed, s.tags.join(", "));
    })?;
    Ok(exit::OK)
}

pub fn places(env: &Env) -> anyhow::Result<u8> {
    let mut cat = env.open()?;
    let s = hma::places::update(&mut cat, &env.ctx)?;
    env.finish("places", &s, false, false, |s| {
        println!(
            "places: {} photos with GPS looked at, {} placed, {} positions ignored (0,0 or out of range), {} more than {} km from any town; {} places in the catalogue",
            s.looked_at,
            s.placed,
            s.ignored,
            s.too_far,
            hma::places::MAX_KM,
            s.nodes
        );
        println!("{}", hma::places::ATTRIBUTION);
    })
}

//! Culling from the command line: `mark` and `export`.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;
use hma::marks::Flag;
use hma::report::{self, Places};

use super::{exit, Env};

#[derive(Args, Debug)]
pub struct MarkArgs {
    /// Photo files (any file of a capture marks the capture).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Pick.
    #[arg(long, group = "flagging")]
    pub pick: bool,
    /// Reject.
    #[arg(long, group = "flagging")]
    pub reject: bool,
    /// Remove the flag.
    #[arg(long, group = "flagging")]
    pub unflag: bool,
    /// Stars (0 removes them).
    #[arg(long, value_parser = clap::value_parser!(i16).range(0..=5))]
    pub stars: Option<i16>,
    /// Colour label: red, yellow, green, blue, purple, or none.
    #[arg(long)]
    pub label: Option<String>,
}

pub fn mark(a: &MarkArgs, env: &Env) -> anyhow::Result<u8> {
    let flag = [(a.pick, Flag::Picked), (a.reject, Flag::Rejected), (a.unflag, Flag::Unflagged)]
        .into_iter()
        .find_map(|(on, f)| on.then_some(f));
    let change = hma::cull::Change {
        flag: flag.map(Flag::value),
        rating: a.stars,
        label: a
            .label
            .as_deref()
            .map(|l| if l.eq_ignore_ascii_case("none") { String::new() } else { l.to_lowercase() }),
    };
    if change.flag.is_none() && change.rating.is_none() && change.label.is_none() {
        bail!("nothing to mark: give --pick, --reject, --unflag, --stars or --label");
    }
    let mut cat = env.open()?;
    let places = Places::load(&mut cat, &env.ctx.machine)?;
    let mut out = Vec::new();
    let mut reporter = hma::sidecar::Reporter::default();
    for p in &a.paths {
        let f = report::find_file(&mut cat, &places, p)?;
        let c = f.capture_id.with_context(|| format!("{} is not a photo (no capture)", p.display()))?;
        let marks = hma::cull::change(&mut cat, &places, c, &change, env.ctx.now(), &mut reporter)?;
        if let Some(why) = &marks.sidecar {
            eprintln!("hma: {why}");
        }
        out.push(serde_json::json!({"path": places.path_of(&f), "capture_id": c, "marks": marks}));
    }
    env.print(&out, |out| {
        for o in out {
            let m = &o["marks"];
            println!(
                "{}  flag {} stars {} label {}",
                o["path"].as_str().unwrap_or(""),
                m["flag"],
                m["rating"],
                m["label"]
            );
        }
    })?;
    Ok(exit::OK)
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The folder to copy into (created if needed; must be outside your library).
    pub dest: PathBuf,
    /// File names: {YYYY} {MM} {DD} (capture date) {name} {stem} {ext}.
    #[arg(long, default_value = hma::export::DEFAULT_PATTERN)]
    pub pattern: String,
}

pub fn export(a: &ExportArgs, env: &Env) -> anyhow::Result<u8> {
    let mut cat = env.open()?;
    let places = Places::load(&mut cat, &env.ctx.machine)?;
    let rep = hma::export::export_picks(&mut cat, &places, &a.dest, &a.pattern, &env.ctx)?;
    env.finish("export", &rep, rep.cancelled, !rep.failed.is_empty(), |r| print_export("picked", r))
}

/// An export's summary and each copy (`hma export`, `hma calendar export`).
pub fn print_export(what: &str, r: &hma::export::ExportReport) {
    println!(
        "{what} {}  copied {} ({} bytes, each verified)  already there {}  failed {}",
        r.picked,
        r.copied.len(),
        r.bytes_copied,
        r.already_there.len(),
        r.failed.len()
    );
    for e in &r.copied {
        println!("  {} -> {}", e.source, e.dest);
    }
    for f in &r.failed {
        println!("  failed: {}: {}", f.source.as_deref().unwrap_or("?"), f.error);
    }
}

//! The catalogue's own commands: `scan`, `status`, `show`, `ls`, `dupes`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use hma::report::{self, Places};

use super::{exit, Env, Lines};

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Only this root (repeatable) [default: all].
    #[arg(long = "root", value_name = "NAME")]
    pub roots: Vec<String>,
}

pub fn scan(a: &ScanArgs, env: &Env) -> anyhow::Result<u8> {
    let mut cat = env.open()?;
    let sum = hma::scan::scan(&mut cat, &a.roots, &env.ctx)?;
    env.finish("scan", &sum, sum.cancelled, sum.errors > 0, |s| {
        println!(
            "seen {}  new {}  changed {}  unchanged {}  moved {}  missing {}  errors {}",
            s.seen, s.new, s.changed, s.unchanged, s.moved, s.missing, s.errors
        );
        if s.errors > 0 {
            println!("see the errors with: hma ls --json | grep '\"error\":\"'");
        }
    })
}

#[derive(Args, Debug)]
pub struct StatusArgs {
    /// Count again from the files (scans keep the counts up to date; this
    /// is for catalogues changed by other means).
    #[arg(long)]
    pub recount: bool,
}

pub fn status(a: &StatusArgs, env: &Env) -> anyhow::Result<u8> {
    let mut cat = env.open()?;
    if a.recount {
        cat.refresh_stats(env.ctx.now())?;
    }
    let c = cat.counts()?;
    env.print(&c, |c| {
        println!("catalogue   {}", cat.url());
        println!("roots       {}", c.roots);
        println!("files       {}", c.files);
        println!("captures    {}", c.captures);
        println!("dup groups  {}", c.duplicate_groups);
        println!("errors      {}", c.errors);
    })?;
    Ok(exit::OK)
}

pub fn show(path: &std::path::Path, env: &Env) -> anyhow::Result<u8> {
    let mut cat = env.open()?;
    let places = Places::load(&mut cat, &env.ctx.machine)?;
    let d = report::file_detail(&mut cat, &places, path)?;
    // As a JSON value: its keys in one stable (sorted) order.
    env.print(&serde_json::to_value(&d)?, |_| {
        println!("{}", serde_json::to_string_pretty(&d.file).unwrap_or_default());
        if let Some(q) = &d.quality {
            match q.score {
                Some(sc) => println!("quality {sc:.2}"),
                None => println!("quality: not analysable: {}", q.error.as_deref().unwrap_or("")),
            }
            for line in &q.explain {
                println!("  {line}");
            }
        }
    })?;
    Ok(exit::OK)
}

pub fn ls(dir: Option<&PathBuf>, env: &Env) -> anyhow::Result<u8> {
    let mut cat = env.open()?;
    let places = Places::load(&mut cat, &env.ctx.machine)?;
    let mut lines = Lines::new(env.g.json);
    let mut emit = |reps: Vec<report::FileReport>| -> anyhow::Result<()> {
        for r in &reps {
            lines.item(r, |out, r| {
                writeln!(
                    out,
                    "{:>10}  {:<6} {:<19}  {}{}",
                    r.size,
                    r.format,
                    r.exif.taken_at.as_deref().map(|t| &t[..t.len().min(19)]).unwrap_or("-"),
                    r.path,
                    r.error.as_deref().map(|e| format!("  [error: {e}]")).unwrap_or_default()
                )
            })?;
        }
        Ok(())
    };
    match dir {
        Some(d) => {
            let abs = std::path::absolute(d)?;
            let (root, rel) = places.locate(&abs).with_context(|| format!("{} is not under any root", d.display()))?;
            let rows = cat.files_in_dir(root, hma_media::path::dir_key(&rel.text))?;
            emit(report::reports(&mut cat, &places, &rows)?)?;
        }
        None => {
            let mut after = 0;
            loop {
                let rows = cat.files_page(after, 2000)?;
                let Some(last) = rows.last() else { break };
                after = last.id;
                emit(report::reports(&mut cat, &places, &rows)?)?;
            }
        }
    }
    lines.finish()
}

pub fn dupes(env: &Env) -> anyhow::Result<u8> {
    let mut cat = env.open()?;
    let places = Places::load(&mut cat, &env.ctx.machine)?;
    let groups = hma::dupes::groups(&mut cat, &places)?;
    env.print(&groups, |groups| {
        for gr in groups {
            println!("{}  {}", gr.hash, gr.why);
            for f in &gr.files {
                println!("  {} {}", if *f == gr.keeper { "keep" } else { "    " }, f);
            }
        }
        println!("{} duplicate groups", groups.len());
    })?;
    Ok(exit::OK)
}

//! The catalogue's own commands: `import`, `scan`, `status`, `show`, `ls`, `dupes`.

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
    let mut cat = env.open_for_job()?;
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
pub struct WorkerArgs {
    /// The stages this worker does (comma-separated: analyze, detect, faces)
    /// [default: every one whose model is here].
    #[arg(long, value_enum, value_delimiter = ',', value_name = "STAGES")]
    pub jobs: Vec<super::analysis::StageArg>,
    /// How long a claim holds without a heartbeat (e.g. 60s, 5m): a worker
    /// killed or asleep loses its batch to the others after this.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub lease: std::time::Duration,
    /// Stop when nothing is left to claim (default: wait for new work).
    #[arg(long)]
    pub exit_when_idle: bool,
    /// Pictures claimed at a time.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub batch: u16,
    /// Also make 2048-px loupe previews of JPEGs.
    #[arg(long)]
    pub loupe: bool,
}

fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let (n, unit) = s.find(|c: char| !c.is_ascii_digit()).map_or((s, "s"), |i| (&s[..i], &s[i..]));
    let n: u64 = n.parse().map_err(|_| format!("'{s}' is not a duration like 60s, 5m or 500ms"))?;
    let d = match unit {
        "ms" => std::time::Duration::from_millis(n),
        "s" => std::time::Duration::from_secs(n),
        "m" => std::time::Duration::from_secs(n * 60),
        _ => return Err(format!("'{s}': the unit is ms, s or m")),
    };
    if d < std::time::Duration::from_millis(300) {
        return Err("a lease under 300 ms would end before its first heartbeat".into());
    }
    Ok(d)
}

/// One of several machines sharing a MariaDB catalogue's work.
pub fn worker(a: &WorkerArgs, env: &Env) -> anyhow::Result<u8> {
    use hma::pipeline::Stage;
    let jobs: Vec<Stage> = if a.jobs.is_empty() {
        Stage::ALL.into_iter().filter(|s| s.missing(&env.ctx).is_none()).collect()
    } else {
        a.jobs.iter().map(|s| Stage::from(*s)).collect()
    };
    let opts = hma::worker::WorkerOptions {
        jobs,
        lease: a.lease,
        exit_when_idle: a.exit_when_idle,
        batch: a.batch as usize,
        loupe: a.loupe,
    };
    let sum = hma::worker::work(&env.url()?, &env.ctx, &opts)?;
    env.finish("worker", &sum, sum.cancelled, sum.failed > 0, |s| {
        let done: Vec<String> = s.done.iter().map(|(k, v)| format!("{k} {v}")).collect();
        println!(
            "worker {}: {}  failed {}  lost {}  not readable here {}  batches {}",
            s.id,
            if done.is_empty() { "nothing done".to_string() } else { done.join("  ") },
            s.failed,
            s.lost,
            s.unavailable,
            s.batches
        );
    })
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The folder (or drive) to import: made a root if it is not one yet; a
    /// folder inside a root imports that root.
    pub folder: PathBuf,
    /// The root's name when the folder becomes one [default: the folder's name].
    #[arg(long)]
    pub name: Option<String>,
    /// Also make 2048-px loupe previews of JPEGs.
    #[arg(long)]
    pub loupe: bool,
    /// Leave out these stages (comma-separated: detect, faces); the
    /// measurements always run.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "STAGES")]
    pub skip: Vec<super::analysis::StageArg>,
}

/// Root (if new) + scan + every analysis stage, each new file read once.
pub fn import(a: &ImportArgs, env: &Env) -> anyhow::Result<u8> {
    use hma::pipeline::Stage;
    if a.skip.contains(&super::analysis::StageArg::Analyze) {
        anyhow::bail!("import always measures the pictures; use `hma scan` to catalogue without analysing");
    }
    let mut cat = env.open_for_job()?;
    let stages: Vec<Stage> = Stage::ALL.into_iter().filter(|s| !a.skip.iter().any(|k| Stage::from(*k) == *s)).collect();
    let opts = hma::import::ImportOptions { name: a.name.clone(), stages, loupe: a.loupe };
    let sum = hma::import::import(&mut cat, &a.folder, &opts, &env.ctx)?;
    let problems = sum.scan.errors > 0 || sum.failed > 0;
    env.finish("import", &sum, sum.cancelled, problems, |s| {
        if s.added {
            println!("added root '{}'", s.root.as_deref().unwrap_or_default());
        }
        let c = &s.scan;
        println!(
            "seen {}  new {}  changed {}  unchanged {}  moved {}  missing {}  errors {}",
            c.seen, c.new, c.changed, c.unchanged, c.moved, c.missing, c.errors
        );
        println!(
            "analysed {}  objects looked for {}  faces {}  failed {}  read {:.1} MB",
            s.analysed,
            s.detected,
            s.faces,
            s.failed,
            s.bytes_read as f64 / 1e6
        );
        for f in s.failures.iter().take(20) {
            println!("  {}: {}", f.path, f.error);
        }
        if s.failures.len() > 20 {
            println!("  … and {} more (see --json)", s.failures.len() - 20);
        }
        if let Some(g) = s.after.analysis.as_ref().and_then(|a| a.groups.as_ref()) {
            println!(
                "groups {} (exact {}, near {}, burst {}) covering {} pictures",
                g.groups, g.exact, g.near, g.burst, g.grouped_files
            );
        }
        if let Some(p) = s.after.faces.as_ref().and_then(|f| f.people.as_ref()) {
            println!("people: {} clusters", p.clusters);
        }
        for st in &s.stages {
            if let (false, Some(why)) = (st.ran, &st.why) {
                if why != hma::pipeline::NOT_ASKED {
                    println!("{}: not run — {why}", st.stage.as_str());
                }
            }
        }
    })
}

#[derive(Args, Debug)]
pub struct StatusArgs {
    /// Count again from the files (scans keep the counts up to date; this
    /// is for catalogues changed by other means).
    #[arg(long)]
    pub recount: bool,
    /// The workers sharing this catalogue (`hma worker`): who does what, and
    /// the work queue.
    #[arg(long, conflicts_with = "recount")]
    pub workers: bool,
}

/// `hma status --workers`.
#[derive(serde::Serialize)]
struct WorkersReport {
    queue: Vec<hma_catalog::QueueCounts>,
    workers: Vec<WorkerReport>,
}

#[derive(serde::Serialize)]
struct WorkerReport {
    #[serde(flatten)]
    row: hma_catalog::WorkerRow,
    /// Heard from within its lease (a worker beats every third of it).
    alive: bool,
}

/// `hma status`: the counts, and what the last scan could not get through.
#[derive(serde::Serialize)]
struct StatusReport {
    #[serde(flatten)]
    counts: hma_catalog::Counts,
    /// The last scan's problems: folders it could not read, link loops,
    /// links that lead out of a root.
    problems: Vec<ProblemReport>,
}

#[derive(serde::Serialize)]
struct ProblemReport {
    path: String,
    message: String,
}

pub fn status(a: &StatusArgs, env: &Env) -> anyhow::Result<u8> {
    let mut cat = env.open()?;
    if a.workers {
        let now = env.ctx.now();
        let report = WorkersReport {
            queue: cat.queue_counts(now)?,
            workers: cat
                .workers()?
                .into_iter()
                .map(|row| WorkerReport {
                    alive: row.state != "stopped" && row.state != "failed" && now - row.heartbeat_ms <= row.lease_ms,
                    row,
                })
                .collect(),
        };
        env.print(&report, |r| {
            if r.queue.is_empty() {
                println!("queue empty");
            }
            for q in &r.queue {
                println!("queue {:<8} waiting {:>8}  claimed {:>6}", q.stage, q.waiting, q.claimed);
            }
            if r.workers.is_empty() {
                println!("no workers have run on this catalogue (start one with `hma worker`)");
            }
            for w in &r.workers {
                let ago = (now - w.row.heartbeat_ms).max(0) / 1000;
                // Not heard from within its lease and not stopped: killed or asleep.
                let state = match w.row.state.as_str() {
                    s @ ("stopped" | "failed") => s,
                    s if w.alive => s,
                    _ => "gone",
                };
                println!(
                    "{:<40} {:<8} {:<8} done {:>7}  failed {:>5}  lost {:>4}  heard {}s ago  [{}]",
                    w.row.id,
                    state,
                    w.row.stage.as_deref().unwrap_or("-"),
                    w.row.done,
                    w.row.failed,
                    w.row.lost,
                    ago,
                    w.row.jobs
                );
            }
        })?;
        return Ok(exit::OK);
    }
    if a.recount {
        cat.refresh_stats(env.ctx.now())?;
    }
    let counts = cat.counts()?;
    // What the last scan could not get through (unreadable folders, link
    // loops, links out of a root): said here, or nobody would know.
    let places = Places::load(&mut cat, &env.ctx.machine)?;
    let problems = match cat.scans(1)?.first() {
        Some(scan) => cat
            .problems(scan.id)?
            .into_iter()
            .map(|p| ProblemReport { path: places.path_in(p.root_id, &p.rel_path), message: p.message })
            .collect(),
        None => Vec::new(),
    };
    let report = StatusReport { counts, problems };
    // The URL as shown never carries a password.
    let url = hma_catalog::redact_url(cat.url());
    env.print(&report, |r| {
        let c = &r.counts;
        println!("catalogue   {url}");
        println!("roots       {}", c.roots);
        println!("files       {}", c.files);
        println!("captures    {}", c.captures);
        println!("dup groups  {}", c.duplicate_groups);
        println!("errors      {}", c.errors);
        const SHOWN: usize = 20;
        for p in r.problems.iter().take(SHOWN) {
            println!("last scan   {}: {}", p.path, p.message);
        }
        if r.problems.len() > SHOWN {
            println!("last scan   … and {} more (`hma status --json` lists them all)", r.problems.len() - SHOWN);
        }
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

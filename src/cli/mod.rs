//! The `hma` commands, one file per command group. Each command runs one
//! engine use case and prints its result (`--json` for machines); this file
//! holds what they share: the global options, opening the catalogue, the
//! progress bar, the JSON printers and the one rule for exit codes.

pub mod analysis;
pub mod calendar;
pub mod cull;
pub mod detect;
pub mod files;
pub mod library;
pub mod models;
pub mod people;
pub mod roots;
pub mod search;
pub mod supervise;
pub mod taste;
pub mod taxonomy;

use std::io::{IsTerminal, Write};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use hma::{Catalog, JobContext, ProgressSink};
use indicatif::{ProgressBar, ProgressStyle};

/// Exit codes: every command ends with one of these.
pub mod exit {
    /// All well.
    pub const OK: u8 = 0;
    /// Failed (an error was printed).
    pub const FAILED: u8 = 1;
    /// Done, but some files had errors (listed in the output).
    pub const PROBLEMS: u8 = 2;
    /// The command line or a search query could not be read (EX_USAGE);
    /// the message says where.
    pub const USAGE: u8 = 64;
    /// Cancelled (Ctrl-C); what was finished is kept.
    pub const CANCELLED: u8 = 130;
}

#[derive(Args, Debug)]
pub struct Global {
    /// Catalogue: `sqlite:///abs/file.db`, a plain file path, or `mysql://user:pass@host:port/db`
    /// [default: catalog.db in the user's data folder]
    #[arg(long, global = true, env = "HMA_CATALOG", value_name = "URL")]
    pub catalog: Option<String>,
    /// Print machine-readable JSON on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// No progress bar.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// More log output on stderr (-v info, -vv debug; debug may show paths).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Threads reading files [default: all cores].
    #[arg(long, global = true, value_name = "N")]
    pub threads: Option<usize>,
    /// The jobs that read files (import, scan, analyze, detect, faces, worker) run in a
    /// supervised process: a file that crashes the reader, or keeps it busy longer than
    /// SECONDS in one stage, is recorded with that error and the job goes on. 0: run in
    /// this process, without a limit.
    #[arg(long, global = true, env = "HMA_FILE_LIMIT", value_name = "SECONDS", default_value_t = 300)]
    pub file_limit: u64,
    /// Where previews are cached [default: HMA_CACHE_DIR, else the user's cache folder].
    #[arg(long, global = true, value_name = "DIR")]
    pub cache_dir: Option<std::path::PathBuf>,
}

/// What a command runs with: the options, the job context (threads, Ctrl-C,
/// progress bar) and the bar itself.
pub struct Env<'a> {
    pub g: &'a Global,
    pub ctx: JobContext,
    bar: ProgressBar,
}

impl<'a> Env<'a> {
    /// The job context of this run: `--threads`, a bar on a terminal, and
    /// Ctrl-C asking the job to stop at its next safe point.
    pub fn new(g: &'a Global) -> Env<'a> {
        let mut ctx = JobContext::system();
        if let Some(t) = g.threads {
            ctx.threads = t.max(1);
        }
        if let Some(d) = &g.cache_dir {
            ctx.cache_dir = d.clone();
        }
        let bar = if g.quiet || !std::io::stderr().is_terminal() {
            ProgressBar::hidden()
        } else {
            ProgressBar::new_spinner()
        };
        ctx.progress = Arc::new(Bar(bar.clone()));
        let cancel = ctx.cancel.clone();
        let _ = ctrlc::set_handler(move || cancel.store(true, Ordering::Relaxed));
        Env { g, ctx, bar }
    }

    /// Opens the catalogue (`--catalog`, else the default file).
    pub fn open(&self) -> anyhow::Result<Catalog> {
        Ok(Catalog::open(&self.url()?)?)
    }

    /// Opens the catalogue for a long batch job (`Catalog::for_long_job`:
    /// its memory bounded whatever the catalogue's size).
    pub fn open_for_job(&self) -> anyhow::Result<Catalog> {
        let mut cat = self.open()?;
        cat.for_long_job()?;
        Ok(cat)
    }

    /// The catalogue's URL (`--catalog`, else the default file's).
    pub fn url(&self) -> anyhow::Result<String> {
        Ok(match &self.g.catalog {
            Some(u) => u.clone(),
            None => hma::default_catalog_url().context("no data folder on this system; pass --catalog")?,
        })
    }

    /// Prints `v` as JSON with `--json`, else as `text` says.
    pub fn print<T: serde::Serialize>(&self, v: &T, text: impl FnOnce(&T)) -> anyhow::Result<()> {
        if self.g.json {
            print_json(v)
        } else {
            text(v);
            Ok(())
        }
    }

    /// The end of a long job: the bar cleared, its summary printed, and
    /// the exit code (130 cancelled, 2 some files failed, else 0).
    pub fn finish<T: serde::Serialize>(
        &self,
        what: &str,
        summary: &T,
        cancelled: bool,
        problems: bool,
        text: impl FnOnce(&T),
    ) -> anyhow::Result<u8> {
        self.bar.finish_and_clear();
        self.print(summary, text)?;
        Ok(if cancelled {
            eprintln!("hma: {what} cancelled; run it again to continue (what was done is kept)");
            exit::CANCELLED
        } else if problems {
            exit::PROBLEMS
        } else {
            exit::OK
        })
    }
}

/// Progress on stderr: a bar (or a spinner while the total is unknown).
struct Bar(ProgressBar);

impl ProgressSink for Bar {
    fn stage(&self, name: &str, total: Option<u64>) {
        // With -v, a headless run's log says when each stage starts.
        tracing::info!(total, "stage {name}");
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
    fn bytes(&self, name: &str, total: Option<u64>) {
        self.0.set_position(0);
        self.0.set_length(total.unwrap_or(0));
        self.0.set_style(
            ProgressStyle::with_template(
                "{msg:>20} [{bar:40}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        self.0.set_message(name.to_string());
    }
}

/// One JSON value and a newline on stdout.
pub fn print_json<T: serde::Serialize>(v: &T) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, v)?;
    writeln!(out)?;
    Ok(())
}

/// Results one per line on stdout (JSON lines with `--json`), buffered;
/// a failed item is told on stderr and makes the exit code 2.
pub struct Lines {
    out: std::io::BufWriter<std::io::StdoutLock<'static>>,
    json: bool,
    failed: bool,
}

impl Lines {
    pub fn new(json: bool) -> Lines {
        Lines { out: std::io::BufWriter::new(std::io::stdout().lock()), json, failed: false }
    }

    /// `v` as one JSON line with `--json`, else what `text` writes.
    pub fn item<T: serde::Serialize>(
        &mut self,
        v: &T,
        text: impl FnOnce(&mut dyn Write, &T) -> std::io::Result<()>,
    ) -> anyhow::Result<()> {
        if self.json {
            serde_json::to_writer(&mut self.out, v)?;
            writeln!(self.out)?;
        } else {
            text(&mut self.out, v)?;
        }
        Ok(())
    }

    /// An item that failed: said on stderr; the exit code becomes 2.
    pub fn failed(&mut self, what: &std::path::Path, e: impl std::fmt::Display) {
        self.failed = true;
        eprintln!("hma: {}: {e}", what.display());
    }

    /// Flushes; the exit code.
    pub fn finish(mut self) -> anyhow::Result<u8> {
        self.out.flush()?;
        Ok(if self.failed { exit::PROBLEMS } else { exit::OK })
    }
}

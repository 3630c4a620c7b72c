//! The analysis job: every present picture whose content has no current
//! analysis is read (read-only), decoded once at the working size,
//! measured, hashed and given a grid preview; results are written in
//! batches, one transaction each, so a killed job loses at most a batch and
//! a rerun picks up where it stopped. Then the near-duplicate and burst
//! groups are rebuilt if anything they depend on changed.
//!
//! Exact copies share one analysis (keyed by content hash), so a picture
//! kept in three places is analysed once.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use hma_catalog::{AnalysableFile, AnalysisRow, Catalog, ContentHash};
use hma_media::Format;
use hma_vision::brisque::BrisqueModel;
use serde::Serialize;

use crate::report::Places;
use crate::{groups, scoring, JobContext, Result};

/// Pictures larger than this are not read for analysis (no camera makes
/// them; a file this big behind a picture name is something else).
pub const MAX_ANALYSE_BYTES: u64 = 512 << 20;

/// Files looked at per catalogue page.
const PAGE: i64 = 512;

/// Options of [`analyze`].
#[derive(Debug, Clone, Default)]
pub struct AnalyzeOptions {
    /// Also make 2048-px loupe previews of JPEGs (a second, larger decode);
    /// every other format (HEIC, RAW, TIFF…) always gets one.
    pub loupe: bool,
    /// Redo every picture, even those with a current analysis.
    pub force: bool,
}

/// A picture that could not be analysed.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    pub path: String,
    pub error: String,
}

/// What a run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AnalyzeSummary {
    /// Present pictures with known content.
    pub pictures: u64,
    /// Analysed in this run.
    pub analysed: u64,
    /// Already analysed (same content, current version).
    pub unchanged: u64,
    /// Undecodable or unreadable (recorded; the job went on).
    pub failed: u64,
    /// On roots not connected to this machine.
    pub unavailable: u64,
    pub failures: Vec<Failure>,
    /// Scores recomputed from stored measurements because the scoring
    /// rules changed (no picture decoded).
    pub rescored: u64,
    /// Groups rebuilt in this run (None: nothing they depend on changed).
    pub groups: Option<groups::GroupSummary>,
    pub cancelled: bool,
}

/// The BRISQUE model (OpenCV's LIVE-trained SVM), compiled in from `models/brisque`.
pub fn brisque_model() -> BrisqueModel {
    BrisqueModel::parse(
        include_str!("../../models/brisque/brisque_model_live.yml"),
        include_str!("../../models/brisque/brisque_range_live.yml"),
    )
    .expect("the committed BRISQUE model parses (checked by tests)")
}

/// The two previews analysis keeps of every content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PreviewSize {
    /// The small one the grid and lists show.
    Grid,
    /// The large one the loupe shows (made with `--loupe`).
    Loupe,
}

impl PreviewSize {
    /// Its name in file names and in the app's `preview/<hash>/<size>` URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            PreviewSize::Grid => "grid",
            PreviewSize::Loupe => "loupe",
        }
    }

    /// The size a URL segment names, if any.
    pub fn parse(s: &str) -> Option<PreviewSize> {
        match s {
            "grid" => Some(PreviewSize::Grid),
            "loupe" => Some(PreviewSize::Loupe),
            _ => None,
        }
    }
}

/// The preview of a content in the cache folder `cache`.
pub fn preview_path(cache: &Path, content_hash: ContentHash, size: PreviewSize) -> PathBuf {
    let hex = content_hash.to_hex();
    cache.join("previews").join(&hex[..2]).join(format!("{hex}-{}.jpg", size.as_str()))
}

/// Writes a preview unless it is already there (content-addressed: the
/// same content always makes the same preview).
fn store_preview(cache: &Path, content_hash: ContentHash, size: PreviewSize, jpeg: &[u8]) -> std::io::Result<()> {
    let path = preview_path(cache, content_hash, size);
    if path.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(path.parent().expect("previews sit in a folder"))?;
    crate::write_atomically(&path, jpeg, false)
}

/// The quality of one picture file without a catalogue (`hma quality`):
/// every measurement, each score and why.
#[derive(Debug, Clone, Serialize)]
pub struct Assessment {
    pub score: f64,
    /// Each part, 0–1.
    pub scores: std::collections::BTreeMap<&'static str, f64>,
    /// Every raw measurement.
    pub raw: hma_vision::Measurements,
    pub brisque: Option<f64>,
    /// BRISQUE of the full-size grey picture as OpenCV's imread sees it (when asked).
    pub brisque_full: Option<f64>,
    pub jpeg_quality: Option<u8>,
    pub decoded_as: String,
    /// DCT hash, 16 hex digits.
    pub phash: Option<String>,
    /// One line per part, biggest contribution first.
    pub explain: Vec<String>,
}

/// Reads (read-only) and assesses one picture file; `buf` is reused.
pub fn assess_file(
    path: &Path,
    buf: &mut Vec<u8>,
    model: &BrisqueModel,
    brisque_full: bool,
) -> std::result::Result<Assessment, String> {
    read_file(path, buf).map_err(|e| e.to_string())?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let (_, format) = hma_media::sniff::sniff(&buf[..buf.len().min(64)], &name);
    let orientation = orientation_of(&format, buf);
    let a = hma_vision::analyze(buf, format.as_str(), orientation, Some(model), &Default::default())
        .map_err(|e| e.to_string())?;
    let full = Some((a.full_width, a.full_height));
    let s = hma_vision::score::score_with(&a.measurements, a.brisque, a.jpeg_quality, None, &Default::default(), full);
    let brisque_full = if brisque_full {
        Some(hma_vision::brisque_full(buf, format.as_str(), orientation, model).map_err(|e| e.to_string())?)
    } else {
        None
    };
    Ok(Assessment {
        score: s.overall,
        scores: s.parts.iter().map(|p| (p.name, p.score)).collect(),
        explain: s.explain(),
        raw: a.measurements,
        brisque: a.brisque,
        brisque_full,
        jpeg_quality: a.jpeg_quality,
        decoded_as: a.method,
        phash: a.hashes.map(|h| format!("{:016x}", h[0])),
    })
}

/// EXIF orientation of a file's own bytes (None for HEIF/AVIF, whose
/// decoder applies the file's own rotation and mirror).
pub fn orientation_of(format: &Format, bytes: &[u8]) -> Option<u16> {
    if matches!(format, Format::Heic | Format::Avif) {
        return None;
    }
    let tags = hma_media::exif::read_tags(format.as_str(), bytes).ok()?;
    hma_media::exif::interpret(&tags).orientation
}

enum Outcome {
    Done(Box<AnalysisRow>),
    /// Could not read the file now (permissions, unplugged): not recorded,
    /// tried again next run.
    Unreadable(String),
}

fn read_file(path: &Path, buf: &mut Vec<u8>) -> std::io::Result<()> {
    let mut f = std::fs::File::open(path)?;
    let len = f.metadata()?.len();
    if len > MAX_ANALYSE_BYTES {
        return Err(std::io::Error::other(format!(
            "{} MB is over the {} MB analysis limit",
            len >> 20,
            MAX_ANALYSE_BYTES >> 20
        )));
    }
    buf.clear();
    buf.reserve(len as usize);
    f.read_to_end(buf)?;
    Ok(())
}

fn analyse_one(
    file: &AnalysableFile,
    path: &Path,
    buf: &mut Vec<u8>,
    model: &BrisqueModel,
    opts: &AnalyzeOptions,
    ctx: &JobContext,
    now_ms: i64,
) -> Outcome {
    if let Err(e) = read_file(path, buf) {
        return Outcome::Unreadable(format!("cannot read file: {e}"));
    }
    ctx.read_bytes.fetch_add(buf.len() as u64, std::sync::atomic::Ordering::Relaxed);
    let hash = ContentHash::of(buf);
    if hash != file.content_hash {
        return Outcome::Unreadable("changed since the last scan (run `hma scan` first)".into());
    }
    match analyse_bytes(file.content_hash, &file.format, buf, model, opts.loupe, &ctx.cache_dir, now_ms) {
        Ok(row) => Outcome::Done(Box::new(row)),
        Err(e) => Outcome::Unreadable(e),
    }
}

/// Analyses a picture's bytes (already read, and known to be the content
/// `content_hash`): decoded once at the working size, measured, hashed, its
/// previews written to the cache. A picture that cannot be decoded gives a
/// row with its error (recorded); Err is a preview that could not be
/// written (not recorded: tried again next run; a full disk says
/// [`CACHE_FULL`]). Shared by `analyze` and
/// `import`, which hands over the bytes its scan just read.
/// What a preview write that failed for a full disk says (the analysis
/// stops on it: every other picture would fail the same way).
pub(crate) const CACHE_FULL: &str = "the disk holding the preview cache is full";

fn preview_error(e: std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::StorageFull {
        format!("cannot write preview: {CACHE_FULL} ({e})")
    } else {
        format!("cannot write preview: {e}")
    }
}

pub(crate) fn analyse_bytes(
    content_hash: ContentHash,
    format: &Format,
    bytes: &[u8],
    model: &BrisqueModel,
    loupe: bool,
    cache: &Path,
    now_ms: i64,
) -> std::result::Result<AnalysisRow, String> {
    let loupe = if loupe { hma_vision::Loupe::Always } else { hma_vision::Loupe::NotJpeg };
    let vopts = hma_vision::AnalyzeOptions { loupe, ..Default::default() };
    let mut row = AnalysisRow {
        content_hash,
        version: hma_vision::ANALYSIS_VERSION,
        analyzed_ms: now_ms,
        error: None,
        method: None,
        full_width: None,
        full_height: None,
        measurements: None,
        brisque: None,
        jpeg_quality: None,
        phash: None,
        phash_turns: None,
        scores: hma_catalog::Scores { score_version: hma_vision::score::SCORE_VERSION, ..Default::default() },
    };
    // A panic in a decoder or a measurement is this picture's recorded
    // error, as a decode error is (and so is a crash or a hang, which the
    // supervisor of the job pins on this picture).
    let analysed = hma_media::guard::watch("analyze", bytes, || {
        let orientation = orientation_of(format, bytes);
        hma_vision::analyze(bytes, format.as_str(), orientation, Some(model), &vopts).map_err(|e| e.to_string())
    });
    match analysed.and_then(|a| a) {
        Err(e) => row.error = Some(e),
        Ok(a) => {
            store_preview(cache, content_hash, PreviewSize::Grid, &a.grid_jpeg).map_err(preview_error)?;
            if let Some(loupe) = &a.loupe_jpeg {
                store_preview(cache, content_hash, PreviewSize::Loupe, loupe).map_err(preview_error)?;
            }
            row.method = Some(a.method);
            row.full_width = Some(a.full_width as i32);
            row.full_height = Some(a.full_height as i32);
            row.measurements = Some(serde_json::to_string(&a.measurements).expect("plain numbers"));
            row.brisque = a.brisque;
            row.jpeg_quality = a.jpeg_quality.map(i32::from);
            if let Some(h) = a.hashes {
                row.phash = Some(h[0] as i64);
                row.phash_turns = Some(hma_catalog::Turns(h[1..].to_vec()));
            }
        }
    }
    Ok(row)
}

/// Runs the analysis job.
pub fn analyze(cat: &mut Catalog, ctx: &JobContext, opts: &AnalyzeOptions) -> Result<AnalyzeSummary> {
    crate::roots::check_our_places(cat, ctx)?;
    let places = Places::load(cat, &ctx.machine)?;
    let model = brisque_model();
    let mut sum = AnalyzeSummary { pictures: cat.analysable_count()? as u64, ..Default::default() };
    ctx.progress.stage("analyse", Some(sum.pictures));
    // Nothing new: one query says so, and no page is read.
    let pending = opts.force || cat.analysis_pending(hma_vision::ANALYSIS_VERSION)?;
    if !pending {
        sum.unchanged = sum.pictures;
        ctx.progress.advance(sum.pictures);
    }
    let mut after = 0i64;
    'pages: loop {
        if !pending {
            break;
        }
        let page = cat.analysable_page(after, PAGE)?;
        let Some(last) = page.last() else { break };
        after = last.id;
        let hashes: Vec<ContentHash> = page.iter().map(|f| f.content_hash).collect();
        let done =
            if opts.force { HashSet::new() } else { cat.analysed_hashes(&hashes, hma_vision::ANALYSIS_VERSION)? };
        let mut in_page = HashSet::new();
        let mut todo: Vec<(AnalysableFile, PathBuf)> = Vec::new();
        for f in page {
            if done.contains(&f.content_hash) || !in_page.insert(f.content_hash) {
                sum.unchanged += 1;
                ctx.progress.advance(1);
                continue;
            }
            match places.os_path(f.root_id, &f.rel_path, f.raw_path.as_deref()) {
                Some(p) => todo.push((f, p)),
                None => {
                    sum.unavailable += 1;
                    ctx.progress.advance(1);
                }
            }
        }
        // Work in batches of a few per thread; each batch is one transaction.
        let batch = (ctx.threads * 4).max(8);
        for chunk in todo.chunks(batch) {
            if ctx.cancelled() {
                sum.cancelled = true;
                break 'pages;
            }
            let now = ctx.now();
            let outcomes =
                crate::par_map(chunk, ctx.threads, |(f, path), buf| analyse_one(f, path, buf, &model, opts, ctx, now));
            let mut rows = Vec::with_capacity(outcomes.len());
            let mut cache_full = false;
            for (o, (f, _)) in outcomes.into_iter().zip(chunk) {
                match o {
                    Outcome::Done(row) => {
                        if let Some(e) = &row.error {
                            sum.failed += 1;
                            sum.failures
                                .push(Failure { path: places.path_in(f.root_id, &f.rel_path), error: e.clone() });
                        } else {
                            sum.analysed += 1;
                        }
                        rows.push(*row);
                    }
                    Outcome::Unreadable(e) => {
                        cache_full |= e.contains(CACHE_FULL);
                        sum.failed += 1;
                        sum.failures.push(Failure { path: places.path_in(f.root_id, &f.rel_path), error: e });
                    }
                }
            }
            // Scored with what the other stages stored about the same
            // content (a detected subject survives a re-analysis), and the
            // groups holding it re-ranked, in the batch's transaction.
            let hashes: Vec<ContentHash> = rows.iter().map(|r| r.content_hash).collect();
            cat.transaction(|c| {
                // Read in the transaction that writes: a subject a detector
                // stores meanwhile is not lost.
                let found = scoring::founds_of(c, &hashes)?;
                for row in &mut rows {
                    scoring::apply(row, found.get(&row.content_hash));
                }
                c.put_analyses(&rows)?;
                groups::rerank_contents(c, &hashes)
            })?;
            ctx.progress.advance(chunk.len() as u64);
            // The batch's finished pictures are kept; the rest would only
            // fail the same way.
            if cache_full {
                return Err(crate::EngineError::DiskFull {
                    place: "the preview cache",
                    path: ctx.cache_dir.display().to_string(),
                });
            }
        }
    }
    if !sum.cancelled {
        // Scores made by older rules are recomputed (no decoding).
        sum.rescored = match scoring::rescore_stale(cat, ctx) {
            Err(crate::EngineError::Cancelled) => {
                sum.cancelled = true;
                return Ok(sum);
            }
            r => r?,
        };
        let sig = cat.groups_signature()?;
        if cat.stored_groups_signature()?.as_deref() != Some(sig.as_str()) {
            match groups::rebuild(cat, ctx, &sig) {
                Ok(g) => sum.groups = Some(g),
                Err(crate::EngineError::Cancelled) => sum.cancelled = true,
                Err(e) => return Err(e),
            }
        }
    }
    Ok(sum)
}

//! `hma import FOLDER`: the everyday command. The folder becomes a root if
//! it is not one yet, then one pass reads each new or changed file once:
//! the scanner's reader hashes and parses it, and while its bytes are still
//! in memory the same reader analyses the picture (measurements, hashes,
//! previews), finds its objects and its faces. The results are written
//! with the file's row, in the scan's transaction. A rescan stays stat-only.
//!
//! Then the pipeline runs once over the catalogue to finish what the pass
//! could not do: files over the scanner's whole-read limit (hashed in a
//! stream, analysed with a read of their own), contents the catalogue had
//! met before (a copy, a move) but never looked at with a stage, scores made
//! by older rules, the groups, and who the new faces are.
//!
//! Memory: a reader holds one file (≤ 64 MiB) and its decoded pictures while
//! its stages run. The models run one picture at a time (a lock), each
//! with every core, while the other readers read, hash and measure.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use hma_catalog::{AnalysisRow, Catalog, ContentHash};
use hma_media::{Facts, Kind};
use serde::Serialize;

use crate::analyze::Failure;
use crate::detect::{DetectSummary, Found as Objects};
use crate::faces::{FaceModels, FacesSummary, Found as Faces};
use crate::pipeline::{PipelineOptions, PipelineSummary, Stage, StageRun};
use crate::scan::ScanSummary;
use crate::{EngineError, JobContext, Result};

/// Options of [`import`].
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The root's name when the folder becomes one (default: the folder's name).
    pub name: Option<String>,
    /// The content stages run while each file is in memory (those whose
    /// model is here).
    pub stages: Vec<Stage>,
    /// Loupe previews of JPEGs too.
    pub loupe: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions { name: None, stages: Stage::ALL.to_vec(), loupe: false }
    }
}

/// What an import did: the scan's counts, then what was looked at, and
/// the bytes of originals read (each new file once).
#[derive(Debug, Clone, Serialize)]
pub struct ImportSummary {
    /// The folder's root (None: every root, as the app's Scan imports).
    pub root: Option<String>,
    /// True when this import made the folder a root.
    pub added: bool,
    #[serde(flatten)]
    pub scan: ScanSummary,
    /// Pictures analysed (in the pass, and after it for what it could not do).
    pub analysed: u64,
    /// Pictures the object detector looked at.
    pub detected: u64,
    /// Faces found.
    pub faces: u64,
    /// Pictures that could not be analysed, detected or looked at for faces
    /// (recorded; the job went on).
    pub failed: u64,
    pub failures: Vec<Failure>,
    /// Bytes of originals read by the whole import.
    pub bytes_read: u64,
    /// The pipeline run after the pass: what it finished.
    pub after: PipelineSummary,
    /// Each content stage: ran while reading, or why not.
    pub stages: Vec<StageRun>,
    pub cancelled: bool,
}

/// What the readers found in the pictures of one import, summed by the writer.
#[derive(Debug, Default)]
pub(crate) struct LookSummary {
    pub analysed: u64,
    pub failed: u64,
    pub failures: Vec<Failure>,
    pub objects: DetectSummary,
    pub faces: FacesSummary,
}

/// One picture's results, made by a scan reader from the bytes it read.
pub(crate) struct Looked {
    analysis: AnalysisRow,
    objects: Option<std::result::Result<Objects, String>>,
    faces: Option<std::result::Result<Faces, String>>,
}

/// The content stages as a scan's readers run them on the bytes they read.
pub(crate) struct Looker {
    brisque: hma_vision::brisque::BrisqueModel,
    detector: Option<hma_detect::Detector>,
    coco: HashMap<String, i64>,
    faces: Option<FaceModels>,
    loupe: bool,
    cache: PathBuf,
    /// Contents analysed already (this analysis version) or taken by a
    /// reader in this run: each content is looked at once.
    claimed: Mutex<HashSet<ContentHash>>,
    /// The models run one picture at a time, each with every core.
    models: Mutex<()>,
}

impl Looker {
    fn new(cat: &mut Catalog, ctx: &JobContext, opts: &ImportOptions, stages: &mut Vec<StageRun>) -> Result<Looker> {
        let mut want = |stage: Stage| {
            let why = if !opts.stages.contains(&stage) {
                Some(crate::pipeline::NOT_ASKED.to_string())
            } else {
                stage.missing(ctx)
            };
            stages.push(StageRun { stage, ran: why.is_none(), why });
            stages.last().is_some_and(|s| s.ran)
        };
        let analyse = want(Stage::Analyze);
        let detector = if want(Stage::Detect) { Some(crate::detect::load_detector(&ctx.models_dir)?) } else { None };
        let faces = if want(Stage::Faces) { Some(crate::faces::load_face_models(&ctx.models_dir)?) } else { None };
        if !analyse {
            return Err(EngineError::Invalid("import analyses every picture; it cannot skip the analysis".into()));
        }
        let coco = if detector.is_some() { crate::detect::coco_nodes(cat, ctx.now())? } else { HashMap::new() };
        let claimed = cat.all_analysed_hashes(hma_vision::ANALYSIS_VERSION)?;
        Ok(Looker {
            brisque: crate::analyze::brisque_model(),
            detector,
            coco,
            faces,
            loupe: opts.loupe,
            cache: ctx.cache_dir.clone(),
            claimed: Mutex::new(claimed),
            models: Mutex::new(()),
        })
    }

    /// Looks at a picture's bytes (the whole file, as just read and hashed
    /// into `facts`), unless its content was analysed before or another
    /// reader has it. None: not a picture, or not this reader's to do.
    pub(crate) fn look(&self, facts: &Facts, bytes: &[u8], now_ms: i64) -> Option<Box<Looked>> {
        if !matches!(facts.kind, Kind::Image | Kind::Raw) {
            return None;
        }
        if !self.claimed.lock().expect("claims lock").insert(facts.hash) {
            return None;
        }
        // A preview that cannot be written leaves the picture to the
        // analysis after the pass (which says why).
        let analysis = crate::analyze::analyse_bytes(
            facts.hash,
            &facts.format,
            bytes,
            &self.brisque,
            self.loupe,
            &self.cache,
            now_ms,
        )
        .ok()?;
        let objects = self.detector.as_ref().map(|d| {
            let _one = self.models.lock().expect("models lock");
            crate::detect::look(d, bytes, &facts.format)
        });
        let faces = self.faces.as_ref().map(|m| {
            let _one = self.models.lock().expect("models lock");
            crate::faces::look(m, bytes, &facts.format, facts.hash)
        });
        Some(Box::new(Looked { analysis, objects, faces }))
    }

    /// Stores what the readers found, in the caller's transaction (the
    /// scan's, with the files' rows): detections and faces first, then the
    /// analyses scored with them, so each picture's first score is its
    /// whole score. `shown` is each picture's path as the user knows it.
    pub(crate) fn write(
        &self,
        c: &mut Catalog,
        looked: Vec<(String, Box<Looked>)>,
        now_ms: i64,
        sum: &mut LookSummary,
    ) -> Result<()> {
        if looked.is_empty() {
            return Ok(());
        }
        let (mut rows, mut runs, mut dets, mut face_runs, mut face_rows) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut hashes = Vec::with_capacity(looked.len());
        for (shown, l) in looked {
            let Looked { analysis, objects, faces } = *l;
            let hash = analysis.content_hash;
            hashes.push(hash);
            // A picture is counted once, with its first error.
            let error = analysis
                .error
                .clone()
                .or_else(|| objects.as_ref().and_then(|o| o.as_ref().err().cloned()))
                .or_else(|| faces.as_ref().and_then(|f| f.as_ref().err().cloned()));
            if let Some(error) = error {
                sum.failed += 1;
                sum.failures.push(Failure { path: shown, error });
            }
            sum.analysed += u64::from(analysis.error.is_none());
            rows.push(analysis);
            if let Some(found) = objects {
                sum.objects.failed += u64::from(found.is_err());
                let (run, d) = crate::detect::record(hash, found, now_ms, &mut sum.objects);
                runs.push(run);
                dets.extend(d);
            }
            if let Some(found) = faces {
                sum.faces.failed += u64::from(found.is_err());
                let (run, f) = crate::faces::record(hash, found, now_ms, &mut sum.faces);
                face_runs.push(run);
                face_rows.extend(f);
            }
        }
        if !runs.is_empty() {
            c.put_detections(&runs, &dets, &self.coco, now_ms)?;
        }
        if !face_runs.is_empty() {
            c.put_faces(&face_runs, &face_rows)?;
        }
        let found = crate::scoring::founds_of(c, &hashes)?;
        for row in &mut rows {
            crate::scoring::apply(row, found.get(&row.content_hash));
        }
        c.put_analyses(&rows)?;
        crate::groups::rerank_contents(c, &hashes)?;
        Ok(())
    }
}

/// The root at `folder` (made one if it is not yet): its name, and whether
/// this call added it. A folder inside a root imports that root.
fn root_for(cat: &mut Catalog, folder: &Path, name: Option<&str>, ctx: &JobContext) -> Result<(String, bool)> {
    let abs = std::fs::canonicalize(folder)
        .map_err(|e| EngineError::Invalid(format!("{} is not a readable folder: {e}", folder.display())))?;
    for (root, loc) in cat.roots(&ctx.machine)? {
        let Some(loc) = loc else { continue };
        let at = std::fs::canonicalize(&loc).unwrap_or_else(|_| PathBuf::from(&loc));
        if abs.starts_with(&at) {
            return Ok((root.name, false));
        }
    }
    let (root, _) = crate::roots::add_root(cat, &abs, name, false, ctx)?;
    Ok((root.name, true))
}

/// Imports a folder: its root (made one if new), then [`import_roots`].
pub fn import(cat: &mut Catalog, folder: &Path, opts: &ImportOptions, ctx: &JobContext) -> Result<ImportSummary> {
    crate::roots::check_our_places(cat, ctx)?;
    // Models are loaded (and checked) before the root is added: a broken
    // model file fails the import before it changes the catalogue.
    let mut stages = Vec::new();
    let looker = Looker::new(cat, ctx, opts, &mut stages)?;
    let (root, added) = root_for(cat, folder, opts.name.as_deref(), ctx)?;
    let mut sum = run(cat, std::slice::from_ref(&root), opts, ctx, looker, stages)?;
    (sum.root, sum.added) = (Some(root), added);
    Ok(sum)
}

/// The named roots (every root when `names` is empty), scanned with every
/// content stage on the bytes each reader just read, then the pipeline for
/// what is left. The app's Scan runs this over every root.
pub fn import_roots(
    cat: &mut Catalog,
    names: &[String],
    opts: &ImportOptions,
    ctx: &JobContext,
) -> Result<ImportSummary> {
    crate::roots::check_our_places(cat, ctx)?;
    let mut stages = Vec::new();
    let looker = Looker::new(cat, ctx, opts, &mut stages)?;
    run(cat, names, opts, ctx, looker, stages)
}

fn run(
    cat: &mut Catalog,
    names: &[String],
    opts: &ImportOptions,
    ctx: &JobContext,
    looker: Looker,
    stages: Vec<StageRun>,
) -> Result<ImportSummary> {
    let read_before = ctx.read_bytes.load(std::sync::atomic::Ordering::Relaxed);
    let (scan, looked) = crate::scan::scan_with(cat, names, ctx, Some(&looker))?;
    drop(looker);
    let mut sum = ImportSummary {
        root: None,
        added: false,
        scan,
        analysed: looked.analysed,
        detected: looked.objects.detected,
        faces: looked.faces.faces,
        failed: looked.failed,
        failures: looked.failures,
        bytes_read: 0,
        after: PipelineSummary { analysis: None, objects: None, faces: None, stages: Vec::new() },
        stages,
        cancelled: scan.cancelled,
    };
    if !sum.cancelled {
        let pipe = PipelineOptions { stages: opts.stages.clone(), explicit: false, force: false, loupe: opts.loupe };
        let mut after = crate::pipeline::run(cat, ctx, &pipe)?;
        // Who the new faces are, when the pipeline found none to look at.
        if looked.faces.faces > 0 && !after.cancelled() {
            if let Some(f) = after.faces.as_mut().filter(|f| f.people.is_none()) {
                f.people = Some(crate::people::cluster(cat, ctx)?);
            }
        }
        if let Some(a) = &after.analysis {
            sum.analysed += a.analysed;
            sum.failed += a.failed;
            sum.failures.extend(a.failures.iter().cloned());
        }
        if let Some(d) = &after.objects {
            sum.detected += d.detected;
            sum.failed += d.failed;
            sum.failures.extend(d.failures.iter().cloned());
        }
        if let Some(f) = &after.faces {
            sum.faces += f.faces;
            sum.failed += f.failed;
            sum.failures.extend(f.failures.iter().cloned());
        }
        sum.cancelled = after.cancelled();
        sum.after = after;
    }
    sum.bytes_read = ctx.read_bytes.load(std::sync::atomic::Ordering::Relaxed) - read_before;
    Ok(sum)
}

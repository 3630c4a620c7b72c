//! `hma detect`: people, pets and objects in every picture (YOLOv12n, COCO
//! classes, natively in candle), stored per content with the boxes and
//! linked into the COCO taxonomy; `--top N` looks at the best-ranked photos
//! first. Incremental (contents already looked at by this model version are
//! skipped), resumable (a transaction per batch), cancellable.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use hma_catalog::{Catalog, ContentHash, DetectionRun, NewDetection, NewTaxon};
use hma_detect::{coco, Detection, Detector, DETECT_VERSION, MODEL_ID};
use serde::Serialize;

use crate::analyze::orientation_of;
use crate::models::{how_to_get, ready_weights};
use crate::report::Places;
use crate::{EngineError, JobContext, Result};

/// Whether the object detector's weights are here and intact.
pub fn ready(models_dir: &Path) -> bool {
    ready_weights(models_dir, MODEL_ID).is_ok()
}

/// The YOLO weights in `models_dir`, checked against the manifest, loaded.
pub fn load_detector(models_dir: &Path) -> Result<Detector> {
    let path = ready_weights(models_dir, MODEL_ID)?;
    Detector::load(&path).map_err(|e| EngineError::Model(format!("{e}: {}", how_to_get(MODEL_ID))))
}

/// The picture as the detector sees it: decoded at ≥ 640 px on the long
/// edge, EXIF orientation applied.
pub fn picture(bytes: &[u8], format: &hma_media::Format) -> std::result::Result<image::RgbImage, String> {
    decoded(bytes, format, hma_detect::preprocess::INPUT).map(|(img, _)| img)
}

/// A picture decoded with its long edge at least `min_long_edge` (when it
/// is that large), EXIF orientation applied, with the whole picture's size
/// as displayed (the decoder may have decoded a reduced one).
pub(crate) fn decoded(
    bytes: &[u8],
    format: &hma_media::Format,
    min_long_edge: u32,
) -> std::result::Result<(image::RgbImage, (u32, u32)), String> {
    let orientation = orientation_of(format, bytes);
    let req = hma_vision::decode::DecodeRequest { min_long_edge, ..Default::default() };
    let d = hma_vision::decode::decode(bytes, format.as_str(), orientation, &req).map_err(|e| e.to_string())?;
    let full = (d.full_width, d.full_height);
    let img = image::RgbImage::from_raw(d.image.width, d.image.height, d.image.data)
        .ok_or_else(|| "bad decoded size".to_string())?;
    Ok((img, full))
}

/// sha256 of an RGB picture's pixels (hex): ties a reference output to the
/// exact input it was computed from.
pub fn rgb_sha256(img: &image::RgbImage) -> String {
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(img.as_raw()))
}

/// The detector's exact input for a photo file: decoded as `hma detect`
/// does, letterboxed to 640×640.
pub fn letterboxed(path: &Path) -> std::result::Result<(image::RgbImage, hma_detect::preprocess::Letterbox), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (_, format) = hma_media::sniff::sniff(&bytes[..bytes.len().min(4096)], &path.to_string_lossy());
    let img = picture(&bytes, &format)?;
    Ok(hma_detect::preprocess::letterbox_image(&img))
}

/// Options of [`detect`].
#[derive(Debug, Clone, Default)]
pub struct DetectOptions {
    /// Only the best N photos (one per burst / near-duplicate group), best first.
    pub top: Option<usize>,
    /// Look again at pictures already done.
    pub force: bool,
}

/// What a run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DetectSummary {
    pub model: String,
    /// Pictures considered.
    pub pictures: u64,
    pub detected: u64,
    pub unchanged: u64,
    pub failed: u64,
    pub objects: u64,
    /// Pictures whose stored score changed with what was found.
    pub rescored: u64,
    /// Objects per class found in this run.
    pub classes: std::collections::BTreeMap<String, u64>,
    pub failures: Vec<crate::analyze::Failure>,
    pub cancelled: bool,
}

/// The COCO taxonomy in the catalogue (made on first use): class name → node id.
pub fn coco_nodes(cat: &mut Catalog, now_ms: i64) -> Result<HashMap<String, i64>> {
    let rows = coco::taxonomy_rows();
    let version = ContentHash::of(format!("{rows:?}").as_bytes());
    let t = match cat.taxonomy("coco")? {
        Some(t) if t.source_hash == version => t,
        _ => {
            let tid = cat.reset_taxonomy("coco", "builtin", version, now_ms)?;
            let nodes: Vec<NewTaxon> = rows
                .iter()
                .map(|(id, parent, name, rank)| NewTaxon {
                    taxonomy_id: tid,
                    external_id: id.clone(),
                    parent_external_id: parent.clone(),
                    name: name.clone(),
                    taxon_rank: Some(rank.clone()),
                    status: Some("accepted".into()),
                    name_key: Some(hma_catalog::taxon_key(name)),
                })
                .collect();
            cat.insert_taxa(&nodes)?;
            cat.resolve_taxonomy(tid)?;
            cat.taxonomy("coco")?.ok_or_else(|| EngineError::Internal("coco taxonomy vanished".into()))?
        }
    };
    let ids = cat.taxon_ids(t.id)?;
    Ok(coco::CLASSES
        .iter()
        .enumerate()
        .filter_map(|(i, c)| ids.get(&format!("class:{i}")).map(|&n| (c.to_string(), n)))
        .collect())
}

/// A picture to look at: its content, where it is on this machine, how it
/// is shown to the user.
pub(crate) struct Job {
    pub content_hash: ContentHash,
    pub path: Option<PathBuf>,
    pub shown: String,
    pub format: hma_media::Format,
}

/// How many of the best photos a whole-library content job looks at
/// first (the lightbox's page): the pictures most likely to reach the
/// shortlist get their objects and faces before the rest of the library.
pub const SHORTLIST_FIRST: usize = 2000;

/// The top `n` photos (ranked, one per burst) as jobs.
fn top_jobs(cat: &mut Catalog, places: &Places, n: usize) -> Result<Vec<(i64, Job)>> {
    let mut jobs = Vec::new();
    for e in crate::rank::top(cat, places, n, &Default::default())? {
        let f = cat.file(e.file_id)?;
        // Ranked files have content (their analysis is keyed by it).
        let Some(content_hash) = f.content_hash else { continue };
        jobs.push((f.id, Job { content_hash, path: places.os_path_of(&f), shown: e.path, format: f.format }));
    }
    Ok(jobs)
}

/// The pictures a content job looks at, a page at a time: the top N
/// (ranked, one page), or every present picture — the best
/// [`SHORTLIST_FIRST`] first, then the rest paged by id so memory stays
/// bounded on a large library (those of the first page are not listed
/// twice). Exact copies are listed once per page (across pages the stored
/// runs say so). `each` gets the page and how many files it listed; it
/// returns false to stop (cancelled).
pub(crate) fn pages(
    cat: &mut Catalog,
    places: &Places,
    top: Option<usize>,
    mut each: impl FnMut(&mut Catalog, Vec<Job>, u64) -> Result<bool>,
) -> Result<bool> {
    let dedup = |jobs: &mut Vec<Job>| {
        let mut seen = std::collections::HashSet::new();
        jobs.retain(|j| seen.insert(j.content_hash));
    };
    let first = top_jobs(cat, places, top.unwrap_or(SHORTLIST_FIRST))?;
    // Bounded by SHORTLIST_FIRST (or the N asked for).
    let first_files: std::collections::HashSet<i64> = first.iter().map(|(id, _)| *id).collect();
    let first_contents: std::collections::HashSet<ContentHash> = first.iter().map(|(_, j)| j.content_hash).collect();
    let mut jobs: Vec<Job> = first.into_iter().map(|(_, j)| j).collect();
    let listed = jobs.len() as u64;
    dedup(&mut jobs);
    if !each(cat, jobs, listed)? {
        return Ok(false);
    }
    if top.is_some() {
        return Ok(true);
    }
    let mut after = 0;
    loop {
        let page = cat.analysable_page(after, 1000)?;
        let Some(last) = page.last() else { return Ok(true) };
        after = last.id;
        // Files of the first page were counted there; other copies of its
        // contents are listed (for the progress) but not looked at again.
        let listed = page.iter().filter(|f| !first_files.contains(&f.id)).count() as u64;
        let mut jobs: Vec<Job> = page
            .into_iter()
            .filter(|f| !first_contents.contains(&f.content_hash))
            .map(|f| Job {
                content_hash: f.content_hash,
                path: places.os_path(f.root_id, &f.rel_path, f.raw_path.as_deref()),
                shown: places.path_in(f.root_id, &f.rel_path),
                format: f.format,
            })
            .collect();
        dedup(&mut jobs);
        if !each(cat, jobs, listed)? {
            return Ok(false);
        }
    }
}

/// Runs the detection job.
pub fn detect(cat: &mut Catalog, ctx: &JobContext, opts: &DetectOptions) -> Result<DetectSummary> {
    // Checked now (the weights' sha256, once a process), loaded when a
    // picture needs them: a run with nothing new loads no weights.
    crate::models::ready_weights(&ctx.models_dir, MODEL_ID)?;
    let nodes = coco_nodes(cat, ctx.now())?;
    let mut sum = DetectSummary { model: MODEL_ID.into(), ..Default::default() };
    let total = match opts.top {
        Some(n) => n as u64,
        None => cat.analysable_count()? as u64,
    };
    ctx.progress.stage("detect", Some(total));
    let mut buf = Vec::new();
    let mut counts = (0, 0);
    let done = pending(
        cat,
        ctx,
        (opts.top, opts.force),
        |c, hashes| Ok(c.detected_hashes(hashes, MODEL_ID, DETECT_VERSION)?),
        || load_detector(&ctx.models_dir),
        &mut counts,
        |cat, detector, jobs| run_batches(cat, ctx, detector, &nodes, jobs, &mut buf, &mut sum),
    )?;
    (sum.pictures, sum.unchanged) = counts;
    sum.cancelled = !done;
    Ok(sum)
}

/// The pictures a content stage has not looked at yet (every one with
/// `force`), a page at a time ([`pages`]), each page given with the stage's
/// model to `run`. The model is loaded when a page first has work, so a run
/// with nothing new loads no weights. `counts` gets the pictures listed and
/// those done before. False when `run` stopped (cancelled).
pub(crate) fn pending<M>(
    cat: &mut Catalog,
    ctx: &JobContext,
    (top, force): (Option<usize>, bool),
    done_of: impl Fn(&mut Catalog, &[ContentHash]) -> Result<std::collections::HashSet<ContentHash>>,
    load: impl Fn() -> Result<M>,
    counts: &mut (u64, u64),
    mut run: impl FnMut(&mut Catalog, &M, &[Job]) -> Result<bool>,
) -> Result<bool> {
    let places = Places::load(cat, &ctx.machine)?;
    let mut model: Option<M> = None;
    pages(cat, &places, top, |cat, mut jobs, listed| {
        counts.0 += jobs.len() as u64;
        if !force {
            let hashes: Vec<ContentHash> = jobs.iter().map(|j| j.content_hash).collect();
            let done = done_of(cat, &hashes)?;
            let before = jobs.len();
            jobs.retain(|j| !done.contains(&j.content_hash));
            counts.1 += (before - jobs.len()) as u64;
        }
        ctx.progress.advance(listed - jobs.len() as u64);
        if jobs.is_empty() {
            return Ok(true);
        }
        if model.is_none() {
            model = Some(load()?);
        }
        run(cat, model.as_ref().expect("loaded above"), &jobs)
    })
}

/// Reads a job's file into `buf` and checks it is still the content the
/// catalogue knows. A file that cannot be read now (unplugged,
/// permissions, changed since the scan) is not recorded as bad, so what an
/// earlier run found (and the score made with it) stays, and the next run
/// tries again.
pub(crate) fn read_job(j: &Job, buf: &mut Vec<u8>) -> std::result::Result<(), String> {
    let Some(path) = j.path.as_ref() else {
        return Err("its folder is not connected on this machine".into());
    };
    buf.clear();
    let read = std::fs::File::open(path).and_then(|mut f| std::io::Read::read_to_end(&mut f, buf));
    if let Err(e) = read {
        return Err(format!("cannot read file: {e}"));
    }
    if ContentHash::of(buf) != j.content_hash {
        return Err("changed since the last scan (run `hma scan` first)".into());
    }
    Ok(())
}

/// Looks at one batch's pictures: reads each job's file (still the
/// catalogued content?) and gives its bytes to `look`. A picture that cannot
/// be read now is counted in `failed`, listed in `failures` and left out
/// (tried again next run: what an earlier run found stays); a bad one comes
/// back with its error, to be recorded. Progress advances per picture.
pub(crate) fn look_at<'j, R>(
    ctx: &JobContext,
    batch: &'j [Job],
    buf: &mut Vec<u8>,
    (failed, failures): (&mut u64, &mut Vec<crate::analyze::Failure>),
    mut look: impl FnMut(&Job, &[u8]) -> std::result::Result<R, String>,
) -> Vec<(&'j Job, std::result::Result<R, String>)> {
    let mut out = Vec::with_capacity(batch.len());
    for j in batch {
        let read = read_job(j, buf);
        ctx.read_bytes.fetch_add(buf.len() as u64, std::sync::atomic::Ordering::Relaxed);
        let r = read.map(|()| look(j, buf));
        match r {
            Err(unavailable) => {
                *failed += 1;
                failures.push(crate::analyze::Failure { path: j.shown.clone(), error: unavailable });
            }
            Ok(r) => {
                if let Err(e) = &r {
                    *failed += 1;
                    failures.push(crate::analyze::Failure { path: j.shown.clone(), error: e.clone() });
                }
                out.push((j, r));
            }
        }
        ctx.progress.advance(1);
    }
    out
}

/// Looks at `jobs` in batches of 8, each stored in one transaction; false
/// when cancelled.
fn run_batches(
    cat: &mut Catalog,
    ctx: &JobContext,
    detector: &Detector,
    nodes: &HashMap<String, i64>,
    jobs: &[Job],
    buf: &mut Vec<u8>,
    sum: &mut DetectSummary,
) -> Result<bool> {
    for batch in jobs.chunks(8) {
        if ctx.cancelled() {
            return Ok(false);
        }
        let mut runs = Vec::new();
        let mut dets = Vec::new();
        let looked =
            look_at(ctx, batch, buf, (&mut sum.failed, &mut sum.failures), |j, bytes| look(detector, bytes, &j.format));
        for (j, found) in looked {
            let (run, found) = record(j.content_hash, found, ctx.now(), sum);
            runs.push(run);
            dets.extend(found);
        }
        // The scores follow what was found (sharpness and composition where
        // the subject is; none found: as without a detector), and the
        // groups holding these pictures are re-ranked, all in one transaction.
        if runs.is_empty() {
            continue;
        }
        let hashes: Vec<ContentHash> = runs.iter().map(|r| r.content_hash).collect();
        let now = ctx.now();
        sum.rescored += cat.transaction(|c| {
            c.put_detections(&runs, &dets, nodes, now)?;
            crate::scoring::rescore(c, &hashes)
        })?;
    }
    Ok(true)
}

/// What the detector found in a picture, its main subject, and its look
/// embedding (for her taste model).
pub(crate) type Found = (Vec<Detection>, Option<hma_vision::score::Subject>, Vec<f32>);

/// Runs the detector on a picture's bytes: decoded at ≥ 640 px, the
/// objects found and the main subject with its sharpness. Shared by
/// `detect` and `import`, which hands over the bytes its scan just read.
pub(crate) fn look(
    detector: &Detector,
    bytes: &[u8],
    format: &hma_media::Format,
) -> std::result::Result<Found, String> {
    // A panic while reading this picture is this picture's error.
    hma_media::guard::watch("detect", bytes, || look_unguarded(detector, bytes, format))?
}

fn look_unguarded(detector: &Detector, bytes: &[u8], format: &hma_media::Format) -> std::result::Result<Found, String> {
    let img = picture(bytes, format)?;
    let hma_detect::Seen { objects: found, look } = detector.see(&img).map_err(|e| e.to_string())?;
    let subject = main_subject(&found).map(|d| {
        let rgb = hma_vision::Rgb8 { width: img.width(), height: img.height(), data: img.as_raw().clone() };
        let bbox = d.bbox.map(f64::from);
        hma_vision::score::Subject {
            class: d.class.to_string(),
            confidence: d.confidence as f64,
            bbox,
            sharpness: hma_vision::metrics::box_sharpness(&rgb, bbox),
        }
    });
    Ok((found, subject, look))
}

/// A picture's detection run and rows as stored, counted in `sum`.
pub(crate) fn record(
    content_hash: ContentHash,
    found: std::result::Result<Found, String>,
    now_ms: i64,
    sum: &mut DetectSummary,
) -> (DetectionRun, Vec<NewDetection>) {
    let mut run = DetectionRun {
        content_hash,
        model: MODEL_ID.into(),
        version: DETECT_VERSION,
        detected_ms: now_ms,
        error: None,
        objects: 0,
        subject: None,
        look: None,
    };
    let mut dets = Vec::new();
    match found {
        Ok((found, subject, look)) => {
            run.objects = found.len() as i32;
            run.look = Some(hma_detect::encode_look(&look));
            if let Some(s) = &subject {
                run.subject = serde_json::to_string(s).ok();
            }
            sum.detected += 1;
            sum.objects += found.len() as u64;
            for d in found {
                *sum.classes.entry(d.class.to_string()).or_default() += 1;
                dets.push(NewDetection {
                    content_hash,
                    model: MODEL_ID.into(),
                    class_id: d.class_id as i32,
                    class_name: d.class.to_string(),
                    confidence: d.confidence as f64,
                    box_x: d.bbox[0] as f64,
                    box_y: d.bbox[1] as f64,
                    box_w: d.bbox[2] as f64,
                    box_h: d.bbox[3] as f64,
                });
            }
        }
        Err(e) => run.error = Some(e),
    }
    (run, dets)
}

/// The photo's main subject: the largest confident person or animal, else
/// the largest confident object (area × confidence).
pub fn main_subject(found: &[Detection]) -> Option<&Detection> {
    let weight = |d: &&Detection| d.bbox[2] * d.bbox[3] * d.confidence;
    let living = found.iter().filter(|d| coco::is_living(d.class_id)).max_by(|a, b| weight(a).total_cmp(&weight(b)));
    living.or_else(|| found.iter().max_by(|a, b| weight(a).total_cmp(&weight(b))))
}

/// A detection as `hma show --json` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct DetectionReport {
    pub class: String,
    pub confidence: f64,
    /// `[x, y, w, h]`, shares of the picture as displayed.
    #[serde(rename = "box")]
    pub bbox: [f64; 4],
}

/// The objects found in a content.
pub fn detections_of(cat: &mut Catalog, content_hash: ContentHash) -> Result<Vec<DetectionReport>> {
    Ok(cat
        .detections_of(content_hash)?
        .into_iter()
        .map(|d| DetectionReport {
            class: d.class_name,
            confidence: d.confidence,
            bbox: [d.box_x, d.box_y, d.box_w, d.box_h],
        })
        .collect())
}

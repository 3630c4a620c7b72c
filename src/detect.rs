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
use crate::report::Places;
use crate::{EngineError, JobContext, Result};

/// The model manifest (committed; the weights are fetched, never committed).
pub const MANIFEST: &str = include_str!("../models/manifest.json");

/// `models/manifest.json`: every model we know, its files and their sha256.
/// Unknown fields are refused, so a typo is an error, not an empty value.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub models: Vec<ManifestModel>,
}

/// One model of the manifest.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestModel {
    pub id: String,
    pub task: String,
    pub files: Vec<ManifestFile>,
    pub licence: String,
    /// Where the weights come from (words, or the original file and its sha256).
    pub source: serde_json::Value,
    /// Committed to the repository and compiled into hma (small, freely licensed).
    pub committed: bool,
    #[serde(default)]
    pub how_to_get: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    /// How its weights are converted: `tflite-op-order` names a TFLite
    /// model's tensors by layer order (see `hma_faces::Naming`);
    /// `onnx-sface` dequantises SFace's ONNX weights (`hma_faces::sface`).
    #[serde(default)]
    pub convert: Option<String>,
}

/// A weights file of the manifest.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestFile {
    pub name: String,
    pub sha256: String,
}

/// The committed manifest, parsed.
pub fn manifest() -> Result<Manifest> {
    serde_json::from_str(MANIFEST).map_err(|e| EngineError::Model(format!("models/manifest.json: {e}")))
}

/// A model as `hma models list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ModelInfo {
    pub id: String,
    pub task: String,
    pub licence: String,
    /// Each weights file: name, expected sha256, where it is looked for, present and intact.
    pub files: Vec<ModelFile>,
    /// Every file present with the right sha256.
    pub ready: bool,
    pub how_to_get: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ModelFile {
    pub name: String,
    pub sha256: String,
    /// Where it is: a path in the models folder, or `compiled into hma`
    /// for committed models (no file of ours is read at run time).
    pub path: String,
    pub present: bool,
    /// None when absent; else whether its sha256 is the manifest's.
    pub intact: Option<bool>,
}

/// sha256 of a file, hex.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    let mut f = std::fs::File::open(path)?;
    std::io::copy(&mut f, &mut h)?;
    Ok(format!("{:x}", h.finalize()))
}

/// Every model of the manifest, with the state of its files in `models_dir`.
pub fn list_models(models_dir: &Path) -> Result<Vec<ModelInfo>> {
    Ok(manifest()?.models.into_iter().map(|m| model_info(m, models_dir)).collect())
}

/// One model of the manifest with the state of its files in `models_dir`
/// (only its own files are read and hashed).
fn model_info(model: ManifestModel, models_dir: &Path) -> ModelInfo {
    let files: Vec<ModelFile> = model
        .files
        .into_iter()
        .map(|f| {
            if model.committed {
                // Compiled in (their bytes are checked against the
                // manifest by the tests), so present wherever hma runs.
                return ModelFile {
                    name: f.name,
                    sha256: f.sha256,
                    path: "compiled into hma".into(),
                    present: true,
                    intact: Some(true),
                };
            }
            let path = models_dir.join(&f.name);
            let present = path.is_file();
            let intact = present.then(|| sha256_file(&path).map(|s| s == f.sha256).unwrap_or(false));
            ModelFile { name: f.name, sha256: f.sha256, path: path.display().to_string(), present, intact }
        })
        .collect();
    ModelInfo {
        id: model.id,
        task: model.task,
        licence: model.licence,
        ready: files.iter().all(|f| f.intact == Some(true)),
        how_to_get: model.how_to_get,
        files,
    }
}

/// Whether the object detector's weights are here and intact.
pub fn ready(models_dir: &Path) -> bool {
    ready_weights(models_dir, MODEL_ID).is_ok()
}

/// The weights file of manifest model `id` in `models_dir`, checked
/// against the manifest's sha256: absent or corrupt is an error that says
/// how to get it.
pub fn ready_weights(models_dir: &Path, id: &str) -> Result<PathBuf> {
    // This model's files alone: a check of one model hashes no other's weights.
    let m = manifest()?
        .models
        .into_iter()
        .find(|m| m.id == id)
        .map(|m| model_info(m, models_dir))
        .ok_or_else(|| EngineError::Model(format!("{id} is not in models/manifest.json")))?;
    let f = m.files.first().ok_or_else(|| EngineError::Model(format!("{id}: no weights file in the manifest")))?;
    let fix = m.how_to_get.clone().unwrap_or_default();
    match f.intact {
        None => Err(EngineError::Model(format!("the {id} weights are not at {}: {fix}", f.path))),
        Some(false) => Err(EngineError::Model(format!(
            "the {id} weights at {} are corrupt (sha256 differs from the manifest's {}): {fix}",
            f.path, f.sha256
        ))),
        Some(true) => Ok(PathBuf::from(&f.path)),
    }
}

/// How to get manifest model `id`'s weights (its `how_to_get`).
pub fn how_to_get(id: &str) -> String {
    manifest()
        .ok()
        .and_then(|m| m.models.into_iter().find(|m| m.id == id))
        .and_then(|m| m.how_to_get)
        .unwrap_or_default()
}

/// The YOLO weights in `models_dir`, checked against the manifest, loaded.
pub fn load_detector(models_dir: &Path) -> Result<Detector> {
    let path = ready_weights(models_dir, MODEL_ID)?;
    Detector::load(&path).map_err(|e| EngineError::Model(format!("{e}: {}", how_to_get(MODEL_ID))))
}

/// What `hma models import` did.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub model: String,
    pub path: String,
    pub sha256: String,
    pub tensors: usize,
    pub parameters: usize,
}

/// Converts a model file's weights to safetensors in `models_dir`: an
/// exported YOLO ONNX file, or a file whose sha256 is a manifest model's
/// source (the face models' TFLite files). Written through a partial file,
/// renamed only once its sha256 is the manifest's: a wrong model never lands.
pub fn import_model(file: &Path, models_dir: &Path) -> Result<ImportReport> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| EngineError::Io { path, source }
    };
    let source_sha = sha256_file(file).map_err(io(file))?;
    let by_source = manifest()?
        .models
        .into_iter()
        .find(|m| m.source.get("sha256").and_then(|v| v.as_str()) == Some(source_sha.as_str()));
    let is_tflite = file.extension().is_some_and(|e| e.eq_ignore_ascii_case("tflite"));
    let id = match (&by_source, is_tflite) {
        (Some(m), _) => m.id.clone(),
        // An ONNX export of the YOLO weights from elsewhere: checked by the
        // sha256 of what it converts to.
        (None, false) => MODEL_ID.to_string(),
        (None, true) => {
            return Err(EngineError::Model(format!(
                "{}: sha256 {source_sha} is no model in models/manifest.json (see `hma models list`)",
                file.display()
            )))
        }
    };
    // This model's files alone: a check of one model hashes no other's weights.
    let m = manifest()?
        .models
        .into_iter()
        .find(|m| m.id == id)
        .map(|m| model_info(m, models_dir))
        .ok_or_else(|| EngineError::Model(format!("{id} is not in models/manifest.json")))?;
    let f =
        m.files.first().cloned().ok_or_else(|| EngineError::Model(format!("{id}: no weights file in the manifest")))?;
    let out = PathBuf::from(&f.path);
    std::fs::create_dir_all(models_dir).map_err(io(models_dir))?;
    let tmp = out.with_extension("partial");
    let sface = by_source.as_ref().and_then(|m| m.convert.as_deref()) == Some("onnx-sface");
    let converted = if sface {
        hma_faces::sface::onnx_to_safetensors(file, &tmp).map_err(|e| e.to_string())
    } else if is_tflite {
        let bytes = std::fs::read(file).map_err(io(file))?;
        let naming = match by_source.as_ref().and_then(|m| m.convert.as_deref()) {
            Some("tflite-op-order") => hma_faces::Naming::OpOrder,
            Some("tflite-op-order-constants") => hma_faces::Naming::OpOrderConstants,
            _ => hma_faces::Naming::Graph,
        };
        hma_faces::tflite_to_safetensors(&bytes, &tmp, naming).map_err(|e| e.to_string())
    } else {
        hma_detect::convert::onnx_to_safetensors(file, &tmp).map_err(|e| e.to_string())
    };
    let (tensors, parameters) = converted.map_err(|e| EngineError::Model(format!("{}: {e}", file.display())))?;
    let sha = sha256_file(&tmp).map_err(io(&tmp))?;
    if sha != f.sha256 {
        let _ = std::fs::remove_file(&tmp);
        return Err(EngineError::Model(format!(
            "{}: converted weights have sha256 {sha}, the manifest expects {} for {}: not the model we support",
            file.display(),
            f.sha256,
            m.id
        )));
    }
    std::fs::rename(&tmp, &out).map_err(io(&out))?;
    Ok(ImportReport { model: m.id.clone(), path: out.display().to_string(), sha256: sha, tensors, parameters })
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

/// The pictures a content job looks at, a page at a time: the top N
/// (ranked, one page) or every present picture, paged by id so memory
/// stays bounded on a large library. Exact copies are listed once per page
/// (across pages the stored runs say so). `each` gets the page and how
/// many files it listed; it returns false to stop (cancelled).
pub(crate) fn pages(
    cat: &mut Catalog,
    places: &Places,
    top: Option<usize>,
    mut each: impl FnMut(&mut Catalog, Vec<Job>, u64) -> Result<bool>,
) -> Result<bool> {
    let mut after = 0;
    let mut top_done = false;
    loop {
        let mut jobs: Vec<Job> = Vec::new();
        match top {
            Some(n) => {
                if top_done {
                    return Ok(true);
                }
                top_done = true;
                for e in crate::rank::top(cat, places, n, &Default::default())? {
                    let f = cat.file(e.file_id)?;
                    // Ranked files have content (their analysis is keyed by it).
                    let Some(content_hash) = f.content_hash else { continue };
                    jobs.push(Job { content_hash, path: places.os_path_of(&f), shown: e.path, format: f.format });
                }
            }
            None => {
                let page = cat.analysable_page(after, 1000)?;
                let Some(last) = page.last() else { return Ok(true) };
                after = last.id;
                for f in page {
                    jobs.push(Job {
                        content_hash: f.content_hash,
                        path: places.os_path(f.root_id, &f.rel_path, f.raw_path.as_deref()),
                        shown: places.path_in(f.root_id, &f.rel_path),
                        format: f.format,
                    });
                }
            }
        }
        let listed = jobs.len() as u64;
        let mut seen = std::collections::HashSet::new();
        jobs.retain(|j| seen.insert(j.content_hash));
        if !each(cat, jobs, listed)? {
            return Ok(false);
        }
    }
}

/// Runs the detection job.
pub fn detect(cat: &mut Catalog, ctx: &JobContext, opts: &DetectOptions) -> Result<DetectSummary> {
    let detector = load_detector(&ctx.models_dir)?;
    let places = Places::load(cat, &ctx.machine)?;
    let nodes = coco_nodes(cat, ctx.now())?;
    let mut sum = DetectSummary { model: MODEL_ID.into(), ..Default::default() };
    let total = match opts.top {
        Some(n) => n as u64,
        None => cat.analysable_count()? as u64,
    };
    ctx.progress.stage("detect", Some(total));
    let mut buf = Vec::new();
    let done = pages(cat, &places, opts.top, |cat, mut jobs, listed| {
        sum.pictures += jobs.len() as u64;
        if !opts.force {
            let hashes: Vec<ContentHash> = jobs.iter().map(|j| j.content_hash).collect();
            let done = cat.detected_hashes(&hashes, MODEL_ID, DETECT_VERSION)?;
            let before = jobs.len();
            jobs.retain(|j| !done.contains(&j.content_hash));
            sum.unchanged += (before - jobs.len()) as u64;
        }
        ctx.progress.advance(listed - jobs.len() as u64);
        run_batches(cat, ctx, &detector, &nodes, &jobs, &mut buf, &mut sum)
    })?;
    sum.cancelled = !done;
    Ok(sum)
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
        let r = read_job(j, buf).map(|()| look(j, buf));
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
        let looked = look_at(ctx, batch, buf, (&mut sum.failed, &mut sum.failures), |j, bytes| {
            let img = picture(bytes, &j.format)?;
            let found = detector.detect(&img).map_err(|e| e.to_string())?;
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
            Ok((found, subject))
        });
        for (j, found) in looked {
            let mut run = DetectionRun {
                content_hash: j.content_hash,
                model: MODEL_ID.into(),
                version: DETECT_VERSION,
                detected_ms: ctx.now(),
                error: None,
                objects: 0,
                subject: None,
            };
            match found {
                Ok((found, subject)) => {
                    run.objects = found.len() as i32;
                    if let Some(s) = &subject {
                        run.subject = serde_json::to_string(s).ok();
                    }
                    sum.detected += 1;
                    sum.objects += found.len() as u64;
                    for d in found {
                        *sum.classes.entry(d.class.to_string()).or_default() += 1;
                        dets.push(NewDetection {
                            content_hash: j.content_hash,
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
            runs.push(run);
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

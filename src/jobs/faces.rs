//! `hma faces`: the faces in every picture (MediaPipe BlazeFace full-range,
//! natively in candle, over a pyramid of the whole picture so that group
//! and distant faces are found), stored per content with their boxes, six
//! keypoints, the sharpness and exposure inside each face, and its eyes
//! (MediaPipe Face Landmarker's landmarks: each eye's openness and a verdict, open,
//! closed or unsure) and who it is (SFace's identity embedding). Incremental
//! (contents already looked at by this model version are skipped),
//! resumable (a transaction per batch), cancellable; `--top N` looks at the
//! best-ranked photos first. `hma detect` runs it after the objects.

use std::path::Path;

use hma_catalog::{Catalog, ContentHash, FaceRow, FaceRun, NewFace};
use hma_faces::detect::{FaceDetector, Options};
use hma_faces::eyes::Landmarker;
use hma_faces::sface::Embedder;
use serde::Serialize;

use crate::detect::{look_at, Job};
use crate::{EngineError, JobContext, Result};

/// The face detector's manifest id (the faces' `model`).
pub const MODEL_ID: &str = "blazeface-full-range";
/// The landmark model's manifest id.
pub const LANDMARKS_ID: &str = "face-landmarker";
/// The blendshapes model's manifest id (its blink scores decide the eyes).
pub const BLENDSHAPES_ID: &str = "face-blendshapes";
/// The identity model's manifest id.
pub const IDENTITY_ID: &str = "sface";
/// Every model the faces job needs.
pub const MODEL_IDS: [&str; 4] = [MODEL_ID, LANDMARKS_ID, BLENDSHAPES_ID, IDENTITY_ID];
/// Faces smaller than this (long side, pixels of the picture as decoded)
/// get no identity embedding: SFace sees 112 px, and a face blown up from
/// under 32 px carries too little of who it is.
pub const MIN_IDENTITY: f64 = 32.0;
/// Bumped when what the job stores for a picture changes (2: the eyes'
/// verdict from the blendshapes' blink scores).
pub const FACES_VERSION: i32 = 2;

/// The face models, loaded.
#[derive(Debug, Clone)]
pub struct FaceModels {
    pub detector: FaceDetector,
    pub landmarker: Landmarker,
    pub embedder: Embedder,
}

/// The face models' weights in `models_dir`, checked against the manifest,
/// loaded.
pub fn load_face_models(models_dir: &Path) -> Result<FaceModels> {
    let path = crate::models::ready_weights(models_dir, MODEL_ID)?;
    let detector = FaceDetector::load(&path)
        .map_err(|e| EngineError::Model(format!("{e}: {}", crate::models::how_to_get(MODEL_ID))))?;
    let path = crate::models::ready_weights(models_dir, LANDMARKS_ID)?;
    let shapes = crate::models::ready_weights(models_dir, BLENDSHAPES_ID)?;
    let landmarker = Landmarker::load(&path, &shapes)
        .map_err(|e| EngineError::Model(format!("{e}: {}", crate::models::how_to_get(LANDMARKS_ID))))?;
    let path = crate::models::ready_weights(models_dir, IDENTITY_ID)?;
    let embedder = Embedder::load(&path)
        .map_err(|e| EngineError::Model(format!("{e}: {}", crate::models::how_to_get(IDENTITY_ID))))?;
    Ok(FaceModels { detector, landmarker, embedder })
}

/// Whether the face models' weights are here and intact.
pub fn ready(models_dir: &Path) -> bool {
    MODEL_IDS.iter().all(|id| crate::models::ready_weights(models_dir, id).is_ok())
}

/// The picture as the face detector sees it: decoded with its long edge at
/// least the pyramid's finest level (1152 px), EXIF orientation applied;
/// with the whole picture's size as displayed (the decoder may have
/// decoded a reduced one).
pub fn picture(bytes: &[u8], format: &hma_media::Format) -> std::result::Result<(image::RgbImage, (u32, u32)), String> {
    crate::detect::decoded(bytes, format, Options::default().finest)
}

/// Options of [`faces`].
#[derive(Debug, Clone, Default)]
pub struct FacesOptions {
    /// Only the best N photos (one per burst / near-duplicate group), best first.
    pub top: Option<usize>,
    /// Look again at pictures already done.
    pub force: bool,
}

/// What a run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FacesSummary {
    pub model: String,
    /// Pictures considered.
    pub pictures: u64,
    /// Pictures looked at in this run.
    pub looked: u64,
    /// Faces found in this run.
    pub faces: u64,
    /// Pictures with at least one face, of those looked at.
    pub with_faces: u64,
    pub unchanged: u64,
    pub failed: u64,
    /// Pictures whose stored score changed with the faces found.
    pub rescored: u64,
    pub failures: Vec<crate::analyze::Failure>,
    pub cancelled: bool,
    /// Who is who after this run's faces (run when faces were looked at).
    pub people: Option<crate::people::ClusterSummary>,
}

/// The faces of one picture: the detector's faces turned into rows (shares
/// of the picture as displayed) with the sharpness and exposure inside
/// each and its eyes.
pub fn face_rows(models: &FaceModels, img: &image::RgbImage, content_hash: ContentHash) -> Result<Vec<NewFace>> {
    let found = models.detector.detect(img, &Options::default()).map_err(|e| EngineError::Model(e.to_string()))?;
    let eyes = models.landmarker.eyes(img, &found).map_err(|e| EngineError::Model(e.to_string()))?;
    // Who: faces big enough, aligned from their eyes, nose and mouth.
    let known: Vec<usize> = (0..found.len()).filter(|&i| found[i].side() >= MIN_IDENTITY).collect();
    let points: Vec<[(f64, f64); 4]> = known
        .iter()
        .map(|&i| {
            let k = found[i].keypoints;
            [k[0], k[1], k[2], k[3]]
        })
        .collect();
    let vectors = models.embedder.embed(img, &points).map_err(|e| EngineError::Model(e.to_string()))?;
    let mut embeddings: Vec<Option<Vec<u8>>> = vec![None; found.len()];
    for (&i, v) in known.iter().zip(vectors) {
        embeddings[i] = Some(v.iter().flat_map(|x| x.to_le_bytes()).collect());
    }
    let (w, h) = (img.width() as f64, img.height() as f64);
    let boxes: Vec<[f64; 4]> = found
        .iter()
        .map(|f| {
            let (x0, y0) = ((f.xmin / w).clamp(0.0, 1.0), (f.ymin / h).clamp(0.0, 1.0));
            let (x1, y1) = ((f.xmax / w).clamp(0.0, 1.0), (f.ymax / h).clamp(0.0, 1.0));
            [x0, y0, x1 - x0, y1 - y0]
        })
        .collect();
    let rgb = hma_vision::Rgb8 { width: img.width(), height: img.height(), data: img.as_raw().clone() };
    let measures = hma_vision::metrics::measure_boxes(&rgb, &boxes);
    Ok(found
        .iter()
        .zip(boxes)
        .zip(measures)
        .zip(eyes)
        .zip(embeddings)
        .map(|((((f, b), m), e), embedding)| {
            let kp: Vec<[f64; 2]> = f.keypoints.iter().map(|&(x, y)| [round6(x / w), round6(y / h)]).collect();
            NewFace {
                content_hash,
                model: MODEL_ID.into(),
                confidence: f.score,
                box_x: b[0],
                box_y: b[1],
                box_w: b[2],
                box_h: b[3],
                keypoints: serde_json::to_string(&kp).unwrap_or_else(|_| "[]".into()),
                sharpness: m.sharpness,
                exposure: m.exposure,
                eye_left: e.left.map(round6),
                eye_right: e.right.map(round6),
                blink_left: e.blink_left.map(round6),
                blink_right: e.blink_right.map(round6),
                eyes: e.verdict.as_str().into(),
                embedding,
            }
        })
        .collect())
}

/// Six decimals of a share: a millionth of the picture, below a pixel.
/// The faces found in a picture, and its size as displayed.
pub(crate) type Found = (Vec<NewFace>, (u32, u32));

/// Looks for faces in a picture's bytes (decoded at the finest size the
/// face detector uses). Shared by `faces` and `import`, which hands over
/// the bytes its scan just read.
pub(crate) fn look(
    models: &FaceModels,
    bytes: &[u8],
    format: &hma_media::Format,
    content_hash: ContentHash,
) -> std::result::Result<Found, String> {
    // A panic while reading this picture is this picture's error.
    hma_media::guard::watch("faces", bytes, || {
        let (img, full) = picture(bytes, format)?;
        let faces = face_rows(models, &img, content_hash).map_err(|e| e.to_string())?;
        Ok((faces, full))
    })?
}

/// A picture's face run and rows as stored, counted in `sum`.
pub(crate) fn record(
    content_hash: ContentHash,
    found: std::result::Result<Found, String>,
    now_ms: i64,
    sum: &mut FacesSummary,
) -> (FaceRun, Vec<NewFace>) {
    let mut run = FaceRun {
        content_hash,
        model: MODEL_ID.into(),
        version: FACES_VERSION,
        detected_ms: now_ms,
        error: None,
        faces: 0,
        width: 0,
        height: 0,
    };
    match found {
        Ok((faces, (w, h))) => {
            run.faces = faces.len() as i32;
            (run.width, run.height) = (w as i32, h as i32);
            sum.looked += 1;
            sum.faces += faces.len() as u64;
            sum.with_faces += u64::from(!faces.is_empty());
            (run, faces)
        }
        Err(e) => {
            run.error = Some(e);
            (run, Vec::new())
        }
    }
}

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// Runs the faces job.
pub fn faces(cat: &mut Catalog, ctx: &JobContext, opts: &FacesOptions) -> Result<FacesSummary> {
    // Checked now (the weights' sha256, once a process), loaded when a
    // picture needs them: a run with nothing new loads no weights.
    for id in MODEL_IDS {
        crate::models::ready_weights(&ctx.models_dir, id)?;
    }
    let mut sum = FacesSummary { model: MODEL_ID.into(), ..Default::default() };
    let total = match opts.top {
        Some(n) => n as u64,
        None => cat.analysable_count()? as u64,
    };
    ctx.progress.stage("faces", Some(total));
    let mut buf = Vec::new();
    let mut counts = (0, 0);
    let done = crate::detect::pending(
        cat,
        ctx,
        (opts.top, opts.force),
        |c, hashes| Ok(c.faced_hashes(hashes, MODEL_ID, FACES_VERSION)?),
        || load_face_models(&ctx.models_dir),
        &mut counts,
        |cat, models, jobs| run_batches(cat, ctx, models, jobs, &mut buf, &mut sum),
    )?;
    (sum.pictures, sum.unchanged) = counts;
    sum.cancelled = !done;
    // New faces: who they are. Also when nothing was looked at but faces
    // with embeddings were never clustered (a catalogue from before people).
    if done && (sum.looked > 0 || cat.people()?.is_empty()) && sum.faces + sum.unchanged > 0 {
        sum.people = Some(crate::people::cluster(cat, ctx)?);
    }
    Ok(sum)
}

/// Looks at `jobs` in batches of 8, each stored in one transaction; false
/// when cancelled.
fn run_batches(
    cat: &mut Catalog,
    ctx: &JobContext,
    models: &FaceModels,
    jobs: &[Job],
    buf: &mut Vec<u8>,
    sum: &mut FacesSummary,
) -> Result<bool> {
    for batch in jobs.chunks(8) {
        if ctx.cancelled() {
            return Ok(false);
        }
        let mut runs = Vec::new();
        let mut rows = Vec::new();
        let looked = look_at(ctx, batch, buf, (&mut sum.failed, &mut sum.failures), |j, bytes| {
            look(models, bytes, &j.format, j.content_hash)
        });
        for (j, found) in looked {
            let (run, faces) = record(j.content_hash, found, ctx.now(), sum);
            runs.push(run);
            rows.extend(faces);
        }
        // The scores follow the faces (their sharpness and eyes), and the
        // groups holding these pictures are re-ranked, all in one transaction.
        if !runs.is_empty() {
            let hashes: Vec<ContentHash> = runs.iter().map(|r| r.content_hash).collect();
            sum.rescored += cat.transaction(|c| {
                c.put_faces(&runs, &rows)?;
                crate::scoring::rescore(c, &hashes)
            })?;
        }
    }
    Ok(true)
}

/// A face as `hma show --json` prints it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct FaceReport {
    pub id: i64,
    /// `[x, y, w, h]` in pixels of the picture as displayed.
    #[serde(rename = "box")]
    pub bbox: [f64; 4],
    pub confidence: f64,
    /// The six keypoints (right eye, left eye, nose tip, mouth, right ear,
    /// left ear: the subject's sides), pixels of the picture as displayed.
    pub keypoints: Vec<[f64; 2]>,
    /// Variance of the Laplacian in the face at the analysis working size.
    pub sharpness: Option<f64>,
    /// Mean luma in the face, 0–1.
    pub exposure: Option<f64>,
    pub eyes: EyesReport,
    /// Its named person's name (null when unnamed or nobody yet).
    pub person: Option<String>,
    /// Its person's or unnamed cluster's id (`hma people`), null when none.
    pub person_id: Option<i64>,
    /// Whether the score and search count it (confident, not tiny): what
    /// `faces:N` and `eyes:` look at.
    pub counted: bool,
}

/// A face's eyes: openness of the subject's left and right eye (lid gap
/// over eye width; null when the face was too small to read), their blink
/// scores (0–1, MediaPipe's blendshapes), and the verdict.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct EyesReport {
    pub left: Option<f64>,
    pub right: Option<f64>,
    pub blink_left: Option<f64>,
    pub blink_right: Option<f64>,
    /// open, closed or unsure.
    pub verdict: String,
}

/// The faces found in a content (best first), in pixels of the picture as
/// displayed, with who they are.
pub fn faces_of(cat: &mut Catalog, content_hash: ContentHash) -> Result<Vec<FaceReport>> {
    let Some(run) = cat.face_run(content_hash, MODEL_ID)? else { return Ok(vec![]) };
    let rows: Vec<FaceRow> = cat.faces_of(content_hash)?.into_iter().filter(|r| r.model == MODEL_ID).collect();
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let who = cat.persons_of_faces(&ids)?;
    let not_faces = cat.not_faces(&ids)?;
    let names = person_names(cat, &who)?;
    Ok(rows
        .iter()
        .filter(|r| !not_faces.contains(&r.id))
        .map(|r| {
            let mut f = report(r, (run.width as f64, run.height as f64));
            f.person_id = who.get(&r.id).and_then(|a| a.person_id);
            f.person = f.person_id.and_then(|p| names.get(&p).cloned());
            f
        })
        .collect())
}

/// The names of the people these faces are (named ones), by person id.
pub fn person_names(
    cat: &mut Catalog,
    who: &std::collections::HashMap<i64, hma_catalog::Assignment>,
) -> Result<std::collections::HashMap<i64, String>> {
    let mut ids: Vec<i64> = who.values().filter_map(|a| a.person_id).collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(cat.people_names(&ids)?)
}

/// The pets named in a content (`hma people pet`).
pub fn pets_of(cat: &mut Catalog, content_hash: ContentHash) -> Result<Vec<crate::people::PetReport>> {
    let Some(run) = cat.face_run(content_hash, crate::people::PET_MODEL)? else { return Ok(vec![]) };
    let rows: Vec<FaceRow> =
        cat.faces_of(content_hash)?.into_iter().filter(|r| r.model == crate::people::PET_MODEL).collect();
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let who = cat.persons_of_faces(&ids)?;
    let names = person_names(cat, &who)?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            let p = who.get(&r.id)?.person_id?;
            Some(crate::people::PetReport {
                id: r.id,
                bbox: crate::people::pixels(r, (run.width as f64, run.height as f64)),
                pet: names.get(&p)?.clone(),
                person_id: p,
            })
        })
        .collect())
}

fn report(r: &FaceRow, (w, h): (f64, f64)) -> FaceReport {
    let px = |v: f64, side: f64| (v * side * 10.0).round() / 10.0;
    let kp: Vec<[f64; 2]> = serde_json::from_str(&r.keypoints).unwrap_or_default();
    FaceReport {
        id: r.id,
        bbox: crate::people::pixels(r, (w, h)),
        confidence: r.confidence,
        keypoints: kp.iter().map(|p| [px(p[0], w), px(p[1], h)]).collect(),
        sharpness: r.sharpness,
        exposure: r.exposure,
        eyes: EyesReport {
            left: r.eye_left,
            right: r.eye_right,
            blink_left: r.blink_left,
            blink_right: r.blink_right,
            verdict: r.eyes.clone(),
        },
        person: None,
        person_id: None,
        counted: r.confidence >= hma_vision::score::FACE_CONFIDENCE
            && r.box_w.max(r.box_h) >= hma_vision::score::FACE_MIN_SHARE,
    }
}

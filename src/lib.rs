//! The engine behind the `hma` CLI and the desktop app: jobs that read the
//! user's files (never writing them) and keep the catalogue up to date.
//!
//! Data flows one way: files → [`scan`] (walk, stat, hash, EXIF, XMP) →
//! catalogue → queries ([`report`], [`dupes`]) → CLI and UI. The catalogue is
//! the hub, so every job can stop and resume.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

pub mod curation;
pub mod fuzz;
pub mod jobs;
pub mod models;
pub mod query;
pub mod report;
pub mod serve;
pub mod supervise;

// Each use case keeps its short path (`hma::scan`, `crate::rank`) whichever
// domain folder holds it.
pub use curation::{calendar, cull, export, groups, holidays, marks, rank, spread, taste};
pub use jobs::{
    analyze, capture, detect, dupes, events, faces, import, link, people, pipeline, roots, scan, scoring, sidecar,
    worker,
};
pub use query::{places, search, tags, taxonomy};

pub use hma_catalog::{Catalog, CatalogError};

/// Errors of the engine's jobs.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The catalogue failed.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// A file the job had to read failed (names the file).
    #[error("{path}: {source}")]
    Io {
        /// Which file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The request cannot be carried out as given (a bad argument, query or
    /// pattern); the message says what to change.
    #[error("{0}")]
    Invalid(String),
    /// A thing the request names does not exist (a root, a file, a capture).
    #[error("{0}")]
    NotFound(String),
    /// A model is missing, corrupt or failed to load; the message says how
    /// to get it.
    #[error("{0}")]
    Model(String),
    /// The user asked the job to stop; what it had finished is kept.
    #[error("cancelled")]
    Cancelled,
    /// A search query that cannot be read: the column (1-based, in
    /// characters) of the token at fault, and why.
    #[error("error at column {column}: {message}")]
    Query {
        /// Where.
        column: usize,
        /// Why.
        message: String,
    },
    /// The disk holding one of our places (the preview cache, the
    /// catalogue, an export folder) is full: the job stopped there, and
    /// what it finished is kept.
    #[error("the disk holding {place} ({path}) is full")]
    DiskFull {
        /// Which place, in words ("the preview cache").
        place: &'static str,
        /// Where it is.
        path: String,
    },
    /// A bug or a broken invariant of ours (a worker thread panicked…).
    #[error("{0}")]
    Internal(String),
}

impl EngineError {
    /// The catalogue's connection failed or went away (its server stopped
    /// or restarted, the network dropped): worth trying again later, as
    /// opposed to a bug or a refusal.
    pub fn is_connection_lost(&self) -> bool {
        matches!(self, EngineError::Catalog(c) if c.is_connection_lost())
    }

    /// A disk we write to is full: the preview cache's
    /// ([`EngineError::DiskFull`]) or the catalogue's (its database says so).
    pub fn is_disk_full(&self) -> bool {
        match self {
            EngineError::DiskFull { .. } => true,
            EngineError::Catalog(c) => c.is_disk_full(),
            EngineError::Io { source, .. } => source.kind() == std::io::ErrorKind::StorageFull,
            _ => false,
        }
    }

    /// A stable code for the app and scripts: `invalid`, `not_found`,
    /// `model`, `cancelled`, `catalog`, `io`, `disk_full` or `internal`.
    pub fn code(&self) -> &'static str {
        match self {
            EngineError::Catalog(CatalogError::NotFound(_)) => "not_found",
            EngineError::Catalog(_) => "catalog",
            EngineError::Io { .. } => "io",
            EngineError::Invalid(_) => "invalid",
            EngineError::Query { .. } => "query",
            EngineError::NotFound(_) => "not_found",
            EngineError::Model(_) => "model",
            EngineError::Cancelled => "cancelled",
            EngineError::DiskFull { .. } => "disk_full",
            EngineError::Internal(_) => "internal",
        }
    }
}

/// Result of engine jobs.
pub type Result<T, E = EngineError> = std::result::Result<T, E>;

/// Receives progress of a long job (a bar in the CLI, events in the app).
pub trait ProgressSink: Send + Sync {
    /// A new stage begins; `total` when known.
    fn stage(&self, name: &str, total: Option<u64>);
    /// `n` more items done.
    fn advance(&self, n: u64);
    /// A new stage counted in bytes (a download); `advance` then counts bytes.
    fn bytes(&self, name: &str, total: Option<u64>) {
        self.stage(name, total)
    }
}

/// A sink that shows nothing.
#[derive(Debug, Default)]
pub struct NoProgress;

impl ProgressSink for NoProgress {
    fn stage(&self, _: &str, _: Option<u64>) {}
    fn advance(&self, _: u64) {}
}

/// Everything a job needs from its surroundings, passed in so tests control
/// the clock, the machine name and cancellation.
#[derive(Clone)]
pub struct JobContext {
    /// This machine's name: root locations are per machine.
    pub machine: String,
    /// Set to stop the job at the next safe point.
    pub cancel: Arc<AtomicBool>,
    /// Milliseconds since the Unix epoch.
    pub clock: Arc<dyn Fn() -> i64 + Send + Sync>,
    /// Worker threads for reading files.
    pub threads: usize,
    /// Where progress goes.
    pub progress: Arc<dyn ProgressSink>,
    /// Our cache (previews live in `previews/` inside it).
    pub cache_dir: PathBuf,
    /// Where fetched and imported model weights live.
    pub models_dir: PathBuf,
    /// Bytes of originals the jobs run with this context have read (scan,
    /// analysis, detection, faces): `hma import` reports it, and shows that
    /// each new file is read once.
    pub read_bytes: Arc<std::sync::atomic::AtomicU64>,
}

impl std::fmt::Debug for JobContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobContext")
            .field("machine", &self.machine)
            .field("threads", &self.threads)
            .field("cache_dir", &self.cache_dir)
            .field("models_dir", &self.models_dir)
            .finish()
    }
}

impl JobContext {
    /// The real world: system clock, host name, all cores, no progress, the
    /// default cache and models folders.
    pub fn system() -> JobContext {
        JobContext {
            machine: machine_name(),
            cancel: Arc::new(AtomicBool::new(false)),
            clock: Arc::new(system_now_ms),
            threads: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
            progress: Arc::new(NoProgress),
            cache_dir: default_cache_dir(),
            models_dir: default_models_dir(),
            read_bytes: Arc::new(std::sync::atomic::AtomicU64::new(0)),
        }
    }

    /// Now, in ms.
    pub fn now(&self) -> i64 {
        (self.clock)()
    }

    /// True once cancellation was asked for.
    pub fn cancelled(&self) -> bool {
        self.cancel.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Writes `bytes` to `path` through a temporary file in the same folder,
/// then renames it over `path`: a reader sees the old file or the new one,
/// never half of one; the temporary file is removed on failure. `durable`
/// flushes it to disk first (a sidecar; not a preview, which is made again
/// if lost).
pub(crate) fn write_atomically(path: &std::path::Path, bytes: &[u8], durable: bool) -> std::io::Result<()> {
    use std::io::Write;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        if durable {
            f.sync_all()?;
        }
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Milliseconds since the Unix epoch by the system clock.
pub fn system_now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// This machine's name (`HMA_MACHINE` overrides the host name).
pub fn machine_name() -> String {
    std::env::var("HMA_MACHINE")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| gethostname::gethostname().to_string_lossy().into_owned())
}

/// Our cache folder unless told otherwise: `HMA_CACHE_DIR`, else
/// `home-media-ai` in the user's cache folder.
pub fn default_cache_dir() -> PathBuf {
    match std::env::var_os("HMA_CACHE_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => dirs::cache_dir().unwrap_or_else(std::env::temp_dir).join("home-media-ai"),
    }
}

/// The models folder unless told otherwise: `HMA_MODELS_DIR`, else
/// `home-media-ai/models` in the user's data folder.
pub fn default_models_dir() -> PathBuf {
    match std::env::var_os("HMA_MODELS_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => dirs::data_dir().unwrap_or_else(std::env::temp_dir).join("home-media-ai").join("models"),
    }
}

/// The default catalogue: `catalog.db` in the user's data folder.
pub fn default_catalog_url() -> Option<String> {
    let dir = dirs::data_dir()?.join("home-media-ai");
    Some(format!("sqlite://{}", dir.join("catalog.db").display()))
}

/// Writes `bytes` to `path` so that only the user can read them (Unix mode
/// 0600; on Windows the user's own profile folders already are), whole or
/// not at all: a temporary file beside it, flushed, then renamed over it.
/// For what holds a secret, such as a catalogue URL with its password (the
/// app's settings). A file left readable by others by an older version is
/// replaced, so it becomes private too. (`tempfile` would make the file
/// 0600 but is only a test dependency here; this is a dozen lines.)
pub fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let written = (|| {
        let mut f = opts.open(&tmp)?;
        // A temporary left by a killed run may have had other rights.
        #[cfg(unix)]
        f.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Runs `f` over `items` on `threads` threads (each with its own reusable
/// buffer); results in the order given.
pub fn par_map<I: Sync, T: Send>(items: &[I], threads: usize, f: impl Fn(&I, &mut Vec<u8>) -> T + Sync) -> Vec<T> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<T>>> = items.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..threads.clamp(1, items.len().max(1)) {
            s.spawn(|| {
                let mut buf = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { return };
                    let r = f(item, &mut buf);
                    *results[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
                }
            });
        }
    });
    results
        .into_iter()
        .map(|m| m.into_inner().unwrap_or_else(|e| e.into_inner()).expect("every item is mapped"))
        .collect()
}

/// Hashes files (xxh3-64), each streamed through one reused cache-sized
/// buffer per thread; results in the order given.
pub fn hash_files(files: &[std::path::PathBuf], threads: usize) -> Vec<std::io::Result<hma_media::ContentHash>> {
    par_map(files, threads, |path, buf| {
        if buf.len() < hma_media::inspect::CHUNK {
            buf.resize(hma_media::inspect::CHUNK, 0);
        }
        std::fs::File::open(path).and_then(|mut f| hma_media::hash::hash_stream(&[], &mut f, buf)).map(|(h, _)| h)
    })
}

/// Reads the metadata of files (no hash, no catalogue), for `hma exif`.
pub fn read_metadata(files: &[std::path::PathBuf], threads: usize) -> Vec<Result<hma_media::Facts, String>> {
    par_map(files, threads, |path, buf| {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        hma_media::inspect::read_metadata(path, &name, buf).map_err(|e| e.to_string())
    })
}

#[cfg(test)]
mod tests {
    #[cfg(unix)]
    #[test]
    fn private_files_are_the_users_alone_and_replaced_whole() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("app/settings.json");
        super::write_private(&p, b"{\"catalog\":\"mysql://u:secret@h/db\"}").unwrap();
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        // An older, world-readable file becomes private when written again.
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        super::write_private(&p, b"{}").unwrap();
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::read(&p).unwrap(), b"{}");
        // Nothing else is left in the folder.
        assert_eq!(std::fs::read_dir(p.parent().unwrap()).unwrap().count(), 1);
    }
}

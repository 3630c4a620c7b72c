//! Shared test helpers: a fresh catalogue per test on each backend, the real
//! `hma` binary, and photo fixtures made in the test (JPEG and TIFF-based
//! RAW files with EXIF written to the spec) or copied from
//! `tests/fixtures/photos` (see its LICENSES.md).
#![allow(dead_code)]

pub mod exif_writer;
pub mod http;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

pub use exif_writer::ExifSpec;

/// The MariaDB server tests use; each test gets a database of its own.
pub fn mysql_server() -> String {
    std::env::var("HMA_TEST_MYSQL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())
}

/// A fresh, empty catalogue for one test.
pub struct Db {
    pub url: String,
    mysql_name: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl Db {
    pub fn sqlite() -> Db {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("catalog.db").display());
        Db { url, mysql_name: None, _dir: Some(dir) }
    }

    /// A new database on the MariaDB server. MariaDB tests never skip: if
    /// the server is down, they fail (and `.ci/run` starts it).
    pub fn mariadb() -> Db {
        static N: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let name = format!("hma_t_{}_{}_{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed), nanos);
        let server = mysql_server();
        hma_catalog::mysql_create_database(&server, &name)
            .unwrap_or_else(|e| panic!("MariaDB must be running for the tests ({server}): {e}"));
        let base = server.rsplit_once('/').unwrap().0;
        Db { url: format!("{base}/{name}"), mysql_name: Some(name), _dir: None }
    }

    pub fn open(&self) -> hma::Catalog {
        hma::Catalog::open(&self.url).unwrap()
    }

    /// Runs `hma` against this catalogue.
    pub fn hma(&self, args: &[&str]) -> Output {
        hma_cmd(&self.url, args)
    }

    /// Runs `hma`, expects exit 0, parses stdout as JSON.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let out = self.hma(args);
        assert_ok(&out, args);
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: bad JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
    }

    /// `hma ls --json` as a list.
    pub fn ls(&self) -> Vec<serde_json::Value> {
        let out = self.hma(&["ls", "--json"]);
        assert_ok(&out, &["ls"]);
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Some(n) = &self.mysql_name {
            let _ = hma_catalog::mysql_drop_database(&mysql_server(), n);
        }
    }
}

pub fn hma_cmd(url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hma"))
        .args(args)
        .args(["--catalog", url])
        .env("HMA_MACHINE", "test-machine")
        .env_remove("HMA_CATALOG")
        .output()
        .expect("run hma")
}

impl Db {
    /// The `hma` command against this catalogue with previews in `cache`
    /// (to run it, or to spawn it and kill it mid-job).
    pub fn hma_cached_command(&self, cache: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hma"));
        cmd.args(args)
            .args(["--catalog", &self.url])
            .env("HMA_MACHINE", "test-machine")
            .env("HMA_CACHE_DIR", cache)
            .env_remove("HMA_CATALOG");
        cmd
    }

    /// Runs `hma` against this catalogue with previews in `cache`.
    pub fn hma_cached(&self, cache: &Path, args: &[&str]) -> Output {
        self.hma_cached_command(cache, args).output().expect("run hma")
    }
}

/// Waits until `done()` (or `secs` pass), then kills `child` with SIGKILL
/// (kill -9) and reaps it: for the resume-after-kill tests.
pub fn kill_when(mut child: std::process::Child, secs: u64, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while !done() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Expects exit 0 and parses stdout as JSON.
pub fn ok_json(out: Output, what: &str) -> serde_json::Value {
    assert!(out.status.success(), "{what}: {:?} {}", out.status.code(), String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{what}: {e}"))
}

pub fn assert_ok(out: &Output, what: &[&str]) {
    assert!(
        out.status.success(),
        "hma {what:?} failed with {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs one test body on SQLite and on MariaDB.
#[macro_export]
macro_rules! catalog_test {
    ($name:ident, |$db:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            fn body($db: &common::Db) $body
            #[test]
            fn sqlite() {
                body(&common::Db::sqlite());
            }
            #[test]
            fn mariadb() {
                body(&common::Db::mariadb());
            }
        }
    };
}

/// A small JPEG whose pixels depend on `seed`, with EXIF when given.
pub fn jpeg(seed: u32, exif: Option<&ExifSpec>) -> Vec<u8> {
    let (w, h) = (64u32, 48u32);
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let v = x.wrapping_mul(7).wrapping_add(y.wrapping_mul(13)).wrapping_add(seed.wrapping_mul(2_654_435_761));
        image::Rgb([(v & 0xff) as u8, ((v >> 8) & 0xff) as u8, ((x * 4 + seed) & 0xff) as u8])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(&img).unwrap();
    match exif {
        Some(spec) => with_exif(&out, spec),
        None => out,
    }
}

/// A small JPEG (see [`jpeg`]) with a comment segment holding the failpoint
/// marker: with `HMA_FAILPOINTS` naming a stage, that stage panics, aborts
/// or hangs on this file, as a damaged file could make a reader do.
pub fn poisoned(seed: u32) -> Vec<u8> {
    let j = jpeg(seed, None);
    let mut out = j[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xFE, 0, (2 + hma_media::failpoint::MARKER.len()) as u8]);
    out.extend_from_slice(hma_media::failpoint::MARKER);
    out.extend_from_slice(&j[2..]);
    out
}

/// A JPEG with an APP1 EXIF segment holding `spec` inserted after its start marker.
pub fn with_exif(jpeg: &[u8], spec: &ExifSpec) -> Vec<u8> {
    let tiff = spec.tiff();
    let mut j = jpeg[..2].to_vec();
    j.extend_from_slice(&[0xFF, 0xE1]);
    j.extend_from_slice(&((2 + 6 + tiff.len()) as u16).to_be_bytes());
    j.extend_from_slice(b"Exif\0\0");
    j.extend_from_slice(&tiff);
    j.extend_from_slice(&jpeg[2..]);
    j
}

/// Writes `bytes` to `dir/rel`, creating folders.
pub fn put(dir: &Path, rel: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, bytes).unwrap();
    p
}

/// The committed fixture photos folder.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/photos")
}

/// Every file under `dir` with its bytes' hash and mtime, for proving
/// nothing was written.
pub fn snapshot(dir: &Path) -> Vec<(PathBuf, u64, std::time::SystemTime, u64)> {
    let mut v = Vec::new();
    for e in walk(dir) {
        let md = std::fs::symlink_metadata(&e).unwrap();
        if md.is_file() {
            let bytes = std::fs::read(&e).map(|b| xxhash_rust::xxh3::xxh3_64(&b)).unwrap_or(0);
            v.push((e, md.len(), md.modified().unwrap(), bytes));
        } else {
            v.push((e, 0, md.modified().unwrap(), 0));
        }
    }
    v.sort();
    v
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            let ft = e.file_type().unwrap();
            out.push(p.clone());
            if ft.is_dir() {
                stack.push(p);
            }
        }
    }
    out
}

/// Finds the `ls` entry whose path ends with `suffix`.
pub fn entry<'a>(ls: &'a [serde_json::Value], suffix: &str) -> &'a serde_json::Value {
    ls.iter().find(|e| e["path"].as_str().unwrap().ends_with(suffix)).unwrap_or_else(|| {
        panic!("no file ending in {suffix} in {:#?}", ls.iter().map(|e| e["path"].clone()).collect::<Vec<_>>())
    })
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Records a test that could not run here as skipped (in the file
/// `HMA_SKIP_LOG` names, which `scripts/test` counts), never as passed.
pub fn skip(line: &str) {
    eprintln!("skipped: {line}");
    if let Some(path) = std::env::var_os("HMA_SKIP_LOG") {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
            let _ = writeln!(f, "{line}");
        }
    }
}

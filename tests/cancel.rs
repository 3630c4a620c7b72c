//! Ctrl-C: SIGINT sent to the real `hma` in the middle of a scan, an
//! analysis, a detection and an export makes it stop at its next safe point,
//! say "cancelled" and exit 130, keeping what it finished; a cancel during
//! grouping is told to the caller as cancelled too (the engine, with the
//! stop asked for when grouping begins). Needs the fetched detection weights.

mod common;

use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common::put;

/// A noisy `w`×`h` JPEG: slow enough to decode and measure that a job over
/// a few dozen of them is still running when the signal comes.
fn photo(seed: u32, w: u32, h: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761) | 1;
    let img = image::RgbImage::from_fn(w, h, |px, py| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let v = ((px / 8 + py / 8 + seed) % 255) as u8;
        image::Rgb([v, v.wrapping_add((x & 31) as u8), (x >> 8) as u8 & 127])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(&img).unwrap();
    out
}

/// Sends SIGINT to `child` once `ready()` holds (or after `secs`), waits,
/// and checks the exit: 130 and "cancelled" on stderr.
fn interrupt(child: Child, secs: u64, what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while !ready() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let sent = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(sent.success(), "{what}: kill -INT failed");
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{what}: exit {:?}, stderr: {stderr}", out.status.code());
    assert!(stderr.contains("cancelled"), "{what}: {stderr}");
}

fn spawn(db: &common::Db, cache: &Path, args: &[&str]) -> Child {
    db.hma_cached_command(cache, args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
}

/// Rows in a table of the SQLite catalogue, read while the job writes (0
/// until the job has created it).
fn count(db: &common::Db, table: &str) -> i64 {
    use diesel::{Connection, RunQueryDsl};
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let path = db.url.strip_prefix("sqlite://").unwrap();
    let Ok(mut c) = diesel::SqliteConnection::establish(path) else { return 0 };
    diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}")).get_result::<N>(&mut c).map(|r| r.n).unwrap_or(0)
}

#[test]
fn sigint_stops_scan_analyze_detect_and_export_with_130() {
    let db = common::Db::sqlite();
    let lib = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let dest = tempfile::tempdir().unwrap();
    // 60 photos for the jobs, and for the scan alone a second root of 6,000
    // small pictures (text files would be skipped by the walk in a few
    // milliseconds, racing the signal: seen failing in CI): each is read,
    // hashed and catalogued, seconds of work.
    let many = tempfile::tempdir().unwrap();
    for i in 0..6_000u32 {
        put(many.path(), &format!("{:02}/n{i}.jpg", i % 50), &photo(i, 16, 16));
    }
    for i in 0..60u32 {
        put(lib.path(), &format!("photos/IMG_{i:04}.jpg"), &photo(i, 1600, 1200));
    }
    let before = common::snapshot(lib.path());
    db.json(&["root", "add", lib.path().to_str().unwrap(), "--name", "lib", "--json"]);
    db.json(&["root", "add", many.path().to_str().unwrap(), "--name", "many", "--json"]);

    // The scan's row is written as it begins (after Ctrl-C is handled).
    interrupt(spawn(&db, cache.path(), &["scan", "--json"]), 60, "scan", || count(&db, "scans") > 0);
    assert!(count(&db, "files") < 6_060, "the scan stopped part way");
    let s = db.json(&["scan", "--json"]);
    // However far the stopped scan got (the signal may come before its first
    // batch is committed), the rerun catalogues every picture once.
    assert_eq!(s["new"].as_u64().unwrap() + s["unchanged"].as_u64().unwrap(), 6_060, "the rerun goes on: {s}");
    // The other jobs work on the 60 photos.
    db.json(&["root", "remove", "many", "--json"]);

    interrupt(spawn(&db, cache.path(), &["analyze", "--only", "analyze", "--json"]), 120, "analyze", || {
        count(&db, "analyses") > 0
    });
    let done = count(&db, "analyses");
    assert!(done > 0 && done < 60, "the analysis stopped part way: {done} of 60");
    common::assert_ok(&db.hma_cached(cache.path(), &["analyze", "--only", "analyze", "--json"]), &["analyze"]);

    interrupt(spawn(&db, cache.path(), &["detect", "--json"]), 120, "detect", || count(&db, "detection_runs") > 0);
    let done = count(&db, "detection_runs");
    assert!(done > 0 && done < 60, "the detection stopped part way: {done} of 60");

    // Pick every photo, then export them.
    let photos: Vec<String> =
        (0..60).map(|i| lib.path().join(format!("photos/IMG_{i:04}.jpg")).display().to_string()).collect();
    let mut args = vec!["mark"];
    args.extend(photos.iter().map(String::as_str));
    args.extend(["--pick", "--json"]);
    db.json(&args);
    let dest_s = dest.path().to_str().unwrap();
    let exported = || std::fs::read_dir(dest.path()).map(|d| d.count()).unwrap_or(0) > 1;
    interrupt(spawn(&db, cache.path(), &["export", dest_s, "--json"]), 120, "export", exported);
    let e = db.json(&["export", dest_s, "--json"]);
    assert!(!e["already_there"].as_array().unwrap().is_empty(), "the copies made before the stop are kept: {e}");
    assert_eq!(e["already_there"].as_array().unwrap().len() + e["copied"].as_array().unwrap().len(), 60, "{e}");

    assert_eq!(before, common::snapshot(lib.path()), "no original was touched");
}

/// Asks the job to stop when a stage of the given name begins.
struct StopAt(&'static str, Arc<AtomicBool>);

impl hma::ProgressSink for StopAt {
    fn stage(&self, name: &str, _: Option<u64>) {
        if name == self.0 {
            self.1.store(true, Ordering::Relaxed);
        }
    }
    fn advance(&self, _: u64) {}
}

catalog_test!(a_cancel_during_grouping_is_told_as_cancelled, |db| {
    let lib = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    for i in 0..4u32 {
        put(lib.path(), &format!("IMG_{i}.jpg"), &photo(i, 320, 240));
    }
    db.json(&["root", "add", lib.path().to_str().unwrap(), "--name", "lib", "--json"]);
    db.json(&["scan", "--json"]);
    let mut ctx = hma::JobContext::system();
    ctx.machine = "test-machine".into();
    ctx.cache_dir = cache.path().to_path_buf();
    ctx.progress = Arc::new(StopAt("group", ctx.cancel.clone()));
    let mut cat = db.open();
    let sum = hma::analyze::analyze(&mut cat, &ctx, &Default::default()).unwrap();
    assert_eq!(sum.analysed, 4);
    assert!(sum.cancelled && sum.groups.is_none(), "{sum:?}");
    // The next run rebuilds the groups.
    ctx.cancel.store(false, Ordering::Relaxed);
    ctx.progress = Arc::new(hma::NoProgress);
    let sum = hma::analyze::analyze(&mut cat, &ctx, &Default::default()).unwrap();
    assert!(!sum.cancelled && sum.groups.is_some(), "{sum:?}");
});

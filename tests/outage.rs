//! The MariaDB server stops for 30 s in the middle of a scan, then comes
//! back: the scan stops with a clear error (it does not hang, panic or
//! write half a batch), the catalogue is whole when the server is back, and
//! the same command then finishes the job without a duplicate or a lost
//! file. Then the server restarts in the middle of an analysis, with the
//! same checks.
//!
//! It stops and starts the server the other tests share, so it is the only
//! test in this binary (`cargo test` runs the binaries one after another),
//! and it needs root and the server on this machine (as in CI: `.ci/run`
//! starts it the same way). Elsewhere it is recorded as skipped
//! (`HMA_SKIP_LOG`), never as passed.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{jpeg, put};

fn ping() -> bool {
    Command::new("mariadb-admin")
        .args(["-h", "127.0.0.1", "-P", "3306", "-u", "root", "--connect-timeout=2", "ping"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn stop_server() {
    let s = Command::new("mariadb-admin")
        .args(["-h", "127.0.0.1", "-P", "3306", "-u", "root", "shutdown"])
        .status()
        .expect("mariadb-admin");
    assert!(s.success(), "mariadb-admin shutdown");
    let t = Instant::now();
    while ping() {
        assert!(t.elapsed() < Duration::from_secs(60), "the server did not stop");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn start_server() {
    // As .ci/run and scripts/setup start it.
    let _ = std::fs::create_dir_all("/run/mysqld");
    let _ = Command::new("chown").args(["mysql:mysql", "/run/mysqld"]).status();
    let s = Command::new("start-stop-daemon")
        .args(["--start", "--oknodo", "--background", "--exec", "/usr/sbin/mariadbd"])
        .status()
        .expect("start-stop-daemon");
    assert!(s.success(), "start-stop-daemon");
    let t = Instant::now();
    while !ping() {
        assert!(t.elapsed() < Duration::from_secs(120), "the server did not come back");
        std::thread::sleep(Duration::from_millis(300));
    }
}

fn can_restart_the_server() -> bool {
    let root = Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0\n")).unwrap_or(false);
    let local = common::mysql_server().contains("@127.0.0.1:3306") || common::mysql_server().contains("@localhost");
    root && local && std::path::Path::new("/usr/sbin/mariadbd").exists() && ping()
}

fn skip(why: &str) {
    common::skip(&format!("outage: {why}"));
}

/// Starts `args`, takes the server away once `ready()` holds, and returns
/// the job's exit status and stderr (the job must end by itself).
fn stop_during(db: &common::Db, cache: &std::path::Path, args: &[&str], ready: impl Fn() -> bool) -> (i32, String) {
    let child = db.hma_cached_command(cache, args).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let t = Instant::now();
    while !ready() {
        assert!(t.elapsed() < Duration::from_secs(120), "the job never got going");
        std::thread::sleep(Duration::from_millis(20));
    }
    let stopped = Instant::now();
    stop_server();
    let out = child.wait_with_output().unwrap();
    assert!(stopped.elapsed() < Duration::from_secs(60), "the job hung after the server went away");
    // Down for 30 s, as a restart after a crash or an update takes.
    std::thread::sleep(Duration::from_secs(30).saturating_sub(stopped.elapsed()));
    start_server();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn mariadb_goes_away_mid_scan_and_mid_analysis() {
    if !can_restart_the_server() {
        skip("needs root and the MariaDB server of this machine (127.0.0.1:3306) to restart it");
        return;
    }
    let db = common::Db::mariadb();
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    let n = 3000u32;
    for i in 0..n {
        put(&lib, &format!("d{:02}/p{i:05}.jpg", i % 30), &jpeg(i, None));
    }
    let cache = tmp.path().join("cache");
    common::assert_ok(&db.hma(&["root", "add", lib.to_str().unwrap(), "--name", "r"]), &["root add"]);
    let before = common::snapshot(&lib);

    // The scan: the server goes once a batch is committed.
    let files = || db.json(&["status", "--json"])["files"].as_u64().unwrap_or(0);
    let (code, stderr) = stop_during(&db, &cache, &["scan", "--threads", "1"], || files() > 0);
    assert_eq!(code, 1, "a clear failure, not a crash: {stderr}");
    assert!(stderr.contains("database server stopped answering"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let partial = files();
    assert!(partial > 0 && partial < n as u64, "stopped mid-way: {partial} of {n}");
    // Back: the same command finishes, nothing twice.
    let s = db.json(&["scan", "--json"]);
    assert_eq!(s["new"].as_u64().unwrap() + partial, n as u64, "{s}");
    assert_eq!(files(), n as u64);
    assert_eq!(db.ls().len(), n as usize);

    // The analysis: the server goes once some pictures are analysed.
    let analysed = || db.open().analysis_counts().map(|c| c.0).unwrap_or(0);
    let (code, stderr) =
        stop_during(&db, &cache, &["analyze", "--only", "analyze", "--threads", "1"], || analysed() > 0);
    assert_eq!(code, 1, "a clear failure, not a crash: {stderr}");
    assert!(stderr.contains("database server stopped answering"), "{stderr}");
    let partial = analysed();
    assert!(partial > 0 && (partial as u32) < n, "stopped mid-way: {partial} of {n}");
    let s = db.json(&["analyze", "--only", "analyze", "--json"]);
    assert_eq!(s["analysed"].as_u64().unwrap() + partial as u64, n as u64, "{s}");
    assert_eq!(analysed() as u32, n);

    // The originals never changed.
    let after = common::snapshot(&lib);
    assert_eq!(after, before);
}

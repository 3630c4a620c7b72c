//! Bad input never stops a scan: each bad file is recorded with a clear
//! error and counted, the exit status says errors were seen (2), and a kill
//! in the middle of a scan loses nothing and duplicates nothing.

mod common;

use std::path::Path;
use std::process::Command;

use common::{jpeg, poisoned, put, snapshot};

/// Runs `hma` as an unprivileged user when we are root, so file permissions
/// mean what they mean for the app's users.
fn hma_as_user(url: &str, args: &[&str]) -> std::process::Output {
    let is_root = Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0\n")).unwrap_or(false);
    let mut cmd = if is_root {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"]).arg(env!("CARGO_BIN_EXE_hma"));
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_hma"))
    };
    cmd.args(args).args(["--catalog", url]).env("HMA_MACHINE", "test-machine").env_remove("HMA_CATALOG");
    cmd.output().expect("run hma")
}

fn open_up(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o777)).unwrap();
}

catalog_test!(bad_files_are_recorded_and_the_scan_goes_on, |db| {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    open_up(tmp.path());
    let lib = tmp.path().join("lib");
    let good = jpeg(7, Some(&common::ExifSpec::camera("2020:02:02 02:02:02")));
    put(&lib, "good.jpg", &good);
    put(&lib, "zero.jpg", b"");
    put(&lib, "truncated.jpg", &good[..good.len() / 2]);
    put(&lib, "random.jpg", &(0..5000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect::<Vec<_>>());
    put(&lib, "emoji 🎂/写真 Ünïcödé.jpg", &jpeg(8, None));
    let bad_name = lib.join(std::ffi::OsStr::from_bytes(b"latin1-\xE9t\xE9.jpg"));
    std::fs::write(&bad_name, jpeg(9, None)).unwrap();
    let locked = put(&lib, "locked/secret.jpg", &jpeg(10, None));
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    std::fs::create_dir_all(lib.join("loop")).unwrap();
    std::os::unix::fs::symlink("..", lib.join("loop/back-up")).unwrap();
    let sparse = std::fs::File::create(lib.join("huge-sparse.jpg")).unwrap();
    sparse.set_len((4u64 << 30) + 12345).unwrap();
    drop(sparse);
    // Let the unprivileged user walk everything but the locked file.
    for d in [lib.clone(), lib.join("emoji 🎂"), lib.join("locked"), lib.join("loop")] {
        open_up(&d);
    }
    for f in ["good.jpg", "zero.jpg", "truncated.jpg", "random.jpg", "huge-sparse.jpg", "emoji 🎂/写真 Ünïcödé.jpg"]
    {
        std::fs::set_permissions(lib.join(f), std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    std::fs::set_permissions(&bad_name, std::fs::Permissions::from_mode(0o644)).unwrap();
    let url = match db.url.strip_prefix("sqlite://") {
        Some(p) => {
            let dir = Path::new(p).parent().unwrap();
            open_up(dir);
            db.url.clone()
        }
        None => db.url.clone(),
    };
    let before = snapshot(&lib);
    let out = hma_as_user(&url, &["root", "add", lib.to_str().unwrap(), "--name", "bad"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = hma_as_user(&url, &["scan", "--json"]);
    assert_eq!(out.status.code(), Some(2), "errors seen → exit 2; stderr: {}", String::from_utf8_lossy(&out.stderr));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // zero, truncated, random, locked, huge (all zeros: not an image), the loop.
    assert_eq!(s["errors"], 6, "{s}");
    assert_eq!(s["seen"], 8, "{s}");
    let ls = db.ls();
    let err = |suffix: &str| common::entry(&ls, suffix)["error"].as_str().unwrap_or_default().to_string();
    assert_eq!(err("zero.jpg"), "empty file (0 bytes)");
    assert!(err("truncated.jpg").starts_with("truncated JPEG"), "{}", err("truncated.jpg"));
    assert!(err("random.jpg").starts_with("not a recognised image"), "{}", err("random.jpg"));
    assert!(err("locked/secret.jpg").contains("ermission denied"), "{}", err("locked/secret.jpg"));
    assert!(err("huge-sparse.jpg").starts_with("not a recognised image"), "{}", err("huge-sparse.jpg"));
    assert_eq!(common::entry(&ls, "huge-sparse.jpg")["size"], (4u64 << 30) + 12345);
    assert!(common::entry(&ls, "huge-sparse.jpg")["hash"].is_string(), "a 4 GiB file is hashed in bounded memory");
    assert_eq!(err("good.jpg"), "");
    assert_eq!(err("写真 Ünïcödé.jpg"), "");
    let latin = common::entry(&ls, "latin1-\\xE9t\\xE9.jpg");
    assert_eq!(latin["error"], serde_json::Value::Null);
    assert_eq!(latin["width"], 64);
    // The loop is reported as a problem of the scan.
    let mut cat = db.open();
    let scan_id = cat.scans(1).unwrap()[0].id;
    let problems = cat.problems(scan_id).unwrap();
    assert!(
        problems.iter().any(|p| p.rel_path.starts_with("loop/back-up") && p.message.contains("symbolic link loop")),
        "{problems:?}"
    );
    // A second scan duplicates nothing; the unreadable file is tried again.
    let out = hma_as_user(&url, &["scan", "--json"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(db.ls().len(), ls.len());
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut after = snapshot(&lib);
    for (a, b) in after.iter_mut().zip(before.iter()) {
        if a.0 == locked {
            a.3 = b.3; // it was unreadable before
        }
    }
    assert_eq!(after.len(), before.len());
    for (a, b) in after.iter().zip(before.iter()) {
        assert_eq!((&a.0, a.1, a.2), (&b.0, b.1, b.2), "unchanged");
    }
});

catalog_test!(killed_scan_resumes_without_loss_or_duplicates, |db| {
    let tmp = tempfile::tempdir().unwrap();
    let n = 6000u32;
    for i in 0..n {
        put(tmp.path(), &format!("d{:02}/p{i:05}.jpg", i % 40), &jpeg(i, None));
    }
    common::assert_ok(&db.hma(&["root", "add", tmp.path().to_str().unwrap(), "--name", "r"]), &["root add"]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_hma"))
        .args(["scan", "--threads", "1", "--catalog", &db.url])
        .env("HMA_MACHINE", "test-machine")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill -9 once some batches are committed, well before the end.
    let mut committed = 0;
    for _ in 0..2000 {
        std::thread::sleep(std::time::Duration::from_millis(10));
        committed = db.json(&["status", "--json"])["files"].as_u64().unwrap();
        if committed > 0 {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let partial = db.json(&["status", "--json"])["files"].as_u64().unwrap();
    assert!(committed > 0 && partial < n as u64, "the kill must land mid-scan (had {partial} of {n})");
    let s = db.json(&["scan", "--json"]);
    assert_eq!(s["seen"], n);
    assert_eq!(s["new"].as_u64().unwrap() + s["unchanged"].as_u64().unwrap(), n as u64, "{s}");
    assert_eq!(s["unchanged"].as_u64().unwrap(), partial, "{s}");
    let ls = db.ls();
    assert_eq!(ls.len(), n as usize);
    let mut paths: Vec<_> = ls.iter().map(|e| e["path"].as_str().unwrap().to_string()).collect();
    paths.sort();
    paths.dedup();
    assert_eq!(paths.len(), n as usize, "no duplicate rows");
    let again = db.json(&["scan", "--json"]);
    assert_eq!(again["unchanged"], n);
});

catalog_test!(a_panic_on_one_file_is_that_files_error_and_the_job_goes_on, |db| {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    for i in 0..3 {
        put(&lib, &format!("good{i}.jpg"), &jpeg(20 + i, None));
    }
    put(&lib, "poison.jpg", &poisoned(30));
    let cache = tmp.path().join("cache");
    let run = |failpoints: &str, args: &[&str]| {
        db.hma_cached_command(&cache, args).env("HMA_FAILPOINTS", failpoints).output().expect("run hma")
    };
    // The scanner's parsers panic on the poisoned file: it is catalogued
    // with the error, the others are not touched by it.
    let out = run("scan", &["root", "add", lib.to_str().unwrap(), "--name", "lib"]);
    common::assert_ok(&out, &["root add"]);
    let out = run("scan", &["scan", "--json"]);
    assert_eq!(out.status.code(), Some(2), "errors seen → exit 2; stderr: {}", String::from_utf8_lossy(&out.stderr));
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((s["seen"].as_u64(), s["new"].as_u64(), s["errors"].as_u64()), (Some(4), Some(4), Some(1)), "{s}");
    let ls = db.ls();
    let err = common::entry(&ls, "poison.jpg")["error"].as_str().unwrap_or_default().to_string();
    assert!(err.contains("internal error") && err.contains("failpoint scan"), "{err}");
    assert!(common::entry(&ls, "poison.jpg")["hash"].is_string(), "hashed all the same");
    assert_eq!(common::entry(&ls, "good0.jpg")["error"], serde_json::Value::Null);
    // The analysis panics on it: recorded against it, the rest analysed.
    let out = run("analyze", &["analyze", "--json"]);
    assert_eq!(out.status.code(), Some(2), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((s["analysed"].as_u64(), s["failed"].as_u64()), (Some(3), Some(1)), "{s}");
    let f = &s["failures"][0];
    assert!(f["path"].as_str().unwrap().ends_with("poison.jpg"), "{s}");
    assert!(f["error"].as_str().unwrap().contains("failpoint analyze"), "{s}");
    // Recorded: the next run does not try it again.
    let s: serde_json::Value = serde_json::from_slice(&run("", &["analyze", "--json"]).stdout).unwrap();
    assert_eq!((s["analysed"].as_u64(), s["failed"].as_u64()), (Some(0), Some(0)), "{s}");
    // The one-pass import of a second folder: the same, every stage armed.
    let lib2 = tmp.path().join("lib2");
    put(&lib2, "good.jpg", &jpeg(40, None));
    put(&lib2, "poison2.jpg", &poisoned(41));
    let out = run("scan,analyze", &["import", lib2.to_str().unwrap(), "--skip", "detect,faces", "--json"]);
    let s: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!((s["new"].as_u64(), s["analysed"].as_u64(), s["failed"].as_u64()), (Some(2), Some(1), Some(1)), "{s}");
    assert!(s["failures"][0]["path"].as_str().unwrap().ends_with("poison2.jpg"), "{s}");
});

//! A file that crashes the reader (an abort, as a fault in C code would)
//! or keeps it busy for ever costs that file, not the job: the jobs run in
//! a supervised process, which pins the crash or the hang on the file,
//! records it as the file's error and starts the job again where it
//! stopped (`hma::supervise`). Injected with `HMA_FAILPOINTS` on files that
//! carry the failpoint marker.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::{jpeg, poisoned, put};

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn summary(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: stdout {} stderr {}", String::from_utf8_lossy(&out.stdout), stderr(out)))
}

/// The analysis error of each file (None: analysed well), from `hma show`.
fn analysis_error(db: &common::Db, path: &Path) -> Option<String> {
    let v = db.json(&["show", path.to_str().unwrap(), "--json"]);
    let q = &v["quality"];
    assert!(q.is_object(), "{} has no analysis: {v}", path.display());
    match q["error"].as_str() {
        Some(e) => Some(e.to_string()),
        None => {
            assert!(q["score"].is_number(), "analysed and scored: {v}");
            None
        }
    }
}

catalog_test!(a_crash_in_the_reader_is_that_files_error_and_the_job_goes_on, |db| {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    let good: Vec<_> = (0..9).map(|i| put(&lib, &format!("good{i}.jpg"), &jpeg(60 + i, None))).collect();
    let bad: Vec<_> = (0..3).map(|i| put(&lib, &format!("crash{i}.jpg"), &poisoned(80 + i))).collect();
    let cache = tmp.path().join("cache");
    let run = |failpoints: &str, args: &[&str]| {
        db.hma_cached_command(&cache, args).env("HMA_FAILPOINTS", failpoints).output().expect("run hma")
    };
    common::assert_ok(&run("", &["root", "add", lib.to_str().unwrap(), "--name", "lib"]), &["root add"]);
    common::assert_ok(&run("", &["scan"]), &["scan"]);
    // Four threads: a crash finds up to four files in flight, and the
    // supervisor has to find the one (each suspect read alone).
    let out = run("analyze=abort", &["analyze", "--only", "analyze", "--threads", "4", "--json"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "files with errors → 2: {err}");
    assert!(err.contains("made the reader crash (SIGABRT) while decoding and measuring it"), "{err}");
    let s = summary(&out);
    assert!(s["failures"].as_array().unwrap().iter().all(|f| f["path"].as_str().unwrap().contains("crash")), "{s}");
    for p in &bad {
        let e = analysis_error(db, p).unwrap_or_else(|| panic!("{} recorded without error", p.display()));
        assert!(e.contains("made the reader crash (SIGABRT)") && e.contains("skipped"), "{e}");
    }
    for p in &good {
        assert_eq!(analysis_error(db, p), None, "{} analysed", p.display());
    }
    // Recorded: the next run reads none of them again, even armed.
    let s = summary(&run("analyze=abort", &["analyze", "--only", "analyze", "--json"]));
    assert_eq!((s["analysed"].as_u64(), s["failed"].as_u64()), (Some(0), Some(0)), "{s}");
});

catalog_test!(a_file_that_hangs_the_reader_is_stopped_at_the_limit_and_recorded, |db| {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    let good: Vec<_> = (0..4).map(|i| put(&lib, &format!("good{i}.jpg"), &jpeg(90 + i, None))).collect();
    let stuck = put(&lib, "stuck.jpg", &poisoned(99));
    let cache = tmp.path().join("cache");
    let run = |failpoints: &str, args: &[&str]| {
        db.hma_cached_command(&cache, args)
            .env("HMA_FAILPOINTS", failpoints)
            .env("HMA_FILE_LIMIT", "2")
            .output()
            .expect("run hma")
    };
    common::assert_ok(&run("", &["root", "add", lib.to_str().unwrap(), "--name", "lib"]), &["root add"]);
    // The scanner's reading of its metadata never ends: stopped after 2 s.
    let t = Instant::now();
    let out = run("scan=hang", &["scan", "--json"]);
    assert!(t.elapsed() < Duration::from_secs(60), "stopped at the limit, took {:?}", t.elapsed());
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("a file took longer than 2 s while reading its metadata"), "{err}");
    let s = summary(&out);
    assert_eq!((s["seen"].as_u64(), s["errors"].as_u64()), (Some(5), Some(1)), "{s}");
    let ls = db.ls();
    assert_eq!(ls.len(), 5, "every file catalogued once");
    let e = common::entry(&ls, "stuck.jpg")["error"].as_str().unwrap_or_default().to_string();
    assert!(e.contains("took longer than 2 s while reading its metadata"), "{e}");
    assert_eq!(common::entry(&ls, "good0.jpg")["error"], serde_json::Value::Null);
    // The same in the analysis.
    let out = run("analyze=hang", &["analyze", "--only", "analyze", "--json"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let e = analysis_error(db, &stuck).expect("stuck.jpg recorded with its error");
    assert!(e.contains("took longer than 2 s while decoding and measuring it"), "{e}");
    for p in &good {
        assert_eq!(analysis_error(db, p), None, "{} analysed", p.display());
    }
});

/// The child of a supervisor `parent` (Linux: /proc).
fn child_of(parent: u32) -> Option<u32> {
    let t = std::fs::read_to_string(format!("/proc/{parent}/task/{parent}/children")).ok()?;
    t.split_whitespace().next()?.parse().ok()
}

/// Gone, or a zombie waiting for a reaper.
fn ended(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(s) => s.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

fn wait_for<T>(secs: u64, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if let Some(v) = f() {
            return Some(v);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

#[test]
fn the_job_ends_with_its_supervisor_and_hears_its_ctrl_c() {
    let db = common::Db::sqlite();
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    put(&lib, "good.jpg", &jpeg(1, None));
    put(&lib, "stuck.jpg", &poisoned(2));
    let cache = tmp.path().join("cache");
    common::assert_ok(&db.hma_cached(&cache, &["root", "add", lib.to_str().unwrap()]), &["root add"]);
    let start = |limit: &str| {
        db.hma_cached_command(&cache, &["scan"])
            .env("HMA_FAILPOINTS", "scan=hang")
            .env("HMA_FILE_LIMIT", limit)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    // kill -9 of the supervisor: its job ends with it (no orphan writing on).
    let mut parent = start("300");
    let child = wait_for(30, || child_of(parent.id())).expect("the supervised job starts");
    parent.kill().unwrap();
    parent.wait().unwrap();
    assert!(wait_for(5, || ended(child).then_some(())).is_some(), "the job {child} ended with its supervisor");
    // Ctrl-C (SIGINT to the supervisor alone) is passed on; the stuck file
    // holds the job until the limit, then it is stopped and not restarted.
    let parent = start("3");
    let child = wait_for(30, || child_of(parent.id())).expect("the supervised job starts");
    std::thread::sleep(Duration::from_millis(300));
    assert!(Command::new("kill").args(["-INT", &parent.id().to_string()]).status().unwrap().success());
    let t = Instant::now();
    let out = parent.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    assert!(t.elapsed() < Duration::from_secs(30), "{:?}", t.elapsed());
    assert!(stderr(&out).contains("cancelled"), "{}", stderr(&out));
    assert!(ended(child));
}

catalog_test!(a_file_that_crashed_one_decoding_stage_is_not_read_by_the_others, |db| {
    // Needs the fetched weights (scripts/fetch-models): objects and faces run.
    hma::detect::load_detector(&hma::default_models_dir()).unwrap_or_else(|e| panic!("{e}"));
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    put(&lib, "good.jpg", &jpeg(70, None));
    put(&lib, "crash.jpg", &poisoned(71));
    let cache = tmp.path().join("cache");
    // Every stage that decodes pixels aborts on it: the measuring, the
    // objects, the faces. One crash condemns it in all three.
    let out = db
        .hma_cached_command(&cache, &["import", lib.to_str().unwrap(), "--threads", "1", "--json"])
        .env("HMA_FAILPOINTS", "analyze=abort,detect=abort,faces=abort")
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.matches("made the reader crash").count(), 1, "one crash, not one a stage: {err}");
    let s = summary(&out);
    assert!(
        s["failures"].as_array().unwrap().iter().any(|f| f["path"].as_str().unwrap().ends_with("crash.jpg")
            && f["error"].as_str().unwrap().contains("made the reader crash (SIGABRT)")),
        "{s}"
    );
    let e = analysis_error(db, &lib.join("crash.jpg")).expect("recorded");
    assert!(e.contains("SIGABRT"), "{e}");
    assert_eq!(analysis_error(db, &lib.join("good.jpg")), None);
});

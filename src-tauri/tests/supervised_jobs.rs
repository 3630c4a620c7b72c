//! The app's scan and analysis run in a supervised job process (`hma-app
//! --job`): a file that crashes the reader (an injected abort, as a fault
//! in C code would) is that file's recorded error, and the app's job ends
//! with its summary instead of taking the app down.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use hma::ProgressSink;
use hma_app::{supervised_job, JobRequest};

#[derive(Default)]
struct Seen {
    stages: Mutex<Vec<String>>,
    done: AtomicU64,
}

impl ProgressSink for Seen {
    fn stage(&self, name: &str, _: Option<u64>) {
        self.stages.lock().unwrap().push(name.to_string());
    }
    fn advance(&self, n: u64) {
        self.done.fetch_add(n, Ordering::Relaxed);
    }
}

/// A small JPEG, with the failpoint marker in a comment when `poisoned`.
fn jpeg(seed: u32, poisoned: bool) -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([(x * 3 + seed) as u8, (y * 5) as u8, (x ^ y) as u8]));
    let mut j = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut j, 90).encode_image(&img).unwrap();
    if !poisoned {
        return j;
    }
    let m = hma_media::failpoint::MARKER;
    let mut out = j[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xFE, 0, (2 + m.len()) as u8]);
    out.extend_from_slice(m);
    out.extend_from_slice(&j[2..]);
    out
}

#[test]
fn a_file_that_crashes_the_reader_is_recorded_and_the_apps_job_ends_well() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    std::fs::create_dir_all(&lib).unwrap();
    for i in 0..4 {
        std::fs::write(lib.join(format!("good{i}.jpg")), jpeg(i, false)).unwrap();
    }
    std::fs::write(lib.join("crash.jpg"), jpeg(9, true)).unwrap();
    let url = format!("sqlite://{}", tmp.path().join("c.db").display());
    let mut ctx = hma::JobContext::system();
    ctx.machine = "test-machine".into();
    ctx.cache_dir = tmp.path().join("cache");
    let mut cat = hma::Catalog::open(&url).unwrap();
    hma::roots::add_root(&mut cat, &lib, Some("lib"), false, &ctx).unwrap();
    drop(cat);
    // The job process inherits the environment: its analysis aborts on the
    // marked file (the scan reads each new picture's pixels too).
    std::env::set_var("HMA_FAILPOINTS", "analyze=abort");
    let req = JobRequest {
        kind: "scan".into(),
        force: false,
        url: url.clone(),
        machine: ctx.machine.clone(),
        cache_dir: ctx.cache_dir.clone(),
        threads: 2,
    };
    let seen = Arc::new(Seen::default());
    let exe = std::path::Path::new(env!("CARGO_BIN_EXE_hma-app"));
    let sum = supervised_job(exe, &req, seen.clone(), &AtomicBool::new(false)).expect("the job ends with its summary");
    assert_eq!(sum["new"], 5, "{sum}");
    assert_eq!(sum["failed"], 1, "{sum}");
    let f = &sum["failures"][0];
    assert!(f["path"].as_str().unwrap().ends_with("crash.jpg"), "{sum}");
    assert!(f["error"].as_str().unwrap().contains("made the reader crash (SIGABRT)"), "{sum}");
    assert!(!seen.stages.lock().unwrap().is_empty() && seen.done.load(Ordering::Relaxed) > 0, "progress came through");
    // The catalogue holds it: an analysis of everything left finds nothing.
    let req = JobRequest { kind: "analyze".into(), ..req };
    let sum = supervised_job(exe, &req, seen, &AtomicBool::new(false)).unwrap();
    assert_eq!(sum["failed"], 0, "{sum}");
    // An unknown job is refused with our code, not a crash.
    let req = JobRequest { kind: "format-disk".into(), ..req };
    let e = supervised_job(exe, &req, Arc::new(Seen::default()), &AtomicBool::new(false)).unwrap_err();
    assert_eq!(e.code, "invalid", "{}", e.message);
}

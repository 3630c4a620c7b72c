//! `hma worker` (issue 18, part 3): several machines share one MariaDB
//! catalogue's analysis. Three worker processes, each with its own machine
//! name, its own mount of the roots (hard-linked copies at other paths)
//! and its own cache, analyse a library; one is killed with -9 while it
//! holds a batch. The result must equal a single machine's run, every
//! picture stored exactly once, and a machine without a root's mount never
//! touches its files. An embedded SQLite catalogue refuses workers.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{assert_ok, put, Db, ExifSpec};

/// Pictures in the test (HMA_WORKER_PICTURES for a bigger run: the note's 3,000).
fn pictures() -> usize {
    std::env::var("HMA_WORKER_PICTURES").ok().and_then(|s| s.parse().ok()).unwrap_or(240)
}

/// A 320×240 picture whose content, sharpness and exposure vary with `i`;
/// every fifth is the frame after the one before (a burst: same camera,
/// one second later) and every 25th an exact copy of the one before.
fn library(home: &Path, extra: &Path, n: usize) {
    let mut last = Vec::new();
    for i in 0..n {
        let bytes = if i % 25 == 24 {
            last.clone()
        } else {
            let (w, h) = (320u32, 240u32);
            // A burst frame is the frame before, a little brighter.
            let burst = i % 5 == 4;
            let k = if burst { i - 1 } else { i } as u32;
            let dark = (k % 7) as f32 / 7.0;
            let img = image::RgbImage::from_fn(w, h, |x, y| {
                let v = ((x * (1 + k % 5) + y * 3 + k * 37) % 256) as f32;
                let stripe = if (x / (4 + k % 9)).is_multiple_of(2) { 40.0 } else { 0.0 };
                let l = ((v * 0.6 + stripe) * (1.0 - dark * 0.8) + if burst { 12.0 } else { 0.0 }).min(255.0) as u8;
                image::Rgb([l, l.wrapping_add((k % 50) as u8), 255 - l])
            });
            let mut out = Vec::new();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 60 + (i % 35) as u8)
                .encode_image(&img)
                .unwrap();
            let minute = if i % 5 == 4 { i - 1 } else { i };
            let spec = ExifSpec {
                make: Some("TestCam".into()),
                model: Some("W1".into()),
                taken: Some(format!(
                    "2026:03:{:02} 10:{:02}:{:02}",
                    1 + minute / 600,
                    (minute / 10) % 60,
                    (minute % 10) * 5 + usize::from(i % 5 == 4)
                )),
                ..Default::default()
            };
            common::with_exif(&out, &spec)
        };
        // A tenth of the pictures live on the second root.
        let dir = if i % 10 == 3 { extra } else { home };
        put(dir, &format!("{:02}/p{i:05}.jpg", i / 100), &bytes);
        last = bytes;
    }
}

/// A hard-linked copy of `from` at `to`: the same files under another path,
/// as another machine's mount would show them.
fn mount(from: &Path, to: &Path) {
    let ok = Command::new("cp").arg("-al").arg(from).arg(to).status().unwrap().success();
    assert!(ok, "cp -al {} {}", from.display(), to.display());
}

fn hma_on(db: &Db, machine: &str, cache: &Path, args: &[&str]) -> Command {
    let mut c = db.hma_cached_command(cache, args);
    c.env("HMA_MACHINE", machine);
    c
}

fn run_ok(mut c: Command, what: &[&str]) -> serde_json::Value {
    let out = c.output().unwrap();
    assert_ok(&out, what);
    serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
}

/// Every picture's stored quality: path → (score, parts), and its group.
fn results(db: &Db, cache: &Path, machine: &str) -> Vec<(String, String)> {
    let mut c = hma_on(db, machine, cache, &["ls", "--json"]);
    let out = c.output().unwrap();
    assert_ok(&out, &["ls"]);
    let mut rows = Vec::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let f: serde_json::Value = serde_json::from_str(line).unwrap();
        let path = f["path"].as_str().unwrap().to_string();
        let show = run_ok(hma_on(db, machine, cache, &["show", &path, "--json"]), &["show"]);
        let q = &show["quality"];
        let g = &show["group"];
        // Paths differ between machines; the part under the root does not.
        let rel = path.split("/home/").last().unwrap().split("/extra/").last().unwrap().to_string();
        rows.push((rel, format!("{} {} {} {} {}", q["score"], q["scores"], g["kind"], g["size"], g["rank"])));
    }
    rows.sort();
    rows
}

fn workers(db: &Db, cache: &Path) -> serde_json::Value {
    run_ok(hma_on(db, "m0", cache, &["status", "--workers", "--json"]), &["status", "--workers"])
}

/// `hma worker` for analysis on `machine`, one thread, a 2-s lease.
fn spawn_worker(db: &Db, machine: &str, cache: &Path, batch: &str) -> Child {
    let args = [
        "worker",
        "--jobs",
        "analyze",
        "--lease",
        "2s",
        "--batch",
        batch,
        "--exit-when-idle",
        "--threads",
        "1",
        "--json",
    ];
    hma_on(db, machine, cache, &args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
}

#[test]
fn workers_refuse_an_embedded_catalogue() {
    let db = Db::sqlite();
    let cache = tempfile::tempdir().unwrap();
    let out = db.hma_cached(cache.path(), &["worker", "--jobs", "analyze", "--exit-when-idle"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("belongs to one machine") && err.contains("mysql://"), "{err}");
}

#[test]
fn three_workers_one_killed_store_what_one_machine_stores() {
    let n = pictures();
    let top = tempfile::tempdir().unwrap();
    let (home, extra) = (top.path().join("m0/home"), top.path().join("m0/extra"));
    library(&home, &extra, n);
    let before = common::snapshot(&top.path().join("m0"));

    // One machine, the usual way: the reference.
    let solo = Db::mariadb();
    let solo_cache = tempfile::tempdir().unwrap();
    for (root, name) in [(&home, "home"), (&extra, "extra")] {
        run_ok(
            hma_on(&solo, "m0", solo_cache.path(), &["root", "add", root.to_str().unwrap(), "--name", name]),
            &["root add"],
        );
    }
    run_ok(hma_on(&solo, "m0", solo_cache.path(), &["scan", "--json"]), &["scan"]);
    run_ok(hma_on(&solo, "m0", solo_cache.path(), &["analyze", "--only", "analyze", "--json"]), &["analyze"]);

    // The shared catalogue: m0 scans; m1, m2 and m3 each mount the roots
    // somewhere else (m3 has no mount of `extra`).
    let db = Db::mariadb();
    let c0 = tempfile::tempdir().unwrap();
    for (root, name) in [(&home, "home"), (&extra, "extra")] {
        run_ok(hma_on(&db, "m0", c0.path(), &["root", "add", root.to_str().unwrap(), "--name", name]), &["root add"]);
    }
    run_ok(hma_on(&db, "m0", c0.path(), &["scan", "--json"]), &["scan"]);
    let caches: Vec<tempfile::TempDir> = (0..4).map(|_| tempfile::tempdir().unwrap()).collect();
    for m in ["m1", "m2", "m3"] {
        std::fs::create_dir_all(top.path().join(m)).unwrap();
        mount(&home, &top.path().join(m).join("home"));
        run_ok(
            hma_on(&db, m, c0.path(), &["root", "relocate", "home", top.path().join(m).join("home").to_str().unwrap()]),
            &["relocate"],
        );
        if m != "m3" {
            mount(&extra, &top.path().join(m).join("extra"));
            run_ok(
                hma_on(
                    &db,
                    m,
                    c0.path(),
                    &["root", "relocate", "extra", top.path().join(m).join("extra").to_str().unwrap()],
                ),
                &["relocate"],
            );
        }
    }
    // A machine with no mount at all finds nothing it can do.
    let none = run_ok(
        hma_on(&db, "m9", caches[3].path(), &["worker", "--jobs", "analyze", "--exit-when-idle", "--json"]),
        &["worker m9"],
    );
    assert_eq!((none["batches"].as_u64(), none["unavailable"].as_u64()), (Some(0), Some(0)), "{none}");
    let queued: u64 = workers(&db, c0.path())["queue"][0]["waiting"].as_u64().unwrap();
    let contents = n - n / 25;
    assert_eq!(queued as usize, contents, "every content queued once");

    // Three workers; m1 is killed with -9 as soon as it has stored a batch
    // (and holds the next one).
    let mut w1 = spawn_worker(&db, "m1", caches[0].path(), "8");
    let w2 = spawn_worker(&db, "m2", caches[1].path(), "8");
    let w3 = spawn_worker(&db, "m3", caches[2].path(), "8");
    let start = Instant::now();
    let mut cat = db.open();
    let ms = || std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    let mut held;
    loop {
        if let Some(m1) = cat.workers().unwrap().into_iter().find(|w| w.machine == "m1") {
            held = cat.held_by(&m1.id, ms()).unwrap();
            if m1.done > 0 && held > 0 {
                break;
            }
        }
        assert!(start.elapsed() < Duration::from_secs(120), "m1 never stored a batch");
        std::thread::sleep(Duration::from_millis(5));
    }
    w1.kill().unwrap();
    w1.wait().unwrap();
    println!(
        "m1 killed after {:?} holding {held} pictures; queue then: {:?}",
        start.elapsed(),
        cat.queue_counts(ms()).unwrap()
    );
    let out2 = w2.wait_with_output().unwrap();
    let out3 = w3.wait_with_output().unwrap();
    for (o, m) in [(&out2, "m2"), (&out3, "m3")] {
        assert!(o.status.success(), "{m}: {}", String::from_utf8_lossy(&o.stderr));
    }
    let s2: serde_json::Value = serde_json::from_slice(&out2.stdout).unwrap();
    let s3: serde_json::Value = serde_json::from_slice(&out3.stdout).unwrap();
    println!("m2: {s2}\nm3: {s3}");

    // The queue is empty; every content was stored exactly once (what the
    // killed worker stored counts; its claimed batch was done by another).
    let status = workers(&db, c0.path());
    assert!(status["queue"].as_array().unwrap().iter().all(|q| q["waiting"] == 0), "{status}");
    let rows = status["workers"].as_array().unwrap();
    let done: i64 = rows.iter().map(|w| w["done"].as_i64().unwrap()).sum();
    assert_eq!(done as usize, contents, "stored once each: {status}");
    assert_eq!(s2["lost"].as_u64().unwrap() + s3["lost"].as_u64().unwrap(), 0, "{status}");
    let m1 = rows.iter().find(|w| w["machine"] == "m1").unwrap();
    assert!(m1["done"].as_i64().unwrap() > 0 && m1["alive"] == false, "{m1}");
    assert!(s2["done"]["analyze"].as_u64().unwrap() > 0 && s3["done"]["analyze"].as_u64().unwrap() > 0, "{status}");

    // m3 has no mount of `extra`: none of its pictures went through m3
    // (its cache holds no preview of them).
    // (A content also on `home`, an exact copy, m3 may do.)
    let hashes = |root: &Path| -> std::collections::HashSet<String> {
        walk(root)
            .iter()
            .map(|f| format!("{:016x}", hma_media::ContentHash::of(&std::fs::read(f).unwrap()).0))
            .collect()
    };
    let extra_hashes: Vec<String> = hashes(&extra).difference(&hashes(&home)).cloned().collect();
    assert!(extra_hashes.len() >= n / 10 - n / 25, "{}", extra_hashes.len());
    let m3_previews: Vec<String> =
        walk(caches[2].path()).iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert!(!m3_previews.is_empty());
    for h in &extra_hashes {
        assert!(!m3_previews.iter().any(|p| p.starts_with(h.as_str())), "m3 analysed {h} of a root it has no mount of");
    }

    // The same scores and groups as one machine's run.
    let shared = results(&db, c0.path(), "m0");
    let reference = results(&solo, solo_cache.path(), "m0");
    assert_eq!(shared.len(), n);
    for (a, b) in shared.iter().zip(&reference) {
        assert_eq!(a, b);
    }
    let kinds: std::collections::BTreeSet<&str> = reference.iter().filter_map(|(_, r)| r.split(' ').nth(2)).collect();
    assert!(kinds.contains("\"exact\"") && kinds.contains("\"burst\""), "the library has copies and bursts: {kinds:?}");
    assert_eq!(common::snapshot(&top.path().join("m0")), before, "originals untouched");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Kills every other connection to the catalogue's database (as a server
/// restart or a network cut would drop them). Returns how many.
fn kill_connections(url: &str) -> usize {
    use diesel::prelude::*;
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
    }
    let mut c = diesel::MysqlConnection::establish(url).unwrap();
    let ids: Vec<Id> = diesel::sql_query(
        "SELECT CAST(id AS SIGNED) AS id FROM information_schema.processlist WHERE db = DATABASE() AND id <> CONNECTION_ID()",
    )
    .load(&mut c)
    .unwrap();
    for i in &ids {
        // A connection may end by itself meanwhile.
        let _ = diesel::sql_query(format!("KILL CONNECTION {}", i.id)).execute(&mut c);
    }
    ids.len()
}

#[test]
fn a_worker_survives_losing_its_connection() {
    let n = 200;
    let top = tempfile::tempdir().unwrap();
    let (home, extra) = (top.path().join("home"), top.path().join("extra"));
    library(&home, &extra, n);
    let db = Db::mariadb();
    let cache = tempfile::tempdir().unwrap();
    for (root, name) in [(&home, "home"), (&extra, "extra")] {
        run_ok(
            hma_on(&db, "m0", cache.path(), &["root", "add", root.to_str().unwrap(), "--name", name]),
            &["root add"],
        );
    }
    run_ok(hma_on(&db, "m0", cache.path(), &["scan", "--json"]), &["scan"]);
    let mut w = spawn_worker(&db, "m0", cache.path(), "4");
    // Twice, while it works: every connection it has is dropped.
    let mut cat = db.open();
    let start = Instant::now();
    let mut killed = 0;
    for at in [8, 80] {
        loop {
            let done = cat.workers().unwrap().first().map_or(0, |w| w.done);
            if done >= at {
                break;
            }
            if w.try_wait().unwrap().is_some() || start.elapsed() > Duration::from_secs(120) {
                let _ = w.kill();
                let out = w.wait_with_output().unwrap();
                panic!(
                    "the worker stopped before storing {at} ({done} stored): {}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        drop(cat);
        killed += kill_connections(&db.url);
        cat = db.open();
    }
    let out = w.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    println!("killed {killed} connections; worker: {s}");
    assert!(killed >= 2, "its connections were there to kill");
    assert!(s["reconnects"].as_u64().unwrap() >= 1, "{s}");
    // Nothing lost, nothing twice: every content stored once, none left.
    let contents = n - n / 25;
    let status = workers(&db, cache.path());
    assert!(status["queue"].as_array().unwrap().iter().all(|q| q["waiting"] == 0), "{status}");
    assert_eq!(status["workers"][0]["done"].as_u64(), Some(contents as u64), "{status}");
    let again = run_ok(hma_on(&db, "m0", cache.path(), &["analyze", "--only", "analyze", "--json"]), &["analyze"]);
    assert_eq!((again["analysed"].as_u64(), again["unchanged"].as_u64()), (Some(0), Some(n as u64)), "{again}");
}

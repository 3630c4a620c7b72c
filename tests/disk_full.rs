//! A full disk, for real: small tmpfs folders mounted for the test hold the
//! preview cache, the SQLite catalogue and an export folder in turn. Each
//! job stops or fails with a clear error that names the full place, nothing
//! is left half-written (no torn preview, no partial copy, a catalogue that
//! opens and passes SQLite's integrity check), and once there is room the
//! same command finishes the job without a duplicate.
//!
//! Mounting needs root (as in CI, where `.ci/run` runs as root); elsewhere
//! the test is recorded as skipped (`HMA_SKIP_LOG`), never as passed.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{files_under, put};

/// A tmpfs of `size` mounted on a new folder, unmounted when dropped.
struct SmallDisk {
    dir: PathBuf,
}

impl SmallDisk {
    fn mount(at: &Path, size: &str) -> SmallDisk {
        std::fs::create_dir_all(at).unwrap();
        let s = Command::new("mount").args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"]).arg(at).status();
        assert!(s.is_ok_and(|s| s.success()), "mount a tmpfs at {}", at.display());
        SmallDisk { dir: at.to_path_buf() }
    }

    /// Room again: the same folder, with its files, grown.
    fn grow(&self, size: &str) {
        let s = Command::new("mount").args(["-o", &format!("remount,size={size}")]).arg(&self.dir).status();
        assert!(s.is_ok_and(|s| s.success()), "remount {}", self.dir.display());
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
    }
}

fn can_mount() -> bool {
    let root = Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0\n")).unwrap_or(false);
    if !root {
        return false;
    }
    // A container may be root without the right to mount.
    let probe = tempfile::tempdir().unwrap();
    let ok = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
        .arg(probe.path())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        let _ = Command::new("umount").arg(probe.path()).status();
    }
    ok
}

fn skip(what: &str) {
    common::skip(&format!("disk_full::{what}: needs root and the right to mount a tmpfs"));
}

/// A photo-like JPEG of 640×480 (about 100–150 KB; its previews are tens
/// of KB), different for each seed.
fn photo(seed: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(640, 480, |x, y| {
        let n = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503) ^ seed.wrapping_mul(97)) >> 27;
        let v = ((x * (seed % 7 + 3) / 9 + y * (seed % 5 + 2) / 7) % 200) as u8;
        image::Rgb([v.wrapping_add(n as u8 * 3), 255 - v, (v / 2).wrapping_add((seed * 31) as u8)])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92).encode_image(&img).unwrap();
    out
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn a_full_preview_cache_stops_the_analysis_and_the_rerun_finishes() {
    if !can_mount() {
        return skip("a_full_preview_cache_stops_the_analysis_and_the_rerun_finishes");
    }
    let db = common::Db::sqlite();
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    let n = 60;
    for i in 0..n {
        put(&lib, &format!("p{i:03}.jpg"), &photo(i));
    }
    let before = common::snapshot(&lib);
    let disk = SmallDisk::mount(&tmp.path().join("cachefs"), "1m");
    let cache = disk.dir.join("cache");
    common::assert_ok(&db.hma(&["root", "add", lib.to_str().unwrap(), "--name", "r"]), &["root add"]);
    common::assert_ok(&db.hma_cached(&cache, &["scan"]), &["scan"]);

    let out = db.hma_cached(&cache, &["analyze", "--only", "analyze", "--threads", "1"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "a clear stop: {err}");
    assert!(err.contains("the disk holding the preview cache") && err.contains("is full"), "{err}");
    assert!(err.contains(&cache.display().to_string()) && err.contains("run the same command"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let analysed = || db.open().analysis_counts().unwrap();
    let (done, failed) = analysed();
    assert!(done > 0 && done < n as i64, "stopped part-way: {done} of {n}");
    assert_eq!(failed, 0, "a full disk is not the pictures' fault: nothing recorded as failed");
    // Every preview there is whole; no temporary is left behind.
    for f in files_under(&cache) {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.ends_with(".jpg") && !name.starts_with('.'), "left behind: {}", f.display());
        assert!(image::open(&f).is_ok(), "a torn preview: {}", f.display());
    }

    disk.grow("64m");
    let s = common::ok_json(db.hma_cached(&cache, &["analyze", "--only", "analyze", "--json"]), "analyze again");
    assert_eq!(s["analysed"].as_i64().unwrap() + done, n as i64, "{s}");
    assert_eq!(analysed(), (n as i64, 0));
    assert_eq!(common::snapshot(&lib), before, "the originals are unchanged");
}

#[test]
fn a_full_catalogue_disk_stops_the_scan_and_the_catalogue_still_opens() {
    if !can_mount() {
        return skip("a_full_catalogue_disk_stops_the_scan_and_the_catalogue_still_opens");
    }
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    let n = 3000u32;
    for i in 0..n {
        put(&lib, &format!("d{:02}/p{i:05}.jpg", i % 30), &common::jpeg(i, None));
    }
    // Room for the empty catalogue and a few hundred files, not 3,000.
    let disk = SmallDisk::mount(&tmp.path().join("catfs"), "1536k");
    let path = disk.dir.join("catalog.db");
    let url = format!("sqlite://{}", path.display());
    let hma = |args: &[&str]| common::hma_cmd(&url, args);
    common::assert_ok(&hma(&["root", "add", lib.to_str().unwrap(), "--name", "r"]), &["root add"]);

    let out = hma(&["scan", "--threads", "1"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "a clear stop: {err}");
    assert!(err.contains(&format!("the disk holding the catalogue ({url}) is full")), "{err}");
    assert!(err.contains("run the same command") && !err.contains("panicked"), "{err}");
    // The catalogue opens, whole, with what was committed.
    let files = || common::ok_json(hma(&["status", "--json"]), "status")["files"].as_u64().unwrap();
    let partial = files();
    assert!(partial > 0 && partial < n as u64, "stopped part-way: {partial} of {n}");
    {
        use diesel::{Connection, RunQueryDsl};
        #[derive(diesel::QueryableByName)]
        struct Check {
            #[diesel(sql_type = diesel::sql_types::Text)]
            integrity_check: String,
        }
        let mut c = diesel::SqliteConnection::establish(path.to_str().unwrap()).unwrap();
        let rows: Vec<Check> = diesel::sql_query("PRAGMA integrity_check").load(&mut c).unwrap();
        assert_eq!(rows.iter().map(|r| r.integrity_check.as_str()).collect::<Vec<_>>(), ["ok"]);
    }

    disk.grow("64m");
    let s = common::ok_json(hma(&["scan", "--json"]), "scan again");
    assert_eq!(s["new"].as_u64().unwrap() + partial, n as u64, "{s}");
    assert_eq!(files(), n as u64);
    let ls = common::ok_json(hma(&["status", "--json"]), "status");
    assert_eq!(ls["errors"], 0, "{ls}");
}

#[test]
fn a_full_export_folder_fails_each_copy_cleanly_and_the_next_export_finishes() {
    if !can_mount() {
        return skip("a_full_export_folder_fails_each_copy_cleanly_and_the_next_export_finishes");
    }
    let db = common::Db::sqlite();
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    let n = 20;
    let paths: Vec<PathBuf> = (0..n).map(|i| put(&lib, &format!("p{i:03}.jpg"), &photo(100 + i))).collect();
    let size: u64 = paths.iter().map(|p| std::fs::metadata(p).unwrap().len()).sum();
    common::assert_ok(&db.hma(&["root", "add", lib.to_str().unwrap(), "--name", "r"]), &["root add"]);
    common::assert_ok(&db.hma(&["scan"]), &["scan"]);
    let mut mark = vec!["mark"];
    mark.extend(paths.iter().map(|p| p.to_str().unwrap()));
    mark.push("--pick");
    common::assert_ok(&db.hma(&mark), &["mark"]);

    // Room for about a third of the picks.
    let disk = SmallDisk::mount(&tmp.path().join("exportfs"), &format!("{}k", size / 3 / 1024));
    let dest = disk.dir.join("Calendar");
    let out = db.hma(&["export", dest.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(2), "some copied, some failed: {}", stderr(&out));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let copied = r["copied"].as_array().unwrap().len();
    let failed = r["failed"].as_array().unwrap();
    assert!(copied > 0 && copied < n as usize, "{r}");
    assert_eq!(copied + failed.len(), n as usize, "{r}");
    for f in failed {
        assert!(f["error"].as_str().unwrap().contains("No space left on device"), "{f}");
    }
    // In the folder: exactly the copies made, each whole; no partial file.
    let originals: std::collections::HashMap<Vec<u8>, &PathBuf> =
        paths.iter().map(|p| (std::fs::read(p).unwrap(), p)).collect();
    let check_folder = |want: usize| {
        let there = files_under(&dest);
        assert_eq!(there.len(), want, "{there:?}");
        for f in &there {
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            assert!(!name.contains("hma-partial") && !name.contains(" (2)"), "{name}");
            assert!(originals.contains_key(&std::fs::read(f).unwrap()), "{name} is not a whole copy of an original");
        }
    };
    check_folder(copied);

    disk.grow("64m");
    let r = common::ok_json(db.hma(&["export", dest.to_str().unwrap(), "--json"]), "export again");
    assert_eq!(r["copied"].as_array().unwrap().len(), n as usize - copied, "{r}");
    assert_eq!(r["already_there"].as_array().unwrap().len(), copied, "{r}");
    check_folder(n as usize);
}

//! One score from every stage: after `analyze`, `detect`, `analyze --force`
//! and a version bump, the stored ranking, each group's best and ranks, what
//! `top` (the lightbox's list) says and what `show` says all agree, on both
//! backends. The library is made so that detection changes a burst's best
//! frame: one frame has the dog sharp and the background soft, the other the
//! dog blurred and the background sharp. Needs the fetched detection weights
//! (`scripts/fetch-models`), like tests/detect.rs.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use common::{put, ExifSpec};
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/detect").join(name)
}

fn rgb(name: &str) -> image::RgbImage {
    let bytes = std::fs::read(fixture(name)).unwrap();
    hma::detect::picture(&bytes, &hma_media::Format::Jpeg).unwrap()
}

/// `img` blurred inside the box `[x, y, w, h]` (shares), or outside it.
fn blur_part(img: &image::RgbImage, bbox: [f32; 4], inside: bool, sigma: f32) -> image::RgbImage {
    let blurred = image::imageops::blur(img, sigma);
    let (w, h) = (img.width() as f32, img.height() as f32);
    let in_box = |x: u32, y: u32| {
        let (fx, fy) = (x as f32 / w, y as f32 / h);
        fx >= bbox[0] && fx <= bbox[0] + bbox[2] && fy >= bbox[1] && fy <= bbox[1] + bbox[3]
    };
    image::RgbImage::from_fn(img.width(), img.height(), |x, y| {
        if in_box(x, y) == inside {
            *blurred.get_pixel(x, y)
        } else {
            *img.get_pixel(x, y)
        }
    })
}

fn camera_jpeg(img: &image::RgbImage, taken: &str) -> Vec<u8> {
    let mut plain = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 92).encode_image(img).unwrap();
    common::with_exif(&plain, &ExifSpec::camera(taken))
}

/// A burst of two frames of the dog photo (see the header), an exact copy
/// of the horses in two folders, and the person photo on its own.
fn library(dir: &Path) {
    let dog = rgb("dog.jpg");
    let found =
        hma::detect::load_detector(&hma::default_models_dir()).unwrap_or_else(|e| panic!("{e}")).detect(&dog).unwrap();
    let the_dog = found.iter().find(|d| d.class == "dog").expect("the fixture shows a dog").bbox;
    put(dir, "burst/IMG_0001.JPG", &camera_jpeg(&blur_part(&dog, the_dog, false, 2.5), "2024:06:01 12:00:00"));
    put(dir, "burst/IMG_0002.JPG", &camera_jpeg(&blur_part(&dog, the_dog, true, 2.5), "2024:06:01 12:00:01"));
    put(dir, "a/horses.jpg", &std::fs::read(fixture("horses.jpg")).unwrap());
    put(dir, "b/horses copy.jpg", &std::fs::read(fixture("horses.jpg")).unwrap());
    put(dir, "person.jpg", &std::fs::read(fixture("person.jpg")).unwrap());
}

struct Run<'a> {
    db: &'a common::Db,
    cache: &'a Path,
}

impl Run<'_> {
    fn json(&self, args: &[&str]) -> Value {
        common::ok_json(self.db.hma_cached(self.cache, args), &args.join(" "))
    }

    /// Each group's best file, by group kind and size (ids change on rebuild).
    fn bests(&self) -> Vec<String> {
        let mut v: Vec<String> =
            self.json(&["groups", "--json"]).as_array().unwrap().iter().map(|g| g["best"].to_string()).collect();
        v.sort();
        v
    }

    /// Everything must agree: stored scores, group order, `top`, `show`.
    fn check(&self, when: &str) {
        self.check_groups(when, 2);
    }

    /// [`Run::check`], with `n` groups expected.
    fn check_groups(&self, when: &str, n: usize) {
        let groups = self.json(&["groups", "--json"]);
        let groups = groups.as_array().unwrap();
        assert_eq!(groups.len(), n, "{when}: {groups:#?}");
        let mut show: HashMap<String, Value> = HashMap::new();
        let mut score_of = |path: &str| -> f64 {
            let v = show.entry(path.to_string()).or_insert_with(|| self.json(&["show", path, "--json"]));
            v["quality"]["score"].as_f64().unwrap_or_else(|| panic!("{when}: {path} has no score: {v}"))
        };
        for g in groups {
            let files: Vec<&str> = g["files"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
            assert_eq!(g["best"].as_str().unwrap(), files[0], "{when}: best is listed first: {g}");
            let scores: Vec<f64> = files.iter().map(|f| score_of(f)).collect();
            for w in scores.windows(2) {
                assert!(w[0] >= w[1], "{when}: group {} is not ordered by score: {files:?} {scores:?}", g["id"]);
            }
        }
        // `top` is the lightbox's list: one entry per group, and it is the
        // group's best; its score and explanation are what `show` says.
        let top = self.json(&["top", "100", "--json"]);
        let top = top.as_array().unwrap();
        for g in groups {
            let first = top
                .iter()
                .find(|e| e["group"]["id"] == g["id"])
                .unwrap_or_else(|| panic!("{when}: group {} is not in top", g["id"]));
            assert_eq!(first["path"], g["best"], "{when}: the lightbox shows the group's best first");
            assert_eq!(first["group"]["rank"], 1, "{when}: {first}");
        }
        for e in top {
            let path = e["path"].as_str().unwrap();
            let s = self.json(&["show", path, "--json"]);
            assert_eq!(e["score"].as_f64(), s["quality"]["score"].as_f64(), "{when}: {path}: top's score vs show's");
            assert_eq!(e["explain"], s["quality"]["explain"], "{when}: {path}: top's explain vs show's");
        }
    }
}

catalog_test!(every_stage_leaves_one_score, |db| {
    let lib = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    library(lib.path());
    let before = common::snapshot(lib.path());
    let run = Run { db, cache: cache.path() };
    run.json(&["root", "add", lib.path().to_str().unwrap(), "--name", "family", "--json"]);
    run.json(&["scan", "--json"]);
    let a = run.json(&["analyze", "--only", "analyze", "--json"]);
    assert_eq!(a["analysed"], 4, "{a}");
    run.check("after analyze");
    let analysed = run.bests();

    // Detection finds the dog: the frame where it is sharp now wins the burst.
    let d = run.json(&["detect", "--json"]);
    assert!(d["rescored"].as_u64().unwrap() >= 2, "{d}");
    run.check("after detect");
    let detected = run.bests();
    assert_ne!(analysed, detected, "detection changed the burst's best");
    assert!(detected.iter().any(|b| b.ends_with("IMG_0001.JPG\"")), "the sharp dog wins: {detected:?}");

    // The drive unplugged during a new detection: nothing found before is
    // lost, and the scores and bests stay.
    let away = lib.path().with_extension("unplugged");
    std::fs::rename(lib.path(), &away).unwrap();
    let out = db.hma_cached(cache.path(), &["detect", "--force", "--json"]);
    std::fs::rename(&away, lib.path()).unwrap();
    assert_eq!(out.status.code(), Some(2), "not connected: the pictures failed");
    run.check("after a detection with the drive unplugged");
    assert_eq!(run.bests(), detected);

    // Re-analysis keeps the detected subject in the score.
    run.json(&["analyze", "--only", "analyze", "--force", "--json"]);
    run.check("after analyze --force");
    assert_eq!(run.bests(), detected);

    // A new analysis version: everything is measured again.
    let mut cat = db.open();
    cat.execute_sql("UPDATE analyses SET version = version - 1").unwrap();
    let a = run.json(&["analyze", "--only", "analyze", "--json"]);
    assert_eq!(a["analysed"], 4, "{a}");
    run.check("after an analysis version bump");
    assert_eq!(run.bests(), detected);

    // New scoring rules: every score recomputed from what is stored, nothing decoded.
    cat.execute_sql("UPDATE analyses SET score_version = score_version - 1, score = 0.01, s_sharpness = 0.01").unwrap();
    let a = run.json(&["analyze", "--only", "analyze", "--json"]);
    assert_eq!((a["analysed"].as_u64(), a["rescored"].as_u64()), (Some(0), Some(4)), "{a}");
    run.check("after a scoring version bump");
    assert_eq!(run.bests(), detected);

    assert_eq!(before, common::snapshot(lib.path()), "no original was touched");

    // The user deletes the burst's best frame and the horses' best copy: the
    // scan that finds them gone takes them out of their groups at once, and
    // a group left with one picture is no group.
    let best_horses = run.json(&["groups", "--json"]).as_array().unwrap().iter().find_map(|g| {
        let b = g["best"].as_str().unwrap();
        b.contains("horses").then(|| b.to_string())
    });
    std::fs::remove_file(lib.path().join("burst/IMG_0001.JPG")).unwrap();
    std::fs::remove_file(best_horses.unwrap()).unwrap();
    run.json(&["scan", "--json"]);
    run.check_groups("after a scan found two files deleted", 0);
    assert!(run.json(&["top", "100", "--json"]).as_array().unwrap().iter().all(|e| e["group"].is_null()));
});

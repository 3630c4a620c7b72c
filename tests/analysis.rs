//! The analysis through the real `hma` binary: quality ladders on committed
//! photos, and analyse → groups → top → show on both backends, with bad
//! pictures, a rerun that does nothing, a killed run that resumes, and the
//! originals untouched.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{jpeg, put, snapshot, ExifSpec};

/// The committed photos with real content (512 px; public domain, see
/// tests/fixtures/photos/LICENSES.md).
const PHOTOS: [&str; 3] = [
    "immich__albums_nature_cyclamen_persicum.jpg",
    "immich__albums_nature_el_torcal_rocks.jpg",
    "immich__albums_nature_notocactus_minimus.jpg",
];

fn rgb(name: &str) -> image::RgbImage {
    image::open(common::fixtures().join(name)).unwrap().to_rgb8()
}

fn save(img: &image::RgbImage, path: &Path, quality: u8) {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality).encode_image(img).unwrap();
    std::fs::write(path, out).unwrap();
}

/// A deterministic Gaussian (Box–Muller over a xorshift generator).
struct Gauss(u64);
impl Gauss {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn next(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

fn srgb_to_linear(v: f64) -> f64 {
    if v <= 0.04045 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}

fn linear_to_srgb(v: f64) -> f64 {
    if v <= 0.0031308 {
        v * 12.92
    } else {
        1.055 * v.powf(1.0 / 2.4) - 0.055
    }
}

fn quality(files: &[PathBuf]) -> Vec<serde_json::Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_hma")).arg("quality").arg("--json").args(files).output().unwrap();
    common::assert_ok(&out, &["quality"]);
    String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn every_quality_ladder_falls_away_from_the_original() {
    let tmp = tempfile::tempdir().unwrap();
    let mut report = String::new();
    let mut failures = 0;
    for name in PHOTOS {
        let img = rgb(name);
        let mut files = Vec::new();
        let path = |kind: &str, step: String| tmp.path().join(format!("{name}-{kind}-{step}.jpg"));
        // Blur σ = 0, 1, 2, 4 px → sharpness.
        for s in [0f32, 1.0, 2.0, 4.0] {
            let p = path("blur", s.to_string());
            save(&if s == 0.0 { img.clone() } else { image::imageops::blur(&img, s) }, &p, 95);
            files.push(("sharpness", p));
        }
        // Gaussian noise σ = 0, 5, 10, 20 → noise.
        let mut g = Gauss(0x5EED_1234_ABCD_0001);
        for s in [0.0, 5.0, 10.0, 20.0] {
            let mut n = img.clone();
            for v in n.iter_mut() {
                *v = (*v as f64 + s * g.next()).round().clamp(0.0, 255.0) as u8;
            }
            let p = path("noise", s.to_string());
            save(&n, &p, 95);
            files.push(("noise", p));
        }
        // −2 … +2 EV in linear light → exposure.
        for ev in [-2i32, -1, 0, 1, 2] {
            let mut e = img.clone();
            for v in e.iter_mut() {
                let lin = (srgb_to_linear(*v as f64 / 255.0) * 2f64.powi(ev)).min(1.0);
                *v = (linear_to_srgb(lin) * 255.0).round() as u8;
            }
            let p = path("exposure", ev.to_string());
            save(&e, &p, 95);
            files.push(("exposure", p));
        }
        // JPEG quality 95, 60, 30, 10 → compression.
        for q in [95u8, 60, 30, 10] {
            let p = path("jpeg", q.to_string());
            save(&img, &p, q);
            files.push(("compression", p));
        }
        let paths: Vec<PathBuf> = files.iter().map(|f| f.1.clone()).collect();
        let got = quality(&paths);
        assert_eq!(got.len(), paths.len());
        let scores: Vec<f64> = files.iter().zip(&got).map(|((k, _), v)| v["scores"][k].as_f64().unwrap()).collect();
        let ladders = [("blur", 0..4), ("noise", 4..8), ("exposure", 8..13), ("jpeg", 13..17)];
        for (kind, range) in ladders {
            let s = &scores[range];
            let ok = if kind == "exposure" && name == "immich__albums_nature_el_torcal_rocks.jpg" {
                // Known exception, reported in docs/scores.md: this
                // landscape's brightest tones stop at 198 of 255 (pale rock
                // under a deep blue sky), so +1 EV fills the range before it
                // clips and the exposure score prefers it to the original.
                // Every other step of its ladder is still checked.
                s[0] < s[1] && s[1] < s[2] && s[2] > s[4] && s[3] > s[4]
            } else if kind == "exposure" {
                s[0] < s[1] && s[1] < s[2] && s[2] > s[3] && s[3] > s[4]
            } else {
                s.windows(2).all(|w| w[0] > w[1])
            };
            failures += usize::from(!ok);
            report.push_str(&format!("{name} {kind}: {s:.3?} {}\n", if ok { "ok" } else { "NOT ORDERED" }));
        }
    }
    assert_eq!(failures, 0, "\n{report}");
}

/// A photo shrunk to `w` px wide (the same scene, another size).
fn resized(img: &image::RgbImage, w: u32) -> image::RgbImage {
    let h = img.height() * w / img.width();
    image::imageops::resize(img, w, h, image::imageops::FilterType::Triangle)
}

/// A JPEG file with EXIF: `img` as the camera stored it.
fn camera_jpeg(img: &image::RgbImage, spec: &ExifSpec) -> Vec<u8> {
    let mut plain = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 92).encode_image(img).unwrap();
    common::with_exif(&plain, spec)
}

/// Pixels moved right by `dx` (the edge repeated): the next frame of a burst.
fn shifted(img: &image::RgbImage, dx: u32) -> image::RgbImage {
    image::RgbImage::from_fn(img.width(), img.height(), |x, y| *img.get_pixel(x.saturating_sub(dx), y))
}

/// A library: three distinct photos; a resized+recompressed copy and a
/// copy whose pixels were turned a quarter (no EXIF orientation) of the
/// first; an exact copy of the second; a three-frame December burst of
/// the third; and three broken "photos".
fn library(dir: &Path) {
    let a = rgb(PHOTOS[0]);
    let c = rgb(PHOTOS[2]);
    save(&a, &dir.join("cyclamen.jpg"), 92);
    save(&resized(&a, 300), &dir.join("exports/cyclamen-small.jpg"), 70);
    save(&image::imageops::rotate90(&a), &dir.join("exports/cyclamen-turned.jpg"), 90);
    std::fs::copy(common::fixtures().join(PHOTOS[1]), dir.join("rocks.jpg")).unwrap();
    std::fs::copy(common::fixtures().join(PHOTOS[1]), dir.join("backup/rocks.jpg")).unwrap();
    for (i, dx) in [0u32, 3, 6].iter().enumerate() {
        let mut spec = ExifSpec::camera(&format!("2023:12:24 10:00:0{}", i));
        spec.subsec = Some("10".into());
        let frame = shifted(&c, *dx);
        // The middle frame is the sharp one.
        let frame = if i == 1 { frame } else { image::imageops::blur(&frame, 1.5) };
        put(dir, &format!("burst/IMG_{:04}.JPG", 100 + i), &camera_jpeg(&frame, &spec));
    }
    // Cut off inside its header; a JPEG start followed by noise; and a
    // decompression bomb: a real JPEG whose frame header claims 65000×65000.
    put(dir, "broken/truncated.jpg", &jpeg(7, None)[..300]);
    let mut noise = vec![0xFF, 0xD8, 0xFF, 0xE0];
    let mut g = Gauss(99);
    noise.extend((0..4000).map(|_| (g.uniform() * 256.0) as u8));
    put(dir, "broken/noise.jpg", &noise);
    let mut bomb = jpeg(8, None);
    let sof = bomb.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    bomb[sof + 5..sof + 9].copy_from_slice(&[0xFD, 0xE8, 0xFD, 0xE8]);
    put(dir, "broken/bomb.jpg", &bomb);
    // Not pictures at all: not analysed, not counted.
    put(dir, "broken/empty.jpg", b"");
    put(dir, "broken/notes.jpg", b"this is text, not a JPEG at all, just bytes");
}

fn setup(dir: &Path) {
    for d in ["exports", "backup", "burst", "broken"] {
        std::fs::create_dir_all(dir.join(d)).unwrap();
    }
    library(dir);
}

catalog_test!(analyse_group_rank_and_explain, |db| {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    setup(tmp.path());
    let before = snapshot(tmp.path());
    db.json(&["root", "add", tmp.path().to_str().unwrap(), "--name", "home", "--json"]);
    db.hma(&["scan", "--json"]);
    let env = [("HMA_CACHE_DIR", cache.path().to_str().unwrap())];
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_hma"))
            .args(args)
            .args(["--catalog", &db.url])
            .env("HMA_MACHINE", "test-machine")
            .envs(env)
            .output()
            .unwrap();
        out
    };
    // First run: everything analysed but the three broken files, which are
    // recorded with their errors (exit 2: done, with problems).
    let out = run(&["analyze", "--only", "analyze", "--json"]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let sum: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sum["failed"], 3, "{sum}");
    assert_eq!(sum["analysed"], 7, "{sum}"); // 8 good files, two of them identical
    assert_eq!(sum["unchanged"], 1, "{sum}");
    assert_eq!(sum["pictures"], 11, "{sum}");
    let error_of = |name: &str| {
        sum["failures"].as_array().unwrap().iter().find(|f| f["path"].as_str().unwrap().ends_with(name)).unwrap()
            ["error"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(error_of("truncated.jpg").starts_with("cannot decode jpeg"), "{sum}");
    assert!(error_of("noise.jpg").starts_with("cannot decode jpeg"), "{sum}");
    assert!(error_of("bomb.jpg").starts_with("too large to decode: 65000×65000"), "{sum}");
    // Previews were made, content-addressed.
    let previews = common::files_under(cache.path());
    assert_eq!(previews.iter().filter(|p| p.to_string_lossy().ends_with("-grid.jpg")).count(), 7, "{previews:?}");

    // Groups: exact copies, the near duplicates of the cyclamen (resized,
    // turned) and the burst, each with its best and why.
    let out = run(&["groups", "--json"]);
    common::assert_ok(&out, &["groups"]);
    let groups: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let by_kind = |k: &str| groups.as_array().unwrap().iter().filter(|g| g["kind"] == k).cloned().collect::<Vec<_>>();
    let near = by_kind("near");
    assert_eq!(near.len(), 1, "{groups}");
    let mut names: Vec<String> = near[0]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().rsplit('/').next().unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["cyclamen-small.jpg", "cyclamen-turned.jpg", "cyclamen.jpg"]);
    assert!(near[0]["why"].as_str().unwrap().starts_with("best of 3 near duplicates"), "{}", near[0]["why"]);
    // Resolution counts: the 300-px export never leads its full-size original.
    eprintln!("near duplicates: {}", near[0]);
    assert!(!near[0]["best"].as_str().unwrap().ends_with("cyclamen-small.jpg"), "{}", near[0]);
    let burst = by_kind("burst");
    assert_eq!(burst.len(), 1, "{groups}");
    assert!(burst[0]["best"].as_str().unwrap().ends_with("burst/IMG_0101.JPG"), "the sharp frame wins: {}", burst[0]);
    assert!(burst[0]["why"].as_str().unwrap().contains("sharper"), "{}", burst[0]["why"]);
    let exact = by_kind("exact");
    assert_eq!(exact.len(), 1, "{groups}");
    assert!(!exact[0]["best"].as_str().unwrap().contains("/backup/"), "{}", exact[0]);

    // show: quality and group.
    let best = burst[0]["best"].as_str().unwrap();
    let out = run(&["show", best, "--json"]);
    common::assert_ok(&out, &["show"]);
    let show: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let q = &show["quality"];
    for k in ["sharpness", "exposure", "noise", "brisque", "composition"] {
        let v = q["scores"][k].as_f64().unwrap_or_else(|| panic!("score {k} in {q}"));
        assert!((0.0..=1.0).contains(&v), "{k} = {v}");
    }
    assert!(q["score"].as_f64().unwrap() > 0.0);
    assert!(q["raw"]["sharp_peak"].as_f64().is_some() && q["raw"]["noise_sigma"].as_f64().is_some(), "{q}");
    assert!(q["raw"]["brisque"].as_f64().is_some(), "{q}");
    let explain: Vec<&str> = q["explain"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect();
    assert!(explain.iter().any(|l| l.starts_with("sharpness ")), "{explain:?}");
    assert!(explain.contains(&"rank 1 of 3 in its burst"), "{explain:?}");
    assert_eq!(show["group"]["kind"], "burst");
    assert_eq!(show["group"]["rank"], 1);
    assert_eq!(show["group"]["size"], 3);

    // top: one per group, best first, with the month filter.
    let out = run(&["top", "10", "--json"]);
    common::assert_ok(&out, &["top"]);
    let top: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let top = top.as_array().unwrap();
    assert_eq!(top.len(), 3, "one per group: {top:?}");
    let scores: Vec<f64> = top.iter().map(|t| t["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    let group_ids: Vec<&serde_json::Value> = top.iter().map(|t| &t["group"]["id"]).filter(|g| !g.is_null()).collect();
    assert_eq!(group_ids.len(), 3);
    assert!(top.iter().all(|t| !t["explain"].as_array().unwrap().is_empty()));
    let out = run(&["top", "10", "--month", "12", "--json"]);
    let dec: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(dec.as_array().unwrap().len(), 1, "{dec}");
    assert!(dec[0]["path"].as_str().unwrap().ends_with("burst/IMG_0101.JPG"));
    let out = run(&["top", "10", "--from", "2024-01-01", "--json"]);
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap(), serde_json::json!([]));

    // A rerun does no work.
    let out = run(&["analyze", "--only", "analyze", "--json"]);
    let again: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(again["analysed"], 0, "{again}");
    assert!(again["groups"].is_null(), "groups were not rebuilt: {again}");

    // Not one byte or timestamp of the originals changed.
    assert_eq!(snapshot(tmp.path()), before);
});

catalog_test!(killed_analysis_resumes_without_loss_or_duplicates, |db| {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    // 120 distinct 1200×900 pictures: long enough to kill mid-way.
    let base = rgb(PHOTOS[0]);
    let big = image::imageops::resize(&base, 900, 1200, image::imageops::FilterType::Triangle);
    for i in 0..120u32 {
        let img = image::RgbImage::from_fn(900, 1200, |x, y| {
            let p = big.get_pixel((x + i * 7) % 900, y);
            image::Rgb([p[0], p[1].wrapping_add(i as u8), p[2]])
        });
        save(&img, &tmp.path().join(format!("p{i:03}.jpg")), 90);
    }
    db.json(&["root", "add", tmp.path().to_str().unwrap(), "--name", "many", "--json"]);
    db.json(&["scan", "--json"]);
    let child = db
        .hma_cached_command(cache.path(), &["analyze", "--only", "analyze", "--json", "--threads", "1"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait for the first committed batch, then kill -9.
    let mut cat = db.open();
    common::kill_when(child, 60, || cat.analysis_counts().unwrap().0 > 0);
    let (partial, _) = cat.analysis_counts().unwrap();
    assert!(partial > 0 && partial < 120, "killed mid-way: {partial} of 120 analysed");
    let out = Command::new(env!("CARGO_BIN_EXE_hma"))
        .args(["analyze", "--only", "analyze", "--json", "--catalog", &db.url])
        .env("HMA_MACHINE", "test-machine")
        .env("HMA_CACHE_DIR", cache.path())
        .output()
        .unwrap();
    common::assert_ok(&out, &["analyze"]);
    let sum: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sum["analysed"].as_u64().unwrap() + sum["unchanged"].as_u64().unwrap(), 120, "{sum}");
    assert_eq!(sum["unchanged"].as_u64().unwrap() as i64, partial, "nothing done twice: {sum}");
    assert_eq!(cat.analysis_counts().unwrap(), (120, 0));
});

// Resolution counts (issue 17), twice. The overall score counts pixels
// (print fitness, SCORE_VERSION 3): a wallpaper's 2560-px original, a
// little soft and compressed, outscores its crisp 400-px preview on its
// own, and each says which print it fills. And within a group: a poster's
// original blurred and compressed so much that its preview still scores a
// little higher leads all the same, and the group says why with both sizes.
catalog_test!(the_full_size_original_leads_its_small_preview, |db| {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("previews")).unwrap();
    let wall = resized(&rgb(PHOTOS[0]), 2560);
    save(&image::imageops::blur(&wall, 1.5), &tmp.path().join("wallpaper.jpg"), 50);
    save(&resized(&wall, 400), &tmp.path().join("previews/wallpaper-400.jpg"), 95);
    let poster = resized(&rgb(PHOTOS[1]), 2560);
    save(&image::imageops::blur(&poster, POSTER_BLUR), &tmp.path().join("poster.jpg"), POSTER_QUALITY);
    save(&resized(&poster, 400), &tmp.path().join("previews/poster-400.jpg"), 95);
    let before = snapshot(tmp.path());
    db.json(&["root", "add", tmp.path().to_str().unwrap(), "--name", "home", "--json"]);
    common::assert_ok(&db.hma(&["scan"]), &["scan"]);
    common::assert_ok(&db.hma(&["analyze", "--only", "analyze"]), &["analyze"]);
    let ls = db.ls();
    let show = |name: &str| {
        let f = ls.iter().find(|f| f["path"].as_str().unwrap().ends_with(name)).unwrap();
        db.json(&["show", f["path"].as_str().unwrap(), "--json"])["quality"].clone()
    };
    let (orig, preview) = (show("/wallpaper.jpg"), show("wallpaper-400.jpg"));
    let (po, pp) = (show("/poster.jpg"), show("poster-400.jpg"));
    let score = |q: &serde_json::Value| q["score"].as_f64().unwrap();
    eprintln!("wallpaper {} preview {}; poster {} preview {}", score(&orig), score(&preview), score(&po), score(&pp));
    let says = |q: &serde_json::Value, words: &str| {
        q["explain"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l.as_str().unwrap().starts_with("resolution") && l.as_str().unwrap().contains(words))
    };
    assert!(score(&orig) > score(&preview), "wallpaper {} preview {}", score(&orig), score(&preview));
    assert!(
        says(&orig, "10.9 MP (2560×4240): enough for A4 at 300 dpi") && says(&preview, "too small to print"),
        "{orig} {preview}"
    );
    // The poster's preview still scores higher, by less than CLEARLY_WORSE.
    assert!(
        score(&pp) > score(&po) && score(&pp) - score(&po) < hma::groups::CLEARLY_WORSE,
        "poster {} preview {}",
        score(&po),
        score(&pp)
    );
    let groups = db.json(&["groups", "--json"]);
    let near: Vec<&serde_json::Value> = groups.as_array().unwrap().iter().filter(|g| g["kind"] == "near").collect();
    assert_eq!(near.len(), 2, "{groups}");
    let g = near.iter().find(|g| g["best"].as_str().unwrap().contains("poster")).unwrap();
    assert!(g["best"].as_str().unwrap().ends_with("/poster.jpg"), "{g}");
    let why = g["why"].as_str().unwrap();
    assert!(why.contains("(2560×") && why.contains("(400×") && why.contains("full-size picture leads"), "{why}");
    let top = db.json(&["top", "5", "--json"]);
    let names: Vec<&str> = top.as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"poster.jpg") && names.contains(&"wallpaper.jpg") && names.len() == 2, "{top}");
    assert_eq!(snapshot(tmp.path()), before, "originals changed");
});

/// How much the poster's original is blurred and compressed: enough that
/// its crisp preview still scores a little higher with print fitness.
const POSTER_BLUR: f32 = 3.0;
const POSTER_QUALITY: u8 = 30;

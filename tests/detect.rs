//! Detection: the candle YOLOv12n against onnxruntime's outputs of the
//! original ONNX model on the same inputs (real photos), the classes found
//! in named photos, and `hma detect` / `hma search` / `hma show` on both
//! backends. Needs the fetched weights (`scripts/fetch-models`; `.ci/run`
//! fetches them): without them these tests fail, they never skip.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{ok_json as json, put, snapshot};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/detect").join(name)
}

fn detector() -> hma_detect::Detector {
    hma::detect::load_detector(&hma::default_models_dir()).unwrap_or_else(|e| panic!("{e}"))
}

/// The photos of tests/fixtures/detect and what is in them (LICENSES.md).
const PHOTOS: [(&str, &[&str]); 3] =
    [("dog.jpg", &["dog", "bicycle"]), ("horses.jpg", &["horse"]), ("person.jpg", &["person", "dog", "horse"])];

#[test]
fn candle_matches_onnxruntime_on_real_photos() {
    let det = detector();
    for (name, _) in PHOTOS {
        let r: serde_json::Value =
            serde_json::from_slice(&std::fs::read(fixture(&format!("{name}.ref.json"))).unwrap()).unwrap();
        let (input, _) = hma::detect::letterboxed(&fixture(name)).unwrap();
        assert_eq!(
            hma::detect::rgb_sha256(&input),
            r["input_sha256"].as_str().unwrap(),
            "{name}: the pre-processing changed; regenerate the references (scripts/yolo-reference)"
        );
        let d = det.decoded(&input).unwrap();
        let (mut box_diff, mut score_diff) = (0f32, 0f32);
        let anchors = r["anchors"].as_array().unwrap();
        for (i, a) in anchors.iter().enumerate() {
            let a = a.as_u64().unwrap() as usize;
            let want = r["values"][i].as_array().unwrap();
            for (row, w) in want.iter().enumerate() {
                let diff = (d.at(row, a) - w.as_f64().unwrap() as f32).abs();
                if row < 4 {
                    box_diff = box_diff.max(diff);
                } else {
                    score_diff = score_diff.max(diff);
                }
            }
        }
        println!("{name}: {} anchors, max |diff| box {box_diff:.2e} px, score {score_diff:.2e}", anchors.len());
        assert!(box_diff <= 1e-3, "{name}: boxes differ by {box_diff} px");
        assert!(score_diff <= 1e-4, "{name}: scores differ by {score_diff}");
    }
}

#[test]
fn the_expected_classes_are_found() {
    let det = detector();
    for (name, classes) in PHOTOS {
        let bytes = std::fs::read(fixture(name)).unwrap();
        let img = hma::detect::picture(&bytes, &hma_media::Format::Jpeg).unwrap();
        let found = det.detect(&img).unwrap();
        println!("{name}: {:?}", found.iter().map(|d| format!("{} {:.2}", d.class, d.confidence)).collect::<Vec<_>>());
        for c in classes {
            assert!(
                found.iter().any(|d| d.class == *c && d.confidence >= 0.25),
                "{name}: no {c} at confidence ≥ 0.25 in {found:?}"
            );
        }
        for d in &found {
            assert!(d.bbox.iter().all(|v| (0.0..=1.0).contains(v)) && d.bbox[2] > 0.0 && d.bbox[3] > 0.0, "{d:?}");
        }
    }
}

catalog_test!(detect_then_search_by_class, |db| {
    let lib = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    for (name, _) in PHOTOS {
        put(lib.path(), &format!("pets/{name}"), &std::fs::read(fixture(name)).unwrap());
    }
    // A landscape with nothing of the kind, and a broken file.
    put(
        lib.path(),
        "land/rocks.jpg",
        &std::fs::read(common::fixtures().join("immich__albums_nature_el_torcal_rocks.jpg")).unwrap(),
    );
    put(lib.path(), "land/broken.jpg", &std::fs::read(fixture("dog.jpg")).unwrap()[..3000]);
    let before = snapshot(lib.path());
    let hma = |args: &[&str]| db.hma_cached(cache.path(), args);
    json(hma(&["root", "add", lib.path().to_str().unwrap(), "--name", "home", "--json"]), "root add");
    hma(&["scan", "--json"]);
    hma(&["analyze", "--only", "analyze", "--json"]);

    // The best two first (lazy ML), then the rest; a rerun does nothing.
    let out = hma(&["detect", "--top", "2", "--json"]);
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["detected"], 2, "{s}");
    let out = hma(&["detect", "--json"]);
    assert_eq!(out.status.code(), Some(2), "the broken file is recorded: {}", String::from_utf8_lossy(&out.stderr));
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (s["detected"].as_u64(), s["unchanged"].as_u64(), s["failed"].as_u64()),
        (Some(2), Some(2), Some(1)),
        "{s}"
    );
    let again: serde_json::Value = serde_json::from_slice(&hma(&["detect", "--json"]).stdout).unwrap();
    assert_eq!(again["detected"], 0, "{again}");

    // show --json: the boxes, normalised.
    let show = json(hma(&["show", lib.path().join("pets/horses.jpg").to_str().unwrap(), "--json"]), "show");
    let dets = show["detections"].as_array().unwrap();
    assert!(dets.iter().any(|d| d["class"] == "horse" && d["confidence"].as_f64().unwrap() >= 0.25), "{show}");
    for d in dets {
        let b = d["box"].as_array().unwrap();
        assert_eq!(b.len(), 4);
        assert!(b.iter().all(|v| (0.0..=1.0).contains(&v.as_f64().unwrap())), "{d}");
    }

    // Subject-aware scores: sharpness and composition where the horse is, said in explain.
    let explain = show["quality"]["explain"].as_array().unwrap();
    assert!(
        explain.iter().any(
            |l| l.as_str().unwrap().starts_with("sharpness") && l.as_str().unwrap().contains("the horse (detected")
        ),
        "{explain:?}"
    );
    assert!(explain
        .iter()
        .any(|l| l.as_str().unwrap().starts_with("composition") && l.as_str().unwrap().contains("(detected)")));
    let top = json(hma(&["top", "10", "--json"]), "top");
    let horses = top.as_array().unwrap().iter().find(|e| e["path"].as_str().unwrap().ends_with("horses.jpg")).unwrap();
    assert!(
        (horses["score"].as_f64().unwrap() - show["quality"]["score"].as_f64().unwrap()).abs() < 1e-9,
        "the ranking uses the subject-aware score"
    );

    // search: exactly the captures with a dog detection (from show), AND, NOT, groups.
    let (mut with_dog, mut with_animal) = (Vec::new(), Vec::new());
    for f in ["pets/dog.jpg", "pets/horses.jpg", "pets/person.jpg", "land/rocks.jpg"] {
        let show = json(hma(&["show", lib.path().join(f).to_str().unwrap(), "--json"]), "show");
        let classes: Vec<String> =
            show["detections"].as_array().unwrap().iter().map(|d| d["class"].as_str().unwrap().to_string()).collect();
        println!("{f}: {classes:?}");
        let name = f.rsplit('/').next().unwrap().to_string();
        if classes.iter().any(|c| c == "dog") {
            with_dog.push(name.clone());
        }
        if classes.iter().any(|c| hma_detect::coco::class_id(c).is_some_and(|i| hma_detect::coco::SUPER[i] == "animal"))
        {
            with_animal.push(name);
        }
    }
    with_animal.sort();
    let names = |v: serde_json::Value| {
        let mut n: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["path"].as_str().unwrap().rsplit('/').next().unwrap().to_string())
            .collect();
        n.sort();
        n
    };
    with_dog.sort();
    assert!(with_dog.contains(&"dog.jpg".to_string()) && with_dog.contains(&"person.jpg".to_string()), "{with_dog:?}");
    assert_eq!(names(json(hma(&["search", "has:dog", "--json"]), "search dog")), with_dog);
    assert_eq!(names(json(hma(&["search", "has:dog has:person", "--json"]), "search")), ["person.jpg"]);
    assert!(
        !names(json(hma(&["search", "has:dog -has:person", "--json"]), "search")).contains(&"person.jpg".to_string())
    );
    let animals = names(json(hma(&["search", "has:animal", "--json"]), "search animal"));
    assert!(animals.contains(&"horses.jpg".to_string()), "{animals:?}");
    assert_eq!(animals, with_animal, "has:animal = every capture with a detection of an animal class");
    let bad = hma(&["search", "has:unicorn"]);
    assert_eq!(bad.status.code(), Some(64), "a query that cannot be read");
    assert!(String::from_utf8_lossy(&bad.stderr).starts_with("error at column 5: unknown class"), "{bad:?}");

    // The COCO taxonomy is in the catalogue; the originals are untouched.
    let tax = json(hma(&["taxonomy", "list", "--json"]), "taxonomy list");
    assert!(tax.to_string().contains("coco"), "{tax}");
    assert_eq!(snapshot(lib.path()), before);
});

#[test]
fn models_list_shows_weights_sha256_and_licence() {
    let out = Command::new(env!("CARGO_BIN_EXE_hma")).args(["models", "list", "--json"]).output().unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let yolo = v.as_array().unwrap().iter().find(|m| m["id"] == "yolov12n-coco").unwrap();
    assert!(yolo["licence"].as_str().unwrap().contains("AGPL-3.0"));
    assert_eq!(yolo["files"][0]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(yolo["ready"], true, "fetch the weights: scripts/fetch-models");
    // A missing weights file gives an error that names the fix.
    let empty = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hma"))
        .args(["models", "list", "--json"])
        .env("HMA_MODELS_DIR", empty.path())
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let yolo = v.as_array().unwrap().iter().find(|m| m["id"] == "yolov12n-coco").unwrap();
    assert_eq!(yolo["ready"], false);
    let db = common::Db::sqlite();
    let out = Command::new(env!("CARGO_BIN_EXE_hma"))
        .args(["detect", "--catalog", &db.url])
        .env("HMA_MODELS_DIR", empty.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("hma models fetch"), "{err}");
    // A corrupt one too.
    std::fs::write(empty.path().join("yolov12n.safetensors"), b"not weights").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hma"))
        .args(["detect", "--catalog", &db.url])
        .env("HMA_MODELS_DIR", empty.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("corrupt") && err.contains("hma models fetch"), "{err}");
}

catalog_test!(killed_detection_resumes_without_loss_or_duplicates, |db| {
    let lib = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    // 24 distinct pictures (the dog photo shifted): three batches of 8.
    let base = image::open(fixture("dog.jpg")).unwrap().to_rgb8();
    let (w, h) = base.dimensions();
    for i in 0..24u32 {
        let img = image::RgbImage::from_fn(w, h, |x, y| *base.get_pixel((x + i * 5) % w, y));
        img.save(lib.path().join(format!("d{i:02}.jpg"))).unwrap();
    }
    let hma = |args: &[&str]| db.hma_cached(cache.path(), args);
    json(hma(&["root", "add", lib.path().to_str().unwrap(), "--name", "many", "--json"]), "root add");
    json(hma(&["scan", "--json"]), "scan");
    let child = db
        .hma_cached_command(cache.path(), &["detect", "--json", "--threads", "1"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait for the first committed batch, then kill -9.
    let mut cat = db.open();
    common::kill_when(child, 120, || cat.detection_counts(hma_detect::MODEL_ID).unwrap().0 > 0);
    let (partial, objects) = cat.detection_counts(hma_detect::MODEL_ID).unwrap();
    assert!(partial > 0 && partial < 24, "killed mid-way: {partial} of 24 looked at");
    // Every committed picture has its objects (a batch is all or nothing).
    assert!(objects >= 2 * partial, "{objects} objects for {partial} pictures of a dog and a bicycle");
    let s = json(hma(&["detect", "--json"]), "detect again");
    assert_eq!(s["unchanged"].as_i64().unwrap(), partial, "nothing done twice: {s}");
    assert_eq!(s["detected"].as_i64().unwrap() + partial, 24, "nothing lost: {s}");
    let (runs, _) = cat.detection_counts(hma_detect::MODEL_ID).unwrap();
    assert_eq!(runs, 24);
    let dogs = json(hma(&["search", "has:dog", "--limit", "100", "--json"]), "search");
    assert_eq!(dogs.as_array().unwrap().len(), 24, "every picture's dog, once");
});

// One pipeline: `hma analyze` runs the measurements, objects and faces in
// one job when their models are here, says why a stage did not run when
// they are not, and refuses a stage asked for by name that cannot run.
catalog_test!(analyze_runs_every_stage_whose_model_is_here, |db| {
    let lib = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    for (name, _) in PHOTOS {
        put(lib.path(), &format!("pets/{name}"), &std::fs::read(fixture(name)).unwrap());
    }
    put(lib.path(), "pets/broken.jpg", &std::fs::read(fixture("dog.jpg")).unwrap()[..3000]);
    let before = snapshot(lib.path());
    let hma = |args: &[&str]| db.hma_cached(cache.path(), args);
    json(hma(&["root", "add", lib.path().to_str().unwrap(), "--name", "home", "--json"]), "root add");
    hma(&["scan", "--json"]);

    // Without the models: the measurements run, the other stages say why not.
    let empty = tempfile::tempdir().unwrap();
    let run_empty =
        |args: &[&str]| db.hma_cached_command(cache.path(), args).env("HMA_MODELS_DIR", empty.path()).output().unwrap();
    let out = run_empty(&["analyze", "--json"]);
    assert_eq!(out.status.code(), Some(2), "the broken file is recorded: {}", String::from_utf8_lossy(&out.stderr));
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((s["analysed"].as_u64(), s["failed"].as_u64()), (Some(3), Some(1)), "{s}");
    assert!(s["objects"].is_null() && s["faces"].is_null(), "{s}");
    let stages = s["stages"].as_array().unwrap();
    assert_eq!(
        stages.iter().map(|st| st["stage"].as_str().unwrap()).collect::<Vec<_>>(),
        ["analyze", "detect", "faces"]
    );
    assert_eq!(stages[0]["ran"], true);
    for st in &stages[1..] {
        assert_eq!(st["ran"], false, "{st}");
        assert!(st["why"].as_str().unwrap().contains("hma models fetch"), "{st}");
    }
    // Asked for by name, a stage that cannot run is an error, before any work.
    let out = run_empty(&["analyze", "--only", "detect"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("hma models fetch"));

    // With the models: objects and faces in the same job, the measurements
    // already done; `--skip faces` leaves the faces out.
    let s = db.hma_cached(cache.path(), &["analyze", "--skip", "faces", "--json"]);
    let s: serde_json::Value = serde_json::from_slice(&s.stdout).unwrap();
    assert_eq!(s["analysed"], 0, "nothing to measure again: {s}");
    assert_eq!((s["objects"]["detected"].as_u64(), s["objects"]["failed"].as_u64()), (Some(3), Some(1)), "{s}");
    assert!(s["faces"].is_null() && s["stages"][2]["why"] == "not asked for", "{s}");
    let out = hma(&["analyze", "--json"]);
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["objects"]["detected"], 0, "{s}");
    assert_eq!(s["faces"]["looked"], 3, "{s}");
    assert!(s["stages"].as_array().unwrap().iter().all(|st| st["ran"] == true), "{s}");
    let hits = json(hma(&["search", "has:person", "--json"]), "search");
    let paths: Vec<&str> = hits.as_array().unwrap().iter().map(|h| h["path"].as_str().unwrap()).collect();
    assert!(paths.iter().any(|p| p.ends_with("pets/person.jpg")), "{paths:?}");
    // A rerun does nothing new in any stage.
    let s: serde_json::Value = serde_json::from_slice(&hma(&["analyze", "--json"]).stdout).unwrap();
    assert_eq!(
        (s["analysed"].as_u64(), s["objects"]["detected"].as_u64(), s["faces"]["looked"].as_u64()),
        (Some(0), Some(0), Some(0)),
        "{s}"
    );
    assert_eq!(snapshot(lib.path()), before, "originals untouched");
});

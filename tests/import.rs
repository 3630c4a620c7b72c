//! `hma import` (issue 18, part 1): a folder becomes a root, and one pass
//! reads each new file once (the bytes the scanner hashed are the bytes
//! analysed, detected and looked at for faces). What it stores must be what
//! the two-pass way (`scan`, then `analyze` with every stage) stores, and a
//! second import reads nothing.

mod common;

use std::path::{Path, PathBuf};

use common::{ok_json as json, put, snapshot, Db};

fn fixture(dir: &str, name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(dir).join(name)
}

/// A small library: a group photo (faces), a person and a dog (objects), a
/// landscape and its exact copy in another folder, two frames of a burst
/// (near duplicates), a file cut inside its header, and a text file.
fn library(dir: &Path) {
    put(dir, "people/solvay.jpg", &std::fs::read(fixture("faces", "solvay-1927.jpg")).unwrap());
    for name in ["person.jpg", "dog.jpg"] {
        put(dir, &format!("pets/{name}"), &std::fs::read(fixture("detect", name)).unwrap());
    }
    let rocks = std::fs::read(fixture("photos", "immich__albums_nature_el_torcal_rocks.jpg")).unwrap();
    put(dir, "land/rocks.jpg", &rocks);
    put(dir, "copies/rocks-copy.jpg", &rocks);
    // Near duplicates: the dog, and the dog saved again at a lower quality.
    let dog = image::open(fixture("detect", "dog.jpg")).unwrap().to_rgb8();
    let mut again = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut again, 70).encode_image(&dog).unwrap();
    put(dir, "pets/dog-again.jpg", &again);
    put(dir, "land/broken.jpg", &std::fs::read(fixture("faces", "solvay-1927.jpg")).unwrap()[..300]);
    put(dir, "notes.txt", b"not a photo");
}

/// What a catalogue says about each file, without ids and times: quality
/// (score, parts, explanation), objects, faces, group (kind, size, rank).
fn what_is_known(db: &Db, cache: &Path, dir: &Path) -> Vec<(String, serde_json::Value)> {
    let mut out = Vec::new();
    for rel in [
        "people/solvay.jpg",
        "pets/person.jpg",
        "pets/dog.jpg",
        "pets/dog-again.jpg",
        "land/rocks.jpg",
        "copies/rocks-copy.jpg",
        "land/broken.jpg",
    ] {
        let path = dir.join(rel);
        let v = json(db.hma_cached(cache, &["show", path.to_str().unwrap(), "--json"]), "show");
        let q = &v["quality"];
        let faces: Vec<serde_json::Value> = v["faces"]
            .as_array()
            .map(|fs| fs.iter().map(|f| serde_json::json!([f["box"], f["eyes"], f["person_id"].is_null()])).collect())
            .unwrap_or_default();
        let summary = serde_json::json!({
            "score": q["score"], "scores": q["scores"], "explain": q["explain"], "error": q["error"],
            "objects": v["detections"], "faces": faces,
            "group": [&v["group"]["kind"], &v["group"]["size"], &v["group"]["rank"]],
        });
        out.push((rel.to_string(), summary));
    }
    out
}

catalog_test!(import_reads_each_file_once_and_stores_what_scan_and_analyze_store, |db| {
    let lib = tempfile::tempdir().unwrap();
    library(lib.path());
    let before = snapshot(lib.path());
    let media: u64 = walk_sizes(lib.path()).iter().filter(|(p, _)| !p.ends_with("notes.txt")).map(|(_, s)| s).sum();
    let cache = tempfile::tempdir().unwrap();
    let dir = lib.path().to_str().unwrap();

    // The broken file is catalogued with its error; the job went on (exit 2).
    let out = db.hma_cached(cache.path(), &["import", dir, "--name", "home", "--json"]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["added"], true, "{s}");
    assert_eq!((s["seen"].as_u64(), s["new"].as_u64()), (Some(7), Some(7)), "{s}");
    assert_eq!(s["analysed"].as_u64(), Some(5), "six pictures with five contents, one broken: {s}");
    assert_eq!(s["failed"].as_u64(), Some(1), "{s}");
    assert!(s["failures"][0]["path"].as_str().unwrap().ends_with("broken.jpg"), "{s}");
    assert_eq!(s["detected"].as_u64(), Some(5), "{s}");
    assert!(s["faces"].as_u64().unwrap() >= 26, "the Solvay group's faces: {s}");
    // One read a file: every byte of the media files, nothing twice (the
    // copy is read to be hashed, and not analysed again).
    assert_eq!(s["bytes_read"].as_u64(), Some(media), "{s}");
    assert_eq!(s["after"]["analysed"].as_u64(), Some(0), "nothing left for the pass after: {s}");
    assert_eq!(s["after"]["objects"]["detected"].as_u64(), Some(0), "{s}");
    assert_eq!(s["after"]["faces"]["looked"].as_u64(), Some(0), "{s}");
    assert!(s["after"]["faces"]["people"]["faces"].as_u64().unwrap() >= 26, "the faces were clustered: {s}");
    assert_eq!(snapshot(lib.path()), before, "originals untouched");

    // The two-pass way on a second catalogue of the same backend.
    let other = if db.url.starts_with("mysql") { Db::mariadb() } else { Db::sqlite() };
    let other_cache = tempfile::tempdir().unwrap();
    json(other.hma_cached(other_cache.path(), &["root", "add", dir, "--name", "home", "--json"]), "root add");
    other.hma_cached(other_cache.path(), &["scan", "--json"]);
    let a = other.hma_cached(other_cache.path(), &["analyze", "--json"]);
    assert_eq!(a.status.code(), Some(2), "the broken file: {}", String::from_utf8_lossy(&a.stderr));
    let imported = what_is_known(db, cache.path(), lib.path());
    let two_pass = what_is_known(&other, other_cache.path(), lib.path());
    for ((rel, i), (_, t)) in imported.iter().zip(&two_pass) {
        assert_eq!(i, t, "{rel}: import and scan + analyze differ");
    }
    // And the test can tell them apart: the faces and objects are there.
    let solvay = &imported[0].1;
    assert!(solvay["faces"].as_array().unwrap().len() >= 26, "{solvay}");
    assert!(imported[2].1["objects"].as_array().unwrap().iter().any(|o| o["class"] == "dog"), "{:?}", imported[2]);
    assert_eq!(imported[3].1["group"][0], "near", "{:?}", imported[3]);
    // Both caches hold the same previews.
    assert_eq!(
        walk_sizes(cache.path())
            .iter()
            .map(|(p, s)| (p.strip_prefix(cache.path()).unwrap().to_owned(), *s))
            .collect::<Vec<_>>(),
        walk_sizes(other_cache.path())
            .iter()
            .map(|(p, s)| (p.strip_prefix(other_cache.path()).unwrap().to_owned(), *s))
            .collect::<Vec<_>>()
    );

    // Again: stat only, nothing read, nothing analysed.
    let again = json(db.hma_cached(cache.path(), &["import", dir, "--json"]), "import again");
    assert_eq!(again["added"], false, "{again}");
    assert_eq!((again["new"].as_u64(), again["unchanged"].as_u64()), (Some(0), Some(7)), "{again}");
    assert_eq!((again["analysed"].as_u64(), again["bytes_read"].as_u64()), (Some(0), Some(0)), "{again}");

    // A new photo in a subfolder (the root imported from inside): only it is read.
    let added = put(lib.path(), "land/more/person-2.jpg", &std::fs::read(fixture("detect", "person.jpg")).unwrap());
    let sub = lib.path().join("land");
    let third = json(db.hma_cached(cache.path(), &["import", sub.to_str().unwrap(), "--json"]), "import a subfolder");
    assert_eq!((third["root"].as_str(), third["added"].as_bool()), (Some("home"), Some(false)), "{third}");
    assert_eq!(third["new"].as_u64(), Some(1), "{third}");
    // Same content as pets/person.jpg: read to be hashed, not analysed again.
    assert_eq!(third["bytes_read"].as_u64(), Some(std::fs::metadata(&added).unwrap().len()), "{third}");
    assert_eq!(third["analysed"].as_u64(), Some(0), "{third}");
});

/// Every file under `dir` with its size, sorted by path.
fn walk_sizes(dir: &Path) -> Vec<(PathBuf, u64)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let t = e.file_type().unwrap();
            if t.is_dir() {
                stack.push(e.path());
            } else if t.is_file() {
                out.push((e.path(), e.metadata().unwrap().len()));
            }
        }
    }
    out.sort();
    out
}

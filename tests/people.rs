//! People (issue 14): faces clustered by identity, named, merged, split,
//! rejected; pets named from a detected dog; `person:` / `pet:` search
//! exact against `show --json`; names kept when faces are looked at again.
//! On both backends, through the real `hma` binary and the real models.
//!
//! The people: the 1927 Solvay conference (29 physicists, public domain).
//! Each man appears in the group photo and in blow-ups of parts of it at
//! other scales, so his face is in several pictures at different sizes;
//! where a face lies in the group photo says who it is.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use common::{ok_json as json, put, snapshot};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/faces").join(name)
}

/// The blow-ups: (file, left, top, width, height of the part of the group
/// photo, scale).
const PARTS: [(&str, u32, u32, u32, u32, f64); 3] = [
    ("front-row.jpg", 180, 180, 560, 150, 3.0),
    ("middle.jpg", 560, 170, 520, 200, 2.5),
    ("right.jpg", 950, 150, 600, 230, 2.2),
];

fn centre(f: &serde_json::Value) -> (f64, f64) {
    let b: Vec<f64> = f["box"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    (b[0] + b[2] / 2.0, b[1] + b[3] / 2.0)
}

catalog_test!(people_are_clustered_named_searched_and_kept, |db| {
    let lib = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    put(lib.path(), "solvay.jpg", &std::fs::read(fixture("solvay-1927.jpg")).unwrap());
    let base = image::open(fixture("solvay-1927.jpg")).unwrap();
    for (name, x, y, w, h, s) in PARTS {
        let part = base.crop_imm(x, y, w, h);
        let big = part.resize((w as f64 * s) as u32, (h as f64 * s) as u32, image::imageops::FilterType::Lanczos3);
        big.to_rgb8().save(lib.path().join(name)).unwrap();
    }
    let dog = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/detect/dog.jpg");
    put(lib.path(), "dog.jpg", &std::fs::read(dog).unwrap());
    let before = snapshot(lib.path());
    let hma = |args: &[&str]| db.hma_cached(cache.path(), args);
    let path = |f: &str| lib.path().join(f).to_str().unwrap().to_string();
    json(hma(&["root", "add", lib.path().to_str().unwrap(), "--name", "solvay", "--json"]), "root add");
    json(hma(&["scan", "--json"]), "scan");
    json(hma(&["analyze", "--only", "analyze", "--json"]), "analyze");
    // Objects, then faces, then who is who.
    let d = json(hma(&["detect", "--json"]), "detect");
    let people = &d["faces"]["people"];
    println!("clustering: {people}");
    assert!(people["faces"].as_u64().unwrap() >= 40, "{people}");

    // Who each face is: the group-photo face at its place.
    let group = json(hma(&["show", &path("solvay.jpg"), "--json"]), "show");
    let group_faces: Vec<serde_json::Value> = group["faces"].as_array().unwrap().clone();
    let mut truth: HashMap<i64, usize> = HashMap::new();
    for (i, f) in group_faces.iter().enumerate() {
        truth.insert(f["id"].as_i64().unwrap(), i);
    }
    let mut shows: BTreeMap<String, serde_json::Value> = BTreeMap::new();
    for (name, x, y, _, _, s) in PARTS {
        let show = json(hma(&["show", &path(name), "--json"]), "show");
        for f in show["faces"].as_array().unwrap() {
            let (cx, cy) = centre(f);
            let (gx, gy) = (x as f64 + cx / s, y as f64 + cy / s);
            let nearest = group_faces
                .iter()
                .enumerate()
                .map(|(i, g)| (i, (centre(g).0 - gx).hypot(centre(g).1 - gy)))
                .min_by(|a, b| a.1.total_cmp(&b.1));
            if let Some((i, _)) = nearest.filter(|(_, d)| *d < 15.0) {
                truth.insert(f["id"].as_i64().unwrap(), i);
            }
        }
        shows.insert(name.to_string(), show);
    }
    // Clusters: every face in one is the same man; every man seen twice or
    // more is one cluster (faces confident enough to be people: ≥ 0.6).
    let list = json(hma(&["people", "--json"]), "people");
    let clusters = list.as_array().unwrap();
    assert!(clusters.len() >= 5, "{list}");
    let mut cluster_of: HashMap<i64, i64> = HashMap::new();
    for c in clusters {
        assert_eq!((c["name"].is_null(), c["kind"].as_str()), (true, Some("person")), "{c}");
        let detail = json(hma(&["people", "show", &c["id"].to_string(), "--json"]), "people show");
        assert_eq!(detail["faces"].as_array().unwrap().len() as i64, c["faces"].as_i64().unwrap());
        let men: BTreeSet<usize> = detail["faces"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| truth.get(&f["id"].as_i64().unwrap()).copied())
            .collect();
        assert_eq!(men.len(), 1, "cluster {} holds {} men: {detail}", c["id"], men.len());
        for f in detail["faces"].as_array().unwrap() {
            cluster_of.insert(f["id"].as_i64().unwrap(), c["id"].as_i64().unwrap());
            assert!(f["path"].as_str().is_some() && f["box"].as_array().unwrap().len() == 4, "{f}");
        }
    }
    let mut by_man: HashMap<usize, Vec<i64>> = HashMap::new();
    for (&face, &man) in &truth {
        by_man.entry(man).or_default().push(face);
    }
    let confident: BTreeSet<i64> = group_faces
        .iter()
        .chain(shows.values().flat_map(|s| s["faces"].as_array().unwrap().iter()))
        .filter(|f| f["confidence"].as_f64().unwrap() >= 0.6)
        .map(|f| f["id"].as_i64().unwrap())
        .collect();
    let (mut together, mut seen_twice) = (0, 0);
    for faces in by_man.values() {
        let faces: Vec<i64> = faces.iter().copied().filter(|f| confident.contains(f)).collect();
        if faces.len() < 2 {
            continue;
        }
        seen_twice += 1;
        let ids: BTreeSet<Option<&i64>> = faces.iter().map(|f| cluster_of.get(f)).collect();
        together += usize::from(ids.len() == 1 && !ids.contains(&None));
    }
    println!("{together} of {seen_twice} men seen twice or more are one cluster");
    assert!(seen_twice >= 8 && together as f64 >= 0.9 * seen_twice as f64, "{together} of {seen_twice}");

    // show --json: each face names its cluster.
    for f in group_faces.iter().filter(|f| cluster_of.contains_key(&f["id"].as_i64().unwrap())) {
        assert_eq!(f["person_id"].as_i64(), cluster_of.get(&f["id"].as_i64().unwrap()).copied(), "{f}");
        assert!(f["person"].is_null());
    }

    // Name the biggest cluster; its faces are his, in show and in search.
    let first = clusters[0]["id"].as_i64().unwrap();
    let named =
        json(hma(&["people", "name", &first.to_string(), "Einstein", "--born", "1879-03-14", "--json"]), "name");
    assert_eq!(named["person"]["name"], "Einstein");
    let list = json(hma(&["people", "--json"]), "people");
    let einstein = list.as_array().unwrap().iter().find(|p| p["name"] == "Einstein").unwrap().clone();
    assert_eq!((einstein["id"].as_i64(), einstein["birthday"].as_str()), (Some(first), Some("1879-03-14")));
    assert_eq!(hma(&["people", "name", &first.to_string(), "Einstein", "--born", "1879-02-30"]).status.code(), Some(1));
    let expect = |who: &str, hma: &dyn Fn(&[&str]) -> std::process::Output| -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for f in ["solvay.jpg", "front-row.jpg", "middle.jpg", "right.jpg", "dog.jpg"] {
            let show = json(hma(&["show", &path(f), "--json"]), "show");
            let faces = show["faces"].as_array().unwrap().iter().any(|x| x["person"] == who);
            let pets = show["pets"].as_array().unwrap().iter().any(|x| x["pet"] == who);
            if faces || pets {
                out.insert(f.to_string());
            }
        }
        out
    };
    let hits = |q: &str| -> BTreeSet<String> {
        let v = json(hma(&["search", q, "--json"]), q);
        v.as_array()
            .unwrap()
            .iter()
            .map(|h| h["path"].as_str().unwrap().rsplit('/').next().unwrap().to_string())
            .collect()
    };
    let his = expect("Einstein", &hma);
    assert!(his.len() >= 2, "{his:?}");
    assert_eq!(hits("person:Einstein"), his, "person: exactly as show --json");
    assert_eq!(hits("person:einstein"), his, "names ignore case when unambiguous");
    let everyone = hits("faces:1+");
    let others: BTreeSet<String> = everyone.difference(&his).cloned().collect();
    assert_eq!(hits("faces:1+ -person:Einstein"), others);
    let nobody = hma(&["search", "person:Nobody", "--json"]);
    assert_eq!(nobody.status.code(), Some(0), "an unknown name finds nothing, and says why");
    assert_eq!(String::from_utf8_lossy(&nobody.stdout).trim(), "[]");
    assert!(String::from_utf8_lossy(&nobody.stderr).contains("no person named \"Nobody\""), "{nobody:?}");
    // The people taxonomy has him.
    let taxa = json(hma(&["taxonomy", "list", "--json"]), "taxonomy list");
    let t = taxa.as_array().unwrap().iter().find(|t| t["name"] == "people").expect("a people taxonomy").clone();
    assert_eq!(t["nodes"].as_i64(), Some(1), "{t}");

    // Looked at again (--force): the faces are new rows, Einstein's name
    // passes to them, and unnamed clusters keep their ids.
    let ids_before: BTreeSet<i64> = json(hma(&["people", "--json"]), "people")
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    json(hma(&["faces", "--force", "--json"]), "faces --force");
    assert_eq!(hits("person:Einstein"), his, "the name survives a new look");
    let ids_after: BTreeSet<i64> = json(hma(&["people", "--json"]), "people")
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids_after, ids_before, "clusters keep their ids");

    // Reject one of his faces: it leaves him and stays out after a new
    // clustering.
    let detail = json(hma(&["people", "show", "Einstein", "--json"]), "show");
    let n = detail["faces"].as_array().unwrap().len();
    let gone = detail["faces"][n - 1]["id"].as_i64().unwrap();
    json(hma(&["people", "reject", &gone.to_string(), "--json"]), "reject");
    json(hma(&["people", "cluster", "--json"]), "cluster");
    let detail = json(hma(&["people", "show", "Einstein", "--json"]), "show");
    assert!(detail["faces"].as_array().unwrap().iter().all(|f| f["id"].as_i64() != Some(gone)), "{detail}");
    assert_eq!(detail["faces"].as_array().unwrap().len(), n - 1);

    // Merge two unnamed clusters, then split a face off again.
    let list = json(hma(&["people", "--json"]), "people");
    let unnamed: Vec<i64> =
        list.as_array().unwrap().iter().filter(|p| p["name"].is_null()).map(|p| p["id"].as_i64().unwrap()).collect();
    let (a, b) = (unnamed[0], unnamed[1]);
    let fa = json(hma(&["people", "show", &a.to_string(), "--json"]), "show")["faces"].as_array().unwrap().len();
    let fb = json(hma(&["people", "show", &b.to_string(), "--json"]), "show")["faces"].as_array().unwrap().len();
    json(hma(&["people", "merge", &a.to_string(), &b.to_string(), "--json"]), "merge");
    json(hma(&["people", "cluster", "--json"]), "cluster");
    let merged = json(hma(&["people", "show", &a.to_string(), "--json"]), "show");
    assert_eq!(merged["faces"].as_array().unwrap().len(), fa + fb, "confirmed faces hold: {merged}");
    assert!(merged["faces"].as_array().unwrap().iter().all(|f| f["source"] == "confirmed"));
    assert_eq!(hma(&["people", "show", &b.to_string()]).status.code(), Some(1), "B is gone");
    let off = merged["faces"][0]["id"].as_i64().unwrap();
    let split = json(hma(&["people", "split", &a.to_string(), &off.to_string(), "--json"]), "split");
    let new_id = split["person"]["id"].as_i64().unwrap();
    json(hma(&["people", "cluster", "--json"]), "cluster");
    let new = json(hma(&["people", "show", &new_id.to_string(), "--json"]), "show");
    assert_eq!(new["faces"].as_array().unwrap().len(), 1, "{new}");
    assert_eq!(new["faces"][0]["id"].as_i64(), Some(off));

    // A pet, named from the detected dog.
    let dogshow = json(hma(&["show", &path("dog.jpg"), "--json"]), "show");
    let dog_box =
        dogshow["detections"].as_array().unwrap().iter().find(|d| d["class"] == "dog").expect("a dog")["box"].clone();
    let b: Vec<String> = dog_box.as_array().unwrap().iter().map(|v| format!("{}", v.as_f64().unwrap())).collect();
    json(hma(&["people", "pet", &path("dog.jpg"), "Rex", "--box", &b.join(","), "--json"]), "pet");
    let shown = json(hma(&["show", &path("dog.jpg"), "--json"]), "show");
    assert_eq!(shown["pets"][0]["pet"], "Rex", "{shown}");
    assert_eq!(hits("pet:Rex"), expect("Rex", &hma));
    assert_eq!(hits("pet:Rex"), BTreeSet::from(["dog.jpg".to_string()]));
    assert_eq!(hits("person:Rex"), BTreeSet::new(), "Rex is a pet");
    let rex = json(hma(&["people", "--json"]), "people")
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Rex")
        .unwrap()
        .clone();
    assert_eq!((rex["kind"].as_str(), rex["faces"].as_i64()), (Some("pet"), Some(1)));
    assert_eq!(
        hma(&["people", "pet", &path("dog.jpg"), "Rex", "--box", "1,1,2,2"]).status.code(),
        Some(1),
        "no dog there"
    );

    // A face that is no face: it leaves show, people and what search counts.
    let counted = |v: &serde_json::Value| -> Vec<i64> {
        let (w, h) =
            (v["quality"]["raw"]["full_width"].as_f64().unwrap(), v["quality"]["raw"]["full_height"].as_f64().unwrap());
        v["faces"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| {
                let b: Vec<f64> = f["box"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
                f["confidence"].as_f64().unwrap() >= 0.6 && (b[2] / w >= 0.02 || b[3] / h >= 0.02)
            })
            .map(|f| f["id"].as_i64().unwrap())
            .collect()
    };
    let group = json(hma(&["show", &path("solvay.jpg"), "--json"]), "show");
    let n0 = counted(&group);
    assert!(hits(&format!("faces:{}", n0.len())).contains("solvay.jpg"));
    json(hma(&["people", "reject", &n0[0].to_string(), "--not-a-face", "--json"]), "reject --not-a-face");
    let group = json(hma(&["show", &path("solvay.jpg"), "--json"]), "show");
    let n1 = counted(&group);
    assert_eq!(n1.len() + 1, n0.len(), "{n0:?} then {n1:?}");
    assert!(!n1.contains(&n0[0]));
    assert!(hits(&format!("faces:{}", n1.len())).contains("solvay.jpg"), "search counts as show does");
    assert!(!hits(&format!("faces:{}", n0.len())).contains("solvay.jpg"));
    json(hma(&["people", "cluster", "--json"]), "cluster");
    let all: Vec<i64> = json(hma(&["people", "--json"]), "people")
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| {
            json(hma(&["people", "show", &p["id"].to_string(), "--json"]), "show")["faces"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["id"].as_i64().unwrap())
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(!all.contains(&n0[0]), "no longer anyone's face");
    assert_eq!(snapshot(lib.path()), before, "originals untouched");

    // With XMP sidecars on, a naming writes the name as a keyword beside each
    // photo of the person (Lightroom's People branch too); the photos stay as they were.
    json(hma(&["root", "set", "solvay", "--sidecars", "on", "--json"]), "sidecars on");
    json(hma(&["people", "name", &first.to_string(), "Albert Einstein", "--json"]), "rename");
    let shown = expect("Albert Einstein", &hma);
    assert!(!shown.is_empty());
    for f in &shown {
        let xmp = lib.path().join(f.replace(".jpg", ".xmp"));
        let out = std::process::Command::new("exiftool").args(["-j", "-G1"]).arg(&xmp).output().unwrap();
        let e: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        let listed = |k: &str, want: &str| match &e[0][k] {
            serde_json::Value::Array(a) => a.iter().any(|v| v == want),
            v => v == want,
        };
        assert!(listed("XMP-dc:Subject", "Albert Einstein"), "{f}: {e}");
        assert!(listed("XMP-lr:HierarchicalSubject", "People|Albert Einstein"), "{f}: {e}");
    }
    let photos: Vec<_> =
        snapshot(lib.path()).into_iter().filter(|(p, ..)| p.extension().is_some_and(|x| x == "jpg")).collect();
    assert_eq!(photos, before, "originals untouched by the sidecars");
});

//! Her taste, learned on real photographs (`../shared/photos`, or the
//! folder HMA_TEST_PHOTOS names), on both backends. Four users
//! each decide on the same random half of the analysed pictures:
//! - one picks every photo with people and rejects the rest;
//! - one picks dark, moody photos and rejects bright ones;
//! - one decides by coin;
//! - and one a person labelled by looking at each picture (she keeps
//!   nature: scripts/taste-users/nature.tsv), trained with and without the
//!   look embedding.
//!
//! After `hma taste train` the other half, which no model saw, is ranked by
//! the taste score each picture got: AUC ≥ 0.9 for the first user, ≥ 0.8
//! for the second, and the lessons name the right features; the coin's
//! model is reported near 0.5 and off, and no score carries taste then;
//! the nature lover's held-out AUC is ≥ 0.8 with the look and better than
//! without it.
//! "People" is what the person detector and the face models found (the
//! pictures where they disagree with the eye are listed in docs/taste.md);
//! "dark" is the picture's measured mean brightness below the median.
//! Needs the fetched models (`scripts/fetch-models`), like tests/detect.rs.

mod common;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use common::Db;
use hma_catalog::{ContentHash, DecisionRow};
use serde_json::Value;

fn photos() -> Option<PathBuf> {
    let p = match std::env::var_os("HMA_TEST_PHOTOS") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/photos"),
    };
    p.is_dir().then_some(p)
}

/// One analysed picture: its capture, content, and what the users judge.
struct Picture {
    capture_id: i64,
    content: ContentHash,
    path: String,
    people: bool,
    brightness: f64,
}

fn pictures(db: &Db) -> Vec<Picture> {
    let mut cat = db.open();
    let mut out = Vec::new();
    let (mut captures, mut contents) = (HashSet::new(), HashSet::new());
    for f in db.ls() {
        let (Some(capture_id), Some(hash)) = (f["capture_id"].as_i64(), f["hash"].as_str()) else { continue };
        let content = ContentHash::from_hex(hash).unwrap();
        // One decision per capture and per content (exact copies are one
        // picture to her).
        if !captures.insert(capture_id) || !contents.insert(content) {
            continue;
        }
        // Scored pictures (a flat test card whose measurements are
        // undefined has no score, and no taste either).
        let Some(a) = cat.analyses_of(&[content]).unwrap().pop().filter(|a| a.scores.score.is_some()) else { continue };
        let Some(m) = a.measurements.as_deref() else { continue };
        let m: Value = serde_json::from_str(m).unwrap();
        out.push(Picture {
            capture_id,
            content,
            path: f["path"].as_str().unwrap().to_string(),
            people: false,
            brightness: m["luma_mean"].as_f64().unwrap(),
        });
    }
    let hashes: Vec<ContentHash> = out.iter().map(|p| p.content).collect();
    let people: HashSet<ContentHash> = cat
        .detections_of_many(&hashes)
        .unwrap()
        .into_iter()
        .filter(|d| d.class_name == "person" && d.confidence >= 0.5)
        .map(|d| d.content_hash)
        .chain(
            cat.faces_of_many(&hashes)
                .unwrap()
                .into_iter()
                .filter(|(_, faces)| faces.iter().any(|f| f.confidence >= 0.6))
                .map(|(h, _)| h),
        )
        .collect();
    for p in &mut out {
        p.people = people.contains(&p.content);
    }
    out
}

/// Decides on the half `train`: each picture kept as `keeps` says.
fn decide(db: &Db, all: &[Picture], train: &[usize], keeps: &dyn Fn(&Picture) -> bool) {
    let mut cat = db.open();
    for (k, p) in all.iter().enumerate() {
        let flag = train.contains(&k).then(|| if keeps(p) { 1 } else { -1 });
        cat.put_decision(&DecisionRow {
            capture_id: p.capture_id,
            flag,
            rating: None,
            label: None,
            updated_ms: 1 + k as i64,
        })
        .unwrap();
    }
}

/// The taste score of each held-out picture, and the AUC of it against
/// what the user would have decided.
fn held_out_auc(db: &Db, all: &[Picture], test: &[usize], keeps: &dyn Fn(&Picture) -> bool) -> (f64, usize) {
    let mut cat = db.open();
    let hashes: Vec<ContentHash> = test.iter().map(|&k| all[k].content).collect();
    let taste: HashMap<ContentHash, Option<f64>> =
        cat.analyses_of(&hashes).unwrap().into_iter().map(|a| (a.content_hash, a.scores.s_taste)).collect();
    let (mut p, mut truth) = (Vec::new(), Vec::new());
    for &k in test {
        let t = taste[&all[k].content].expect("every analysed picture has a taste score while taste is in force");
        p.push(t);
        truth.push(keeps(&all[k]));
    }
    (hma_taste::auc(&p, &truth).unwrap(), test.len())
}

fn lessons(s: &Value) -> Vec<String> {
    s["report"]["learned"].as_array().unwrap().iter().map(|l| l["feature"].as_str().unwrap().to_string()).collect()
}

fn synthetic_users(db: Db) {
    let Some(dir) = photos() else {
        common::skip("taste::synthetic_users: no ../shared/photos (set HMA_TEST_PHOTOS to the shared photographs)");
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    let before = common::snapshot(&dir);
    let out = db.hma_cached(cache.path(), &["import", dir.to_str().unwrap(), "--json"]);
    // Some shared files cannot be read (stripped RAWs): exit 2, each recorded.
    assert!(matches!(out.status.code(), Some(0 | 2)), "import: {}", String::from_utf8_lossy(&out.stderr));
    let all = pictures(&db);
    let n = all.len();
    let with_people = all.iter().filter(|p| p.people).count();
    eprintln!("{n} analysed pictures, {with_people} with people");
    assert!(n >= 200 && with_people >= 30, "{n} pictures, {with_people} with people");

    // A random half decides, the same for every user and on both backends
    // (drawn in content order): half of the photos with people and half
    // of the others.
    let mut all = all;
    all.sort_by_key(|p| p.content);
    let mut rng = hma_taste::eval::Rng::new(7);
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for people in [true, false] {
        let mut idx: Vec<usize> = (0..n).filter(|&k| all[k].people == people).collect();
        rng.shuffle(&mut idx);
        let (a, b) = idx.split_at(idx.len() / 2);
        train.extend_from_slice(a);
        test.extend_from_slice(b);
    }
    let (train, test) = (&train[..], &test[..]);

    let mut sorted: Vec<f64> = all.iter().map(|p| p.brightness).collect();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[n / 2];
    type Rule = Box<dyn Fn(&Picture) -> bool>;
    let users: [(&str, Rule, f64, &[&str]); 2] = [
        ("people", Box::new(|p: &Picture| p.people), 0.9, &["people", "faces", "face_size"]),
        (
            "dark",
            Box::new(move |p: &Picture| p.brightness < median),
            0.8,
            &["brightness", "shadows", "light_tones", "tones", "exposure"],
        ),
    ];
    for (name, keeps, want, features) in &users {
        decide(&db, &all, train, keeps.as_ref());
        let s = db.json(&["taste", "train", "--json"]);
        eprintln!("{name}: {s}");
        assert!(s["weight"].as_f64().unwrap() > 0.0, "{name}: {s}");
        let (auc, held) = held_out_auc(&db, &all, test, keeps.as_ref());
        eprintln!("{name}: held-out AUC {auc:.3} on {held} pictures (cross-validated {})", s["auc"]);
        assert!(auc >= *want, "{name}: held-out AUC {auc:.3} < {want}");
        let learned = lessons(&s);
        assert!(learned.iter().take(2).any(|l| features.contains(&l.as_str())), "{name}: learned {learned:?}, {s}");

        // `show --json` names the taste part with its words.
        let k = test.iter().copied().find(|&k| keeps(&all[k])).unwrap();
        let shown = db.json(&["show", &all[k].path, "--json"]);
        let q = &shown["quality"];
        assert!(q["scores"]["taste"].as_f64().is_some(), "{name}: {q}");
        assert!(q["explain"].as_array().unwrap().iter().any(|l| l.as_str().unwrap().starts_with("taste ")), "{q}");
    }

    // The look: every picture the detector read has its embedding stored.
    {
        let mut cat = db.open();
        let hashes: Vec<ContentHash> = all.iter().map(|p| p.content).collect();
        let facts = cat.taste_facts_of(&hashes, hma_detect::MODEL_ID).unwrap();
        let looks =
            hashes.iter().filter_map(|h| facts.get(h)?.look.as_deref().and_then(hma_detect::decode_look)).count();
        eprintln!("{looks} of {n} pictures have a look");
        assert!(looks >= n * 9 / 10, "{looks} of {n} pictures have a look");
    }

    // A user a person labelled by looking at the pictures: she keeps
    // nature (scripts/taste-users/nature.tsv). What a picture shows is
    // what the look is for: it ranks her held-out half better than the
    // hand-made features alone, and its words name pictures.
    let labels: HashMap<String, bool> =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/taste-users/nature.tsv"))
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| {
                let (name, kept) = l.split_once('\t').unwrap();
                (name.to_string(), kept.trim() == "1")
            })
            .collect();
    let name_of = |p: &Picture| p.path.rsplit('/').next().unwrap().to_string();
    if all.iter().all(|p| labels.contains_key(&name_of(p))) {
        let keeps = |p: &Picture| labels[&name_of(p)];
        decide(&db, &all, train, &keeps);
        let hand = db.json(&["taste", "train", "--without-look", "--json"]);
        let (hand_auc, _) = held_out_auc(&db, &all, test, &keeps);
        let look = db.json(&["taste", "train", "--json"]);
        let (look_auc, held) = held_out_auc(&db, &all, test, &keeps);
        eprintln!(
            "nature: held-out AUC {hand_auc:.3} without the look (cross-validated {}), {look_auc:.3} with it ({}) on {held} pictures; learned {:?}",
            hand["auc"],
            look["auc"],
            look["learned"]
        );
        assert!(look_auc >= 0.8 && look_auc > hand_auc, "nature: {hand_auc:.3} without the look, {look_auc:.3} with");
        assert!(lessons(&look).iter().any(|l| l.starts_with("look:")), "nature: {look}");
        assert!(
            look["learned"].as_array().unwrap().iter().any(|l| l.as_str().unwrap().contains("look like")),
            "{look}"
        );
    } else {
        // Another folder than the shared photographs: no labels for it.
        common::skip("taste::synthetic_users (nature lover): its labels are for ../shared/photos, not this folder");
    }

    // The coin: decisions without a pattern are reported as such.
    let mut coin = hma_taste::eval::Rng::new(11);
    let flips: HashMap<i64, bool> = all.iter().map(|p| (p.capture_id, coin.unit() < 0.5)).collect();
    decide(&db, &all, train, &|p| flips[&p.capture_id]);
    let s = db.json(&["taste", "train", "--json"]);
    eprintln!("coin: {s}");
    let auc = s["auc"].as_f64().unwrap();
    assert!((auc - 0.5).abs() < 0.15, "coin: {s}");
    assert_eq!(s["weight"].as_f64(), Some(0.0), "coin: {s}");
    assert!(s["reason"].as_str().unwrap().starts_with("taste is off"), "{s}");
    let status = db.json(&["taste", "status", "--json"]);
    assert_eq!(status["model"]["weight"].as_f64(), Some(0.0), "{status}");
    let mut cat = db.open();
    let hashes: Vec<ContentHash> = all.iter().map(|p| p.content).collect();
    assert!(cat.analyses_of(&hashes).unwrap().iter().all(|a| a.scores.s_taste.is_none() && a.scores.taste_model == 0));

    assert_eq!(before, common::snapshot(&dir), "the photos were not touched");
}

#[test]
fn synthetic_users_sqlite() {
    synthetic_users(Db::sqlite());
}

#[test]
fn synthetic_users_mariadb() {
    synthetic_users(Db::mariadb());
}

//! The search language against a plain in-memory filter: a library of real
//! pictures (generated JPEGs with camera EXIF, dates and GPS in four
//! countries, an exact copy, a sidecar with Lightroom keywords, and the
//! committed photos of a dog, a person, horses and a group of faces) goes
//! through the real scan, analysis, objects and faces; some photos are
//! marked, tagged and named. Then random queries of up to six terms (AND,
//! OR, NOT, parentheses) must find exactly the captures that a filter
//! written from `hma ls --json` and `hma show --json` alone finds, on
//! SQLite and MariaDB. Also: places, tags and keywords round trip, errors
//! with their column (exit 64), originals untouched.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use common::ExifSpec;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;

/// What the in-memory filter knows of one picture file.
#[derive(Debug, Clone)]
struct Facts {
    capture: i64,
    rel: String,
    kind: String,
    format: String,
    missing: bool,
    classes: Vec<String>,
    /// (name, kind) of named faces and pets.
    who: Vec<(String, &'static str)>,
    /// (counted, verdict) of each face.
    faces: Vec<(bool, String)>,
    faces_looked_at: bool,
    score: Option<f64>,
    taken: Option<(i32, u32, u32)>,
    make: String,
    model: String,
    lens: String,
    gps: Option<(f64, f64)>,
    rating: i64,
    flag: i64,
    label: Option<String>,
    /// Each tag as (taxonomy, names from the top).
    tags: Vec<(String, Vec<String>)>,
    best: bool,
    dup: bool,
}

fn lc(s: &str) -> String {
    s.to_lowercase()
}

fn build(dir: &Path) {
    let cities = [
        ("munich", 48.1374, 11.5755),
        ("new_york", 40.7484, -73.9857),
        ("paris", 48.8584, 2.2945),
        ("sydney", -33.8568, 151.2153),
    ];
    let cameras = [
        ("Canon", "Canon EOS R6", "RF50mm F1.8 STM"),
        ("NIKON CORPORATION", "NIKON D750", "AF-S 24-70mm f/2.8"),
        ("Apple", "iPhone 12", "iPhone 12 back camera 4.2mm f/1.6"),
    ];
    let dates = [
        "2023:12:24 18:00:00",
        "2024:01:15 09:30:00",
        "2024:07:14 12:00:00",
        "2024:07:30 16:45:00",
        "2024:12:24 20:10:00",
        "2025:03:01 08:00:00",
        "2025:07:14 10:00:00",
        "2025:12:31 23:59:00",
    ];
    for i in 0..16u32 {
        let (make, model, lens) = cameras[i as usize % 3];
        let (city, lat, lon) = cities[i as usize % 4];
        let mut spec = ExifSpec::camera(dates[i as usize % dates.len()]);
        spec.make = Some(make.into());
        spec.model = Some(model.into());
        spec.lens = Some(lens.into());
        if i % 5 != 4 {
            spec.gps = Some((lat + i as f64 * 0.001, lon, 500.0));
        }
        if i == 9 {
            spec.gps = Some((0.0, 0.0, 0.0));
        }
        common::put(dir, &format!("{city}/img_{i:02}.jpg"), &common::jpeg(i * 7 + 1, Some(&spec)));
    }
    // An exact copy, and a photo without EXIF.
    std::fs::copy(dir.join("munich/img_00.jpg"), dir.join("copies/img_00 copy.jpg")).unwrap_or_else(|_| {
        std::fs::create_dir_all(dir.join("copies")).unwrap();
        std::fs::copy(dir.join("munich/img_00.jpg"), dir.join("copies/img_00 copy.jpg")).unwrap()
    });
    common::put(dir, "scans/plain.jpg", &common::jpeg(999, None));
    // Lightroom's keywords in a sidecar.
    common::put(
        dir,
        "paris/img_02.xmp",
        br#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:lr="http://ns.adobe.com/lightroom/1.0/">
<dc:subject><rdf:Bag><rdf:li>Holidays</rdf:li><rdf:li>Beach</rdf:li><rdf:li>Family</rdf:li></rdf:Bag></dc:subject>
<lr:hierarchicalSubject><rdf:Bag><rdf:li>Holidays|Beach</rdf:li></rdf:Bag></lr:hierarchicalSubject>
</rdf:Description></rdf:RDF></x:xmpmeta>"#,
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for (from, to) in [
        ("detect/dog.jpg", "content/dog.jpg"),
        ("detect/person.jpg", "content/person.jpg"),
        ("detect/horses.jpg", "content/horses.jpg"),
        ("faces/solvay-front-row.jpg", "content/group.jpg"),
        ("e2e/immich__metadata_faces_portrait.jpg", "content/portrait.jpg"),
        ("photos/exiftool__t_images_Nikon.nef", "raw/nikon.nef"),
        ("photos/exiv2__test_data_Stonehenge.heic", "content/stonehenge.heic"),
    ] {
        common::put(dir, to, &std::fs::read(root.join(from)).unwrap());
    }
}

fn facts(db: &common::Db, dir: &Path) -> Vec<Facts> {
    let ls = db.ls();
    let mut by_hash: HashMap<String, usize> = HashMap::new();
    for f in &ls {
        if let (Some(h), false) = (f["hash"].as_str(), f["missing"].as_bool().unwrap_or(false)) {
            *by_hash.entry(h.to_string()).or_default() += 1;
        }
    }
    let mut out = Vec::new();
    for f in &ls {
        let kind = f["kind"].as_str().unwrap_or_default().to_string();
        if !["image", "raw", "video"].contains(&kind.as_str()) || f["capture_id"].is_null() || f["hash"].is_null() {
            continue;
        }
        let path = f["path"].as_str().unwrap();
        let s = db.json(&["show", path, "--json"]);
        let rel = Path::new(path).strip_prefix(dir).unwrap().to_string_lossy().replace('\\', "/");
        let taken = s["exif"]["taken_at"]
            .as_str()
            .map(|t| (t[0..4].parse().unwrap(), t[5..7].parse().unwrap(), t[8..10].parse().unwrap()));
        let mut who: Vec<(String, &'static str)> = s["faces"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|x| Some((x["person"].as_str()?.to_string(), "person")))
            .collect();
        who.extend(s["pets"].as_array().unwrap().iter().filter_map(|x| Some((x["pet"].as_str()?.to_string(), "pet"))));
        let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
        out.push(Facts {
            capture: f["capture_id"].as_i64().unwrap(),
            rel,
            kind,
            format: text(&f["format"]),
            missing: f["missing"].as_bool().unwrap(),
            classes: s["detections"].as_array().unwrap().iter().map(|d| text(&d["class"])).collect(),
            who,
            faces: s["faces"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| (x["counted"].as_bool().unwrap(), text(&x["eyes"]["verdict"])))
                .collect(),
            faces_looked_at: s["faces_looked_at"].as_bool().unwrap(),
            score: s["quality"]["score"].as_f64(),
            taken,
            make: text(&s["exif"]["make"]),
            model: text(&s["exif"]["model"]),
            lens: text(&s["exif"]["lens"]),
            gps: s["exif"]["gps"]["lat"].as_f64().zip(s["exif"]["gps"]["lon"].as_f64()),
            rating: s["marks"]["rating"].as_i64().unwrap(),
            flag: s["marks"]["flag"].as_i64().unwrap(),
            label: s["marks"]["label"].as_str().map(str::to_string),
            tags: s["tags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| {
                    let (tax, path) = t.as_str().unwrap().split_once(':').unwrap();
                    (tax.to_string(), path.split('/').map(str::to_string).collect())
                })
                .collect(),
            best: s["group"].is_null() || s["group"]["rank"].as_i64() == Some(1),
            dup: by_hash.get(&text(&f["hash"])).is_some_and(|n| *n > 1),
        });
    }
    out
}

/// The terms the random queries draw from, and what each means in memory.
const TERMS: [&str; 52] = [
    "has:person",
    "has:dog",
    "has:animal",
    "has:horse",
    "person:Anna",
    "pet:Rex",
    "place:Bavaria",
    "place:Germany",
    "place:\"New York\"",
    "place:France",
    "near:48.14,11.58,20",
    "near:-33.86,151.2,5",
    "tag:Holidays",
    "tag:keywords:Beach",
    "tag:Holidays/Beach",
    "tag:Trips",
    "Alps",
    "Family",
    "camera:canon",
    "camera:nikon",
    "camera:iphone",
    "lens:50mm",
    "year:2024",
    "year:2023-2024",
    "month:7",
    "month:december",
    "month:2024-07",
    "day:2024-07-14",
    "day:07-14",
    "from:2024-06",
    "to:2024",
    "score>=0.4",
    "score<0.3",
    "rating>=3",
    "rating:0",
    "rating<2",
    "flag:pick",
    "flag:reject",
    "flag:none",
    "label:red",
    "label:none",
    "faces:0",
    "faces:1+",
    "faces:2-5",
    "eyes:open",
    "eyes:closed",
    "kind:raw",
    "kind:jpeg",
    "kind:heic",
    "is:dup",
    "is:best",
    "munich",
];

fn date_key(t: (i32, u32, u32)) -> i64 {
    t.0 as i64 * 10_000 + t.1 as i64 * 100 + t.2 as i64
}

fn has_path(tags: &[(String, Vec<String>)], taxonomy: Option<&str>, path: &[&str]) -> bool {
    tags.iter()
        .filter(|(t, _)| taxonomy.is_none_or(|want| t == want))
        .any(|(_, names)| names.windows(path.len()).any(|w| w.iter().zip(path).all(|(a, b)| lc(a) == lc(b))))
}

fn term_holds(term: &str, f: &Facts) -> bool {
    let cmp = |v: f64, op: &str, x: f64| match op {
        ">=" => v >= x,
        ">" => v > x,
        "<=" => v <= x,
        "<" => v < x,
        _ => v == x,
    };
    let counted: Vec<&String> = f.faces.iter().filter(|(c, _)| *c).map(|(_, v)| v).collect();
    let split = |t: &str| -> (String, String, String) {
        for op in [">=", "<=", ">", "<", ":"] {
            if let Some((k, v)) = t.split_once(op) {
                if k.chars().all(|c| c.is_ascii_lowercase()) && !k.is_empty() {
                    return (k.into(), op.into(), v.trim_matches('"').into());
                }
            }
        }
        (String::new(), String::new(), t.into())
    };
    let (k, op, v) = split(term);
    let animal = ["bird", "cat", "dog", "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe"];
    match k.as_str() {
        "has" => {
            if v == "animal" {
                f.classes.iter().any(|c| animal.contains(&c.as_str()))
            } else {
                f.classes.contains(&v)
            }
        }
        "person" => f.who.iter().any(|(n, k)| *k == "person" && lc(n) == lc(&v)),
        "pet" => f.who.iter().any(|(n, k)| *k == "pet" && lc(n) == lc(&v)),
        "place" => has_path(&f.tags, Some("places"), &[&v]),
        "tag" => match v.split_once(':') {
            Some((t, rest)) => has_path(&f.tags, Some(t), &rest.split('/').collect::<Vec<_>>()),
            None => has_path(&f.tags, None, &v.split('/').collect::<Vec<_>>()),
        },
        "near" => {
            let p: Vec<f64> = v.split(',').map(|x| x.parse().unwrap()).collect();
            f.gps.is_some_and(|(la, lo)| hma_catalog::search::near_km(p[0], p[1], la, lo) <= p[2])
        }
        "camera" => lc(&f.make).contains(&v) || lc(&f.model).contains(&v),
        "lens" => lc(&f.lens).contains(&v),
        "year" => f.taken.is_some_and(|t| match v.split_once('-') {
            Some((a, b)) => (a.parse::<i32>().unwrap()..=b.parse::<i32>().unwrap()).contains(&t.0),
            None => t.0 == v.parse::<i32>().unwrap(),
        }),
        "month" => f.taken.is_some_and(|t| match v.as_str() {
            "december" => t.1 == 12,
            "2024-07" => t.0 == 2024 && t.1 == 7,
            m => t.1 == m.parse::<u32>().unwrap(),
        }),
        "day" => f.taken.is_some_and(|t| {
            let p: Vec<u32> = v.split('-').map(|x| x.parse().unwrap()).collect();
            if p.len() == 3 {
                (t.0 as u32, t.1, t.2) == (p[0], p[1], p[2])
            } else {
                (t.1, t.2) == (p[0], p[1])
            }
        }),
        "from" => f.taken.is_some_and(|t| date_key(t) >= 20240601),
        "to" => f.taken.is_some_and(|t| date_key(t) < 20250101),
        "score" => f.score.is_some_and(|s| cmp(s, if op == ":" { ">=" } else { &op }, v.parse().unwrap())),
        "rating" => cmp(f.rating as f64, &op, v.parse().unwrap()),
        "flag" => f.flag == ["reject", "none", "pick"].iter().position(|x| *x == v).unwrap() as i64 - 1,
        "label" => f.label.as_deref() == (v != "none").then_some(v.as_str()),
        "faces" => {
            let n = counted.len();
            match v.as_str() {
                "0" => f.faces_looked_at && n == 0,
                "1+" => n >= 1,
                _ => (2..=5).contains(&n),
            }
        }
        "eyes" => {
            let closed = counted.iter().any(|v| *v == "closed");
            if v == "closed" {
                closed
            } else {
                !closed && counted.iter().any(|v| *v == "open")
            }
        }
        "kind" => match v.as_str() {
            "raw" | "image" | "video" => f.kind == v,
            _ => f.format == v,
        },
        "is" => match v.as_str() {
            "dup" => f.dup,
            "best" => f.best,
            _ => f.missing,
        },
        // A bare word: a person or pet, a tag (place, keyword…), a file name.
        _ => {
            f.who.iter().any(|(n, _)| lc(n) == lc(&v)) || has_path(&f.tags, None, &[&v]) || lc(&f.rel).contains(&lc(&v))
        }
    }
}

/// The three fixed queries of the lightbox check, in memory.
fn top_holds(q: &str, f: &Facts) -> bool {
    match q {
        "has:person" => term_holds("has:person", f),
        "place:Germany OR camera:nikon" => term_holds("place:Germany", f) || term_holds("camera:nikon", f),
        _ => !term_holds("has:person", f) && term_holds("year:2024", f),
    }
}

/// A random query: its text and the same tree for the in-memory filter.
#[derive(Debug, Clone)]
enum Q {
    T(&'static str),
    And(Vec<Q>),
    Or(Vec<Q>),
    Not(Box<Q>),
}

impl Q {
    fn text(&self) -> String {
        match self {
            Q::T(t) => t.to_string(),
            Q::And(v) => format!("({})", v.iter().map(Q::text).collect::<Vec<_>>().join(" ")),
            Q::Or(v) => format!("({})", v.iter().map(Q::text).collect::<Vec<_>>().join(" OR ")),
            Q::Not(e) => match **e {
                Q::T(t) => format!("-{t}"),
                _ => format!("NOT {}", e.text()),
            },
        }
    }
    fn holds(&self, f: &Facts) -> bool {
        match self {
            Q::T(t) => term_holds(t, f),
            Q::And(v) => v.iter().all(|q| q.holds(f)),
            Q::Or(v) => v.iter().any(|q| q.holds(f)),
            Q::Not(e) => !e.holds(f),
        }
    }
    fn terms(&self) -> usize {
        match self {
            Q::T(_) => 1,
            Q::And(v) | Q::Or(v) => v.iter().map(Q::terms).sum(),
            Q::Not(e) => e.terms(),
        }
    }
}

fn query() -> impl Strategy<Value = Q> {
    let leaf = (0..TERMS.len()).prop_map(|i| Q::T(TERMS[i]));
    leaf.prop_recursive(3, 6, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(Q::And),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Q::Or),
            inner.prop_map(|q| Q::Not(Box::new(q))),
        ]
    })
    .prop_filter("up to six terms", |q| q.terms() <= 6)
}

catalog_test!(random_queries_find_what_a_plain_filter_finds, |db| {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path());
    let before = common::snapshot(dir.path());
    let d = dir.path().to_str().unwrap();
    common::assert_ok(&db.hma(&["root", "add", d, "--name", "fx"]), &["root add"]);
    common::assert_ok(&db.hma(&["scan"]), &["scan"]);
    // Exit 2: the NEF has no preview to analyse (listed, the rest done).
    let a = db.hma(&["analyze"]);
    assert!(a.status.code() == Some(2) && String::from_utf8_lossy(&a.stdout).contains("no embedded preview"), "{a:?}");
    let p = |rel: &str| dir.path().join(rel).to_string_lossy().into_owned();
    // Marks, tags, names.
    common::assert_ok(&db.hma(&["mark", &p("munich/img_00.jpg"), "--pick", "--stars", "4"]), &["mark"]);
    common::assert_ok(&db.hma(&["mark", &p("new_york/img_01.jpg"), "--reject"]), &["mark"]);
    common::assert_ok(&db.hma(&["mark", &p("paris/img_02.jpg"), "--label", "red", "--stars", "2"]), &["mark"]);
    common::assert_ok(&db.hma(&["mark", &p("content/dog.jpg"), "--stars", "5"]), &["mark"]);
    let tagged = db.json(&[
        "tag",
        &p("sydney/img_03.jpg"),
        &p("content/horses.jpg"),
        "--add",
        "keywords:Trips/Alps",
        "--add",
        "places:Germany",
        "--json",
    ]);
    assert_eq!((tagged["captures"].as_i64(), tagged["added"].as_i64()), (Some(2), Some(4)), "{tagged}");
    let portrait = db.json(&["show", &p("content/portrait.jpg"), "--json"]);
    let face = portrait["faces"][0]["id"].as_i64().expect("the portrait's face (faces model fetched?)");
    common::assert_ok(&db.hma(&["people", "name", &face.to_string(), "Anna", "--face"]), &["people name"]);
    common::assert_ok(&db.hma(&["people", "pet", &p("content/dog.jpg"), "Rex"]), &["people pet"]);

    // Places: each GPS photo placed, the 0,0 one not; keywords from the sidecar.
    let munich = db.json(&["show", &p("munich/img_00.jpg"), "--json"]);
    assert_eq!(munich["place"]["country"], "Germany", "{}", munich["place"]);
    assert_eq!(munich["place"]["admin1"], "Bavaria");
    assert!(munich["tags"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t.as_str().unwrap().starts_with("places:Germany/Bavaria/")));
    assert!(db.json(&["show", &p("new_york/img_09.jpg"), "--json"])["place"].is_null());
    let paris = db.json(&["show", &p("paris/img_02.jpg"), "--json"]);
    let tags: Vec<&str> = paris["tags"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
    assert!(tags.contains(&"keywords:Holidays/Beach") && tags.contains(&"keywords:Family"), "{tags:?}");
    assert!(!tags.contains(&"keywords:Beach"), "a level of a hierarchical keyword twice: {tags:?}");
    let kw = db.json(&["taxonomy", "show", "keywords", "--json"]);
    let holidays = kw["children"].as_array().unwrap().iter().find(|c| c["name"] == "Holidays").unwrap();
    assert_eq!((holidays["photos"].as_i64(), holidays["children"].as_i64()), (Some(1), Some(1)));
    let de = db.json(&["taxonomy", "show", "places", "Germany", "--json"]);
    // Three photos in Munich (one without GPS), two tagged Germany by hand.
    assert_eq!(de["photos"].as_i64(), Some(5), "{de}");

    let facts = facts(db, dir.path());
    assert!(facts.len() >= 20, "{} picture files", facts.len());
    let mut cat = db.open();
    let places = hma::report::Places::load(&mut cat, "test-machine").unwrap();
    let cat = std::cell::RefCell::new(cat);
    let check = |text: &str, holds: &dyn Fn(&Facts) -> bool| {
        let want: BTreeSet<i64> = facts.iter().filter(|f| !f.missing && holds(f)).map(|f| f.capture).collect();
        // (score, capture) in the order found, best first; captures of one
        // score (copies of one content) in either order, put in id order.
        let found = |limit: usize, first_walk: i64| -> Vec<(i64, i64)> {
            let hits = hma::search::search_walking(&mut cat.borrow_mut(), &places, text, limit, first_walk)
                .unwrap_or_else(|e| panic!("{text}: {e}"))
                .hits;
            let mut v: Vec<(i64, i64)> =
                hits.iter().map(|h| ((h.score.unwrap_or(-1.0) * 1e9).round() as i64, h.capture_id)).collect();
            assert!(v.windows(2).all(|w| w[0].0 >= w[1].0), "{text}: not best first: {v:?}");
            // Only captures of one score change places (stable sort).
            v.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            v
        };
        // As the search runs it (one walk covers this small library), and
        // with a first walk of one picture: then it plans from what that
        // found and takes every kind of step (walk windows, a start from
        // the smallest set); the same captures in the same order either
        // way, and a short page is the start of the long one.
        let all = found(100_000, hma::search::FIRST_WALK);
        assert_eq!(all.iter().map(|h| h.1).collect::<BTreeSet<i64>>(), want, "query {text}");
        assert_eq!(found(100_000, 1), all, "query {text}, planned from a walk of 1");
        let short = found(3, 2);
        let scores = |v: &[(i64, i64)]| v.iter().map(|h| h.0).collect::<Vec<_>>();
        assert_eq!(scores(&short), scores(&all[..all.len().min(3)]), "query {text}, first 3, from a walk of 2");
        assert!(short.iter().all(|h| all.contains(h)), "query {text}, first 3, from a walk of 2");
        all.len()
    };
    // Each term alone first (none may be vacuous on this library except where said).
    let mut empty = Vec::new();
    for t in TERMS {
        if check(t, &|f| term_holds(t, f)) == 0 {
            empty.push(t);
        }
    }
    eprintln!("{} picture files; terms that find nothing here: {empty:?}", facts.len());
    assert!(empty.len() <= 6, "terms that find nothing here: {empty:?}");
    let mut runner = TestRunner::new(Config { cases: 64, failure_persistence: None, ..Config::default() });
    let nonempty = std::cell::Cell::new(0);
    runner
        .run(&query(), |q| {
            let text = q.text();
            if check(&text, &|f| q.holds(f)) > 0 {
                nonempty.set(nonempty.get() + 1);
            }
            Ok(())
        })
        .unwrap();
    let nonempty = nonempty.get();
    eprintln!("{nonempty} of 64 random queries found something");
    // The steps the checks above took with a first walk of one picture:
    // a person's faces are a small set to start from; a camera is no set,
    // so the walk goes on in windows.
    let steps = |q: &str| -> Vec<hma_catalog::search::Phase> {
        let mut c = cat.borrow_mut();
        let f = hma::search::resolve(&mut c, &hma::search::parse(q).unwrap()).unwrap().filter;
        let mut pages = hma::search::ScoredPages::walking(f, true, 1);
        while !pages.next(&mut c, 1000).unwrap().is_empty() {}
        pages.steps().iter().map(|s| s.phase.clone()).collect()
    };
    let anna = steps("person:Anna");
    assert!(anna.iter().any(|p| matches!(p, hma_catalog::search::Phase::Driven { .. })), "{anna:?}");
    let camera = steps("camera:nikon");
    assert!(camera.iter().filter(|p| matches!(p, hma_catalog::search::Phase::Walk { .. })).count() >= 2, "{camera:?}");
    assert!(!camera.iter().any(|p| matches!(p, hma_catalog::search::Phase::Driven { .. })), "{camera:?}");
    assert!(nonempty >= 8, "only {nonempty} of 64 random queries found anything");

    // The lightbox's list with a query: only matching pictures, best first.
    for q in ["has:person", "place:Germany OR camera:nikon", "-has:person year:2024"] {
        let top = db.json(&["top", "100", "--query", q, "--json"]);
        let top = top.as_array().unwrap();
        assert!(!top.is_empty(), "{q}");
        let matching: BTreeSet<String> =
            facts.iter().filter(|f| !f.missing && top_holds(q, f)).map(|f| f.rel.clone()).collect();
        for e in top {
            let rel =
                Path::new(e["path"].as_str().unwrap()).strip_prefix(dir.path()).unwrap().to_string_lossy().into_owned();
            assert!(matching.contains(&rel), "{q}: {rel} listed");
        }
        let scores: Vec<f64> = top.iter().map(|e| e["score"].as_f64().unwrap()).collect();
        assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{q}: best first {scores:?}");
    }

    // Completions from the catalogue; kept searches.
    let sug = db.json(&["search", "--suggest", "place:Bav", "--json"]);
    assert_eq!(sug[0]["insert"], "place:Bavaria", "{sug}");
    let sug = db.json(&["search", "--suggest", "has:dog per", "--json"]);
    assert!(sug.as_array().unwrap().iter().any(|s| s["insert"] == "person:"), "{sug}");
    let sug = db.json(&["search", "--suggest", "-person:an", "--json"]);
    assert_eq!(sug[0]["insert"], "-person:Anna", "{sug}");
    let sug = db.json(&["search", "--suggest", "tag:\"Holi", "--json"]);
    assert_eq!(sug[0]["insert"], "tag:Holidays", "{sug}");
    db.json(&["search", "place:Germany -flag:reject", "--save", "Germany", "--json"]);
    let kept = db.json(&["searches", "--json"]);
    assert_eq!(
        (kept[0]["name"].as_str(), kept[0]["query"].as_str()),
        (Some("Germany"), Some("place:Germany -flag:reject"))
    );
    assert_eq!(
        db.hma(&["search", "colour:red", "--save", "Bad"]).status.code(),
        Some(64),
        "a query that cannot be read is not kept"
    );
    assert_eq!(db.json(&["searches", "--delete", "Germany", "--json"]), serde_json::json!([]));

    // Tag round trip: remove undoes add.
    let removed = db.json(&["tag", &p("sydney/img_03.jpg"), "--remove", "keywords:Trips/Alps", "--json"]);
    assert_eq!(removed["removed"].as_i64(), Some(1));
    let hits = db.json(&["search", "tag:Alps", "--json"]);
    assert_eq!(hits.as_array().unwrap().len(), 1, "{hits}");
    assert!(hits[0]["path"].as_str().unwrap().ends_with("horses.jpg"));

    // Bad queries: exit 64 with the column.
    for (q, col) in [("has:dog has:unicorn", 13), ("(person:Anna", 1), ("month:13", 7), ("colour:red", 1)] {
        let out = db.hma(&["search", q]);
        assert_eq!(out.status.code(), Some(64), "{q}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with(&format!("error at column {col}: ")), "{q}: {err}");
    }
    // --explain shows the tree, the SQL and the plan.
    let ex = db.json(&["search", "--explain", "person:Anna place:Bavaria -has:cat", "--json"]);
    for ph in ex["phases"].as_array().unwrap() {
        assert!(ph["sql"].as_str().unwrap().contains("SELECT"), "{ph}");
        assert!(!ph["plan"].as_array().unwrap().is_empty(), "{ph}");
    }
    assert_eq!(ex["ast"]["and"].as_array().unwrap().len(), 3, "{}", ex["ast"]);

    assert_eq!(common::snapshot(dir.path()), before, "originals changed");
});

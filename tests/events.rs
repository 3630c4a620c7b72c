//! Events on real files, SQLite and MariaDB: generated JPEGs with camera
//! EXIF (times and GPS) for one afternoon and the next morning go through
//! the real scan; `hma events --json` must find the birthday burst, the
//! cake after a 40-minute pause, the drive to another town 13 minutes later
//! (a change of place, not of time), and the next morning; `top --spread`
//! takes at most K from each; a photo added to the burst later joins it
//! without renaming it; originals untouched.

mod common;

use common::ExifSpec;
use serde_json::Value;

/// A photo at `time` ("HH:MM:SS" on `day`), at `gps` when given.
fn photo(dir: &std::path::Path, rel: &str, seed: u32, day: &str, time: &str, gps: Option<(f64, f64)>) {
    let mut spec = ExifSpec::camera(&format!("{day} {time}"));
    spec.gps = gps.map(|(lat, lon)| (lat, lon, 500.0));
    common::put(dir, rel, &common::jpeg(seed, Some(&spec)));
}

const MUNICH: (f64, f64) = (48.1374, 11.5755);
const AUGSBURG: (f64, f64) = (48.3705, 10.8978);

fn events(db: &common::Db) -> Vec<Value> {
    db.json(&["events", "--json"]).as_array().unwrap().clone()
}

catalog_test!(events_follow_gaps_and_places, |db| {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // The birthday: ten shots 30 s apart from 14:00, in Munich.
    for i in 0..10u32 {
        let t = format!("14:{:02}:{:02}", i / 2, (i % 2) * 30);
        photo(d, &format!("birthday/a_{i:02}.jpg"), i + 1, "2024:05:02", &t, Some(MUNICH));
    }
    // The cake, 40 minutes later: six shots 20 s apart.
    for i in 0..6u32 {
        let t = format!("14:45:{:02}", i * 10);
        photo(d, &format!("birthday/b_{i:02}.jpg"), i + 20, "2024:05:02", &t, Some(MUNICH));
    }
    // 13 minutes later in Augsburg (55 km): a new place, under 15 minutes.
    for i in 0..4u32 {
        let t = format!("15:00:{:02}", i * 15);
        photo(d, &format!("trip/c_{i:02}.jpg"), i + 40, "2024:05:02", &t, Some(AUGSBURG));
    }
    // The next morning, no GPS; and a scan without a date.
    photo(d, "next/d_00.jpg", 60, "2024:05:03", "10:00:00", None);
    photo(d, "next/d_01.jpg", 61, "2024:05:03", "10:01:00", None);
    common::put(d, "scans/plain.jpg", &common::jpeg(99, None));
    let before = common::snapshot(d);

    common::assert_ok(&db.hma(&["root", "add", d.to_str().unwrap(), "--name", "ev"]), &["root add"]);
    common::assert_ok(&db.hma(&["scan"]), &["scan"]);
    let ev = events(db);
    // Newest first: the morning, Augsburg, the cake, the birthday.
    let counts: Vec<i64> = ev.iter().map(|e| e["count"].as_i64().unwrap()).collect();
    assert_eq!(counts, vec![2, 4, 6, 10], "{ev:#?}");
    assert_eq!(ev[3]["start"], "2024-05-02 14:00:00", "{}", ev[3]);
    assert_eq!(ev[3]["end"], "2024-05-02 14:04:30", "{}", ev[3]);
    assert_eq!(ev[3]["place"], "Munich, Germany", "{}", ev[3]);
    assert_eq!(ev[1]["place"], "Augsburg, Germany", "{}", ev[1]);
    assert!(ev[0]["place"].is_null(), "{}", ev[0]);
    assert!(ev.iter().all(|e| e["people"].as_array().is_some_and(|p| p.is_empty())));
    // Before analysis nothing is scored: no best yet.
    assert!(ev.iter().all(|e| e["best"].is_null()), "{ev:#?}");

    // After it, each event's best is one of its own pictures, the best scored.
    let a = db.hma(&["analyze", "--only", "analyze"]);
    assert!(a.status.code() == Some(0), "{}", String::from_utf8_lossy(&a.stderr));
    let ev = events(db);
    for (e, folder) in ev.iter().zip(["next/d_", "trip/c_", "birthday/b_", "birthday/a_"]) {
        let best = e["best"]["path"].as_str().unwrap_or_else(|| panic!("no best: {e}"));
        assert!(best.contains(folder), "{best} for {folder}");
    }
    let birthday_id = ev[3]["id"].clone();

    // The spread shortlist: one per event with --per-event 1 (the plain
    // list takes the best wherever they are), at most two with 2; each
    // pick says which event it is the best of.
    let event_of = |path: &str| -> &'static str {
        ["birthday/a_", "birthday/b_", "trip/c_", "next/d_", "scans/plain"]
            .into_iter()
            .find(|p| path.contains(p))
            .unwrap()
    };
    let spread = db.json(&["top", "4", "--spread", "--json"]);
    let spread = spread.as_array().unwrap();
    let evs: std::collections::BTreeSet<&str> = spread.iter().map(|e| event_of(e["path"].as_str().unwrap())).collect();
    assert_eq!((spread.len(), evs.len()), (4, 4), "{spread:#?}");
    for e in spread {
        let why = e["explain"][0].as_str().unwrap();
        let undated = e["path"].as_str().unwrap().contains("scans/plain");
        let want = if undated { "spread: in no event (no date)" } else { "spread: best left of the 2024-05-0" };
        assert!(why.starts_with(want), "{why}");
    }
    let two = db.json(&["top", "8", "--spread", "--per-event", "2", "--json"]);
    let mut per: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for e in two.as_array().unwrap() {
        *per.entry(event_of(e["path"].as_str().unwrap())).or_default() += 1;
    }
    assert!(per.iter().all(|(e, &k)| k <= 2 || *e == "scans/plain"), "{per:?}");
    assert!(per.len() >= 4, "{per:?}");
    assert_eq!(common::snapshot(d), before, "originals changed");

    // A shot added in the middle of the burst joins it; the event keeps its id.
    photo(d, "birthday/a_late.jpg", 70, "2024:05:02", "14:02:15", Some(MUNICH));
    let before = common::snapshot(d);
    common::assert_ok(&db.hma(&["scan"]), &["scan"]);
    let ev = events(db);
    let counts: Vec<i64> = ev.iter().map(|e| e["count"].as_i64().unwrap()).collect();
    assert_eq!(counts, vec![2, 4, 6, 11], "{ev:#?}");
    assert_eq!(ev[3]["id"], birthday_id);
    // Grouping again changes nothing.
    let text = db.hma(&["events"]);
    common::assert_ok(&text, &["events"]);
    let out = String::from_utf8_lossy(&text.stdout);
    assert!(out.starts_with("23 photos with a time in 4 events (0 new, 0 gone; 0 photos moved"), "{out}");
    assert_eq!(common::snapshot(d), before, "originals changed");
});

// A scan killed after writing its files but before their events (and
// places and keywords) leaves its mark set: the next scan finds nothing new
// and still does them. Found by `scripts/crash-campaign`: before, those
// files never got their events. The killed state is made exactly: a whole
// scan, then its follow-ups undone and the mark left as a kill leaves it.
catalog_test!(a_killed_scans_events_are_made_by_the_next_scan, |db| {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for i in 0..4u32 {
        photo(d, &format!("p_{i}.jpg"), i + 1, "2024:05:02", &format!("14:00:{:02}", i * 10), Some(MUNICH));
    }
    common::assert_ok(&db.hma(&["root", "add", d.to_str().unwrap(), "--name", "ev"]), &["root add"]);
    common::assert_ok(&db.hma(&["scan"]), &["scan"]);
    // (Read from the catalogue: `hma events` would make them itself.)
    assert_eq!(db.open().events_count().unwrap(), 1);
    let mut cat = db.open();
    cat.execute_sql("DELETE FROM capture_events; DELETE FROM events").unwrap();
    cat.set_job_mark("scan_follow_ups", 1).unwrap();
    assert_eq!(cat.events_count().unwrap(), 0);
    drop(cat);
    let s = db.json(&["scan", "--json"]);
    assert_eq!((s["new"].as_u64(), s["unchanged"].as_u64()), (Some(0), Some(4)), "{s}");
    let mut cat = db.open();
    assert_eq!(cat.events_count().unwrap(), 1);
    assert_eq!(cat.job_mark("scan_follow_ups").unwrap(), 0);
    drop(cat);
    assert_eq!(events(db)[0]["count"], 4);
});

//! The family calendar on a synthetic year made from real photos, SQLite
//! and MariaDB, through the real `hma` binary and the real models.
//!
//! The year (2026): every month has a short burst on the 6th and one photo
//! on the 21st. The photos are parts of real pictures (the 1927 Solvay
//! conference for people, public domain; a dog, horses, a person and three
//! plant and landscape photos, see the fixtures' LICENSES.md), each with its
//! own crop so no two months share a picture. The group photo is January's;
//! three blow-ups of it (front row, middle, right) are March's, July's and
//! November's bursts, so one man from each, named and given a birthday in
//! that month, is in his birthday month's pool beside a photo without him.
//!
//! Must hold: twelve months each from its own month, no two choices (cover
//! included) from one event; each birthday person in their month; German
//! holidays in the right months; a chosen month kept when the suggestions
//! are renewed; `top 20 --spread` with every named person and no event
//! twice; export of 13 hash-verified files named by the pattern, again with
//! nothing new, never into the library; a missing photo never exported;
//! originals untouched.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use common::{ok_json as json, put, snapshot, with_exif, ExifSpec};
use image::imageops::FilterType;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(rel)
}

/// The blow-ups of the group photo: (name, left, top, width, height, scale).
const PARTS: [(&str, u32, u32, u32, u32, f64); 3] =
    [("front-row", 180, 180, 560, 150, 3.0), ("middle", 560, 170, 520, 200, 2.5), ("right", 950, 150, 600, 230, 2.2)];

/// Photos without people, to crop from.
const PLAIN: [&str; 5] = [
    "detect/horses.jpg",
    "detect/dog.jpg",
    "photos/immich__albums_nature_el_torcal_rocks.jpg",
    "photos/immich__albums_nature_notocactus_minimus.jpg",
    "photos/immich__albums_nature_cyclamen_persicum.jpg",
];

/// `img` as a JPEG taken at `taken` ("YYYY:MM:DD HH:MM:SS").
fn jpeg_at(img: &image::DynamicImage, taken: &str) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92).encode_image(&img.to_rgb8()).unwrap();
    with_exif(&out, &ExifSpec::camera(taken))
}

/// A part of a plain photo, different for each `k`, at least 900 px wide.
fn plain_crop(k: usize) -> image::DynamicImage {
    let img = image::open(fixture(PLAIN[k % PLAIN.len()])).unwrap();
    let (w, h) = (img.width(), img.height());
    let round = (k / PLAIN.len()) as u32;
    let (cw, ch) = (w * 3 / 4, h * 3 / 4);
    let (x, y) = ((round * 37) % (w - cw), (round * 23) % (h - ch));
    let part = img.crop_imm(x, y, cw, ch);
    let s = 900.0 / f64::from(cw);
    part.resize((f64::from(cw) * s) as u32, (f64::from(ch) * s) as u32, FilterType::Lanczos3)
}

/// Writes the year into `lib`; the people photos' names by month.
fn make_year(lib: &Path) -> HashMap<u32, String> {
    let group = image::open(fixture("faces/solvay-1927.jpg")).unwrap();
    let mut people_photos = HashMap::new();
    let mut k = 0;
    for m in 1..=12u32 {
        // The burst on the 6th: a people blow-up in March, July, November;
        // else a plain photo. Two frames, the second a hair to the side.
        let part = match m {
            3 => Some(PARTS[0]),
            7 => Some(PARTS[1]),
            11 => Some(PARTS[2]),
            _ => None,
        };
        let base = match part {
            Some((name, x, y, w, h, s)) => {
                people_photos.insert(m, format!("{name}.jpg"));
                group.crop_imm(x, y, w, h).resize((w as f64 * s) as u32, (h as f64 * s) as u32, FilterType::Lanczos3)
            }
            None => {
                k += 1;
                plain_crop(k)
            }
        };
        let folder = format!("2026/{m:02}");
        for i in 0..2u32 {
            let frame = base.crop_imm(i * 4, 0, base.width() - 8, base.height());
            let name = match part {
                Some((n, ..)) if i == 0 => format!("{n}.jpg"),
                _ => format!("burst_{m:02}_{i}.jpg"),
            };
            put(lib, &format!("{folder}/{name}"), &jpeg_at(&frame, &format!("2026:{m:02}:06 10:00:{:02}", i * 20)));
        }
        // The 21st: the group photo in January, else a plain photo.
        let single = if m == 1 {
            people_photos.insert(0, "group.jpg".to_string());
            ("group.jpg".to_string(), group.clone())
        } else {
            k += 1;
            (format!("single_{m:02}.jpg"), plain_crop(k))
        };
        put(lib, &format!("{folder}/{}", single.0), &jpeg_at(&single.1, &format!("2026:{m:02}:21 15:00:00")));
    }
    // Two photos of other years, for months that have their own: they may
    // stand in, never displace.
    for (m, k) in [(3u32, 20usize), (6, 21)] {
        put(lib, &format!("2024/{m:02}/old_{m:02}.jpg"), &jpeg_at(&plain_crop(k), &format!("2024:{m:02}:10 12:00:00")));
    }
    people_photos
}

/// `YYYY-MM-DD HH:MM:SS` → (month, day).
fn month_day(t: &serde_json::Value) -> (u32, u32) {
    let t = t.as_str().unwrap_or_else(|| panic!("no time: {t}"));
    (t[5..7].parse().unwrap(), t[8..10].parse().unwrap())
}

catalog_test!(calendar_from_a_year_of_real_photos, |db| {
    let lib = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let people_photos = make_year(lib.path());
    let before = snapshot(lib.path());
    let hma = |args: &[&str]| db.hma_cached(cache.path(), args);
    let path = |rel: &str| lib.path().join(rel).to_str().unwrap().to_string();
    json(hma(&["root", "add", lib.path().to_str().unwrap(), "--name", "year", "--json"]), "root add");
    json(hma(&["scan", "--json"]), "scan");
    json(hma(&["analyze", "--json"]), "analyze");

    // Name one man from each blow-up: a cluster seen in that blow-up and in
    // no other, born in the blow-up's month.
    let faces_in = |rel: &str| -> BTreeSet<i64> {
        let s = json(hma(&["show", &path(rel), "--json"]), "show");
        s["faces"].as_array().unwrap().iter().filter_map(|f| f["person_id"].as_i64()).collect()
    };
    let by_month: Vec<(u32, BTreeSet<i64>)> =
        [3u32, 7, 11].iter().map(|&m| (m, faces_in(&format!("2026/{m:02}/{}", people_photos[&m])))).collect();
    let names = [("Anna", "2019-03-14"), ("Ben", "2016-07-02"), ("Clara", "2021-11-23")];
    let mut named: HashMap<&str, u32> = HashMap::new();
    for (i, (m, ids)) in by_month.iter().enumerate() {
        let others: BTreeSet<i64> =
            by_month.iter().filter(|(o, _)| o != m).flat_map(|(_, s)| s.iter().copied()).collect();
        let id = ids
            .iter()
            .find(|id| !others.contains(id))
            .unwrap_or_else(|| panic!("nobody only in month {m}: {by_month:?}"));
        let (name, born) = names[i];
        json(hma(&["people", "name", &id.to_string(), name, "--born", born, "--json"]), "name");
        named.insert(name, *m);
    }

    // March's other photo picked with five stars: without the birthday rule
    // it would lead March (its score + 0.20 against the blow-up's).
    json(hma(&["mark", &path("2026/03/single_03.jpg"), "--pick", "--stars", "5", "--json"]), "mark");
    // The other years' photos picked with five stars too: they still only
    // stand in, never displace a month's own photos.
    for m in ["03", "06"] {
        json(hma(&["mark", &path(&format!("2024/{m}/old_{m}.jpg")), "--pick", "--stars", "5", "--json"]), "mark");
    }

    let cal = json(hma(&["calendar", "new", "2027", "--country", "DE", "--json"]), "calendar new");
    println!("{}", serde_json::to_string_pretty(&cal).unwrap());
    assert_eq!(
        (cal["year"].as_i64(), cal["from"].as_str(), cal["to"].as_str()),
        (Some(2027), Some("2026-01-01"), Some("2026-12-31"))
    );
    let months = cal["months"].as_array().unwrap();
    assert_eq!(months.len(), 12);
    let mut days = BTreeSet::new();
    for (i, m) in months.iter().enumerate() {
        let month = i as u32 + 1;
        assert_eq!(m["month"].as_u64(), Some(u64::from(month)));
        let c = &m["choice"];
        // Every month from its own month of the period (each has photos).
        let (cm, cd) = month_day(&c["taken_at"]);
        assert_eq!(cm, month, "month {month}: {c}");
        assert!(c["taken_at"].as_str().unwrap().starts_with("2026-"), "month {month}: {c}");
        assert!(c["why"].as_str().unwrap().starts_with("best of "), "{c}");
        // Print check in words (900-1700 px is too small for A4 at 300 dpi).
        assert!(c["print"]["words"].as_str().unwrap().contains("A4"), "{c}");
        // One event per day here: no two choices from one day.
        assert!(days.insert((cm, cd)), "two choices from {cm}/{cd}");
        assert!(!m["suggestions"].as_array().unwrap().is_empty(), "{m}");
        assert_eq!(m["suggestions"][0]["path"], c["path"], "the choice leads the suggestions: {m}");
    }
    let cover = &cal["cover"];
    assert!(days.insert(month_day(&cover["taken_at"])), "the cover shares an event with a month: {cover}");
    let cover_faces = json(hma(&["show", cover["path"].as_str().unwrap(), "--json"]), "show");
    assert!(!cover_faces["faces"].as_array().unwrap().is_empty(), "the cover has people: {cover}");

    // Birthdays: each named person is in their month's photo, said so.
    for (name, m) in &named {
        let slot = &months[*m as usize - 1];
        let b = &slot["birthdays"];
        assert!(b.as_array().unwrap().iter().any(|x| x["name"] == *name), "{slot}");
        let shown = json(hma(&["show", slot["choice"]["path"].as_str().unwrap(), "--json"]), "show");
        let who: Vec<&str> = shown["faces"].as_array().unwrap().iter().filter_map(|f| f["person"].as_str()).collect();
        assert!(who.contains(name), "{name} is not in {}'s choice: {who:?}", slot["title"]);
        assert!(slot["choice"]["why"].as_str().unwrap().contains(&format!("{name}'s birthday")), "{slot}");
        // What it beat is in the suggestions, said why.
        let next = &slot["suggestions"][1];
        assert!(next["why"].as_str().is_some_and(|w| !w.contains("birthday")), "{slot}");
    }
    assert_eq!(months[2]["birthdays"][0]["turns"], 8, "{}", months[2]);
    let march = months[2]["choice"]["why"].as_str().unwrap();
    assert!(march.contains("ahead of single_03.jpg"), "{march}");
    assert!(months[2]["suggestions"][1]["why"].as_str().unwrap().contains("you picked it; 5 stars"), "{}", months[2]);
    // German holidays of 2027 in their months.
    let hol = |m: usize| -> Vec<(String, String)> {
        months[m - 1]["holidays"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| (h["date"].as_str().unwrap().to_string(), h["name"].as_str().unwrap().to_string()))
            .collect()
    };
    assert!(hol(12).contains(&("2027-12-25".into(), "Erster Weihnachtstag".into())), "{:?}", hol(12));
    assert!(hol(5).contains(&("2027-05-17".into(), "Pfingstmontag".into())), "{:?}", hol(5));
    assert!(hol(2).is_empty(), "{:?}", hol(2));

    // The user puts the other frame of May's burst in May; renewing keeps it.
    let may_choice = months[4]["choice"]["path"].as_str().unwrap().to_string();
    let may_other = [path("2026/05/burst_05_0.jpg"), path("2026/05/burst_05_1.jpg"), path("2026/05/single_05.jpg")]
        .into_iter()
        .find(|p| *p != may_choice)
        .unwrap();
    let set = json(hma(&["calendar", "set", "2027", "--month", "5", &may_other, "--json"]), "calendar set");
    assert_eq!((set["before"].as_str(), set["after"].as_str()), (Some(may_choice.as_str()), Some(may_other.as_str())));
    let again = json(hma(&["calendar", "new", "2027", "--country", "DE", "--json"]), "calendar new again");
    assert_eq!(again["months"][4]["choice"]["path"].as_str(), Some(may_other.as_str()));
    assert_eq!(again["months"][4]["chosen_by"], "user");
    let shown = json(hma(&["calendar", "show", "2027", "--json"]), "calendar show");
    assert_eq!(shown["months"][4]["choice"]["path"].as_str(), Some(may_other.as_str()));
    // Back to the suggested photo (what the app's undo does): the suggestion
    // stands again, with its own why.
    let back = json(hma(&["calendar", "set", "2027", "--month", "5", &may_choice, "--json"]), "calendar set back");
    assert_eq!(back["calendar"]["months"][4]["chosen_by"], "suggested", "{}", back["calendar"]["months"][4]);
    assert!(back["calendar"]["months"][4]["choice"]["why"].as_str().unwrap().starts_with("best of May"));
    json(hma(&["calendar", "set", "2027", "--month", "5", &may_other, "--json"]), "calendar set again");

    // A year with no photos at all (2029 for a 2030 calendar): twelve
    // slots all the same, each filled from its month of another year, said so.
    // (A locale without a country: no holidays, said so.)
    let out = db
        .hma_cached_command(cache.path(), &["calendar", "new", "2030", "--json"])
        .env("LANG", "C.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_TIME")
        .output()
        .unwrap();
    let empty = json(out, "calendar new 2030");
    let months = empty["months"].as_array().unwrap();
    assert_eq!(months.len(), 12);
    for (i, m) in months.iter().enumerate() {
        let note = m["note"].as_str().unwrap_or_default();
        assert!(note.starts_with(&format!("no photos from {} 2029", m["title"].as_str().unwrap())), "{m}");
        assert_eq!(month_day(&m["choice"]["taken_at"]).0, i as u32 + 1, "{m}");
        assert!(m["choice"]["why"].as_str().unwrap().contains("of another year"), "{m}");
    }
    assert!(
        empty["notes"].as_array().unwrap().iter().any(|n| n.as_str().unwrap().starts_with("no holidays")),
        "{}",
        empty["notes"]
    );

    // The spread shortlist over the same year.
    let top = json(hma(&["top", "20", "--spread", "--json"]), "top --spread");
    let mut per_day: HashMap<(u32, u32), usize> = HashMap::new();
    let mut seen_people = BTreeSet::new();
    for e in top.as_array().unwrap() {
        *per_day.entry(month_day(&e["taken"])).or_default() += 1;
        for p in e["people"].as_array().unwrap() {
            seen_people.insert(p.as_str().unwrap().to_string());
        }
    }
    assert!(per_day.values().all(|&n| n == 1), "an event twice: {per_day:?}");
    for name in named.keys() {
        assert!(seen_people.contains(*name), "{name} not in the top 20: {seen_people:?}");
    }

    // Export: 13 files, named by the pattern, each the original's bytes.
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("Calendar 2027");
    let rep = json(
        hma(&["calendar", "export", "2027", dest.to_str().unwrap(), "--pattern", "{YYYY}-{MM}_{stem}.{ext}", "--json"]),
        "calendar export",
    );
    assert_eq!(rep["copied"].as_array().unwrap().len(), 13, "{rep}");
    let shown = json(hma(&["calendar", "show", "2027", "--json"]), "calendar show");
    let mut want: Vec<(String, String)> = vec![];
    let slots = std::iter::once(&shown["cover_slot"]).chain(shown["months"].as_array().unwrap().iter());
    for s in slots {
        let src = s["choice"]["path"].as_str().unwrap();
        let file = Path::new(src).file_name().unwrap().to_str().unwrap();
        want.push((format!("2027-{:02}_{file}", s["month"].as_u64().unwrap()), src.to_string()));
    }
    let mut names: Vec<String> =
        std::fs::read_dir(&dest).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    let mut want_names: Vec<String> = want.iter().map(|w| w.0.clone()).collect();
    want_names.sort();
    assert_eq!(names, want_names);
    for (name, src) in &want {
        assert_eq!(std::fs::read(dest.join(name)).unwrap(), std::fs::read(src).unwrap(), "{name}");
    }
    let rep = json(
        hma(&["calendar", "export", "2027", dest.to_str().unwrap(), "--pattern", "{YYYY}-{MM}_{stem}.{ext}", "--json"]),
        "again",
    );
    assert_eq!(
        (rep["copied"].as_array().unwrap().len(), rep["already_there"].as_array().unwrap().len()),
        (0, 13),
        "{rep}"
    );
    // Never into the library.
    let inside = hma(&["calendar", "export", "2027", &path("export")]);
    assert_eq!(inside.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&inside.stderr).contains("inside the catalogued folder"));
    assert!(!lib.path().join("export").exists());
    assert_eq!(snapshot(lib.path()), before, "originals changed");

    // A chosen photo whose file went missing: shown so, never exported.
    let gone = shown["months"][0]["choice"]["path"].as_str().unwrap().to_string();
    std::fs::remove_file(&gone).unwrap();
    json(hma(&["scan", "--json"]), "rescan");
    let shown = json(hma(&["calendar", "show", "2027", "--json"]), "calendar show");
    assert_eq!(shown["months"][0]["choice"]["missing"], true, "{}", shown["months"][0]);
    let dest2 = out.path().join("second");
    let out2 = hma(&["calendar", "export", "2027", dest2.to_str().unwrap(), "--json"]);
    assert_eq!(out2.status.code(), Some(2), "{}", String::from_utf8_lossy(&out2.stderr));
    let rep: serde_json::Value = serde_json::from_slice(&out2.stdout).unwrap();
    assert_eq!((rep["copied"].as_array().unwrap().len(), rep["failed"].as_array().unwrap().len()), (12, 1), "{rep}");
    assert!(rep["failed"][0]["error"].as_str().unwrap().contains("missing"), "{rep}");
});

//! Culling and export through the real `hma` binary, on both backends:
//! decisions overrule XMP without writing a file and survive a rescan;
//! `top` filters by flag and stars; export copies exactly the picks,
//! verified, never overwriting, idempotent, never into the library; a
//! removed root is forgotten while its folder stays as it was.

mod common;

use std::path::Path;

use common::{ok_json as json, put, snapshot};

const PHOTOS: [(&str, &str); 3] = [
    ("cyclamen.jpg", "immich__albums_nature_cyclamen_persicum.jpg"),
    ("torcal.jpg", "immich__albums_nature_el_torcal_rocks.jpg"),
    ("cactus.jpg", "immich__albums_nature_notocactus_minimus.jpg"),
];

fn xmp(rating: i32, label: &str) -> String {
    format!(
        r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="{rating}" xmp:Label="{label}"/></rdf:RDF></x:xmpmeta>"#
    )
}

fn names(v: &serde_json::Value) -> Vec<String> {
    let mut n: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap().rsplit('/').next().unwrap().to_string())
        .collect();
    n.sort();
    n
}

catalog_test!(decisions_export_and_root_removal, |db| {
    let lib = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    for (name, fixture) in PHOTOS {
        put(lib.path(), name, &std::fs::read(common::fixtures().join(fixture)).unwrap());
    }
    put(lib.path(), "cactus.xmp", xmp(2, "Green").as_bytes());
    let lib_s = lib.path().to_str().unwrap();
    let hma = |args: &[&str]| db.hma_cached(cache.path(), args);
    json(hma(&["root", "add", lib_s, "--name", "home", "--json"]), "root add");
    json(hma(&["scan", "--json"]), "scan");
    json(hma(&["analyze", "--only", "analyze", "--json"]), "analyze");
    let cactus = lib.path().join("cactus.jpg");
    let cactus_s = cactus.to_str().unwrap();
    let cyclamen = lib.path().join("cyclamen.jpg");
    let torcal = lib.path().join("torcal.jpg");

    // What XMP says shows, marked as not decided here.
    let show = json(hma(&["show", cactus_s, "--json"]), "show");
    assert_eq!(show["marks"]["rating"], 2, "{}", show["marks"]);
    assert_eq!(show["marks"]["label"], "green");
    assert_eq!(show["marks"]["decided"], serde_json::json!({"flag": null, "rating": null, "label": null}));

    // Decisions: saved per capture; only what is named changes.
    let before = snapshot(lib.path());
    let m = json(hma(&["mark", cyclamen.to_str().unwrap(), "--pick", "--stars", "4", "--json"]), "mark");
    assert_eq!(m[0]["marks"]["flag"], 1);
    assert_eq!(m[0]["marks"]["rating"], 4);
    json(hma(&["mark", torcal.to_str().unwrap(), "--reject", "--json"]), "mark reject");
    let m = json(hma(&["mark", cactus_s, "--pick", "--label", "none", "--json"]), "mark cactus");
    assert_eq!(m[0]["marks"]["flag"], 1);
    assert_eq!(m[0]["marks"]["rating"], 2, "the XMP stars stay: not named");
    assert_eq!(m[0]["marks"]["label"], serde_json::Value::Null, "the XMP label is cleared");
    assert_eq!(snapshot(lib.path()), before, "marking writes no file");
    let bad = hma(&["mark", cactus_s, "--label", "pink"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown label"), "{}", String::from_utf8_lossy(&bad.stderr));
    assert_eq!(hma(&["mark", cactus_s]).status.code(), Some(1), "nothing to mark is an error");

    assert_eq!(
        names(&json(hma(&["top", "10", "--flag", "picked", "--json"]), "top picked")),
        ["cactus.jpg", "cyclamen.jpg"]
    );
    assert_eq!(names(&json(hma(&["top", "10", "--flag", "rejected", "--json"]), "top rejected")), ["torcal.jpg"]);
    assert_eq!(names(&json(hma(&["top", "10", "--flag", "unflagged", "--json"]), "top unflagged")).len(), 0);
    assert_eq!(names(&json(hma(&["top", "10", "--min-rating", "3", "--json"]), "top stars")), ["cyclamen.jpg"]);

    // The user edits the sidecar elsewhere (Lightroom): a rescan reads the
    // new XMP stars, and what was decided here stays.
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(lib.path().join("cactus.xmp"), xmp(1, "Blue")).unwrap();
    json(hma(&["scan", "--json"]), "rescan");
    let show = json(hma(&["show", cactus_s, "--json"]), "show after rescan");
    assert_eq!(show["marks"]["rating"], 1, "{}", show["marks"]);
    assert_eq!(show["marks"]["flag"], 1);
    assert_eq!(show["marks"]["label"], serde_json::Value::Null);
    // One answer: `flags` says what `marks` says (decided here over XMP's
    // label Blue), keeping the XMP keywords.
    assert_eq!(
        (&show["flags"]["pick"], &show["flags"]["rating"], &show["flags"]["label"]),
        (&serde_json::json!(1), &serde_json::json!(1), &serde_json::Value::Null),
        "{show}"
    );
    let originals = snapshot(lib.path());

    // Export by name: a different file already there is never overwritten.
    let cal = out_dir.path().join("Calendar 2025");
    put(&cal, "cyclamen.jpg", b"someone else's file");
    // What a copy killed mid-way by an earlier run left: not ours to delete
    // now, and no reason for this run to fail.
    put(&cal, ".cactus.jpg.hma-partial", b"half a copy");
    let cal_s = cal.to_str().unwrap();
    let rep = json(hma(&["export", cal_s, "--pattern", "{name}", "--json"]), "export");
    assert_eq!(rep["picked"], 2, "{rep}");
    assert_eq!(rep["copied"].as_array().unwrap().len(), 2, "{rep}");
    assert_eq!(rep["failed"].as_array().unwrap().len(), 0, "{rep}");
    assert_eq!(std::fs::read(cal.join("cyclamen.jpg")).unwrap(), b"someone else's file");
    assert_eq!(std::fs::read(cal.join("cyclamen (2).jpg")).unwrap(), std::fs::read(&cyclamen).unwrap());
    assert_eq!(std::fs::read(cal.join("cactus.jpg")).unwrap(), std::fs::read(&cactus).unwrap());
    let mut listed: Vec<String> =
        std::fs::read_dir(&cal).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    listed.sort();
    assert_eq!(
        listed,
        [".cactus.jpg.hma-partial", "cactus.jpg", "cyclamen (2).jpg", "cyclamen.jpg"],
        "no partial of this run or extra file left; the earlier run's partial is untouched"
    );
    // The copy keeps the original's modification time.
    assert_eq!(
        std::fs::metadata(cal.join("cactus.jpg")).unwrap().modified().unwrap(),
        std::fs::metadata(&cactus).unwrap().modified().unwrap()
    );

    // Again: nothing new is copied; what is there is recognised by its bytes.
    let rep = json(hma(&["export", cal_s, "--pattern", "{name}", "--json"]), "export again");
    assert_eq!(rep["copied"].as_array().unwrap().len(), 0, "{rep}");
    assert_eq!(rep["already_there"].as_array().unwrap().len(), 2, "{rep}");
    assert_eq!(std::fs::read_dir(&cal).unwrap().count(), 4);

    // The default pattern: YYYY-MM_<original name>.
    let cal2 = out_dir.path().join("by-month");
    let rep = json(hma(&["export", cal2.to_str().unwrap(), "--json"]), "export default pattern");
    for e in rep["copied"].as_array().unwrap() {
        let name = Path::new(e["dest"].as_str().unwrap()).file_name().unwrap().to_string_lossy().into_owned();
        let src = Path::new(e["source"].as_str().unwrap()).file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.len() == src.len() + 8 && name.ends_with(&format!("_{src}")), "{name}");
        assert!(name[..4].bytes().all(|b| b.is_ascii_digit()) && &name[4..5] == "-", "{name}");
    }

    // Never into the library (the copies would be catalogued as new photos),
    // never with a pattern that makes folders.
    let into_lib = hma(&["export", lib.path().join("picks").to_str().unwrap()]);
    assert_eq!(into_lib.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&into_lib.stderr).contains("inside the catalogued folder"));
    let bad = hma(&["export", cal_s, "--pattern", "{YYYY}/{name}"]);
    assert_eq!(bad.status.code(), Some(1));
    assert_eq!(snapshot(lib.path()), originals, "export touched no original");

    // Removing the root forgets it; the folder stays exactly as it was.
    let r = json(hma(&["root", "remove", "home", "--json"]), "root remove");
    assert_eq!(r["files_forgotten"], 4, "{r}");
    assert_eq!(json(hma(&["top", "10", "--json"]), "top after remove").as_array().unwrap().len(), 0);
    let st = json(hma(&["status", "--json"]), "status");
    assert_eq!(st["files"], 0, "{st}");
    assert_eq!(snapshot(lib.path()), originals);
    // And it can be added again.
    json(hma(&["root", "add", lib_s, "--name", "home", "--json"]), "root add again");
});

//! Pins the EXIF that `hma` reads from the committed real fixtures against
//! what ExifTool reads (`tests/fixtures/photos/exiftool.json`, regenerated
//! only by `tests/fixtures/photos/regenerate-golden`).

mod common;

use std::collections::HashMap;

#[test]
fn fixtures_agree_with_exiftool() {
    let golden: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(common::fixtures().join("exiftool.json")).unwrap()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    for g in &golden {
        let name = g["SourceFile"].as_str().unwrap();
        std::fs::copy(common::fixtures().join(name), tmp.path().join(name)).unwrap();
    }
    let db = common::Db::sqlite();
    db.json(&["root", "add", tmp.path().to_str().unwrap(), "--json"]);
    db.json(&["scan", "--json"]);
    let ls: HashMap<String, serde_json::Value> =
        db.ls().into_iter().map(|e| (e["path"].as_str().unwrap().rsplit('/').next().unwrap().to_string(), e)).collect();
    let mut checked = 0;
    for g in &golden {
        let name = g["SourceFile"].as_str().unwrap();
        let e = &ls[name]["exif"];
        let num = |v: &serde_json::Value| v.as_f64();
        if let Some(t) = g["DateTimeOriginal"].as_str() {
            let ours = e["taken_at"].as_str().unwrap_or_default().replacen('-', ":", 2).replace('T', " ");
            assert_eq!(&ours[..19.min(ours.len())], &t[..19], "{name} DateTimeOriginal");
            checked += 1;
        }
        for (theirs, ours) in [("Make", "make"), ("Model", "model")] {
            if let Some(t) = g[theirs].as_str() {
                assert_eq!(e[ours].as_str(), Some(t.trim()), "{name} {theirs}");
                checked += 1;
            }
        }
        for (theirs, ours) in [
            ("ISO", "iso"),
            ("FNumber", "f_number"),
            ("ExposureTime", "exposure_time_s"),
            ("Orientation", "orientation"),
        ] {
            if let Some(t) = num(&g[theirs]) {
                let o = num(&e[ours]).unwrap_or_else(|| panic!("{name}: no {ours}"));
                assert!((o - t).abs() <= 1e-6 * t.abs().max(1.0), "{name} {theirs}: exiftool {t}, hma {o}");
                checked += 1;
            }
        }
        if let (Some(lat), Some(lon)) = (num(&g["GPSLatitude"]), num(&g["GPSLongitude"])) {
            assert!((num(&e["gps"]["lat"]).unwrap() - lat).abs() < 1e-6, "{name} lat");
            assert!((num(&e["gps"]["lon"]).unwrap() - lon).abs() < 1e-6, "{name} lon");
            if let Some(alt) = num(&g["GPSAltitude"]) {
                assert!((num(&e["gps"]["alt"]).unwrap() - alt).abs() < 1e-3, "{name} alt");
            }
            checked += 1;
        }
    }
    assert!(checked > 80, "only {checked} fields compared");
}

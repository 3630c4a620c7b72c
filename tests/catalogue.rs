//! Black-box tests of the catalogue and the scanner through the real `hma`
//! binary, each on SQLite and on MariaDB.

mod common;

use std::path::Path;

use common::{entry, jpeg, put, snapshot, ExifSpec};

/// A small library: a RAW+JPEG pair with an edit and a sidecar, a JPEG in
/// another folder shot at the same instant by the same body, two exact
/// copies (one in a "backup" folder), and the committed real fixtures.
fn library(dir: &Path) {
    let mut spec = ExifSpec::camera("2024:12:24 18:30:05");
    spec.subsec = Some("25".into());
    spec.offset = Some("+01:00".into());
    spec.gps = Some((48.8584, 2.2945, 35.5));
    put(dir, "2024/12/IMG_0001.CR2", &spec.tiff());
    put(dir, "2024/12/IMG_0001.JPG", &jpeg(1, Some(&spec)));
    put(dir, "2024/12/IMG_0001-Edit.jpg", &jpeg(2, Some(&spec)));
    put(
        dir,
        "2024/12/IMG_0001.CR2.xmp",
        br#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmp:Rating="4" xmp:Label="Red">
<dc:subject><rdf:Bag><rdf:li>Christmas</rdf:li><rdf:li>Max</rdf:li></rdf:Bag></dc:subject></rdf:Description></rdf:RDF></x:xmpmeta>"#,
    );
    put(dir, "exports/christmas-final.jpg", &jpeg(3, Some(&spec)));
    let other = ExifSpec::camera("2023:07:01 10:00:00");
    put(dir, "2023/beach.jpg", &jpeg(4, Some(&other)));
    put(dir, "backup/beach.jpg", &jpeg(4, Some(&other)));
    for f in std::fs::read_dir(common::fixtures()).unwrap().flatten() {
        let name = f.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".json") && !name.ends_with(".md") && name != "regenerate-golden" {
            std::fs::copy(f.path(), dir.join("fixtures").join(&name))
                .or_else(|_| {
                    std::fs::create_dir_all(dir.join("fixtures"))?;
                    std::fs::copy(f.path(), dir.join("fixtures").join(&name))
                })
                .unwrap();
        }
    }
}

fn add_and_scan(db: &common::Db, dir: &Path) -> serde_json::Value {
    db.json(&["root", "add", dir.to_str().unwrap(), "--name", "family", "--json"]);
    db.json(&["scan", "--json"])
}

catalog_test!(scan_then_rescan_is_all_unchanged, |db| {
    let tmp = tempfile::tempdir().unwrap();
    library(tmp.path());
    let files = snapshot(tmp.path()).iter().filter(|f| f.1 > 0).count() as u64;
    let first = add_and_scan(db, tmp.path());
    assert_eq!(first["seen"], files, "{first}");
    assert_eq!(first["new"], files);
    assert_eq!(first["errors"], 0);
    let second = db.json(&["scan", "--json"]);
    assert_eq!(second["seen"], files);
    assert_eq!(second["unchanged"], files, "{second}");
    assert_eq!(second["new"], 0);
    assert_eq!(second["changed"], 0);
    let status = db.json(&["status", "--json"]);
    assert_eq!(status["roots"], 1);
    assert_eq!(status["files"], files);
    assert_eq!(status["errors"], 0);
    assert_eq!(status["duplicate_groups"], 1, "{status}");
});

catalog_test!(exif_fields_are_read_and_shown, |db| {
    let tmp = tempfile::tempdir().unwrap();
    library(tmp.path());
    add_and_scan(db, tmp.path());
    let v = db.json(&["show", tmp.path().join("2024/12/IMG_0001.JPG").to_str().unwrap(), "--json"]);
    let e = &v["exif"];
    assert_eq!(e["taken_at"], "2024-12-24T18:30:05.250+01:00");
    assert_eq!(e["make"], "Canon");
    assert_eq!(e["model"], "Canon EOS R6");
    assert_eq!(e["lens"], "RF50mm F1.8 STM");
    assert_eq!(e["serial"], "012345678901");
    assert_eq!(e["focal_length_mm"], 50.0);
    assert_eq!(e["f_number"], 2.8);
    assert_eq!(e["exposure_time_s"], 0.004);
    assert_eq!(e["iso"], 400);
    assert_eq!(e["orientation"], 1);
    assert!((e["gps"]["lat"].as_f64().unwrap() - 48.8584).abs() < 1e-6, "{e}");
    assert!((e["gps"]["lon"].as_f64().unwrap() - 2.2945).abs() < 1e-6);
    assert_eq!(e["gps"]["alt"], 35.5);
    assert_eq!(v["kind"], "image");
    assert_eq!(v["format"], "jpeg");
    assert_eq!((v["width"].as_i64(), v["height"].as_i64()), (Some(64), Some(48)));
    let bytes = std::fs::read(tmp.path().join("2024/12/IMG_0001.JPG")).unwrap();
    assert_eq!(v["hash"], format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&bytes)));
    assert_eq!(v["size"], bytes.len() as u64);
});

catalog_test!(raw_jpeg_edit_sidecar_and_serial_link_into_one_capture, |db| {
    let tmp = tempfile::tempdir().unwrap();
    library(tmp.path());
    add_and_scan(db, tmp.path());
    let ls = db.ls();
    let raw = entry(&ls, "2024/12/IMG_0001.CR2");
    let jpg = entry(&ls, "2024/12/IMG_0001.JPG");
    let edit = entry(&ls, "2024/12/IMG_0001-Edit.jpg");
    let xmp = entry(&ls, "2024/12/IMG_0001.CR2.xmp");
    let export = entry(&ls, "exports/christmas-final.jpg");
    assert_eq!(raw["kind"], "raw");
    assert_eq!(raw["format"], "cr2");
    let cap = &raw["capture_id"];
    assert!(cap.is_i64());
    for f in [jpg, edit, xmp, export] {
        assert_eq!(&f["capture_id"], cap, "{} should share the RAW's capture", f["path"]);
    }
    let rel = |f: &serde_json::Value, kind: &str, signal: &str| {
        f["relations"].as_array().unwrap().iter().any(|r| {
            r["kind"] == kind
                && r["signal"] == signal
                && r["direction"] == "to"
                && r["other"].as_str().unwrap().ends_with("IMG_0001.CR2")
        })
    };
    assert!(rel(jpg, "raw_jpeg_pair", "same_stem"), "{:#}", jpg["relations"]);
    assert!(rel(edit, "edit_of", "editor_suffix"), "{:#}", edit["relations"]);
    assert!(rel(xmp, "sidecar_of", "sidecar_name"), "{:#}", xmp["relations"]);
    assert!(
        export["relations"].as_array().unwrap().iter().any(|r| r["signal"] == "capture_time_serial"),
        "{:#}",
        export["relations"]
    );
    // The sidecar's rating, label and keywords belong to the capture.
    assert_eq!(jpg["flags"]["rating"], 4);
    assert_eq!(jpg["flags"]["label"], "red", "labels as the lightbox shows them");
    assert_eq!(jpg["flags"]["keywords"], serde_json::json!(["Christmas", "Max"]));
    // A different moment stays apart.
    assert_ne!(&entry(&ls, "2023/beach.jpg")["capture_id"], cap);
});

catalog_test!(exact_duplicates_grouped_with_explained_keeper, |db| {
    let tmp = tempfile::tempdir().unwrap();
    library(tmp.path());
    db.json(&["root", "add", tmp.path().join("2023").to_str().unwrap(), "--name", "main", "--json"]);
    db.json(&["root", "add", tmp.path().join("backup").to_str().unwrap(), "--name", "bk", "--backup", "--json"]);
    let out = db.hma(&["scan", "--json"]);
    common::assert_ok(&out, &["scan"]);
    let groups = db.json(&["dupes", "--json"]);
    let groups = groups.as_array().unwrap();
    assert_eq!(groups.len(), 1, "{groups:?}");
    let g = &groups[0];
    assert!(g["keeper"].as_str().unwrap().ends_with("2023/beach.jpg"), "{g}");
    assert_eq!(g["files"].as_array().unwrap().len(), 2);
    assert!(g["why"].as_str().unwrap().contains("not in a backup root"), "{g}");
    let bytes = std::fs::read(tmp.path().join("2023/beach.jpg")).unwrap();
    assert_eq!(g["hash"], format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&bytes)));
});

catalog_test!(moved_file_keeps_its_identity, |db| {
    let tmp = tempfile::tempdir().unwrap();
    library(tmp.path());
    add_and_scan(db, tmp.path());
    let before = db.json(&["show", tmp.path().join("2023/beach.jpg").to_str().unwrap(), "--json"]);
    std::fs::create_dir_all(tmp.path().join("sorted/summer")).unwrap();
    std::fs::rename(tmp.path().join("2023/beach.jpg"), tmp.path().join("sorted/summer/beach-renamed.jpg")).unwrap();
    let s = db.json(&["scan", "--json"]);
    assert_eq!(s["moved"], 1, "{s}");
    assert_eq!(s["new"], 0, "{s}");
    assert_eq!(s["missing"], 0, "{s}");
    let after = db.json(&["show", tmp.path().join("sorted/summer/beach-renamed.jpg").to_str().unwrap(), "--json"]);
    assert_eq!(after["capture_id"], before["capture_id"]);
    assert_eq!(after["first_seen_ms"], before["first_seen_ms"]);
    assert_eq!(after["hash"], before["hash"]);
    // The old path is no longer catalogued; the file count is unchanged.
    assert!(!db.hma(&["show", tmp.path().join("2023/beach.jpg").to_str().unwrap()]).status.success());
    let n = db.json(&["status", "--json"])["files"].clone();
    assert_eq!(db.ls().len() as u64, n.as_u64().unwrap());
});

catalog_test!(deleted_file_is_kept_as_missing, |db| {
    let tmp = tempfile::tempdir().unwrap();
    library(tmp.path());
    let first = add_and_scan(db, tmp.path());
    std::fs::remove_file(tmp.path().join("2024/12/IMG_0001-Edit.jpg")).unwrap();
    let s = db.json(&["scan", "--json"]);
    assert_eq!(s["missing"], 1, "{s}");
    let status = db.json(&["status", "--json"]);
    assert_eq!(status["files"].as_u64(), Some(first["seen"].as_u64().unwrap() - 1));
    let ls = db.ls();
    assert_eq!(entry(&ls, "IMG_0001-Edit.jpg")["missing"], true);
});

catalog_test!(changed_file_is_read_again_and_history_kept, |db| {
    let tmp = tempfile::tempdir().unwrap();
    library(tmp.path());
    add_and_scan(db, tmp.path());
    let p = tmp.path().join("2023/beach.jpg");
    let before = db.json(&["show", p.to_str().unwrap(), "--json"]);
    std::fs::write(&p, jpeg(99, Some(&ExifSpec::camera("2023:07:01 10:00:00")))).unwrap();
    let s = db.json(&["scan", "--json"]);
    assert_eq!(s["changed"], 1, "{s}");
    let after = db.json(&["show", p.to_str().unwrap(), "--json"]);
    assert_ne!(after["hash"], before["hash"]);
    assert_eq!(after["capture_id"], before["capture_id"], "same photo, new bytes: the capture stays");
    let hist: Vec<_> = after["history"].as_array().unwrap().iter().map(|h| h["hash"].clone()).collect();
    assert_eq!(hist, vec![before["hash"].clone(), after["hash"].clone()]);
});

catalog_test!(relocated_root_is_not_rescanned_as_new, |db| {
    let tmp = tempfile::tempdir().unwrap();
    let old = tmp.path().join("D_Photos");
    library(&old);
    let first = add_and_scan(db, &old);
    let new = tmp.path().join("Volumes/Photos");
    std::fs::create_dir_all(new.parent().unwrap()).unwrap();
    std::fs::rename(&old, &new).unwrap();
    db.json(&["root", "relocate", "family", new.to_str().unwrap(), "--json"]);
    let s = db.json(&["scan", "--json"]);
    assert_eq!(s["unchanged"], first["seen"], "{s}");
    assert_eq!((s["new"].as_u64(), s["missing"].as_u64(), s["moved"].as_u64()), (Some(0), Some(0), Some(0)));
    let ls = db.ls();
    assert!(ls.iter().all(|e| e["path"].as_str().unwrap().starts_with(new.to_str().unwrap())));
});

catalog_test!(unreachable_root_does_not_mark_files_missing, |db| {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("usb");
    library(&lib);
    let first = add_and_scan(db, &lib);
    std::fs::rename(&lib, tmp.path().join("unplugged")).unwrap();
    let out = db.hma(&["scan", "--json"]);
    assert_eq!(out.status.code(), Some(2));
    let status = db.json(&["status", "--json"]);
    assert_eq!(status["files"], first["seen"], "nothing marked missing while the drive is away");
});

catalog_test!(ls_of_one_folder, |db| {
    let tmp = tempfile::tempdir().unwrap();
    library(tmp.path());
    add_and_scan(db, tmp.path());
    let out = db.hma(&["ls", "--json", tmp.path().join("2024/12").to_str().unwrap()]);
    common::assert_ok(&out, &["ls"]);
    let mut names: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["path"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    names.sort();
    assert_eq!(names, ["IMG_0001-Edit.jpg", "IMG_0001.CR2", "IMG_0001.CR2.xmp", "IMG_0001.JPG"]);
});

catalog_test!(taxonomy_import_darwin_core_and_csv, |db| {
    let tmp = tempfile::tempdir().unwrap();
    let dwc = put(
        tmp.path(),
        "taxon.txt",
        b"taxonID\tscientificName\ttaxonRank\tparentNameUsageID\ttaxonomicStatus\n\
wfo-1\tPlantae\tkingdom\t\tAccepted\n\
wfo-2\tRosaceae\tfamily\twfo-1\tAccepted\n\
wfo-3\tRosa\tgenus\twfo-2\tAccepted\n\
wfo-4\tRosa canina L.\tspecies\twfo-3\tAccepted\n\
wfo-5\tRosa \"dog rose\"\tspecies\twfo-3\tSynonym\n",
    );
    let s = db.json(&["taxonomy", "import", dwc.to_str().unwrap(), "--name", "wfo", "--json"]);
    assert_eq!((s["nodes"].as_i64(), s["orphans"].as_i64(), s["format"].as_str()), (Some(5), Some(0), Some("dwc")));
    assert_eq!(s["changed"], true);
    let again = db.json(&["taxonomy", "import", dwc.to_str().unwrap(), "--name", "wfo", "--json"]);
    assert_eq!(again["changed"], false, "same file, same version: nothing to do");
    let csv = put(
        tmp.path(),
        "family.csv",
        b"id,parent_id,name,rank\n1,,Family,root\n2,1,Kids,group\n3,2,\"Max, the eldest\",person\n4,9,Lost,person\n",
    );
    let s = db.json(&["taxonomy", "import", csv.to_str().unwrap(), "--name", "family", "--json"]);
    assert_eq!((s["nodes"].as_i64(), s["orphans"].as_i64(), s["format"].as_str()), (Some(4), Some(1), Some("csv")));
    let list = db.json(&["taxonomy", "list", "--json"]);
    assert_eq!(list.as_array().unwrap().len(), 2);
    let mut cat = db.open();
    let t = cat.taxonomy("wfo").unwrap().unwrap();
    let lineage: Vec<String> = cat.taxon_lineage(t.id, "wfo-4").unwrap().into_iter().map(|(n, _)| n).collect();
    assert_eq!(lineage, ["Plantae", "Rosaceae", "Rosa", "Rosa canina L."]);
    let t = cat.taxonomy("family").unwrap().unwrap();
    let lineage: Vec<String> = cat.taxon_lineage(t.id, "3").unwrap().into_iter().map(|(n, _)| n).collect();
    assert_eq!(lineage, ["Family", "Kids", "Max, the eldest"]);
});

catalog_test!(originals_are_untouched_by_every_command, |db| {
    let tmp = tempfile::tempdir().unwrap();
    library(tmp.path());
    let taxa = tempfile::tempdir().unwrap();
    let csv = put(taxa.path(), "t.csv", b"id,parent_id,name,rank\n1,,A,root\n");
    let before = snapshot(tmp.path());
    add_and_scan(db, tmp.path());
    let p = tmp.path().join("2024/12/IMG_0001.JPG");
    for args in [
        vec!["scan"],
        vec!["status"],
        vec!["show", p.to_str().unwrap()],
        vec!["ls"],
        vec!["ls", tmp.path().join("2024/12").to_str().unwrap()],
        vec!["dupes"],
        vec!["root", "list"],
        vec!["taxonomy", "import", csv.to_str().unwrap(), "--name", "t"],
        vec!["root", "relocate", "family", tmp.path().to_str().unwrap()],
        vec!["scan", "--root", "family"],
    ] {
        for json in [false, true] {
            let mut a = args.clone();
            if json {
                a.push("--json");
            }
            common::assert_ok(&db.hma(&a), &a);
        }
    }
    assert_eq!(snapshot(tmp.path()), before, "bytes, sizes and mtimes of every file and folder are unchanged");
});

#[test]
fn hash_command_prints_xxh3_like_xxhsum() {
    let tmp = tempfile::tempdir().unwrap();
    let a = put(tmp.path(), "a.jpg", &jpeg(1, None));
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let b = put(tmp.path(), "b.bin", &big);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hma"))
        .args(["hash", "--threads", "2", a.to_str().unwrap(), b.to_str().unwrap()])
        .output()
        .unwrap();
    common::assert_ok(&out, &["hash"]);
    let want = format!(
        "XXH3 ({}) = {:016x}\nXXH3 ({}) = {:016x}\n",
        a.display(),
        xxhash_rust::xxh3::xxh3_64(&std::fs::read(&a).unwrap()),
        b.display(),
        xxhash_rust::xxh3::xxh3_64(&big)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), want);
}

#[test]
fn exif_command_reads_metadata_without_a_catalogue() {
    let tmp = tempfile::tempdir().unwrap();
    let mut spec = ExifSpec::camera("2021:05:12 12:21:21");
    spec.subsec = Some("92".into());
    spec.offset = Some("+02:00".into());
    put(tmp.path(), "a/one.jpg", &jpeg(1, Some(&spec)));
    put(tmp.path(), "a/b/two.CR2", &spec.tiff());
    put(tmp.path(), "notes.txt", b"not media");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hma"))
        .args(["exif", "--json", tmp.path().to_str().unwrap()])
        .env("HMA_CATALOG", tmp.path().join("must-not-exist.db"))
        .output()
        .unwrap();
    common::assert_ok(&out, &["exif"]);
    let lines: Vec<serde_json::Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    for l in &lines {
        assert_eq!(l["exif"]["taken_at"], "2021-05-12T12:21:21.920+02:00");
        assert_eq!(l["exif"]["model"], "Canon EOS R6");
        assert_eq!(l["exif"]["iso"], 400);
    }
    assert!(!tmp.path().join("must-not-exist.db").exists(), "no catalogue is made");
}

catalog_test!(overlapping_roots_are_refused, |db| {
    let tmp = tempfile::tempdir().unwrap();
    library(tmp.path());
    db.json(&["root", "add", tmp.path().join("2024").to_str().unwrap(), "--json"]);
    for (path, why) in [("2024", "is already the root"), ("2024/12", "overlaps the root"), ("", "overlaps the root")] {
        let out = db.hma(&["root", "add", tmp.path().join(path).to_str().unwrap(), "--name", "x"]);
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains(why), "{}", String::from_utf8_lossy(&out.stderr));
    }
    assert_eq!(db.json(&["root", "list", "--json"]).as_array().unwrap().len(), 1);
});

catalog_test!(large_jpegs_are_hashed_and_checked_while_streamed, |db| {
    // Over 256 KiB, a JPEG's image data is streamed rather than kept: the
    // hash and the end-of-image check must be as for a small one.
    let tmp = tempfile::tempdir().unwrap();
    let img = image::RgbImage::from_fn(900, 700, |x, y| {
        let v = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)).wrapping_mul(2_246_822_519);
        image::Rgb([(v >> 8) as u8, (v >> 16) as u8, (v >> 24) as u8])
    });
    let mut big = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut big, 95).encode_image(&img).unwrap();
    assert!(big.len() > 600 << 10, "{}", big.len());
    put(tmp.path(), "big.jpg", &big);
    put(tmp.path(), "big-cut.jpg", &big[..big.len() * 2 / 3]);
    add_and_scan_allowing_errors(db, tmp.path());
    let ls = db.ls();
    let full = entry(&ls, "/big.jpg");
    let cut = entry(&ls, "big-cut.jpg");
    assert_eq!(full["error"], serde_json::Value::Null);
    assert_eq!(full["hash"], format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&big)));
    assert_eq!((full["width"].as_i64(), full["height"].as_i64()), (Some(900), Some(700)));
    assert!(cut["error"].as_str().unwrap().starts_with("truncated JPEG"), "{cut}");
    assert_eq!(cut["hash"], format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&big[..big.len() * 2 / 3])));
});

fn add_and_scan_allowing_errors(db: &common::Db, dir: &Path) {
    db.json(&["root", "add", dir.to_str().unwrap(), "--json"]);
    let out = db.hma(&["scan", "--json"]);
    assert!(matches!(out.status.code(), Some(0 | 2)), "{}", String::from_utf8_lossy(&out.stderr));
}

catalog_test!(our_own_files_never_live_inside_a_root, |db| {
    let lib = tempfile::tempdir().unwrap();
    put(lib.path(), "a.jpg", &jpeg(1, None));
    let lib_s = lib.path().to_str().unwrap();
    db.json(&["root", "add", lib_s, "--name", "lib", "--json"]);
    let before = snapshot(lib.path());
    // A preview cache inside the root: previews would be catalogued as photos.
    let cache = lib.path().join("previews-here");
    for job in ["scan", "analyze"] {
        let out = db.hma(&[job, "--cache-dir", cache.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{job}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("the preview cache") && err.contains("inside the root 'lib'"), "{job}: {err}");
    }
    assert_eq!(snapshot(lib.path()), before, "nothing written into the root");
    // A root that would hold the catalogue's own file is refused.
    let outer = tempfile::tempdir().unwrap();
    let cat_file = outer.path().join("photos/catalog.db");
    let url = format!("sqlite://{}", cat_file.display());
    let out = common::hma_cmd(&url, &["root", "add", outer.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("holds the catalogue"), "{out:?}");
});

// A sidecar read before its photo is catalogued (its photo copied in
// later, or read in a later batch: a large file, or the import analysing
// it first) still gives the photo its rating, label and keywords.
catalog_test!(a_sidecar_scanned_before_its_photo_still_applies, |db| {
    let tmp = tempfile::tempdir().unwrap();
    put(
        tmp.path(),
        "2024/IMG_0009.jpg.xmp",
        br#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmp:Rating="5" xmp:Label="Green">
<dc:subject><rdf:Bag><rdf:li>Garden</rdf:li></rdf:Bag></dc:subject></rdf:Description></rdf:RDF></x:xmpmeta>"#,
    );
    add_and_scan(db, tmp.path());
    assert!(db.ls()[0]["capture_id"].is_null(), "a sidecar alone belongs to nothing yet");
    put(tmp.path(), "2024/IMG_0009.jpg", &jpeg(9, Some(&ExifSpec::camera("2024:06:01 10:00:00"))));
    let s = db.json(&["scan", "--json"]);
    assert_eq!((s["new"].as_u64(), s["unchanged"].as_u64()), (Some(1), Some(1)), "{s}");
    let ls = db.ls();
    let photo = entry(&ls, "2024/IMG_0009.jpg");
    assert_eq!(entry(&ls, "2024/IMG_0009.jpg.xmp")["capture_id"], photo["capture_id"]);
    assert_eq!(photo["flags"]["rating"], 5, "{photo:#}");
    assert_eq!(photo["flags"]["label"], "green");
    assert_eq!(photo["flags"]["keywords"], serde_json::json!(["Garden"]));
});

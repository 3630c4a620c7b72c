//! XMP sidecars through the real `hma` binary, on both backends: off by
//! default; with a root's sidecars on, `hma mark` writes what exiftool
//! reads back as the same rating, label and pick; a darktable sidecar keeps
//! its own content byte for byte; another program's newer change is read on
//! rescan and wins, also when it comes between two of our writes; a
//! sidecar that is a link or cannot be written is refused once per folder
//! with the decision kept; the photos are never touched.

mod common;

use std::path::Path;
use std::process::Command;

use common::{ok_json as json, put, snapshot};

const PHOTOS: [(&str, &str); 3] = [
    ("a.jpg", "immich__albums_nature_cyclamen_persicum.jpg"),
    ("b.jpg", "immich__albums_nature_el_torcal_rocks.jpg"),
    ("c.jpg", "immich__albums_nature_notocactus_minimus.jpg"),
];

/// darktable's sidecar for b.jpg: its own namespace and history, and a
/// keyword of its own.
const DARKTABLE: &str = "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n<x:xmpmeta xmlns:x=\"adobe:ns:meta/\" x:xmptk=\"XMP Core 4.4.0-Exiv2\">\n <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n  <rdf:Description rdf:about=\"\"\n    xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\"\n    xmlns:darktable=\"http://darktable.sf.net/\"\n    xmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n    xmp:Rating=\"1\"\n    darktable:xmp_version=\"5\"\n    darktable:raw_params=\"0\"\n    darktable:auto_presets_applied=\"1\"\n    darktable:history_end=\"1\">\n   <darktable:masks_history>\n    <rdf:Seq/>\n   </darktable:masks_history>\n   <darktable:history>\n    <rdf:Seq>\n     <rdf:li\n      darktable:num=\"0\"\n      darktable:operation=\"exposure\"\n      darktable:enabled=\"1\"\n      darktable:modversion=\"6\"\n      darktable:params=\"0000000000000000cdcccc3e\"/>\n    </rdf:Seq>\n   </darktable:history>\n   <dc:subject>\n    <rdf:Bag>\n     <rdf:li>holiday</rdf:li>\n    </rdf:Bag>\n   </dc:subject>\n  </rdf:Description>\n </rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"w\"?>\n";

/// exiftool's reading of a sidecar, tags grouped by namespace.
fn exiftool(path: &Path) -> serde_json::Value {
    let out = Command::new("exiftool")
        .args(["-j", "-G1", "-n"])
        .arg(path)
        .output()
        .expect("exiftool (scripts/setup installs it)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v[0].clone()
}

/// The photos' bytes and times (not the sidecars').
fn originals(dir: &Path) -> Vec<(std::path::PathBuf, u64, std::time::SystemTime, u64)> {
    snapshot(dir).into_iter().filter(|(p, ..)| p.extension().is_some_and(|e| e == "jpg")).collect()
}

/// Another program's write, later than anything we did (mtimes in ms).
fn later() {
    std::thread::sleep(std::time::Duration::from_millis(1100));
}

catalog_test!(sidecars_are_written_merged_and_never_touch_a_photo, |db| {
    let lib = tempfile::tempdir().unwrap();
    let off = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    for (name, fixture) in PHOTOS {
        let bytes = std::fs::read(common::fixtures().join(fixture)).unwrap();
        put(lib.path(), name, &bytes);
        put(off.path(), name, &bytes);
    }
    put(lib.path(), "b.jpg.xmp", DARKTABLE.as_bytes());
    // f.jpg has Lightroom's sidecar from before (1 star).
    put(
        lib.path(),
        "f.jpg",
        &std::fs::read(common::fixtures().join("immich__metadata_dates_time-created.jpg")).unwrap(),
    );
    put(lib.path(), "f.xmp", br#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="1"/></rdf:RDF></x:xmpmeta>"#);
    let photos_before = originals(lib.path());
    let hma = |args: &[&str]| db.hma_cached(cache.path(), args);
    let path = |n: &str| lib.path().join(n).to_str().unwrap().to_string();

    // Off by default: a decision writes no file.
    json(hma(&["root", "add", off.path().to_str().unwrap(), "--name", "off", "--json"]), "root add");
    json(hma(&["scan", "--json"]), "scan");
    let c_off = off.path().join("c.jpg");
    json(hma(&["mark", c_off.to_str().unwrap(), "--pick", "--json"]), "mark");
    assert!(!off.path().join("c.xmp").exists() && !off.path().join("c.jpg.xmp").exists());
    // Turned on later, what was decided before is written at once.
    let set = json(hma(&["root", "set", "off", "--sidecars", "on", "--json"]), "root set on");
    assert_eq!((set["written"]["captures"].as_u64(), set["written"]["written"].as_u64()), (Some(1), Some(1)), "{set}");
    assert_eq!(exiftool(&off.path().join("c.xmp"))["XMP-xmpDM:Pick"], 1);
    json(hma(&["root", "set", "off", "--sidecars", "off", "--json"]), "root set off");

    let added =
        json(hma(&["root", "add", lib.path().to_str().unwrap(), "--name", "home", "--sidecars", "--json"]), "root add");
    assert_eq!(added["sidecars"], true);
    json(hma(&["scan", "--json"]), "scan");
    let list = json(hma(&["root", "list", "--json"]), "root list");
    assert_eq!(
        list.as_array().unwrap().iter().map(|r| r["sidecars"].as_bool().unwrap()).collect::<Vec<_>>(),
        [false, true]
    );

    // A new sidecar, NAME.xmp as Lightroom names it: exiftool reads what we decided.
    json(hma(&["mark", &path("a.jpg"), "--pick", "--stars", "4", "--label", "green", "--json"]), "mark a");
    let a_xmp = lib.path().join("a.xmp");
    let e = exiftool(&a_xmp);
    assert_eq!(e["XMP-xmp:Rating"], 4, "{e}");
    assert_eq!(e["XMP-xmp:Label"], "Green", "{e}");
    assert_eq!(e["XMP-xmpDM:Pick"], 1, "{e}");
    assert_eq!(e["XMP-digiKam:PickLabel"], 3, "{e}");

    // darktable's sidecar (NAME.EXT.xmp) is updated in place: its own parts
    // byte for byte, its keyword kept, our rating written (reject: −1).
    json(hma(&["mark", &path("b.jpg"), "--reject", "--json"]), "mark b");
    assert!(!lib.path().join("b.xmp").exists(), "the existing b.jpg.xmp is the one updated");
    let b_xmp = lib.path().join("b.jpg.xmp");
    let text = std::fs::read_to_string(&b_xmp).unwrap();
    let history =
        &DARKTABLE[DARKTABLE.find("   <darktable:masks_history>").unwrap()..DARKTABLE.find("   <dc:subject>").unwrap()];
    assert!(text.contains(history), "darktable's history changed:\n{text}");
    for attr in [
        "darktable:xmp_version=\"5\"",
        "darktable:raw_params=\"0\"",
        "darktable:history_end=\"1\"",
        "x:xmptk=\"XMP Core 4.4.0-Exiv2\"",
    ] {
        assert!(text.contains(attr), "{attr} lost:\n{text}");
    }
    assert!(
        text.starts_with("<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n")
            && text.ends_with("<?xpacket end=\"w\"?>\n")
    );
    let e = exiftool(&b_xmp);
    assert_eq!(e["XMP-xmp:Rating"], -1, "{e}");
    assert_eq!(e["XMP-xmpDM:Pick"], -1, "{e}");
    assert_eq!(e["XMP-dc:Subject"], "holiday", "{e}");
    assert_eq!(e["XMP-darktable:Xmp_version"], 5, "{e}");
    assert_eq!(e["XMP-darktable:HistoryOperation"], "exposure", "{e}");
    // The same decision again leaves the file as it is (no rewrite).
    let before = std::fs::metadata(&b_xmp).unwrap().modified().unwrap();
    later();
    json(hma(&["mark", &path("b.jpg"), "--reject", "--json"]), "mark b again");
    assert_eq!(std::fs::metadata(&b_xmp).unwrap().modified().unwrap(), before);

    // Our own writes read back on rescan change nothing.
    json(hma(&["scan", "--json"]), "scan");
    let show = json(hma(&["show", &path("a.jpg"), "--json"]), "show a");
    assert_eq!(
        (show["marks"]["flag"].as_i64(), show["marks"]["rating"].as_i64()),
        (Some(1), Some(4)),
        "{}",
        show["marks"]
    );

    // Another program sets 2 stars: the rescan reads it, and it wins (newer).
    later();
    let out = Command::new("exiftool").args(["-overwrite_original", "-XMP-xmp:Rating=2"]).arg(&a_xmp).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    json(hma(&["scan", "--json"]), "scan");
    let show = json(hma(&["show", &path("a.jpg"), "--json"]), "show a");
    assert_eq!(show["marks"]["rating"], 2, "{}", show["marks"]);
    assert_eq!(show["marks"]["flag"], 1, "the pick it did not change stays: {}", show["marks"]);
    assert_eq!(show["marks"]["label"], "green");
    // A later decision on another field does not put the 4 stars back.
    json(hma(&["mark", &path("a.jpg"), "--label", "red", "--json"]), "mark a");
    let e = exiftool(&a_xmp);
    assert_eq!((e["XMP-xmp:Rating"].as_i64(), e["XMP-xmp:Label"].as_str()), (Some(2), Some("Red")), "{e}");
    json(hma(&["scan", "--json"]), "scan");
    let show = json(hma(&["show", &path("a.jpg"), "--json"]), "show a");
    assert_eq!(
        (show["marks"]["rating"].as_i64(), show["marks"]["label"].as_str()),
        (Some(2), Some("red")),
        "no flip-flop: {}",
        show["marks"]
    );

    // A change between two of our writes, with no rescan: merged, not overwritten.
    later();
    let out =
        Command::new("exiftool").args(["-overwrite_original", "-XMP-xmp:Label=Blue"]).arg(&a_xmp).output().unwrap();
    assert!(out.status.success());
    let marked = json(hma(&["mark", &path("a.jpg"), "--stars", "5", "--json"]), "mark a");
    assert_eq!(marked[0]["marks"]["label"], "blue", "{marked}");
    let e = exiftool(&a_xmp);
    assert_eq!((e["XMP-xmp:Rating"].as_i64(), e["XMP-xmp:Label"].as_str()), (Some(5), Some("Blue")), "{e}");

    // Lightroom gives f.jpg 3 stars after our scan; the first decision made
    // here (a pick, no rescan between) keeps them: the sidecar's newer
    // stars show and are written back, not the 1 star the scan had read.
    later();
    let f_xmp = lib.path().join("f.xmp");
    let out = Command::new("exiftool").args(["-overwrite_original", "-XMP-xmp:Rating=3"]).arg(&f_xmp).output().unwrap();
    assert!(out.status.success());
    let marked = json(hma(&["mark", &path("f.jpg"), "--pick", "--json"]), "mark f");
    assert_eq!(
        (marked[0]["marks"]["rating"].as_i64(), marked[0]["marks"]["flag"].as_i64()),
        (Some(3), Some(1)),
        "{marked}"
    );
    let e = exiftool(&f_xmp);
    assert_eq!((e["XMP-xmp:Rating"].as_i64(), e["XMP-xmpDM:Pick"].as_i64()), (Some(3), Some(1)), "{e}");

    // A sidecar that is a link is not followed; a folder where sidecars cannot
    // be written is said once, and the decisions are kept.
    let outside = tempfile::tempdir().unwrap();
    let target = put(outside.path(), "elsewhere.xmp", b"keep me");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&target, lib.path().join("c.xmp")).unwrap();
    let out = hma(&["mark", &path("c.jpg"), "--pick", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("symbolic link"), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read(&target).unwrap(), b"keep me");
    let show = json(hma(&["show", &path("c.jpg"), "--json"]), "show c");
    assert_eq!(show["marks"]["flag"], 1);
    for (name, fixture) in [("stuck/d.jpg", PHOTOS[0].1), ("stuck/e.jpg", PHOTOS[1].1)] {
        put(lib.path(), name, &std::fs::read(common::fixtures().join(fixture)).unwrap());
        // Where the sidecar would go there is a folder: the rename fails.
        std::fs::create_dir_all(lib.path().join(name.replace(".jpg", ".xmp"))).unwrap();
    }
    // The scan does not follow the sidecar link out of the folder either: it
    // says so (exit 2, a problem of the scan), and reads nothing there.
    let out = hma(&["scan", "--json"]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let status = json(hma(&["status", "--json"]), "status");
    assert!(
        status["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["path"].as_str().unwrap().ends_with("c.xmp") && p["message"] == hma_media::walk::LINK_OUT),
        "{status}"
    );
    let out = hma(&["mark", &path("stuck/d.jpg"), &path("stuck/e.jpg"), "--stars", "3", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("no XMP sidecar written in").count(), 1, "once per folder: {stderr}");
    let marked: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(marked.as_array().unwrap().iter().all(|m| m["marks"]["rating"] == 3), "{marked}");
    assert!(std::fs::read_dir(lib.path().join("stuck")).unwrap().all(|e| !e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .ends_with(".tmp")));

    // Turned off, decisions no longer write.
    json(hma(&["root", "set", "home", "--sidecars", "off", "--json"]), "root set");
    let before = std::fs::read(&a_xmp).unwrap();
    json(hma(&["mark", &path("a.jpg"), "--stars", "1", "--json"]), "mark a");
    assert_eq!(std::fs::read(&a_xmp).unwrap(), before);

    // Not one photo was written.
    let after: Vec<_> =
        originals(lib.path()).into_iter().filter(|(p, ..)| !p.to_string_lossy().contains("stuck")).collect();
    assert_eq!(after, photos_before);
});

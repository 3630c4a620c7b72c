//! The app's protocol serves previews and catalogued originals only: real
//! catalogues on both backends, a real preview cache, links pointing out.
//! One rule for links, in the scanner and in the protocol: a link that stays
//! inside the root is followed, one that leads out is not.

mod common;

use std::path::Path;

use common::{jpeg, put};
use hma::report::Places;
use hma::serve::{resolve, Refused};

/// One cache folder for this test process.
fn cache() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().unwrap()).path()
}

catalog_test!(protocol_serves_only_what_it_should, |db| {
    let cache = cache();
    let lib = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    put(lib.path(), "a.jpg", &image_jpeg());
    put(lib.path(), "b.jpg", &jpeg(6, None));
    put(lib.path(), "sub/c.jpg", &jpeg(7, None));
    put(outside.path(), "secret.jpg", &jpeg(5, None));
    put(outside.path(), "folder/other.jpg", &jpeg(8, None));
    std::os::unix::fs::symlink(outside.path().join("secret.jpg"), lib.path().join("link-out.jpg")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("folder"), lib.path().join("folder-out")).unwrap();
    std::os::unix::fs::symlink("sub/c.jpg", lib.path().join("link-in.jpg")).unwrap();
    std::os::unix::fs::symlink("sub", lib.path().join("folder-in")).unwrap();
    db.json(&["root", "add", lib.path().to_str().unwrap(), "--name", "lib", "--json"]);
    db.hma(&["scan", "--json"]);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hma"))
        .args(["analyze", "--only", "analyze", "--json", "--catalog", &db.url])
        .env("HMA_MACHINE", "test-machine")
        .env("HMA_CACHE_DIR", cache)
        .output()
        .unwrap();
    common::assert_ok(&out, &["analyze"]);
    std::env::set_var("HMA_MACHINE", "test-machine");
    let mut cat = db.open();
    let places = Places::load(&mut cat, "test-machine").unwrap();
    let ls = db.ls();
    let id_of =
        |suffix: &str| common::entry(&ls, suffix)["id"].as_i64().unwrap_or_else(|| panic!("id of {suffix}: {ls:?}"));
    let hash_of = |suffix: &str| common::entry(&ls, suffix)["hash"].as_str().unwrap().to_string();

    // The original and its preview are served.
    let a = resolve(&mut cat, &places, cache, &format!("original/{}", id_of("/a.jpg"))).unwrap();
    assert_eq!(a, std::fs::canonicalize(lib.path().join("a.jpg")).unwrap());
    let p = resolve(&mut cat, &places, cache, &format!("preview/{}/grid", hash_of("/a.jpg"))).unwrap();
    assert!(p.starts_with(std::fs::canonicalize(cache).unwrap()), "{}", p.display());
    assert!(image::open(&p).is_ok());

    // The scanner followed the links that stay inside, and served they are.
    let c = std::fs::canonicalize(lib.path().join("sub/c.jpg")).unwrap();
    for inside in ["/link-in.jpg", "folder-in/c.jpg", "sub/c.jpg"] {
        assert_eq!(
            resolve(&mut cat, &places, cache, &format!("original/{}", id_of(inside))),
            Ok(c.clone()),
            "{inside}"
        );
    }
    // Links that lead out were not followed: not catalogued, each a problem
    // of the scan in words.
    assert!(ls.iter().all(|e| !e["path"].as_str().unwrap().contains("-out")), "{ls:?}");
    let scan_id = cat.scans(1).unwrap()[0].id;
    let problems = cat.problems(scan_id).unwrap();
    for out in ["link-out.jpg", "folder-out"] {
        assert!(
            problems.iter().any(|p| p.rel_path == out && p.message == hma_media::walk::LINK_OUT),
            "{out}: {problems:?}"
        );
    }
    // `hma status` says them, in the same words.
    let st = db.json(&["status", "--json"]);
    let said = st["problems"].as_array().unwrap();
    assert!(
        said.iter().any(|p| p["path"].as_str().unwrap().ends_with("link-out.jpg")
            && p["message"] == hma_media::walk::LINK_OUT),
        "{st}"
    );
    // A catalogued photo swapped for a link out after the scan (the gap
    // between a check and a read) is refused, and so is a folder above it
    // swapped for one; put back, it is served again.
    let b = id_of("/b.jpg");
    let b_path = lib.path().join("b.jpg");
    std::fs::rename(&b_path, lib.path().join("b.keep")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret.jpg"), &b_path).unwrap();
    assert_eq!(resolve(&mut cat, &places, cache, &format!("original/{b}")), Err(Refused::Forbidden));
    let served = hma::serve::load(&mut cat, &places, cache, &format!("original/{b}"));
    assert_eq!(served.map(|s| s.bytes.len()), Err(Refused::Forbidden));
    std::fs::remove_file(&b_path).unwrap();
    std::fs::rename(lib.path().join("b.keep"), &b_path).unwrap();
    assert_eq!(hma::serve::load(&mut cat, &places, cache, &format!("original/{b}")).unwrap().bytes, jpeg(6, None));
    let c_id = id_of("sub/c.jpg");
    std::fs::rename(lib.path().join("sub"), lib.path().join("sub.keep")).unwrap();
    std::fs::create_dir_all(outside.path().join("sub")).unwrap();
    std::fs::copy(outside.path().join("secret.jpg"), outside.path().join("sub/c.jpg")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("sub"), lib.path().join("sub")).unwrap();
    assert_eq!(resolve(&mut cat, &places, cache, &format!("original/{c_id}")), Err(Refused::Forbidden));
    std::fs::remove_file(lib.path().join("sub")).unwrap();
    std::fs::rename(lib.path().join("sub.keep"), lib.path().join("sub")).unwrap();
    // Unknown ids and contents, and malformed requests.
    assert_eq!(resolve(&mut cat, &places, cache, "original/999999"), Err(Refused::NotFound));
    assert_eq!(resolve(&mut cat, &places, cache, "preview/0123456789abcdef/grid"), Err(Refused::NotFound));
    for bad in ["original/../../etc/passwd", "/etc/passwd", "preview/..%2F..%2Fetc/grid", "original/1%2F..%2F2"] {
        assert_eq!(resolve(&mut cat, &places, cache, bad), Err(Refused::BadRequest), "{bad}");
    }
    // A preview swapped for a link to a file outside the cache is refused.
    let h = hash_of("/a.jpg");
    let prev = cache.join("previews").join(&h[..2]).join(format!("{h}-grid.jpg"));
    std::fs::remove_file(&prev).unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret.jpg"), &prev).unwrap();
    assert_eq!(resolve(&mut cat, &places, cache, &format!("preview/{h}/grid")), Err(Refused::Forbidden));
    std::fs::remove_file(&prev).unwrap();
    // A file gone from disk is not found.
    std::fs::remove_file(lib.path().join("a.jpg")).unwrap();
    assert_eq!(resolve(&mut cat, &places, cache, &format!("original/{}", id_of("/a.jpg"))), Err(Refused::NotFound));
});

/// A photo-like JPEG (textured enough to have a hash and a preview).
fn image_jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_fn(320, 240, |x, y| {
        let v = ((x * 13 + y * 7) % 180) as u8 + ((x / 40 + y / 30) % 2) as u8 * 60;
        image::Rgb([v, 255 - v, v / 2])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(&img).unwrap();
    out
}

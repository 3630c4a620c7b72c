//! Every input a fuzz campaign found crashing or hanging (committed under
//! `tests/fixtures/fuzz/TARGET/` once fixed) goes through its target again,
//! so a fixed crash stays fixed; and every committed fixture photo goes
//! through every target under each of its variants (the first byte), so
//! the harnesses (`hma::fuzz`, `fuzz/`, `scripts/fuzz`) keep working on
//! real files.

use std::path::Path;
use std::time::{Duration, Instant};

fn inputs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.flatten().filter(|e| e.path().is_file()).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e.file_name() != "README.md")
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap()))
        .collect();
    v.sort();
    v
}

#[test]
fn found_crashes_stay_fixed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz");
    let mut n = 0;
    for dir in std::fs::read_dir(&root).unwrap().flatten().filter(|e| e.path().is_dir()) {
        let target = dir.file_name().to_string_lossy().into_owned();
        assert!(hma::fuzz::TARGETS.contains(&target.as_str()), "tests/fixtures/fuzz/{target}: no such target");
        for (name, data) in inputs(&dir.path()) {
            let t = Instant::now();
            hma::fuzz::run(&target, &data);
            // A hang found by the fuzzer (over its 10 s limit) must now be
            // far from it, even in this unoptimised build.
            assert!(t.elapsed() < Duration::from_secs(10), "{target}/{name} took {:?}", t.elapsed());
            n += 1;
        }
    }
    eprintln!("{n} regression inputs replayed");
}

#[test]
fn every_target_reads_the_fixture_photos_in_every_variant() {
    let photos = inputs(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/photos"));
    assert!(photos.len() >= 10, "the fixture photos");
    for target in hma::fuzz::TARGETS {
        for (name, data) in &photos {
            // The pictures' targets decode whole files: the small ones only,
            // to keep this quick in the unoptimised test build.
            if matches!(*target, "jpeg" | "heif" | "image" | "pixels") && data.len() > 600_000 {
                continue;
            }
            for variant in [0u8, 1, 2, 0x13, 0x25] {
                let mut input = vec![variant];
                input.extend_from_slice(&data[..data.len().min(1 << 20)]);
                let r = std::panic::catch_unwind(|| hma::fuzz::run(target, &input));
                assert!(r.is_ok(), "{target} panicked on {name} (variant {variant})");
            }
        }
    }
}

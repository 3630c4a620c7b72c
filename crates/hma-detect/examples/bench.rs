//! Times YOLOv12n per image on letterboxed 640×640 PNGs: our candle model
//! (forward + decode) and, for reference, candle-onnx interpreting the
//! original ONNX graph. `scripts/bench-detect` runs it beside onnxruntime
//! with the same inputs and thread count (set RAYON_NUM_THREADS).
//! Usage: bench WEIGHTS.safetensors MODEL.onnx RUNS ONNX_RUNS IMAGE.png...

use std::collections::HashMap;
use std::time::Instant;

use candle_core::{Device, Tensor};
use hma_detect::{postprocess, preprocess, Detector};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().collect();
    if a.len() < 6 {
        return Err("usage: bench WEIGHTS ONNX RUNS ONNX_RUNS IMAGE.png...".into());
    }
    let det = Detector::load(std::path::Path::new(&a[1]))?;
    let runs: usize = a[3].parse()?;
    let onnx_runs: usize = a[4].parse()?;
    let inputs: Vec<Tensor> = a[5..]
        .iter()
        .map(|p| preprocess::to_tensor(&image::open(p).expect("a PNG").to_rgb8(), &Device::Cpu))
        .collect::<Result<_, _>>()?;
    // Warm up once.
    let raw = det.raw(&inputs[0])?;
    postprocess::decode(&raw, 16, 640)?;
    let mut candle = Vec::new();
    for _ in 0..runs {
        for x in &inputs {
            let t = Instant::now();
            let raw = det.raw(x)?;
            postprocess::decode(&raw, 16, 640)?;
            candle.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let mut onnx = Vec::new();
    let mut onnx_error = None;
    if onnx_runs > 0 {
        let model = candle_onnx::read_file(&a[2])?;
        for x in inputs.iter().take(onnx_runs) {
            let t = Instant::now();
            match candle_onnx::simple_eval(&model, HashMap::from([("images".to_string(), x.clone())])) {
                Ok(out) if out.contains_key("output0") => onnx.push(t.elapsed().as_secs_f64() * 1000.0),
                Ok(_) => onnx_error = Some("no output0".to_string()),
                Err(e) => {
                    onnx_error = Some(e.to_string().lines().next().unwrap_or_default().replace('"', "'"));
                    break;
                }
            }
        }
    }
    println!(
        "{{\"images\": {}, \"candle_ms\": {:.1}, \"candle_onnx_ms\": {}, \"candle_onnx_error\": {}}}",
        inputs.len(),
        median(candle),
        if onnx.is_empty() { "null".to_string() } else { format!("{:.1}", median(onnx)) },
        onnx_error.map(|e| format!("\"{e}\"")).unwrap_or_else(|| "null".into())
    );
    Ok(())
}

//! Decodes files the way `hma analyze` does, for timing against `djpeg`:
//! `decode [--long N] FILES…` decodes each file (read from disk each time)
//! at the smallest DCT scale whose long edge is at least N (default 1:
//! always 1/8, like `djpeg -scale 1/8`) and prints the total time.
//!
//! `decode --analyse FILES…` times, in this one process on one thread, the
//! floor (the decode at 1/8) and each step of the analysis of the same
//! files (`hma_vision::analyze`, step by step as it runs them), the files
//! read into memory first so no step pays for the disk. Each step is the
//! best of three passes. Prints one JSON object, with `per_file`: each
//! file's long edge, bytes, floor and whole analysis (ms, best of three).
use std::time::Instant;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--analyse") {
        args.remove(0);
        return analyse(&args);
    }
    let mut long = 1u32;
    if args.first().map(String::as_str) == Some("--long") {
        long = args[1].parse().expect("--long N");
        args.drain(..2);
    }
    let req = hma_vision::DecodeRequest { min_long_edge: long, ..Default::default() };
    let start = Instant::now();
    let mut pixels = 0u64;
    for f in &args {
        let bytes = std::fs::read(f).expect("readable file");
        let d = hma_vision::decode::decode(&bytes, "jpeg", None, &req).expect("decodable JPEG");
        pixels += d.image.width as u64 * d.image.height as u64;
    }
    let secs = start.elapsed().as_secs_f64();
    println!("{} files {secs:.3} s ({} output pixels)", args.len(), pixels);
}

/// Milliseconds a file, best of three passes over every file.
fn best(files: usize, mut pass: impl FnMut()) -> f64 {
    (0..3)
        .map(|_| {
            let t = Instant::now();
            pass();
            t.elapsed().as_secs_f64() * 1000.0 / files as f64
        })
        .fold(f64::INFINITY, f64::min)
}

fn analyse(files: &[String]) {
    use hma_vision::{brisque, decode, metrics, phash, preview, resize};
    let model = brisque::BrisqueModel::parse(
        include_str!("../../../models/brisque/brisque_model_live.yml"),
        include_str!("../../../models/brisque/brisque_range_live.yml"),
    )
    .expect("the committed BRISQUE model");
    let bytes: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).expect("readable file")).collect();
    let n = bytes.len();
    let eighth = hma_vision::DecodeRequest { min_long_edge: 1, ..Default::default() };
    let work_req = hma_vision::DecodeRequest { min_long_edge: hma_vision::WORK_LONG_EDGE, ..Default::default() };
    let floor = best(n, || {
        for b in &bytes {
            decode::decode(b, "jpeg", None, &eighth).expect("decodable JPEG");
        }
    });
    let decoded: Vec<_> = bytes.iter().map(|b| decode::decode(b, "jpeg", None, &work_req).unwrap()).collect();
    let t_decode = best(n, || {
        for b in &bytes {
            decode::decode(b, "jpeg", None, &work_req).unwrap();
        }
    });
    let work: Vec<_> = decoded.iter().map(|d| resize::fit_long_edge(&d.image, hma_vision::WORK_LONG_EDGE)).collect();
    let t_resize = best(n, || {
        for d in &decoded {
            resize::fit_long_edge(&d.image, hma_vision::WORK_LONG_EDGE);
        }
    });
    let gray: Vec<_> = work.iter().map(metrics::luma).collect();
    let t_luma = best(n, || {
        for w in &work {
            metrics::luma(w);
        }
    });
    let t_measure = best(n, || {
        for (w, g) in work.iter().zip(&gray) {
            metrics::measure_with_luma(w, g, 0.1);
        }
    });
    let t_brisque = best(n, || {
        for g in &gray {
            model.score_gray(&g.data, g.width as usize, g.height as usize);
        }
    });
    let t_phash = best(n, || {
        for g in &gray {
            phash::dct_hashes(g);
        }
    });
    let t_preview = best(n, || {
        for w in &work {
            preview::encode(w, preview::GRID).unwrap();
        }
    });
    let opts = hma_vision::AnalyzeOptions { loupe: hma_vision::Loupe::Never, ..Default::default() };
    let t_whole = best(n, || {
        for b in &bytes {
            hma_vision::analyze(b, "jpeg", None, Some(&model), &opts).unwrap();
        }
    });
    // Each file alone (best of three): its floor and its whole analysis,
    // with its size, to see where the ratio comes from.
    let per_file: Vec<String> = bytes
        .iter()
        .map(|b| {
            let d = decode::decode(b, "jpeg", None, &eighth).unwrap();
            let floor = best(1, || {
                decode::decode(b, "jpeg", None, &eighth).unwrap();
            });
            let whole = best(1, || {
                hma_vision::analyze(b, "jpeg", None, Some(&model), &opts).unwrap();
            });
            format!("[{}, {}, {:.2}, {:.2}]", d.full_width.max(d.full_height), b.len(), floor, whole)
        })
        .collect();
    let r = |x: f64| (x * 100.0).round() / 100.0;
    println!(
        "{{\"files\": {n}, \"floor_decode_1_8_ms\": {}, \"analysis_ms\": {}, \"ratio\": {}, \"steps_ms\": {{\"decode_work\": {}, \"resize\": {}, \"luma\": {}, \"measure\": {}, \"brisque\": {}, \"phash\": {}, \"preview\": {}}}, \"per_file\": [{}]}}",
        r(floor),
        r(t_whole),
        r(t_whole / floor),
        r(t_decode),
        r(t_resize),
        r(t_luma),
        r(t_measure),
        r(t_brisque),
        r(t_phash),
        r(t_preview),
        per_file.join(", ")
    );
}

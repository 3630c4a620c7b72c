//! The faces pipeline's network time on pictures, for `scripts/bench-faces`.
//!
//! `faces_bench prepare BLAZEFACE.safetensors FACEMESH.safetensors OUT PICTURE…`
//! writes, per picture, the pyramid levels' canvases (`pNN_lK.png`, 8-bit:
//! value v is v/127.5 − 1 for BlazeFace, 0 is its −1 padding) and the crops
//! the landmarker reads for the faces found (`pNN_cK.png`), exactly what the job
//! feeds the networks.
//!
//! `faces_bench time BLAZEFACE FACEMESH RUNS DIR` times, per picture, what
//! the job does from those inputs: BlazeFace on each level (decode and
//! weighted NMS included) and the landmarker on each crop, the crops side by side; prints
//! the median over RUNS passes of the per-picture time, in ms, as JSON.

/// The allocator the `hma` binary uses.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;

use candle_core::{Device, Tensor};
use hma_faces::blazeface::{weighted_nms, MERGE_IOU};
use hma_faces::detect::{decode_level, level_input, levels, FaceDetector, Level, Options};
use hma_faces::eyes::Landmarker;
use hma_faces::landmarker as facemesh;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let det = FaceDetector::load(Path::new(&args[1])).unwrap();
    let marks =
        Landmarker::load(Path::new(&args[2]), &Path::new(&args[2]).with_file_name("face_blendshapes.safetensors"))
            .unwrap();
    match args[0].as_str() {
        "prepare" => prepare(&det, &marks, Path::new(&args[3]), &args[4..]),
        "time" => time(&det, &marks, args[3].parse().unwrap(), Path::new(&args[4])),
        other => panic!("unknown mode {other}"),
    }
}

fn prepare(det: &FaceDetector, marks: &Landmarker, out: &Path, pictures: &[String]) {
    std::fs::create_dir_all(out).unwrap();
    for (p, path) in pictures.iter().enumerate() {
        let img = image::open(path).unwrap().to_rgb8();
        for (k, level) in levels(img.width(), img.height(), Options::default().finest).iter().enumerate() {
            let x = level_input(&img, level, &Device::Cpu).unwrap();
            let v: Vec<f32> = x.flatten_all().unwrap().to_vec1().unwrap();
            let (cw, ch) = (level.cw as usize, level.ch as usize);
            let canvas = image::RgbImage::from_fn(level.cw, level.ch, |i, j| {
                let at = j as usize * cw + i as usize;
                let px = |c: usize| ((v[c * cw * ch + at] + 1.0) * 127.5).round().clamp(0.0, 255.0) as u8;
                image::Rgb([px(0), px(1), px(2)])
            });
            canvas.save(out.join(format!("p{p:02}_l{k}.png"))).unwrap();
        }
        let faces = det.detect(&img, &Options::default()).unwrap();
        for (k, f) in faces.iter().enumerate() {
            let roi = facemesh::Roi::from_detection([f.xmin, f.ymin, f.xmax, f.ymax], f.keypoints[0], f.keypoints[1]);
            roi.crop(&img).save(out.join(format!("p{p:02}_c{k:03}.png"))).unwrap();
        }
        let _ = marks;
        println!("{path}: {} faces", faces.len());
    }
}

/// The inputs of picture `p`: its level canvases and its crops.
fn inputs(dir: &Path) -> Vec<(Vec<PathBuf>, Vec<PathBuf>)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let mut out: Vec<(Vec<PathBuf>, Vec<PathBuf>)> = Vec::new();
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let p: usize = name[1..3].parse().unwrap();
        while out.len() <= p {
            out.push((vec![], vec![]));
        }
        if name[4..].starts_with('l') {
            out[p].0.push(f);
        } else {
            out[p].1.push(f);
        }
    }
    out
}

/// One picture's network inputs: its levels (input, geometry) and crops.
type Inputs = (Vec<(Tensor, Level)>, Vec<Tensor>);

fn time(det: &FaceDetector, marks: &Landmarker, runs: usize, dir: &Path) {
    let dev = Device::Cpu;
    let pictures: Vec<Inputs> = inputs(dir)
        .into_iter()
        .map(|(ls, cs)| {
            let levels = ls
                .iter()
                .map(|l| {
                    let c = image::open(l).unwrap().to_rgb8();
                    let level = Level { w: c.width(), h: c.height(), cw: c.width(), ch: c.height() };
                    (level_input(&c, &level, &dev).unwrap(), level)
                })
                .collect();
            let crops = cs.iter().map(|c| facemesh::input(&image::open(c).unwrap().to_rgb8(), &dev).unwrap()).collect();
            (levels, crops)
        })
        .collect();
    let mut per_picture = Vec::new();
    let mut detect_ms = Vec::new();
    let mut mesh_ms = Vec::new();
    for run in 0..=runs {
        for (levels, crops) in &pictures {
            let t0 = Instant::now();
            // As the job does (FaceDetector::detect): the levels side by side.
            let all: Vec<_> = levels
                .par_iter()
                .flat_map(|(x, l)| {
                    let tl = Instant::now();
                    let (b, lg) = det.model().forward(x).unwrap();
                    if std::env::var_os("FACES_BENCH_LEVELS").is_some() && run == runs {
                        eprintln!("level {}×{}: {:.1} ms", l.cw, l.ch, tl.elapsed().as_secs_f64() * 1e3);
                    }
                    let b: Vec<f32> = b.flatten_all().unwrap().to_vec1().unwrap();
                    let lg: Vec<f32> = lg.flatten_all().unwrap().to_vec1().unwrap();
                    decode_level(&b, &lg, (l.cw as usize, l.ch as usize), 0.5)
                })
                .collect();
            let _ = weighted_nms(all, MERGE_IOU);
            let t1 = Instant::now();
            // As the job does (Landmarker::eyes): each face on its own, side by side.
            crops.par_iter().for_each(|c| {
                let (m, f) = marks.mesh().forward(c).unwrap();
                let _: Vec<f32> = m.flatten_all().unwrap().to_vec1().unwrap();
                let _: Vec<f32> = f.to_vec1().unwrap();
            });
            let t2 = Instant::now();
            // The first pass warms up.
            if run > 0 {
                detect_ms.push((t1 - t0).as_secs_f64() * 1e3);
                mesh_ms.push((t2 - t1).as_secs_f64() * 1e3);
                per_picture.push((t2 - t0).as_secs_f64() * 1e3);
            }
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let n = pictures.len();
    let mean = |v: &Vec<f64>| v.iter().sum::<f64>() / v.len() as f64;
    println!(
        "{{\"pictures\": {n}, \"per_picture_ms\": {:.2}, \"mean_per_picture_ms\": {:.2}, \"detect_ms\": {:.2}, \"mesh_ms\": {:.2}}}",
        median(&mut per_picture.clone()),
        mean(&per_picture),
        mean(&detect_ms),
        mean(&mesh_ms)
    );
}

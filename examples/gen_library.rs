//! Makes a large library of small but real-looking photos for the scale
//! benchmark (`scripts/bench-scale`): each file is a crop of a real photo
//! from SEEDS (reframed, resized to 128–384 px, brightened or darkened,
//! saved at JPEG quality 60–95) with camera EXIF (one of six cameras, a
//! time between 2012 and 2026), in nested folders `YYYY/YYYY-MM-DD/`.
//! One file in eight starts a burst of three frames a second apart (the
//! same framing, slightly moved), and one in fifty is an exact copy of the
//! file before it. Deterministic: the same N gives the same files.
//! Usage: gen_library SEEDS_DIR OUT_DIR N

use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;

#[allow(dead_code)]
#[path = "../tests/common/exif_writer.rs"]
mod exif_writer;

/// splitmix64: a stateless hash of the file's number, so any file can be
/// made on its own, in any order, on any thread (a one-line mixer; the
/// benchmark needs repeatable variety, not statistical quality).
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A number in `lo..hi` from `key` and a salt.
fn pick(key: u64, salt: u64, lo: u64, hi: u64) -> u64 {
    lo + mix(key ^ salt.wrapping_mul(0xD6E8_FEB8_6659_FD93)) % (hi - lo).max(1)
}

const CAMERAS: [(&str, &str); 6] = [
    ("Canon", "Canon EOS R6"),
    ("NIKON CORPORATION", "NIKON Z 6_2"),
    ("Apple", "iPhone 13"),
    ("SONY", "ILCE-7M3"),
    ("samsung", "SM-G991B"),
    ("FUJIFILM", "X-T30"),
];

/// File `i`: its path under OUT and its bytes.
fn make(seeds: &[image::RgbImage], i: u64) -> (PathBuf, Vec<u8>) {
    // An exact copy of the file before (same bytes, another name).
    if i > 0 && pick(i, 1, 0, 50) == 0 {
        let (path, bytes) = make(seeds, i - 1);
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        return (path.with_file_name(format!("{name}-copy.jpg")), bytes);
    }
    // Frames of a burst share their first frame's framing and time.
    let frame = (0..3).find(|&k| i >= k && pick(i - k, 2, 0, 8) == 0).unwrap_or(0);
    let shot = i - frame;
    let seed = &seeds[pick(shot, 3, 0, seeds.len() as u64) as usize];
    let (sw, sh) = (seed.width() as u64, seed.height() as u64);
    let share = pick(shot, 4, 40, 101); // percent of the seed kept
    let (cw, ch) = ((sw * share / 100).max(16), (sh * share / 100).max(16));
    let x = pick(shot, 5, 0, sw - cw + 1) + frame * 3;
    let y = pick(shot, 6, 0, sh - ch + 1);
    let (x, y) = (x.min(sw - cw) as u32, y.min(sh - ch) as u32);
    let long = pick(shot, 7, 128, 385) as u32;
    let (w, h) = if cw >= ch {
        (long, (long as u64 * ch / cw).max(1) as u32)
    } else {
        ((long as u64 * cw / ch).max(1) as u32, long)
    };
    let crop = image::imageops::crop_imm(seed, x, y, cw as u32, ch as u32).to_image();
    let mut img = image::imageops::resize(&crop, w, h, image::imageops::FilterType::Triangle);
    let gain = pick(shot, 8, 60, 141) as f32 / 100.0 + frame as f32 * 0.02;
    for p in img.pixels_mut() {
        for c in p.0.iter_mut() {
            *c = (*c as f32 * gain).min(255.0) as u8;
        }
    }
    let mut jpeg = Vec::new();
    let quality = pick(i, 9, 60, 96) as u8;
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, quality).encode_image(&img).expect("encodes");
    let year = pick(shot, 10, 2012, 2027);
    let (month, day) = (pick(shot, 11, 1, 13), pick(shot, 12, 1, 29));
    let secs = pick(shot, 13, 6 * 3600, 22 * 3600) + frame;
    let (make_, model) = CAMERAS[pick(shot, 14, 0, CAMERAS.len() as u64) as usize];
    let spec = exif_writer::ExifSpec {
        make: Some(make_.into()),
        model: Some(model.into()),
        orientation: Some(1),
        taken: Some(format!("{year}:{month:02}:{day:02} {:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)),
        exposure: Some((1, 60 << pick(shot, 15, 0, 5))),
        iso: Some(100 << pick(shot, 16, 0, 5)),
        ..Default::default()
    };
    let tiff = spec.tiff();
    let mut bytes = jpeg[..2].to_vec();
    bytes.extend_from_slice(&[0xFF, 0xE1]);
    bytes.extend_from_slice(&((2 + 6 + tiff.len()) as u16).to_be_bytes());
    bytes.extend_from_slice(b"Exif\0\0");
    bytes.extend_from_slice(&tiff);
    bytes.extend_from_slice(&jpeg[2..]);
    let path = PathBuf::from(format!("{year}/{year}-{month:02}-{day:02}/IMG_{i:07}.jpg"));
    (path, bytes)
}

/// Up to 64 camera JPEGs under `dir`, decoded at about 400 px.
fn seeds(dir: &Path) -> Vec<image::RgbImage> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x.eq_ignore_ascii_case("jpg") || x.eq_ignore_ascii_case("jpeg")) {
                files.push(p);
            }
        }
    }
    files.sort();
    files
        .par_iter()
        .filter_map(|p| {
            let bytes = std::fs::read(p).ok()?;
            let req = hma_vision::decode::DecodeRequest { min_long_edge: 400, ..Default::default() };
            let d = hma_vision::decode::decode(&bytes, "jpeg", None, &req).ok()?;
            image::RgbImage::from_raw(d.image.width, d.image.height, d.image.data)
                .filter(|i| i.width() >= 64 && i.height() >= 64)
        })
        .collect::<Vec<_>>()
        .into_iter()
        .take(64)
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        return Err("usage: gen_library SEEDS_DIR OUT_DIR N".into());
    }
    let (out, n) = (PathBuf::from(&args[2]), args[3].parse::<u64>()?);
    let t = Instant::now();
    let seeds = seeds(Path::new(&args[1]));
    if seeds.is_empty() {
        return Err(format!("no JPEG photos under {}", args[1]).into());
    }
    let bytes: u64 = (0..n)
        .into_par_iter()
        .map(|i| {
            let (rel, bytes) = make(&seeds, i);
            let path = out.join(rel);
            std::fs::create_dir_all(path.parent().expect("in a folder")).expect("folder made");
            std::fs::write(&path, &bytes).expect("file written");
            bytes.len() as u64
        })
        .sum();
    println!(
        "{{\"files\": {n}, \"bytes\": {bytes}, \"seeds\": {}, \"seconds\": {:.1}}}",
        seeds.len(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

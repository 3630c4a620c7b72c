//! Entry points for fuzzing: every parser and decoder that reads bytes we
//! did not write, called the way the jobs call it.
//!
//! The coverage-guided harnesses in `fuzz/` (libFuzzer, built on stable
//! Rust by `scripts/fuzz`) call [`run`] with the fuzzer's bytes; the
//! regression test (`tests/fuzz_regressions.rs`) calls it with every input
//! a campaign ever found crashing or hanging (`tests/fixtures/fuzz/TARGET/`),
//! so a fixed crash stays fixed on every CI run. An entry point must not
//! panic, abort or run away on any input: each returned error is the
//! behaviour we want, and the value is thrown away.
//!
//! The first byte of an input often picks a variant (a format, an
//! orientation, a size): the fuzzer learns those choices like any other
//! branch, and a seed file is prefixed with the byte that gives its real
//! format (`scripts/fuzz seed`).

use image::RgbImage;

/// The targets, in the order `scripts/fuzz` runs them.
pub const TARGETS: &[&str] = &["exif", "raw", "xmp", "inspect", "jpeg", "heif", "image", "pixels", "models", "query"];

/// The formats the `exif` target reads (chosen by the first byte).
pub const EXIF_FORMATS: &[&str] = &["jpeg", "tiff", "heic", "png", "webp", "avif"];
/// The raw formats the `raw` target reads (chosen by the first byte).
pub const RAW_FORMATS: &[&str] =
    &["cr3", "raf", "mrw", "x3f", "crw", "orf", "rw2", "cr2", "nef", "dng", "arw", "pef", "srw"];
/// The formats the `image` target decodes (chosen by the first byte).
pub const IMAGE_FORMATS: &[&str] = &["png", "tiff", "webp", "gif", "bmp"];
/// The names the `inspect` target gives its bytes (chosen by the first byte):
/// sniffing looks at both.
pub const INSPECT_NAMES: &[&str] = &[
    "a.jpg", "a.tif", "a.heic", "a.png", "a.webp", "a.cr3", "a.raf", "a.mrw", "a.x3f", "a.crw", "a.orf", "a.rw2",
    "a.cr2", "a.nef", "a.dng", "a.gif", "a.avif", "a.xmp", "a.txt",
];

/// Runs `target` on `data`. Unknown targets are a programming error.
pub fn run(target: &str, data: &[u8]) {
    match target {
        "exif" => exif(data),
        "raw" => raw(data),
        "xmp" => xmp(data),
        "inspect" => inspect(data),
        "jpeg" => jpeg(data),
        "heif" => heif(data),
        "image" => image_formats(data),
        "pixels" => pixels(data),
        "models" => models(data),
        "query" => query(data),
        other => panic!("no fuzz target {other}"),
    }
}

fn pick<'a>(choices: &[&'a str], data: &[u8]) -> &'a str {
    choices[data.first().map_or(0, |b| *b as usize % choices.len())]
}

fn rest(data: &[u8]) -> &[u8] {
    data.get(1..).unwrap_or(&[])
}

/// EXIF in every container that carries it: rexif for JPEG/TIFF, kamadak-exif
/// for ISO-BMFF, PNG and WebP, then our interpretation (dates, GPS, maker
/// notes).
fn exif(data: &[u8]) {
    let format = pick(EXIF_FORMATS, data);
    let _ = hma_media::exif::read_exif(format, rest(data));
    if let Ok(s) = std::str::from_utf8(rest(data)) {
        let _ = hma_media::exif::parse_datetime(s);
        let _ = hma_media::exif::parse_xmp_datetime(s);
    }
}

/// Our own raw readers (CR3 boxes, RAF, MRW, X3F, CIFF, the private TIFF
/// magics) with their maker notes, and the embedded-preview finder.
fn raw(data: &[u8]) {
    let format = pick(RAW_FORMATS, data);
    let d = rest(data);
    let _ = hma_media::exif::read_exif(format, d);
    let _ = hma_media::makernote::canon_iso(d);
    let _ = hma_media::makernote::casio_iso(d);
    let _ = hma_media::makernote::olympus_picture_info(d);
    let _ = hma_media::makernote::reconyx_taken(d);
    let _ = hma_media::makernote::kodak_type3(d, "DC290");
    let _ = hma_vision::raw_preview::largest_jpeg(d);
}

/// XMP packets (found in any file, parsed), sidecar rewriting over an
/// existing sidecar, and IPTC in a JPEG.
fn xmp(data: &[u8]) {
    if let Some(p) = hma_media::xmp::find_packet(data) {
        let _ = hma_media::xmp::parse(p);
    }
    let _ = hma_media::xmp::parse(data);
    let marks = hma_media::xmp_write::Marks {
        flag: 1,
        rating: 4,
        label: Some("Red".into()),
        keywords: vec!["Anna".into(), "dog".into()],
        hierarchical: vec!["People|Anna".into()],
    };
    if let Ok(out) = hma_media::xmp_write::update(data, &marks) {
        // What we write must read back.
        hma_media::xmp::parse(&out).expect("an updated sidecar reads back");
    }
    let _ = hma_media::iptc::date_created(data);
}

/// Everything the scanner learns from a file's bytes: sniffing, size,
/// EXIF, XMP, JPEG completeness.
fn inspect(data: &[u8]) {
    let name = pick(INSPECT_NAMES, data);
    let d = rest(data);
    let _ = hma_media::inspect::facts_from_bytes(d, name);
    let _ = hma_media::inspect::jpeg_complete(d);
    let _ = hma_media::lineage::stem_info(&String::from_utf8_lossy(d));
}

fn orientation(data: &[u8]) -> Option<u16> {
    data.first().map(|b| (*b as u16 >> 4) % 9).filter(|o| *o > 0)
}

/// JPEG through libjpeg-turbo (with the `image` crate's decoder behind it, as
/// the analysis calls it), the full-size luma plane, the quality estimate,
/// and the whole analysis of the decoded picture.
fn jpeg(data: &[u8]) {
    let d = rest(data);
    analysis(data, "jpeg");
    // The full-size luma plane (`hma quality --brisque-full`) of small
    // pictures only: a 40 MP plane a run would slow the fuzzer tenfold.
    let _ = hma_vision::decode::jpeg_luma_full(d, 4_000_000);
    let _ = hma_vision::jpeg_quality::estimate(d);
}

/// A fuzzer's run stays within its memory limit (2 GB) while still reaching
/// the refusals: the jobs use 250 MP, which decodes to 750 MB.
const FUZZ_MAX_PIXELS: u64 = 40_000_000;

/// The whole analysis of the bytes after the first (whose high bits give
/// the EXIF orientation), as `format`.
fn analysis(data: &[u8], format: &str) {
    let opts = hma_vision::AnalyzeOptions { max_pixels: FUZZ_MAX_PIXELS, ..Default::default() };
    let _ = hma_vision::analyze(rest(data), format, orientation(data), None, &opts);
}

/// HEIC and AVIF through libheif, with the analysis.
fn heif(data: &[u8]) {
    analysis(data, if data.first().is_some_and(|b| b & 1 == 1) { "avif" } else { "heic" });
}

/// PNG, TIFF, WebP, GIF and BMP through the `image` crate, with the analysis.
fn image_formats(data: &[u8]) {
    analysis(data, pick(IMAGE_FORMATS, data));
}

/// The measurements, BRISQUE features, hashes, previews and the detectors'
/// and face embedder's preprocessing on pictures of any size a decoder can
/// give: 1×1, 1×N, N×1, huge aspect ratios. The first two bytes give the
/// width (1–4096), the rest are the pixels (the height is what they fill,
/// at most 4096 rows).
fn pixels(data: &[u8]) {
    if data.len() < 5 {
        return;
    }
    let width = (u16::from_le_bytes([data[0], data[1]]) % 4096) as u32 + 1;
    let px = &data[2..];
    let height = ((px.len() / 3) as u32 / width).min(4096);
    if height == 0 {
        return;
    }
    let img = hma_vision::Rgb8 { width, height, data: px[..(width * height * 3) as usize].to_vec() };
    let work = hma_vision::resize::fit_long_edge(&img, 640);
    let gray = hma_vision::metrics::luma(&work);
    let _ = hma_vision::metrics::measure(&work, 0.5);
    let _ = hma_vision::brisque::features(&gray.data, gray.width as usize, gray.height as usize);
    if !hma_vision::phash::is_degenerate(&gray) {
        let _ = hma_vision::phash::dct_hashes(&gray);
    }
    let _ = hma_vision::preview::encode(&work, 256);
    // Boxes as detectors give them, including out-of-frame and NaN ones.
    let f = |i: usize| data.get(i).map_or(0.5, |b| (*b as f64 - 32.0) / 160.0);
    let boxes = [[f(2), f(3), f(4), f(5)], [0.0, 0.0, 1.0, 1.0], [f64::NAN, 0.1, 0.2, f64::INFINITY]];
    let _ = hma_vision::metrics::measure_boxes(&work, &boxes);
    let Some(rgb) = RgbImage::from_raw(work.width, work.height, work.data.clone()) else {
        panic!("an Rgb8 is a valid RgbImage");
    };
    let device = candle_core::Device::Cpu;
    let (boxed, _) = hma_detect::preprocess::letterbox_image(&rgb);
    let _ = hma_detect::preprocess::to_tensor(&boxed, &device);
    for level in hma_faces::detect::levels(rgb.width(), rgb.height(), 768).iter().take(2) {
        let _ = hma_faces::detect::level_input(&rgb, level, &device);
    }
    let p = |i: usize| (f(i) * work.width as f64, f(i + 1) * work.height as f64);
    let _ = hma_faces::sface::align(&rgb, [p(6), p(8), p(10), p(12)]);
}

/// Model files a user can import: TFLite flatbuffers, safetensors, ONNX
/// protobufs (converted as `hma models import` converts them).
fn models(data: &[u8]) {
    let d = rest(data);
    match data.first().map_or(0, |b| b % 3) {
        0 => {
            let _ = hma_faces::tflite::Model::parse(d);
        }
        1 => {
            let _ = candle_core::safetensors::load_buffer(d, &candle_core::Device::Cpu);
        }
        _ => {
            // candle-onnx reads ONNX from a path only: one file a process.
            let path = std::env::temp_dir().join(format!("hma-fuzz-{}.onnx", std::process::id()));
            if std::fs::write(&path, d).is_ok() {
                let _ = hma_detect::convert::onnx_weights(&path);
            }
        }
    }
}

/// The search language's parser (names are resolved against a catalogue
/// after parsing; the parser is what reads the user's text).
fn query(data: &[u8]) {
    if let Ok(q) = std::str::from_utf8(data) {
        let _ = crate::search::parse(q);
    }
}

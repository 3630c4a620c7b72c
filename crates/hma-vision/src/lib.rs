//! Looking at pictures: decoding at reduced size, previews, technical
//! measurements, BRISQUE, perceptual hashes and the scores made from them.
//!
//! Nothing here touches the catalogue or the file system beyond the bytes
//! it is handed: the engine reads files (read-only) and stores results.

/// Defines `fn NAME(ARGS) -> R` running `BODY(ARGS)`, an `#[inline(always)]`
/// function, compiled twice: for AVX2, used when the CPU has it (checked at
/// run time), and for the baseline of the target. It is the same safe code
/// both times; AVX2 only widens the vectorised loops (eight i32 or four f64
/// lanes instead of four or two). No FMA is enabled and the compiler never
/// fuses a multiply and an add on its own, so both builds give the same
/// bits (the tests of `metrics` and `brisque` compare them).
macro_rules! avx2_or_plain {
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty => $body:ident) => {
        $(#[$meta])*
        $vis fn $name($($arg: $ty),*) -> $ret {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2")]
                fn avx2($($arg: $ty),*) -> $ret {
                    $body($($arg),*)
                }
                if $crate::avx2_available() {
                    // SAFETY: the CPU has been seen to support AVX2,
                    // the one feature `avx2` is compiled for.
                    #[allow(unsafe_code)]
                    return unsafe { avx2($($arg),*) };
                }
            }
            $body($($arg),*)
        }
    };
}

/// Whether the AVX2 builds run: the CPU has AVX2 and `HMA_NO_AVX2` is not
/// set (set, the plain builds run everywhere, as on a CPU without it).
pub fn avx2_available() -> bool {
    static AVAILABLE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        if std::env::var_os("HMA_NO_AVX2").is_some_and(|v| !v.is_empty()) {
            return false;
        }
        #[cfg(target_arch = "x86_64")]
        {
            std::arch::is_x86_feature_detected!("avx2")
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    })
}

pub mod brisque;
pub mod decode;
pub mod jpeg_quality;
pub mod metrics;
pub mod orient;
pub mod phash;
pub mod preview;
pub mod raw_preview;
pub mod resize;
pub mod score;

pub use decode::{DecodeError, DecodeRequest, Decoded};
pub use metrics::Measurements;

/// Version of the measurements: bump when a change alters any stored value,
/// and `hma analyze` redoes every picture.
pub const ANALYSIS_VERSION: i32 = 2;

/// Long edge of the working image the measurements are taken on.
pub const WORK_LONG_EDGE: u32 = 640;

/// An 8-bit RGB picture, rows top to bottom, interleaved.
#[derive(Debug, Clone, PartialEq)]
pub struct Rgb8 {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

/// An 8-bit grey picture.
#[derive(Debug, Clone, PartialEq)]
pub struct Gray8 {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

/// What analysing one picture gives.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub measurements: Measurements,
    /// BRISQUE (lower is better), when a model was given.
    pub brisque: Option<f64>,
    pub jpeg_quality: Option<u8>,
    /// DCT hash of the picture as displayed and of its rotations/mirrors;
    /// None for near-flat pictures.
    pub hashes: Option<[u64; 8]>,
    pub full_width: u32,
    pub full_height: u32,
    pub method: String,
    pub grid_jpeg: Vec<u8>,
    pub loupe_jpeg: Option<Vec<u8>>,
}

/// Which pictures get a loupe preview.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Loupe {
    /// None (measurements only, e.g. `hma quality`).
    #[default]
    Never,
    /// Pictures a web view cannot show as they are: everything but JPEG
    /// (HEIC, RAW, TIFF…). A JPEG can be shown from the original.
    NotJpeg,
    /// Every picture (a second, larger decode for JPEGs).
    Always,
}

/// Options for [`analyze`].
#[derive(Debug, Clone)]
pub struct AnalyzeOptions {
    pub max_pixels: u64,
    pub loupe: Loupe,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        AnalyzeOptions { max_pixels: decode::DEFAULT_MAX_PIXELS, loupe: Loupe::Never }
    }
}

/// Formats decoded whole (no reduced decode exists for them): they are
/// decoded once to the loupe size, and the working image is made from that.
fn decoded_whole(format: &str) -> bool {
    matches!(format, "heic" | "avif" | "png" | "tiff" | "webp" | "gif" | "bmp")
}

/// Decodes once at the working size and takes every measurement, the hash
/// and the grid preview from that one decode.
pub fn analyze(
    bytes: &[u8],
    format: &str,
    orientation: Option<u16>,
    brisque: Option<&brisque::BrisqueModel>,
    opts: &AnalyzeOptions,
) -> Result<Analysis, DecodeError> {
    // Whole-decoded formats always go through the loupe size, so their
    // measurements do not depend on whether a loupe is made.
    let first = if decoded_whole(format) { preview::LOUPE } else { WORK_LONG_EDGE };
    let req = DecodeRequest { min_long_edge: first, max_pixels: opts.max_pixels };
    let d = decode::decode(bytes, format, orientation, &req)?;
    let work = resize::fit_long_edge(&d.image, WORK_LONG_EDGE);
    let scale = work.width.max(work.height) as f64 / d.full_width.max(d.full_height).max(1) as f64;
    let gray = metrics::luma(&work);
    let measurements = metrics::measure_with_luma(&work, &gray, scale);
    // NaN for a frame without texture: no BRISQUE then.
    let brisque =
        brisque.map(|m| m.score_gray(&gray.data, gray.width as usize, gray.height as usize)).filter(|b| b.is_finite());
    let hashes = (!phash::is_degenerate(&gray)).then(|| phash::dct_hashes(&gray));
    let grid_jpeg = preview::encode(&work, preview::GRID)
        .map_err(|e| DecodeError::Corrupt { format: "preview".into(), message: e })?;
    let want_loupe = match opts.loupe {
        Loupe::Never => false,
        Loupe::NotJpeg => format != "jpeg",
        Loupe::Always => true,
    };
    let loupe_jpeg = if want_loupe {
        let big = if d.image.width.max(d.image.height) >= preview::LOUPE
            || d.image.width.max(d.image.height) >= d.full_width.max(d.full_height)
        {
            d.image.clone()
        } else {
            let req = DecodeRequest { min_long_edge: preview::LOUPE, max_pixels: opts.max_pixels };
            decode::decode(bytes, format, orientation, &req)?.image
        };
        Some(
            preview::encode(&big, preview::LOUPE)
                .map_err(|e| DecodeError::Corrupt { format: "preview".into(), message: e })?,
        )
    } else {
        None
    };
    Ok(Analysis {
        measurements,
        brisque,
        jpeg_quality: d.jpeg_quality,
        hashes,
        full_width: d.full_width,
        full_height: d.full_height,
        method: d.method,
        grid_jpeg,
        loupe_jpeg,
    })
}

/// BRISQUE of the full-size picture as OpenCV's `cv2.imread(path,
/// IMREAD_GRAYSCALE)` sees it (JPEG: the decoded luma plane, EXIF
/// orientation applied), for checking our implementation against OpenCV's.
/// The analysis itself scores the working image.
pub fn brisque_full(
    bytes: &[u8],
    format: &str,
    orientation: Option<u16>,
    model: &brisque::BrisqueModel,
) -> Result<f64, DecodeError> {
    let gray = if format == "jpeg" {
        decode::jpeg_luma_full(bytes, decode::DEFAULT_MAX_PIXELS)?
    } else {
        let req = DecodeRequest { min_long_edge: u32::MAX, max_pixels: decode::DEFAULT_MAX_PIXELS };
        metrics::luma(&decode::decode(bytes, format, None, &req)?.image)
    };
    let gray = match orientation {
        Some(o) if o != 1 && format == "jpeg" => {
            let rgb = Rgb8 {
                width: gray.width,
                height: gray.height,
                data: gray.data.iter().flat_map(|&v| [v, v, v]).collect(),
            };
            let r = orient::apply(rgb, o);
            Gray8 { width: r.width, height: r.height, data: r.data.chunks(3).map(|p| p[0]).collect() }
        }
        _ => gray,
    };
    Ok(model.score_gray(&gray.data, gray.width as usize, gray.height as usize))
}

/// For tests of code that only runs on CPUs with a feature this one lacks:
/// records the test as skipped (in the file `HMA_SKIP_LOG` names, which
/// `scripts/test` counts as skipped, not passed) and returns true.
#[cfg(test)]
pub(crate) fn skipped_without(available: bool, feature: &str, test: &str) -> bool {
    if available {
        return false;
    }
    let line = format!("{test}: this CPU has no {feature} (or it was turned off): nothing to compare\n");
    eprint!("skipped: {line}");
    if let Some(path) = std::env::var_os("HMA_SKIP_LOG") {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
            let _ = f.write_all(line.as_bytes());
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picture(w: u32, h: u32) -> image::RgbImage {
        image::RgbImage::from_fn(w, h, |x, y| {
            let v = ((x * 7 + y * 3) % 200) as u8 + ((x / 50 + y / 40) % 2) as u8 * 40;
            image::Rgb([v, v / 2 + 30, 255 - v])
        })
    }

    fn encoded(img: &image::RgbImage, format: image::ImageFormat) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    #[test]
    fn loupes_are_made_for_what_a_web_view_cannot_show_and_change_no_measurement() {
        let img = picture(2600, 1700);
        let png = encoded(&img, image::ImageFormat::Png);
        let jpeg = encoded(&img, image::ImageFormat::Jpeg);
        let with = |loupe| AnalyzeOptions { loupe, ..Default::default() };
        let p_never = analyze(&png, "png", None, None, &with(Loupe::Never)).unwrap();
        let p_auto = analyze(&png, "png", None, None, &with(Loupe::NotJpeg)).unwrap();
        let j_auto = analyze(&jpeg, "jpeg", None, None, &with(Loupe::NotJpeg)).unwrap();
        let j_always = analyze(&jpeg, "jpeg", None, None, &with(Loupe::Always)).unwrap();
        assert!(p_never.loupe_jpeg.is_none() && j_auto.loupe_jpeg.is_none());
        let loupe = p_auto.loupe_jpeg.as_ref().expect("a PNG gets a loupe");
        let decoded = image::load_from_memory(loupe).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (2048, 1339));
        assert!(j_always.loupe_jpeg.is_some());
        assert_eq!(p_never.measurements, p_auto.measurements);
        assert_eq!(j_auto.measurements, j_always.measurements);
        let grid = image::load_from_memory(&p_auto.grid_jpeg).unwrap();
        assert_eq!(grid.width().max(grid.height()), preview::GRID);
    }
}

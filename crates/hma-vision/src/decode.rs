//! Decoding a picture at the smallest size a job needs.
//!
//! - JPEG: libjpeg-turbo's DCT scaling (1/8 … 8/8): the inverse DCT runs on
//!   only the coefficients the output size needs, so a 1/8 decode of a 24 MP
//!   photo costs little more than its entropy decoding.
//! - HEIF/HEIC/AVIF: libheif (it applies the file's own rotation and mirror).
//! - RAW: the largest embedded JPEG preview, DCT-scaled like any JPEG.
//! - PNG, TIFF, WebP, GIF, BMP: the `image` crate with allocation limits.
//!
//! EXIF orientation is applied to everything but HEIF, so the result is the
//! picture as a viewer shows it. A picture larger than the pixel limit (a
//! decompression bomb, or simply too big) is refused with a clear error
//! before any pixel memory is allocated.

use crate::{orient, resize, Rgb8};
use turbojpeg::{Decompressor, Image, PixelFormat, ScalingFactor};

/// What a job asks of the decoder.
#[derive(Debug, Clone, Copy)]
pub struct DecodeRequest {
    /// The decoded image's long edge should be at least this (when the
    /// picture is that large); the decoder picks the smallest scale that
    /// still gives it.
    pub min_long_edge: u32,
    /// Refuse pictures with more pixels than this (stored size).
    pub max_pixels: u64,
}

impl Default for DecodeRequest {
    fn default() -> Self {
        DecodeRequest { min_long_edge: 640, max_pixels: DEFAULT_MAX_PIXELS }
    }
}

/// 250 megapixels: larger than any camera's photo, smaller than what would
/// exhaust memory on a laptop (≈750 MB of RGB).
pub const DEFAULT_MAX_PIXELS: u64 = 250_000_000;

/// A decoded picture, oriented for display.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub image: Rgb8,
    /// Size of the full picture as displayed (after orientation).
    pub full_width: u32,
    pub full_height: u32,
    /// How the pixels were obtained, e.g. `jpeg 1/8`, `heif`, `raw preview 1/4`.
    pub method: String,
    /// For JPEG sources: the IJG quality (1–100) the quantisation tables
    /// correspond to.
    pub jpeg_quality: Option<u8>,
}

impl Decoded {
    /// Decoded size ÷ full size (linear).
    pub fn scale(&self) -> f64 {
        let full = self.full_width.max(self.full_height).max(1) as f64;
        self.image.width.max(self.image.height) as f64 / full
    }
}

/// Why a picture could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("too large to decode: {width}×{height} pixels is over the limit of {limit} megapixels")]
    TooLarge { width: u64, height: u64, limit: u64 },
    #[error("cannot decode {format}: {message}")]
    Corrupt { format: String, message: String },
    #[error("no decoder for {0} files")]
    Unsupported(String),
    #[error("{0} file has no embedded preview to decode")]
    NoPreview(String),
}

fn corrupt(format: &str, message: impl std::fmt::Display) -> DecodeError {
    DecodeError::Corrupt { format: format.to_string(), message: message.to_string() }
}

fn check_size(width: u64, height: u64, req: &DecodeRequest) -> Result<(), DecodeError> {
    if width == 0 || height == 0 {
        return Err(DecodeError::Corrupt { format: "image".into(), message: "zero width or height".into() });
    }
    if width * height > req.max_pixels {
        return Err(DecodeError::TooLarge { width, height, limit: req.max_pixels / 1_000_000 });
    }
    Ok(())
}

/// Decodes `bytes` (a file of catalogue format `format`) with EXIF
/// `orientation` (1–8) applied.
pub fn decode(
    bytes: &[u8],
    format: &str,
    orientation: Option<u16>,
    req: &DecodeRequest,
) -> Result<Decoded, DecodeError> {
    let orientation = orientation.unwrap_or(1);
    let mut d = match format {
        "jpeg" => decode_jpeg(bytes, req, "jpeg")?,
        "heic" | "avif" => return decode_heif(bytes, format, req),
        "png" | "tiff" | "webp" | "gif" | "bmp" => decode_generic(bytes, format, req)?,
        f if hma_media::sniff::RAW_EXTS.contains(&f) => {
            let preview = crate::raw_preview::largest_jpeg(bytes).ok_or_else(|| DecodeError::NoPreview(f.into()))?;
            let mut d = decode_jpeg(preview, req, "raw preview")?;
            d.jpeg_quality = None;
            d
        }
        other => return Err(DecodeError::Unsupported(other.to_string())),
    };
    if orientation != 1 {
        d.image = orient::apply(d.image, orientation);
        if orient::swaps_axes(orientation) {
            std::mem::swap(&mut d.full_width, &mut d.full_height);
        }
    }
    Ok(d)
}

/// The DCT scale (n/8) giving the smallest decode whose long edge is at
/// least `min_long` (or the full size).
fn pick_scale(width: usize, height: usize, min_long: u32) -> ScalingFactor {
    let long = width.max(height);
    // libjpeg-turbo lists its factors as reduced fractions (1/4, not 2/8).
    let mut factors: Vec<ScalingFactor> =
        Decompressor::supported_scaling_factors().into_iter().filter(|f| f.num() <= f.denom()).collect();
    factors.sort_by_key(|f| f.num() * 8 / f.denom());
    factors.into_iter().find(|f| f.scale(long) >= min_long as usize).unwrap_or(ScalingFactor::ONE)
}

fn decode_jpeg(bytes: &[u8], req: &DecodeRequest, label: &str) -> Result<Decoded, DecodeError> {
    let mut dec = Decompressor::new().map_err(|e| corrupt("jpeg", e))?;
    let header = match dec.read_header(bytes) {
        Ok(h) => h,
        Err(e) => return decode_generic(bytes, "jpeg", req).map_err(|_| corrupt("jpeg", e)),
    };
    check_size(header.width as u64, header.height as u64, req)?;
    let factor = pick_scale(header.width, header.height, req.min_long_edge);
    let scaled = header.scaled(factor);
    dec.set_scaling_factor(factor).map_err(|e| corrupt("jpeg", e))?;
    let mut image = Image {
        pixels: vec![0u8; 3 * scaled.width * scaled.height],
        width: scaled.width,
        pitch: 3 * scaled.width,
        height: scaled.height,
        format: PixelFormat::RGB,
    };
    if let Err(e) = dec.decompress(bytes, image.as_deref_mut()) {
        // libjpeg-turbo cannot turn CMYK/YCCK into RGB, and stops on some
        // damage that other decoders get past: try the `image` crate before
        // giving up.
        return decode_generic(bytes, "jpeg", req).map_err(|_| corrupt("jpeg", e));
    }
    let method = if factor == ScalingFactor::ONE {
        label.to_string()
    } else {
        format!("{label} {}/{}", factor.num(), factor.denom())
    };
    Ok(Decoded {
        image: Rgb8 { width: scaled.width as u32, height: scaled.height as u32, data: image.pixels },
        full_width: header.width as u32,
        full_height: header.height as u32,
        method,
        jpeg_quality: crate::jpeg_quality::estimate(bytes),
    })
}

/// The full-size luma plane of a JPEG (no colour conversion: the Y the
/// file stores, as libjpeg's grey output gives it).
pub fn jpeg_luma_full(bytes: &[u8], max_pixels: u64) -> Result<crate::Gray8, DecodeError> {
    let mut dec = Decompressor::new().map_err(|e| corrupt("jpeg", e))?;
    let header = dec.read_header(bytes).map_err(|e| corrupt("jpeg", e))?;
    check_size(header.width as u64, header.height as u64, &DecodeRequest { min_long_edge: 0, max_pixels })?;
    let mut image = Image {
        pixels: vec![0u8; header.width * header.height],
        width: header.width,
        pitch: header.width,
        height: header.height,
        format: PixelFormat::GRAY,
    };
    dec.decompress(bytes, image.as_deref_mut()).map_err(|e| corrupt("jpeg", e))?;
    Ok(crate::Gray8 { width: header.width as u32, height: header.height as u32, data: image.pixels })
}

fn decode_heif(bytes: &[u8], format: &str, req: &DecodeRequest) -> Result<Decoded, DecodeError> {
    use libheif_rs::{ColorSpace, HeifContext, LibHeif, RgbChroma};
    let lib = LibHeif::new();
    let ctx = HeifContext::read_from_bytes(bytes).map_err(|e| corrupt(format, e))?;
    let handle = ctx.primary_image_handle().map_err(|e| corrupt(format, e))?;
    check_size(handle.width() as u64, handle.height() as u64, req)?;
    let img = lib.decode(&handle, ColorSpace::Rgb(RgbChroma::Rgb), None).map_err(|e| corrupt(format, e))?;
    let planes = img.planes();
    let plane = planes.interleaved.ok_or_else(|| corrupt(format, "no interleaved RGB plane"))?;
    let (w, h) = (plane.width as usize, plane.height as usize);
    let mut data = Vec::with_capacity(w * h * 3);
    for row in 0..h {
        data.extend_from_slice(&plane.data[row * plane.stride..row * plane.stride + w * 3]);
    }
    let full = Rgb8 { width: w as u32, height: h as u32, data };
    let image = resize::fit_long_edge(&full, req.min_long_edge.max(1));
    Ok(Decoded { image, full_width: w as u32, full_height: h as u32, method: format.to_string(), jpeg_quality: None })
}

fn decode_generic(bytes: &[u8], format: &str, req: &DecodeRequest) -> Result<Decoded, DecodeError> {
    use image::ImageDecoder;
    let fmt = match format {
        "jpeg" => image::ImageFormat::Jpeg,
        "png" => image::ImageFormat::Png,
        "tiff" => image::ImageFormat::Tiff,
        "webp" => image::ImageFormat::WebP,
        "gif" => image::ImageFormat::Gif,
        "bmp" => image::ImageFormat::Bmp,
        other => return Err(DecodeError::Unsupported(other.to_string())),
    };
    let reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), fmt);
    let mut decoder = reader.into_decoder().map_err(|e| corrupt(format, e))?;
    let (w, h) = decoder.dimensions();
    check_size(w as u64, h as u64, req)?;
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(req.max_pixels.saturating_mul(8));
    decoder.set_limits(limits).map_err(|e| corrupt(format, e))?;
    let img = image::DynamicImage::from_decoder(decoder).map_err(|e| corrupt(format, e))?;
    let rgb = img.into_rgb8();
    let full = Rgb8 { width: w, height: h, data: rgb.into_raw() };
    let image = resize::fit_long_edge(&full, req.min_long_edge.max(1));
    Ok(Decoded { image, full_width: w, full_height: h, method: format.to_string(), jpeg_quality: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_is_the_smallest_that_keeps_the_long_edge() {
        let eighths = |w, h, m| {
            let f = pick_scale(w, h, m);
            f.num() * 8 / f.denom()
        };
        assert_eq!(eighths(6000, 4000, 640), 1);
        assert_eq!(eighths(4032, 3024, 640), 2);
        assert_eq!(eighths(4032, 3024, 2048), 5);
        assert_eq!(eighths(800, 600, 640), 7);
        assert_eq!(eighths(500, 300, 640), 8);
    }

    #[test]
    fn bombs_are_refused_before_allocation() {
        let req = DecodeRequest { min_long_edge: 640, max_pixels: 1000 };
        assert!(matches!(check_size(100, 11, &req), Err(DecodeError::TooLarge { .. })));
        assert!(check_size(100, 10, &req).is_ok());
    }
}

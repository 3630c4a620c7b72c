//! Preview JPEGs: the grid size and the loupe size, encoded with
//! libjpeg-turbo.

use crate::{resize, Rgb8};
use turbojpeg::{Compressor, Image, PixelFormat, Subsamp};

/// Long edge of grid previews.
pub const GRID: u32 = 400;
/// Long edge of loupe previews.
pub const LOUPE: u32 = 2048;

/// `img` fitted to `long` and encoded as a JPEG (quality 85, 4:2:0).
pub fn encode(img: &Rgb8, long: u32) -> Result<Vec<u8>, String> {
    let small = resize::fit_long_edge(img, long);
    let mut c = Compressor::new().map_err(|e| e.to_string())?;
    c.set_quality(85).map_err(|e| e.to_string())?;
    c.set_subsamp(Subsamp::Sub2x2).map_err(|e| e.to_string())?;
    let image = Image {
        pixels: small.data.as_slice(),
        width: small.width as usize,
        pitch: 3 * small.width as usize,
        height: small.height as usize,
        format: PixelFormat::RGB,
    };
    c.compress_to_vec(image).map_err(|e| e.to_string())
}

//! The one maker-note value the catalogue needs from older Canon cameras:
//! their ISO, which many PowerShot/IXUS models write only in the Canon maker
//! note (CameraSettings and ShotInfo), not in EXIF. Computed as ExifTool's
//! composite ISO does: CameraISO when it is a number, else
//! BaseISO × AutoISO / 100.
//!
//! Neither EXIF crate reads maker notes, so this walks the few TIFF entries
//! needed by hand.

/// A TIFF block and its byte order.
struct Tiff<'a> {
    d: &'a [u8],
    le: bool,
}

impl Tiff<'_> {
    fn u16(&self, at: usize) -> Option<u16> {
        let b = self.d.get(at..at + 2)?;
        Some(if self.le { u16::from_le_bytes([b[0], b[1]]) } else { u16::from_be_bytes([b[0], b[1]]) })
    }
    fn u32(&self, at: usize) -> Option<u32> {
        let b = self.d.get(at..at + 4)?;
        let a = [b[0], b[1], b[2], b[3]];
        Some(if self.le { u32::from_le_bytes(a) } else { u32::from_be_bytes(a) })
    }
    /// Entries of the IFD at `off`: (tag, type, count, offset of the value).
    fn entries(&self, off: usize) -> Vec<(u16, u16, u32, usize)> {
        let Some(n) = self.u16(off) else { return vec![] };
        (0..n as usize)
            .filter_map(|i| {
                let e = off + 2 + 12 * i;
                let (tag, typ, count) = (self.u16(e)?, self.u16(e + 2)?, self.u32(e + 4)?);
                let size = match typ {
                    1 | 2 | 6 | 7 => 1,
                    3 | 8 => 2,
                    4 | 9 | 11 => 4,
                    5 | 10 | 12 => 8,
                    _ => return None,
                } * count as usize;
                let val = if size <= 4 { e + 8 } else { self.u32(e + 8)? as usize };
                Some((tag, typ, count, val))
            })
            .take(1000)
            .collect()
    }
    fn shorts(&self, at: usize, count: u32) -> Vec<u16> {
        (0..count.min(256) as usize).filter_map(|i| self.u16(at + 2 * i)).collect()
    }
}

/// The TIFF block of a JPEG's EXIF (APP1), or of a TIFF-based file.
fn tiff_of(data: &[u8]) -> Option<&[u8]> {
    if data.starts_with(b"II") || data.starts_with(b"MM") {
        return Some(data);
    }
    let mut i = 2;
    while i + 4 <= data.len() && data[i] == 0xFF {
        let m = data[i + 1];
        if m == 0xDA || m == 0xD9 {
            return None;
        }
        let len = u16::from_be_bytes([data[i + 2], data[i + 3]]) as usize;
        if m == 0xE1 {
            if let Some(t) = data.get(i + 4..i + 2 + len).and_then(|s| s.strip_prefix(b"Exif\0\0")) {
                return Some(t);
            }
        }
        i += 2 + len;
    }
    None
}

/// Canon's ISO from the maker note, for files whose EXIF has none.
pub fn canon_iso(data: &[u8]) -> Option<f64> {
    let d = tiff_of(data)?;
    let t = Tiff { d, le: d.starts_with(b"II") };
    let ifd0 = t.u32(4)? as usize;
    let exif = t.entries(ifd0).into_iter().find(|e| e.0 == 0x8769).and_then(|e| t.u32(e.3))? as usize;
    let mn = t.entries(exif).into_iter().find(|e| e.0 == 0x927C)?.3;
    let mut camera_iso = None;
    let (mut base, mut auto) = (None, None);
    for (tag, typ, count, at) in t.entries(mn) {
        if typ != 3 {
            continue;
        }
        let v = t.shorts(at, count);
        match tag {
            0x0001 => camera_iso = v.get(16).copied(),
            0x0004 => {
                auto = v.get(1).map(|&x| ((x as i16) as f64 / 32.0 * std::f64::consts::LN_2).exp() * 100.0);
                base = v.get(2).map(|&x| ((x as i16) as f64 / 32.0 * std::f64::consts::LN_2).exp() * 100.0 / 32.0);
            }
            _ => {}
        }
    }
    let numeric = camera_iso.filter(|&v| v != 0x7fff).and_then(|v| {
        if v & 0x4000 != 0 {
            Some((v & 0x3fff) as f64)
        } else {
            match v {
                16 => Some(50.0),
                17 => Some(100.0),
                18 => Some(200.0),
                19 => Some(400.0),
                20 => Some(800.0),
                _ => None, // 14/15: "Auto", 0: n/a
            }
        }
    });
    numeric.or_else(|| Some(base? * auto? / 100.0)).filter(|v| v.is_finite() && *v > 0.0)
}

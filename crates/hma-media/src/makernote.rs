//! The few maker-note values the catalogue needs when EXIF lacks them: the
//! ISO of older Canon cameras (CameraSettings and ShotInfo; computed as
//! ExifTool's composite ISO: CameraISO when it is a number, else
//! BaseISO × AutoISO / 100), Casio's ISO, and the capture time of Reconyx
//! trail cameras.
//!
//! Neither EXIF crate reads maker notes, so this walks the few TIFF entries
//! needed by hand.

use crate::tiff::{tiff_of, Tiff};

/// The file's TIFF block and the offset and length of its MakerNote.
fn maker_note(data: &[u8]) -> Option<(Tiff<'_>, usize, usize)> {
    let d = tiff_of(data)?;
    let t = Tiff { d, le: d.starts_with(b"II") };
    let ifd0 = t.u32(4)? as usize;
    let exif = t.entries(ifd0).into_iter().find(|e| e.0 == 0x8769).and_then(|e| t.u32(e.3))? as usize;
    let (_, _, count, at) = t.entries(exif).into_iter().find(|e| e.0 == 0x927C)?;
    Some((t, at, count as usize))
}

/// Casio's ISO (type-2 maker notes, `QVC` header: tag 0x3014), for files
/// whose EXIF has none.
pub fn casio_iso(data: &[u8]) -> Option<f64> {
    let (t, mn, _) = maker_note(data)?;
    let ifd = if t.d.get(mn..mn + 4)? == b"QVC\0" { mn + 6 } else { return None };
    let (_, typ, _, at) = t.entries(ifd).into_iter().find(|e| e.0 == 0x3014)?;
    match typ {
        3 => t.u16(at).map(f64::from),
        4 => t.u32(at).map(f64::from),
        _ => None,
    }
}

/// Reconyx HyperFire trail cameras keep the capture time only in their maker
/// note (version 0xF101): six 16-bit words at byte 22, s m h month day year.
pub fn reconyx_taken(data: &[u8]) -> Option<String> {
    let (t, mn, len) = maker_note(data)?;
    let note = t.d.get(mn..mn + len)?;
    let w = |i: usize| note.get(i..i + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    if w(0)? != 0xF101 {
        return None;
    }
    let v: Vec<u16> = (0..6).map(|k| w(22 + 2 * k)).collect::<Option<_>>()?;
    Some(format!("{:04}:{:02}:{:02} {:02}:{:02}:{:02}", v[5], v[3], v[4], v[2], v[1], v[0]))
}

/// Canon's ISO from the maker note, for files whose EXIF has none.
pub fn canon_iso(data: &[u8]) -> Option<f64> {
    let (mut t, mn, len) = maker_note(data)?;
    // The note's byte order is the file's, unless its entry count only
    // makes sense read the other way.
    if t.u16(mn).is_none_or(|n| n == 0 || n > 512) {
        t.le = !t.le;
    }
    // Canon notes end with "II*\0" (or "MM\0*") and the note's original
    // offset: if an editor moved the note, its value offsets moved with it.
    let shift =
        t.d.get((mn + len).saturating_sub(8)..mn + len)
            .filter(|f| f.starts_with(b"II*\0") || f.starts_with(b"MM\0*"))
            .map(|f| {
                let b = [f[4], f[5], f[6], f[7]];
                let old = if f[0] == b'I' { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) };
                mn as i64 - old as i64
            })
            .unwrap_or(0);
    let mut camera_iso = None;
    let (mut base, mut auto) = (None, None);
    for (tag, typ, count, at) in t.entries_shifted(mn, shift) {
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

/// Olympus cameras of the late 1990s wrote a text block in APP12
/// (`[picture info]`, `TimeDate=` Unix seconds, `Shutter=` µs, `FNumber=F2.8`)
/// instead of EXIF. Returns (capture time, exposure s, f-number).
pub fn olympus_picture_info(data: &[u8]) -> Option<(Option<i64>, Option<f64>, Option<f64>)> {
    let seg = crate::jpeg::segments(data)
        .find_map(|(m, p)| (m == 0xEC && memchr::memmem::find(p, b"[picture info]").is_some()).then_some(p))?;
    let text = String::from_utf8_lossy(seg);
    let val = |k: &str| text.lines().find_map(|l| l.trim().strip_prefix(k)).map(str::trim).map(str::to_string);
    let time = val("TimeDate=").and_then(|v| v.parse::<i64>().ok());
    let shutter = val("Shutter=").and_then(|v| v.parse::<f64>().ok()).map(|us| us / 1e6);
    let f = val("FNumber=").and_then(|v| v.trim_start_matches(['F', 'f']).parse::<f64>().ok());
    Some((time, shutter, f))
}

/// Kodak DC240/DC280/DC3400/DC5000 ("type 3" maker note, big-endian):
/// exposure (µs / 10 at 0x38), f-number (/100 at 0x3c) and ISO (0x4e),
/// more precise than the rounded EXIF values, which ExifTool prefers too.
pub fn kodak_type3(data: &[u8], model: &str) -> Option<(f64, f64, f64)> {
    if !["DC240", "DC280", "DC3400", "DC5000"].iter().any(|m| model.contains(m)) {
        return None;
    }
    let (t, mn, len) = maker_note(data)?;
    let note = t.d.get(mn..mn + len)?;
    let be16 = |i: usize| note.get(i..i + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
    let be32 = |i: usize| note.get(i..i + 4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
    Some((be32(0x38)? as f64 / 1e5, be16(0x3c)? as f64 / 100.0, be16(0x4e)? as f64))
}

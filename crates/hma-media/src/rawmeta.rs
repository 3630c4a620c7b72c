//! Camera metadata of RAW formats that are not TIFF inside: Canon's CIFF
//! (`.CRW`, and the CIFF block some early PowerShot JPEGs carry in APP0) and
//! Sigma's X3F property list. Both are presented as the EXIF tags they
//! correspond to, so one interpretation serves every format. No maintained
//! crate reads either; the layouts are documented by ExifTool and dcraw.

use crate::exif::{Ifd, RawTag, Val};

fn le16(d: &[u8], at: usize) -> Option<u16> {
    d.get(at..at + 2).map(|b| u16::from_le_bytes([b[0], b[1]]))
}
fn le32(d: &[u8], at: usize) -> Option<u32> {
    d.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn text(ifd: Ifd, tag: u16, s: &str) -> RawTag {
    RawTag { ifd, tag, val: Val::Text(s.to_string()) }
}
fn num(tag: u16, v: f64) -> RawTag {
    RawTag { ifd: Ifd::Exif, tag, val: Val::Num(vec![Some(v)]) }
}

/// `YYYY:MM:DD HH:MM:SS` of a count of seconds since 1970 (wall clock).
fn wall_clock(secs: i64) -> String {
    let t = crate::exif::TakenAt::from_local_ms(secs * 1000, false, None);
    format!("{:04}:{:02}:{:02} {:02}:{:02}:{:02}", t.year, t.month, t.day, t.hour, t.minute, t.second)
}

/// Sigma X3F: the `PROP` section's name/value pairs (UTF-16).
pub fn x3f_tags(d: &[u8]) -> Option<Vec<RawTag>> {
    let dir = le32(d, d.len().checked_sub(4)?)? as usize;
    if d.get(dir..dir + 4)? != b"SECd" {
        return None;
    }
    let n = le32(d, dir + 8)? as usize;
    let mut props = Vec::new();
    let mut preview_tags = Vec::new();
    for i in 0..n.min(64) {
        let e = dir + 12 + 12 * i;
        let (off, len) = (le32(d, e)? as usize, le32(d, e + 4)? as usize);
        let kind = d.get(e + 8..e + 12)?;
        if kind == b"IMA2" || kind == b"IMAG" {
            // A JPEG preview may carry EXIF (orientation, lens…) too.
            let sec = d.get(off..off.saturating_add(len).min(d.len()))?;
            if let Some(j) = memchr::memmem::find(sec, &[0xFF, 0xD8, 0xFF]) {
                if preview_tags.is_empty() {
                    preview_tags = crate::exif::read_tags("jpeg", &sec[j..]).unwrap_or_default();
                }
            }
            continue;
        }
        if kind != b"PROP" {
            continue;
        }
        let s = d.get(off..off + len)?;
        let count = le32(s, 8)? as usize;
        let data: Vec<u16> =
            s.get(24 + 8 * count..)?.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        let at = |i: usize| -> Option<String> {
            let end = data.get(i..)?.iter().position(|&c| c == 0)? + i;
            Some(String::from_utf16_lossy(&data[i..end]))
        };
        for j in 0..count.min(512) {
            let (no, vo) = (le32(s, 24 + 8 * j)? as usize, le32(s, 28 + 8 * j)? as usize);
            if let (Some(name), Some(value)) = (at(no), at(vo)) {
                props.push((name, value));
            }
        }
    }
    let get = |k: &str| props.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_string()).filter(|v| !v.is_empty());
    let f = |k: &str| get(k).and_then(|v| v.parse::<f64>().ok());
    let mut tags = Vec::new();
    if let Some(v) = get("CAMMANUF") {
        tags.push(text(Ifd::Primary, 0x010F, &v));
    }
    if let Some(v) = get("CAMMODEL") {
        tags.push(text(Ifd::Primary, 0x0110, &v));
    }
    if let Some(v) = get("CAMSERIAL") {
        tags.push(text(Ifd::Exif, 0xA431, &v));
    }
    if let Some(t) = get("TIME").and_then(|v| v.parse::<i64>().ok()) {
        tags.push(text(Ifd::Exif, 0x9003, &wall_clock(t)));
    }
    for (k, tag) in [("SHUTTER", 0x829A), ("APERTURE", 0x829D), ("FLENGTH", 0x920A), ("ISO", 0x8827)] {
        if let Some(v) = f(k) {
            tags.push(num(tag, v));
        }
    }
    // The property list comes first, so its values win; the preview's EXIF
    // fills what the list lacks.
    tags.extend(preview_tags);
    Some(tags)
}

/// Canon's exposure-value encoding in 1/32 EV with 1/3-stop codes.
fn canon_ev(v: i16) -> f64 {
    let (sign, mut val) = if v < 0 { (-1.0, -(v as i32)) } else { (1.0, v as i32) };
    let frac = val & 0x1f;
    val -= frac;
    let frac = match frac {
        0x0c => 32.0 / 3.0,
        0x14 => 64.0 / 3.0,
        f => f as f64,
    };
    sign * (val as f64 + frac) / 32.0
}

/// Canon CIFF (`.CRW`, or the heap inside an early PowerShot JPEG's APP0).
pub fn ciff_tags(d: &[u8]) -> Option<Vec<RawTag>> {
    let (heap, _) = ciff_heap(d)?;
    let mut found = CiffFound::default();
    walk_heap(heap, 0, &mut found);
    let mut tags = Vec::new();
    if let Some((make, model)) = &found.make_model {
        tags.push(text(Ifd::Primary, 0x010F, make));
        tags.push(text(Ifd::Primary, 0x0110, model));
    }
    if let Some(t) = found.time {
        tags.push(text(Ifd::Exif, 0x9003, &wall_clock(t as i64)));
    }
    let si = |i: usize| found.shot_info.get(i).map(|&v| v as i16);
    if let Some(v) = si(21).filter(|&v| v != 0) {
        tags.push(num(0x829D, (canon_ev(v) * std::f64::consts::LN_2 / 2.0).exp()));
    }
    if let Some(v) = si(22).filter(|&v| v != 0) {
        tags.push(num(0x829A, (-canon_ev(v) * std::f64::consts::LN_2).exp()));
    }
    let camera_iso = found.camera_settings.get(16).copied();
    let iso = camera_iso.and_then(|v| match v {
        v if v & 0x4000 != 0 => Some((v & 0x3fff) as f64),
        16 => Some(50.0),
        17 => Some(100.0),
        18 => Some(200.0),
        19 => Some(400.0),
        20 => Some(800.0),
        _ => None,
    });
    let iso = iso.or_else(|| {
        let e = |x: i16| (x as f64 / 32.0 * std::f64::consts::LN_2).exp() * 100.0;
        Some(e(si(2)?) / 32.0 * e(si(1)?) / 100.0)
    });
    if let Some(i) = iso {
        tags.push(RawTag { ifd: Ifd::Exif, tag: 0x8827, val: Val::Int(vec![i.round() as i64]) });
    }
    Some(tags)
}

#[derive(Default)]
struct CiffFound {
    /// Records looked at so far, in every heap (see [`CIFF_RECORDS`]).
    records: usize,
    make_model: Option<(String, String)>,
    time: Option<u32>,
    shot_info: Vec<u16>,
    camera_settings: Vec<u16>,
}

/// The root heap of a CIFF file or of a JPEG's CIFF APP0 segment.
fn ciff_heap(d: &[u8]) -> Option<(&[u8], usize)> {
    let block = if d.starts_with(&[0xFF, 0xD8]) {
        // The APP0 segment whose payload is a CIFF header (not JFIF/JFXX).
        crate::jpeg::segments(d)
            .find_map(|(m, p)| (m == 0xE0 && p.get(6..14) == Some(&b"HEAPJPGM"[..])).then_some(p))?
    } else {
        d
    };
    if !block.starts_with(b"II") {
        return None;
    }
    let hlen = le32(block, 2)? as usize;
    let kind = block.get(6..14)?;
    (kind == b"HEAPCCDR" || kind == b"HEAPJPGM").then_some(())?;
    Some((block.get(hlen..)?, hlen))
}

/// The most records a CIFF walk looks at, over all its heaps. A camera's
/// file has a few hundred; without a bound, heaps whose records all point
/// at one another are walked 512^8 times (a damaged file the fuzzer found
/// kept a reader busy for minutes).
const CIFF_RECORDS: usize = 20_000;

fn walk_heap(heap: &[u8], depth: u32, found: &mut CiffFound) {
    if depth > 8 || heap.len() < 4 {
        return;
    }
    let Some(table) = le32(heap, heap.len() - 4).map(|t| t as usize) else { return };
    let Some(n) = le16(heap, table) else { return };
    for i in 0..n.min(512) as usize {
        found.records += 1;
        if found.records > CIFF_RECORDS {
            return;
        }
        let e = table + 2 + 10 * i;
        let (Some(tag), Some(size), Some(off)) = (le16(heap, e), le32(heap, e + 2), le32(heap, e + 6)) else { return };
        let in_record = tag & 0xC000 == 0x4000;
        let data: &[u8] = if in_record {
            heap.get(e + 2..e + 10).unwrap_or_default()
        } else {
            heap.get(off as usize..(off as usize).saturating_add(size as usize)).unwrap_or_default()
        };
        let id = tag & 0x3FFF;
        match tag & 0x3800 {
            0x2800 | 0x3000 if !in_record => walk_heap(data, depth + 1, found),
            _ => match id {
                0x080a => {
                    let mut parts = data.split(|&b| b == 0).map(|p| String::from_utf8_lossy(p).trim().to_string());
                    if let (Some(make), Some(model)) = (parts.next(), parts.next()) {
                        found.make_model = Some((make, model));
                    }
                }
                0x180e => found.time = le32(data, 0),
                0x102a => found.shot_info = data.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect(),
                0x102d => {
                    found.camera_settings = data.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect()
                }
                _ => {}
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::canon_ev;

    #[test]
    fn canon_ev_thirds() {
        assert_eq!(canon_ev(0x60), 3.0);
        assert!((canon_ev(0x60 + 0x0c) - (3.0 + 1.0 / 3.0)).abs() < 1e-12);
        assert!((canon_ev(0x60 + 0x14) - (3.0 + 2.0 / 3.0)).abs() < 1e-12);
        assert_eq!(canon_ev(-0x40), -2.0);
    }
}

//! Camera metadata (EXIF) of a file, whatever its container.
//!
//! JPEG and TIFF-based files (most RAW formats) are read with `rexif`, the
//! project's chosen EXIF crate. `rexif` knows only JPEG and TIFF, so HEIF/AVIF,
//! PNG and WebP go through `kamadak-exif`, which reads those containers.
//! Some RAW containers hide their TIFF blocks where neither crate looks; the
//! few lines that find them (CR3's CMT boxes, RAF's embedded JPEG, MRW's TTW
//! block) are written here, because no maintained crate exposes just that.
//!
//! Both parsers are reduced to one list of [`RawTag`]s and interpreted once,
//! so a field means the same thing whichever parser found it.

use std::io::Cursor;

use serde::Serialize;

/// Which IFD a tag was found in; tag numbers mean different things in each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ifd {
    /// IFD0 of the main image (Make, Model, Orientation…).
    Primary,
    /// The Exif sub-IFD (exposure, capture time, lens…).
    Exif,
    /// The GPS sub-IFD.
    Gps,
    /// Thumbnails, maker notes, interoperability: ignored.
    Other,
}

/// One tag's value, reduced to what interpretation needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    /// An ASCII/UTF-8 string.
    Text(String),
    /// Integers (BYTE, SHORT, LONG and signed kinds).
    Int(Vec<i64>),
    /// Rationals and floats, as f64 (`None` where a denominator is 0).
    Num(Vec<Option<f64>>),
    /// Opaque bytes.
    Bytes(Vec<u8>),
}

/// A tag as a parser found it.
#[derive(Debug, Clone, PartialEq)]
pub struct RawTag {
    /// Where it was.
    pub ifd: Ifd,
    /// Its number.
    pub tag: u16,
    /// Its value.
    pub val: Val,
}

/// The moment a photo was taken, as the camera wrote it (local time), with
/// sub-seconds and UTC offset when the camera recorded them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TakenAt {
    /// Calendar date and time of day, local to the camera.
    pub year: i32,
    /// 1–12.
    pub month: u32,
    /// 1–31.
    pub day: u32,
    /// 0–23.
    pub hour: u32,
    /// 0–59.
    pub minute: u32,
    /// 0–60.
    pub second: u32,
    /// Milliseconds from SubSecTimeOriginal, when present.
    pub millis: Option<u32>,
    /// Minutes east of UTC, from OffsetTimeOriginal, when present.
    pub offset_min: Option<i32>,
}

impl TakenAt {
    /// Milliseconds since 1970-01-01T00:00 of the local wall-clock time (the
    /// offset is not applied): sorts and filters by what the camera showed.
    pub fn local_ms(&self) -> i64 {
        let days = days_from_civil(self.year, self.month, self.day);
        ((days * 86_400 + (self.hour * 3600 + self.minute * 60 + self.second) as i64) * 1000)
            + self.millis.unwrap_or(0) as i64
    }

    /// Rebuilds from catalogue columns.
    pub fn from_local_ms(ms: i64, has_millis: bool, offset_min: Option<i32>) -> TakenAt {
        let secs = ms.div_euclid(1000);
        let millis = ms.rem_euclid(1000) as u32;
        let days = secs.div_euclid(86_400);
        let tod = secs.rem_euclid(86_400) as u32;
        let (year, month, day) = civil_from_days(days);
        TakenAt {
            year,
            month,
            day,
            hour: tod / 3600,
            minute: tod / 60 % 60,
            second: tod % 60,
            millis: has_millis.then_some(millis),
            offset_min,
        }
    }

    /// ISO 8601: `2021-05-12T12:21:21.920+02:00` (parts present only when known).
    pub fn to_iso(&self) -> String {
        let mut s = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        );
        if let Some(ms) = self.millis {
            s.push_str(&format!(".{ms:03}"));
        }
        if let Some(off) = self.offset_min {
            let sign = if off < 0 { '-' } else { '+' };
            s.push_str(&format!("{sign}{:02}:{:02}", off.abs() / 60, off.abs() % 60));
        }
        s
    }
}

// Howard Hinnant's civil-calendar algorithms (public domain): a dozen lines,
// cheaper than a date-time crate for the one conversion the catalogue needs.
/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y as i64 - 1 } else { y as i64 };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    (y as i32, m, d)
}

/// GPS position in degrees (signed: south and west negative) and metres.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Gps {
    /// Latitude, −90…90.
    pub lat: f64,
    /// Longitude, −180…180.
    pub lon: f64,
    /// Altitude above sea level in metres (negative below).
    pub alt: Option<f64>,
}

/// What the catalogue keeps of a file's EXIF.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Exif {
    /// Capture time (DateTimeOriginal, else XMP's, else CreateDate, else DateTime).
    pub taken_at: Option<TakenAt>,
    /// True when `taken_at` is EXIF DateTimeOriginal itself.
    #[serde(skip)]
    pub taken_original: bool,
    /// Camera maker.
    pub make: Option<String>,
    /// Camera model.
    pub model: Option<String>,
    /// Camera body serial number.
    pub serial: Option<String>,
    /// Lens model.
    pub lens: Option<String>,
    /// Focal length in mm.
    pub focal_length_mm: Option<f64>,
    /// Aperture as an f-number.
    pub f_number: Option<f64>,
    /// Exposure time in seconds.
    pub exposure_time_s: Option<f64>,
    /// ISO sensitivity.
    pub iso: Option<i64>,
    /// ISO computed from a maker note when EXIF has none (may be fractional,
    /// as Canon's auto ISO is).
    pub iso_makernote: Option<f64>,
    /// Position.
    pub gps: Option<Gps>,
    /// EXIF orientation 1–8.
    pub orientation: Option<u16>,
}

impl Exif {
    /// True when no field was found.
    pub fn is_empty(&self) -> bool {
        *self == Exif::default()
    }
}

/// Why EXIF could not be read. Absence of EXIF is not an error.
#[derive(Debug, thiserror::Error)]
pub enum ExifError {
    /// The container or the TIFF structure is broken.
    #[error("EXIF unreadable: {0}")]
    Corrupt(String),
}

/// Reads EXIF from the bytes of a file of the given sniffed `format`.
/// `data` is the whole file, or its first bytes for very large files.
/// Returns `Ok(None)` when the file carries no EXIF.
pub fn read_exif(format: &str, data: &[u8]) -> Result<Option<Exif>, ExifError> {
    let tags = read_tags(format, data)?;
    interpret_all(format, data, tags)
}

/// Every EXIF tag of a file, whatever its container.
pub fn read_tags(format: &str, data: &[u8]) -> Result<Vec<RawTag>, ExifError> {
    let tags = match format {
        "jpeg" => rexif_tags(data)?,
        "tiff" | "cr2" | "nef" | "nrw" | "arw" | "srf" | "sr2" | "dng" | "pef" | "srw" | "iiq" | "3fr" | "erf"
        | "kdc" | "dcr" | "mos" | "raw" => rexif_tags(data)?,
        "orf" | "rw2" | "rwl" => {
            // Olympus ("IIRO") and Panasonic ("IIU\0") use private TIFF magic
            // numbers; the IFDs are plain TIFF, so present them as such.
            let mut head = data.to_vec();
            if head.len() >= 4 {
                head[2] = 42;
                head[3] = 0;
            }
            rexif_tags(&head)?
        }
        "heic" | "avif" | "png" | "webp" => kamadak_container(data)?,
        "cr3" => cr3_tags(data)?,
        "raf" => raf_tags(data)?,
        "mrw" => mrw_tags(data)?,
        "x3f" => crate::rawmeta::x3f_tags(data).ok_or_else(|| ExifError::Corrupt("X3F directory unreadable".into()))?,
        "crw" => {
            crate::rawmeta::ciff_tags(data).ok_or_else(|| ExifError::Corrupt("CRW (CIFF) heap unreadable".into()))?
        }
        _ => vec![],
    };
    // Early Canon PowerShot JPEGs keep their metadata in a CIFF heap (APP0).
    Ok(if tags.is_empty() && format == "jpeg" { crate::rawmeta::ciff_tags(data).unwrap_or_default() } else { tags })
}

/// The catalogue's fields from the tags, with maker-note and text-block
/// fallbacks where EXIF is silent.
fn interpret_all(format: &str, data: &[u8], tags: Vec<RawTag>) -> Result<Option<Exif>, ExifError> {
    if tags.is_empty() {
        return Ok(olympus_text(format, data));
    }
    let mut exif = interpret(&tags);
    let make = exif.make.clone().unwrap_or_default().to_ascii_uppercase();
    if exif.iso.is_none() && make.starts_with("CANON") {
        exif.iso_makernote = crate::makernote::canon_iso(data);
    }
    if exif.iso.is_none() && make.starts_with("CASIO") {
        exif.iso_makernote = crate::makernote::casio_iso(data);
    }
    if exif.taken_at.is_none() {
        exif.taken_at = crate::makernote::reconyx_taken(data).and_then(|s| parse_datetime(&s));
    }
    if make.contains("KODAK") {
        if let Some((exposure, f, iso)) = crate::makernote::kodak_type3(data, exif.model.as_deref().unwrap_or_default())
        {
            exif.exposure_time_s = Some(exposure).filter(|&e| e > 0.0).or(exif.exposure_time_s);
            exif.f_number = Some(f).filter(|&f| f > 0.0).or(exif.f_number);
            if exif.iso.is_none() {
                exif.iso_makernote = Some(iso);
            }
        }
    }
    Ok((!exif.is_empty()).then_some(exif))
}

/// EXIF-less Olympus JPEGs with a `[picture info]` block.
fn olympus_text(format: &str, data: &[u8]) -> Option<Exif> {
    if format != "jpeg" {
        return None;
    }
    let (time, exposure, f) = crate::makernote::olympus_picture_info(data)?;
    let taken_at = time.and_then(|t| {
        let at = TakenAt::from_local_ms(t * 1000, false, None);
        Some(at).filter(|a| a.year > 1970)
    });
    Some(Exif { taken_at, exposure_time_s: exposure, f_number: f, ..Exif::default() })
}

/// The most bytes of out-of-line tag values a file's EXIF may claim before
/// rexif is asked to read it (real files: a few hundred KiB, maker notes
/// and DNG profiles included).
const MAX_EXIF_VALUE_BYTES: u64 = 16 << 20;

/// The out-of-line value bytes the IFDs of a JPEG's EXIF or a TIFF-based
/// file declare (IFD0, the IFDs after it, and the EXIF, GPS and
/// interoperability sub-IFDs, each once), counted up to just over `limit`.
/// rexif turns every value into text, so a damaged table whose thousands of
/// entries each claim most of the file costs the file's size squared in
/// time and memory (found by fuzzing: a 334 KB DNG took 10 s and 1 GB).
/// Written here because neither EXIF crate exposes such a bound.
fn exif_value_bytes(data: &[u8], limit: u64) -> u64 {
    let Some(d) = crate::tiff::tiff_of(data).filter(|d| d.starts_with(b"II") || d.starts_with(b"MM")) else {
        return 0;
    };
    let t = crate::tiff::Tiff { d, le: d.starts_with(b"II") };
    let Some(first) = t.u32(4) else { return 0 };
    let (mut total, mut todo, mut seen) = (0u64, vec![first], Vec::new());
    while let Some(at) = todo.pop() {
        let at = at as usize;
        if at == 0 || seen.contains(&at) || seen.len() >= 64 {
            continue;
        }
        seen.push(at);
        let Some(n) = t.u16(at) else { continue };
        for i in 0..n as usize {
            let e = at + 2 + 12 * i;
            let (Some(tag), Some(typ), Some(count), Some(value)) = (t.u16(e), t.u16(e + 2), t.u32(e + 4), t.u32(e + 8))
            else {
                break;
            };
            // Types TIFF does not define count a byte each.
            let size = crate::tiff::type_size(typ).unwrap_or(1) * count as u64;
            if size > 4 {
                total += size.min(d.len() as u64);
                if total > limit {
                    return total;
                }
            }
            if matches!(tag, 0x8769 | 0x8825 | 0xA005) {
                todo.push(value);
            }
        }
        if let Some(next) = t.u32(at + 2 + 12 * n as usize) {
            todo.push(next);
        }
    }
    total
}

fn rexif_tags(data: &[u8]) -> Result<Vec<RawTag>, ExifError> {
    if exif_value_bytes(data, MAX_EXIF_VALUE_BYTES) > MAX_EXIF_VALUE_BYTES {
        return Err(ExifError::Corrupt(format!(
            "its tag tables claim over {} MB of values (damaged): not read",
            MAX_EXIF_VALUE_BYTES >> 20
        )));
    }
    // rexif indexes slices from offsets in the file; a hostile file must not
    // take the scan down, so a panic inside it becomes an error.
    let parsed = crate::guard::catch(|| rexif::parse_buffer_quiet(data).0)
        .map_err(|_| ExifError::Corrupt("EXIF parser failed on malformed data".into()))?;
    let exif = match parsed {
        Ok(e) => e,
        Err(e) => {
            // rexif reads only the first APP1 and gives up on some damage;
            // the second parser scans every segment and tolerates more.
            return match kamadak_raw_or_container(data) {
                Ok(tags) => Ok(tags),
                Err(_) if matches!(e, rexif::ExifError::JpegWithoutExif(_) | rexif::ExifError::FileTypeUnknown) => {
                    Ok(vec![])
                }
                Err(k) => Err(ExifError::Corrupt(format!("{e}; {k}"))),
            };
        }
    };
    Ok(exif
        .entries
        .into_iter()
        .map(|e| RawTag {
            ifd: match e.kind {
                rexif::IfdKind::Ifd0 => Ifd::Primary,
                rexif::IfdKind::Exif => Ifd::Exif,
                rexif::IfdKind::Gps => Ifd::Gps,
                _ => Ifd::Other,
            },
            tag: e.ifd.tag,
            val: from_rexif(e.value),
        })
        .collect())
}

fn from_rexif(v: rexif::TagValue) -> Val {
    use rexif::TagValue as T;
    match v {
        T::Ascii(s) => Val::Text(s),
        T::U8(v) => Val::Int(v.into_iter().map(i64::from).collect()),
        T::U16(v) => Val::Int(v.into_iter().map(i64::from).collect()),
        T::U32(v) => Val::Int(v.into_iter().map(i64::from).collect()),
        T::I8(v) => Val::Int(v.into_iter().map(i64::from).collect()),
        T::I16(v) => Val::Int(v.into_iter().map(i64::from).collect()),
        T::I32(v) => Val::Int(v.into_iter().map(i64::from).collect()),
        T::URational(v) => Val::Num(v.into_iter().map(|r| ratio(r.numerator as f64, r.denominator as f64)).collect()),
        T::IRational(v) => Val::Num(v.into_iter().map(|r| ratio(r.numerator as f64, r.denominator as f64)).collect()),
        T::F32(v) => Val::Num(v.into_iter().map(|x| Some(x as f64)).collect()),
        T::F64(v) => Val::Num(v.into_iter().map(Some).collect()),
        T::Undefined(b, _) | T::Unknown(b, _) | T::Invalid(b, ..) => Val::Bytes(b),
    }
}

fn ratio(n: f64, d: f64) -> Option<f64> {
    (d != 0.0).then(|| n / d)
}

fn kamadak_raw_or_container(data: &[u8]) -> Result<Vec<RawTag>, ExifError> {
    if data.starts_with(b"II") || data.starts_with(b"MM") {
        kamadak_raw(data, None)
    } else {
        kamadak_container(data)
    }
}

fn kamadak_container(data: &[u8]) -> Result<Vec<RawTag>, ExifError> {
    match exif::Reader::new().read_from_container(&mut Cursor::new(data)) {
        Ok(e) => Ok(from_kamadak(&e, None)),
        Err(exif::Error::NotFound(_)) => Ok(vec![]),
        Err(e) => Err(ExifError::Corrupt(e.to_string())),
    }
}

/// Parses a bare TIFF block; `force` files every IFD0 tag under one IFD
/// (CR3 keeps the Exif and GPS IFDs as separate TIFF blocks).
fn kamadak_raw(data: &[u8], force: Option<Ifd>) -> Result<Vec<RawTag>, ExifError> {
    match exif::Reader::new().read_raw(data.to_vec()) {
        Ok(e) => Ok(from_kamadak(&e, force)),
        Err(e) => Err(ExifError::Corrupt(e.to_string())),
    }
}

fn from_kamadak(e: &exif::Exif, force: Option<Ifd>) -> Vec<RawTag> {
    use exif::Value as V;
    e.fields()
        .filter(|f| f.ifd_num == exif::In::PRIMARY)
        .map(|f| RawTag {
            ifd: force.unwrap_or(match f.tag.context() {
                exif::Context::Tiff => Ifd::Primary,
                exif::Context::Exif => Ifd::Exif,
                exif::Context::Gps => Ifd::Gps,
                _ => Ifd::Other,
            }),
            tag: f.tag.number(),
            val: match &f.value {
                V::Ascii(parts) => Val::Text(
                    parts.iter().map(|p| String::from_utf8_lossy(p).into_owned()).collect::<Vec<_>>().join(" "),
                ),
                V::Byte(v) => Val::Int(v.iter().map(|&x| x as i64).collect()),
                V::Short(v) => Val::Int(v.iter().map(|&x| x as i64).collect()),
                V::Long(v) => Val::Int(v.iter().map(|&x| x as i64).collect()),
                V::SByte(v) => Val::Int(v.iter().map(|&x| x as i64).collect()),
                V::SShort(v) => Val::Int(v.iter().map(|&x| x as i64).collect()),
                V::SLong(v) => Val::Int(v.iter().map(|&x| x as i64).collect()),
                V::Rational(v) => Val::Num(v.iter().map(|r| ratio(r.num as f64, r.denom as f64)).collect()),
                V::SRational(v) => Val::Num(v.iter().map(|r| ratio(r.num as f64, r.denom as f64)).collect()),
                V::Float(v) => Val::Num(v.iter().map(|&x| Some(x as f64)).collect()),
                V::Double(v) => Val::Num(v.iter().map(|&x| Some(x)).collect()),
                V::Undefined(b, _) => Val::Bytes(b.clone()),
                V::Unknown(..) => Val::Bytes(vec![]),
            },
        })
        .collect()
}

fn be32(d: &[u8], at: usize) -> Option<u32> {
    d.get(at..at + 4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn be64(d: &[u8], at: usize) -> Option<u64> {
    d.get(at..at + 8).map(|b| u64::from_be_bytes(b.try_into().unwrap_or_default()))
}

/// Canon CR3 (ISO BMFF): `moov/uuid(85c0b687…)/CMT1..CMT4` are TIFF blocks
/// holding IFD0, the Exif IFD, maker notes and the GPS IFD.
fn cr3_tags(data: &[u8]) -> Result<Vec<RawTag>, ExifError> {
    const CANON_UUID: [u8; 16] =
        [0x85, 0xc0, 0xb6, 0x87, 0x82, 0x0f, 0x11, 0xe0, 0x81, 0x11, 0xf4, 0xce, 0x46, 0x2b, 0x6a, 0x48];
    let moov =
        find_box(data, 0, data.len(), b"moov").ok_or_else(|| ExifError::Corrupt("CR3 without moov box".into()))?;
    let mut pos = moov.0;
    let mut tags = Vec::new();
    while let Some((start, end, kind)) = next_box(data, pos, moov.1) {
        if &kind == b"uuid" && data.get(start..start + 16) == Some(&CANON_UUID[..]) {
            let mut inner = start + 16;
            while let Some((s, e, k)) = next_box(data, inner, end) {
                let force = match &k {
                    b"CMT1" => Some(Ifd::Primary),
                    b"CMT2" => Some(Ifd::Exif),
                    b"CMT4" => Some(Ifd::Gps),
                    _ => None,
                };
                if let Some(f) = force {
                    tags.extend(kamadak_raw(&data[s..e], Some(f))?);
                }
                inner = e;
            }
        }
        pos = end;
    }
    Ok(tags)
}

/// Finds the first box of `kind` between `from` and `to`; returns its payload range.
fn find_box(data: &[u8], mut from: usize, to: usize, kind: &[u8; 4]) -> Option<(usize, usize)> {
    while let Some((s, e, k)) = next_box(data, from, to) {
        if &k == kind {
            return Some((s, e));
        }
        from = e;
    }
    None
}

/// The ISO BMFF box starting at `at`: (payload start, end, type).
fn next_box(data: &[u8], at: usize, limit: usize) -> Option<(usize, usize, [u8; 4])> {
    let size = be32(data, at)? as u64;
    let kind: [u8; 4] = data.get(at + 4..at + 8)?.try_into().ok()?;
    let (header, size) = match size {
        1 => (16u64, be64(data, at + 8)?),
        0 => (8, (limit - at) as u64),
        s => (8, s),
    };
    let end = (at as u64).checked_add(size)?;
    if size < header || end > limit as u64 {
        return None;
    }
    Some((at + header as usize, end as usize, kind))
}

/// Fujifilm RAF: a JPEG preview, with the camera's EXIF, sits at the offset
/// stored big-endian at byte 84 of the header.
fn raf_tags(data: &[u8]) -> Result<Vec<RawTag>, ExifError> {
    let off = be32(data, 84).ok_or_else(|| ExifError::Corrupt("RAF header truncated".into()))? as usize;
    let len = be32(data, 88).unwrap_or(0) as usize;
    let jpeg = data
        .get(off..off.saturating_add(len).min(data.len()))
        .filter(|j| j.starts_with(&[0xFF, 0xD8]))
        .ok_or_else(|| ExifError::Corrupt("RAF preview offset out of range".into()))?;
    rexif_tags(jpeg)
}

/// Minolta MRW: a list of blocks after an 8-byte header; `\0TTW` is a TIFF.
fn mrw_tags(data: &[u8]) -> Result<Vec<RawTag>, ExifError> {
    let end = (be32(data, 4).unwrap_or(0) as usize + 8).min(data.len());
    let mut pos = 8;
    while pos + 8 <= end {
        let len = be32(data, pos + 4).unwrap_or(0) as usize;
        let body = pos + 8;
        if &data[pos..pos + 4] == b"\0TTW" {
            let block = data.get(body..(body + len).min(data.len())).unwrap_or_default();
            return rexif_tags(block);
        }
        pos = body.saturating_add(len);
    }
    Ok(vec![])
}

fn find(tags: &[RawTag], ifd: Ifd, tag: u16) -> Option<&Val> {
    tags.iter().find(|t| t.ifd == ifd && t.tag == tag).map(|t| &t.val)
}

fn text(tags: &[RawTag], ifd: Ifd, tag: u16) -> Option<String> {
    match find(tags, ifd, tag)? {
        // A string ends at its first NUL (cameras pad with garbage after it).
        Val::Text(s) => {
            let s = s.split('\0').next().unwrap_or_default().trim();
            (!s.is_empty()).then(|| s.to_string())
        }
        Val::Bytes(b) => {
            let b = b.split(|&c| c == 0).next().unwrap_or_default();
            let s = String::from_utf8_lossy(b);
            let s = s.trim();
            (!s.is_empty()).then(|| s.to_string())
        }
        _ => None,
    }
}

fn num(tags: &[RawTag], ifd: Ifd, tag: u16, i: usize) -> Option<f64> {
    match find(tags, ifd, tag)? {
        Val::Num(v) => v.get(i).copied().flatten(),
        Val::Int(v) => v.get(i).map(|&x| x as f64),
        _ => None,
    }
    .filter(|x| x.is_finite())
}

fn int(tags: &[RawTag], ifd: Ifd, tag: u16) -> Option<i64> {
    match find(tags, ifd, tag)? {
        Val::Int(v) => v.first().copied(),
        Val::Num(v) => v.first().copied().flatten().map(|x| x.round() as i64),
        _ => None,
    }
}

/// Parses `YYYY:MM:DD HH:MM:SS` (also with `-` or `/` in the date); the
/// all-zero dates some cameras write mean "unknown".
pub fn parse_datetime(s: &str) -> Option<TakenAt> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() < 19 {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r)?.trim().parse::<u32>().ok();
    let (year, month, day) = (n(0..4)? as i32, n(5..7)?, n(8..10)?);
    let (hour, minute, second) = (n(11..13)?, n(14..16)?, n(17..19)?);
    if year == 0 || !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    Some(TakenAt { year, month, day, hour, minute, second, millis: None, offset_min: None })
}

/// Parses an XMP date (`2022-01-10T15:15:44-04:00`, `2019-04-30T15:56:18.605Z`,
/// or a date alone).
pub fn parse_xmp_datetime(s: &str) -> Option<TakenAt> {
    let s = s.trim();
    // `get`, not indexing: the 10th byte may fall inside a character
    // (found by fuzzing: a panic on a packet's odd date).
    let mut full = s.get(..10)?.replace('-', ":");
    let rest = s.get(10..).unwrap_or_default();
    let rest = rest.strip_prefix('T').unwrap_or(rest);
    let (clock, tail) = rest.split_at(rest.find(['Z', '+', '-', '.']).unwrap_or(rest.len()));
    let clock = match clock.len() {
        8 => clock.to_string(),
        5 => format!("{clock}:00"),
        _ => "00:00:00".to_string(),
    };
    full.push(' ');
    full.push_str(&clock);
    let mut t = parse_datetime(&full)?;
    let (frac, zone) = match tail.strip_prefix('.') {
        Some(x) => x.split_at(x.find(|c: char| !c.is_ascii_digit()).unwrap_or(x.len())),
        None => ("", tail),
    };
    t.millis = parse_subsec(frac);
    t.offset_min = if zone == "Z" { Some(0) } else { parse_offset(zone) };
    Some(t)
}

fn parse_offset(s: &str) -> Option<i32> {
    let s = s.trim();
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    Some(sign * (h.parse::<i32>().ok()? * 60 + m.parse::<i32>().ok()?))
}

fn parse_subsec(s: &str) -> Option<u32> {
    let digits: String = s.trim().chars().take_while(|c| c.is_ascii_digit()).collect();
    if digits.is_empty() {
        return None;
    }
    let padded = format!("{digits:0<3}");
    padded[..3].parse().ok()
}

/// Turns the raw tags into the catalogue's fields.
pub fn interpret(tags: &[RawTag]) -> Exif {
    use Ifd::*;
    let taken_original = text(tags, Exif, 0x9003).and_then(|s| parse_datetime(&s)).is_some();
    let taken_at =
        [(Exif, 0x9003u16, 0x9291u16, 0x9011u16), (Exif, 0x9004, 0x9292, 0x9012), (Primary, 0x0132, 0x9290, 0x9010)]
            .iter()
            .find_map(|&(ifd, dt, sub, off)| {
                let mut t = parse_datetime(&text(tags, ifd, dt)?)?;
                t.millis = text(tags, Exif, sub).and_then(|s| parse_subsec(&s));
                t.offset_min = text(tags, Exif, off).and_then(|s| parse_offset(&s));
                Some(t)
            });
    let gps = (|| {
        let dms = |tag| -> Option<f64> {
            let d = num(tags, Gps, tag, 0)?;
            let m = num(tags, Gps, tag, 1).unwrap_or(0.0);
            let s = num(tags, Gps, tag, 2).unwrap_or(0.0);
            Some(d + m / 60.0 + s / 3600.0)
        };
        let mut lat = dms(2)?;
        let mut lon = dms(4)?;
        if text(tags, Gps, 1).is_some_and(|r| r.starts_with(['S', 's'])) {
            lat = -lat;
        }
        if text(tags, Gps, 3).is_some_and(|r| r.starts_with(['W', 'w'])) {
            lon = -lon;
        }
        // Out-of-range positions are kept as recorded (as exiftool does);
        // a map view must check them.
        let below = matches!(find(tags, Gps, 5), Some(Val::Int(v)) if v.first() == Some(&1))
            || matches!(find(tags, Gps, 5), Some(Val::Bytes(v)) if v.first() == Some(&1));
        let alt = num(tags, Gps, 6, 0).map(|a| if below { -a } else { a });
        Some(crate::exif::Gps { lat, lon, alt })
    })();
    // ISO: PhotographicSensitivity, else ISOSpeed, else Panasonic RW2's own
    // IFD0 tag 0x0017.
    let iso = int(tags, Exif, 0x8827).or_else(|| int(tags, Exif, 0x8833)).or_else(|| int(tags, Primary, 0x0017));
    crate::exif::Exif {
        taken_at,
        taken_original,
        make: text(tags, Primary, 0x010F),
        model: text(tags, Primary, 0x0110),
        serial: text(tags, Exif, 0xA431).or_else(|| text(tags, Primary, 0xC62F)),
        lens: text(tags, Exif, 0xA434),
        focal_length_mm: num(tags, Exif, 0x920A, 0).filter(|&f| f > 0.0),
        f_number: num(tags, Exif, 0x829D, 0).filter(|&f| f > 0.0),
        exposure_time_s: num(tags, Exif, 0x829A, 0).filter(|&f| f > 0.0),
        iso,
        iso_makernote: None,
        gps,
        orientation: int(tags, Primary, 0x0112).filter(|o| (1..=8).contains(o)).map(|o| o as u16),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_days_round_trip() {
        for (y, m, d) in [(1970, 1, 1), (2000, 2, 29), (2024, 12, 31), (1899, 3, 1), (2038, 1, 19)] {
            let t = TakenAt {
                year: y,
                month: m,
                day: d,
                hour: 13,
                minute: 5,
                second: 9,
                millis: Some(250),
                offset_min: None,
            };
            let back = TakenAt::from_local_ms(t.local_ms(), true, None);
            assert_eq!(back, t);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
    }

    #[test]
    fn datetime_parsing_and_iso() {
        let mut t = parse_datetime("2021:05:12 12:21:21").unwrap();
        t.millis = parse_subsec("92");
        t.offset_min = parse_offset("+02:00");
        assert_eq!(t.to_iso(), "2021-05-12T12:21:21.920+02:00");
        assert_eq!(parse_datetime("0000:00:00 00:00:00"), None);
        assert_eq!(parse_datetime("    :  :     :  :  "), None);
        assert_eq!(parse_offset("-05:30"), Some(-330));
        // A character across byte 10 or 19: no date, no panic.
        assert_eq!(parse_xmp_datetime("2019-04-3\u{ec5c9}T15:56:18Z"), None);
        assert_eq!(parse_datetime("2019:04:30 15:56:1\u{e9}"), None);
        assert_eq!(parse_xmp_datetime("2019-04-30T15:56:18.605Z").unwrap().to_iso(), "2019-04-30T15:56:18.605+00:00");
    }

    /// A TIFF whose one IFD has 4,000 entries that each claim the whole
    /// file as their value is refused before rexif formats 4,000 copies of
    /// it; a plain one is read.
    #[test]
    fn tag_tables_claiming_too_much_are_refused() {
        let n = 4000u16;
        let len = 8 + 2 + 12 * n as u32 + 4 + 8192;
        let mut t = b"II*\0".to_vec();
        t.extend_from_slice(&8u32.to_le_bytes());
        t.extend_from_slice(&n.to_le_bytes());
        for i in 0..n {
            t.extend_from_slice(&(0xC000 + i).to_le_bytes());
            t.extend_from_slice(&7u16.to_le_bytes()); // UNDEFINED
            t.extend_from_slice(&(len - 8).to_le_bytes());
            t.extend_from_slice(&8u32.to_le_bytes());
        }
        t.extend_from_slice(&0u32.to_le_bytes());
        t.resize(len as usize, 0xAB);
        assert!(exif_value_bytes(&t, MAX_EXIF_VALUE_BYTES) > MAX_EXIF_VALUE_BYTES);
        let e = read_tags("dng", &t).unwrap_err();
        assert!(e.to_string().contains("claim over 16 MB"), "{e}");
        // One such entry is a plain (if odd) file.
        let mut one = t[..8].to_vec();
        one.extend_from_slice(&1u16.to_le_bytes());
        one.extend_from_slice(&t[10..22]);
        one.extend_from_slice(&0u32.to_le_bytes());
        one.resize(len as usize, 0xAB);
        assert!(exif_value_bytes(&one, MAX_EXIF_VALUE_BYTES) < 1 << 20);
    }

    #[test]
    fn gps_signs_and_altitude_below_sea() {
        let tags = vec![
            RawTag { ifd: Ifd::Gps, tag: 1, val: Val::Text("S".into()) },
            RawTag { ifd: Ifd::Gps, tag: 2, val: Val::Num(vec![Some(33.0), Some(30.0), Some(0.0)]) },
            RawTag { ifd: Ifd::Gps, tag: 3, val: Val::Text("W".into()) },
            RawTag { ifd: Ifd::Gps, tag: 4, val: Val::Num(vec![Some(70.0), Some(15.0), Some(36.0)]) },
            RawTag { ifd: Ifd::Gps, tag: 5, val: Val::Int(vec![1]) },
            RawTag { ifd: Ifd::Gps, tag: 6, val: Val::Num(vec![Some(12.5)]) },
        ];
        let g = interpret(&tags).gps.unwrap();
        assert_eq!(g.lat, -33.5);
        assert!((g.lon + 70.26).abs() < 1e-9);
        assert_eq!(g.alt, Some(-12.5));
    }

    #[test]
    fn thumbnail_orientation_is_ignored() {
        let tags = vec![RawTag { ifd: Ifd::Other, tag: 0x0112, val: Val::Int(vec![6]) }];
        assert_eq!(interpret(&tags).orientation, None);
    }

    #[test]
    fn garbage_is_an_error_or_nothing_never_a_panic() {
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x20];
        jpeg.extend_from_slice(b"Exif\0\0II*\0\xff\xff\xff\x7f");
        jpeg.extend_from_slice(&[0u8; 20]);
        for fmt in ["jpeg", "tiff", "heic", "cr3", "raf", "mrw", "png"] {
            let _ = read_exif(fmt, &jpeg);
            let _ = read_exif(fmt, &[]);
            let _ = read_exif(fmt, b"II*\0\x08\0\0\0\xff\xff");
        }
    }
}

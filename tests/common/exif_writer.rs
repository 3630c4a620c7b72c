//! Writes EXIF (a little-endian TIFF block) to the EXIF 2.32 layout, so tests
//! can make photos whose metadata is known exactly.

#[derive(Debug, Clone, Default)]
pub struct ExifSpec {
    pub make: Option<String>,
    pub model: Option<String>,
    pub orientation: Option<u16>,
    /// "YYYY:MM:DD HH:MM:SS"
    pub taken: Option<String>,
    pub subsec: Option<String>,
    pub offset: Option<String>,
    pub f_number: Option<(u32, u32)>,
    pub exposure: Option<(u32, u32)>,
    pub iso: Option<u16>,
    pub focal: Option<(u32, u32)>,
    pub serial: Option<String>,
    pub lens: Option<String>,
    /// (lat, lon, alt) signed degrees / metres.
    pub gps: Option<(f64, f64, f64)>,
}

const ASCII: u16 = 2;
const SHORT: u16 = 3;
const LONG: u16 = 4;
const RATIONAL: u16 = 5;
const BYTE: u16 = 1;

struct Entry {
    tag: u16,
    typ: u16,
    count: u32,
    data: Vec<u8>,
}

fn ascii(tag: u16, s: &str) -> Entry {
    let mut d = s.as_bytes().to_vec();
    d.push(0);
    Entry { tag, typ: ASCII, count: d.len() as u32, data: d }
}
fn short(tag: u16, v: u16) -> Entry {
    Entry { tag, typ: SHORT, count: 1, data: v.to_le_bytes().to_vec() }
}
fn long(tag: u16, v: u32) -> Entry {
    Entry { tag, typ: LONG, count: 1, data: v.to_le_bytes().to_vec() }
}
fn rationals(tag: u16, v: &[(u32, u32)]) -> Entry {
    let mut d = Vec::new();
    for (n, den) in v {
        d.extend_from_slice(&n.to_le_bytes());
        d.extend_from_slice(&den.to_le_bytes());
    }
    Entry { tag, typ: RATIONAL, count: v.len() as u32, data: d }
}

/// Serialises an IFD placed at `offset`; values over 4 bytes follow it.
fn ifd(mut entries: Vec<Entry>, offset: u32) -> Vec<u8> {
    entries.sort_by_key(|e| e.tag);
    let n = entries.len() as u32;
    let mut data_off = offset + 2 + 12 * n + 4;
    let mut head = (n as u16).to_le_bytes().to_vec();
    let mut data = Vec::new();
    for e in &entries {
        head.extend_from_slice(&e.tag.to_le_bytes());
        head.extend_from_slice(&e.typ.to_le_bytes());
        head.extend_from_slice(&e.count.to_le_bytes());
        if e.data.len() <= 4 {
            let mut v = e.data.clone();
            v.resize(4, 0);
            head.extend_from_slice(&v);
        } else {
            head.extend_from_slice(&data_off.to_le_bytes());
            data.extend_from_slice(&e.data);
            if data.len() % 2 == 1 {
                data.push(0);
            }
            data_off = offset + 2 + 12 * n + 4 + data.len() as u32;
        }
    }
    head.extend_from_slice(&0u32.to_le_bytes());
    head.extend_from_slice(&data);
    head
}

fn dms(v: f64) -> [(u32, u32); 3] {
    let v = v.abs();
    let d = v.floor();
    let m = ((v - d) * 60.0).floor();
    let s = (v - d - m / 60.0) * 3600.0;
    [(d as u32, 1), (m as u32, 1), ((s * 10000.0).round() as u32, 10000)]
}

impl ExifSpec {
    /// The TIFF block: header, IFD0, Exif IFD, GPS IFD.
    pub fn tiff(&self) -> Vec<u8> {
        let ifd0 = |exif_at: u32, gps_at: u32| {
            let mut e = vec![long(0x8769, exif_at)];
            if let Some(m) = &self.make {
                e.push(ascii(0x010F, m));
            }
            if let Some(m) = &self.model {
                e.push(ascii(0x0110, m));
            }
            if let Some(o) = self.orientation {
                e.push(short(0x0112, o));
            }
            if self.gps.is_some() {
                e.push(long(0x8825, gps_at));
            }
            ifd(e, 8)
        };
        let exif = |at: u32| {
            let mut e = Vec::new();
            if let Some(t) = &self.taken {
                e.push(ascii(0x9003, t));
            }
            if let Some(s) = &self.subsec {
                e.push(ascii(0x9291, s));
            }
            if let Some(o) = &self.offset {
                e.push(ascii(0x9011, o));
            }
            if let Some(f) = self.f_number {
                e.push(rationals(0x829D, &[f]));
            }
            if let Some(x) = self.exposure {
                e.push(rationals(0x829A, &[x]));
            }
            if let Some(i) = self.iso {
                e.push(short(0x8827, i));
            }
            if let Some(f) = self.focal {
                e.push(rationals(0x920A, &[f]));
            }
            if let Some(s) = &self.serial {
                e.push(ascii(0xA431, s));
            }
            if let Some(l) = &self.lens {
                e.push(ascii(0xA434, l));
            }
            ifd(e, at)
        };
        let gps = |at: u32| {
            let (lat, lon, alt) = self.gps.unwrap_or_default();
            ifd(
                vec![
                    ascii(0x0001, if lat < 0.0 { "S" } else { "N" }),
                    rationals(0x0002, &dms(lat)),
                    ascii(0x0003, if lon < 0.0 { "W" } else { "E" }),
                    rationals(0x0004, &dms(lon)),
                    Entry { tag: 0x0005, typ: BYTE, count: 1, data: vec![u8::from(alt < 0.0)] },
                    rationals(0x0006, &[((alt.abs() * 100.0).round() as u32, 100)]),
                ],
                at,
            )
        };
        let l0 = ifd0(0, 0).len() as u32;
        let exif_at = 8 + l0;
        let l1 = exif(exif_at).len() as u32;
        let gps_at = exif_at + l1;
        let mut out = b"II*\0".to_vec();
        out.extend_from_slice(&8u32.to_le_bytes());
        out.extend(ifd0(exif_at, gps_at));
        out.extend(exif(exif_at));
        if self.gps.is_some() {
            out.extend(gps(gps_at));
        }
        out
    }

    /// A typical camera's EXIF at `taken`.
    pub fn camera(taken: &str) -> ExifSpec {
        ExifSpec {
            make: Some("Canon".into()),
            model: Some("Canon EOS R6".into()),
            orientation: Some(1),
            taken: Some(taken.into()),
            f_number: Some((28, 10)),
            exposure: Some((1, 250)),
            iso: Some(400),
            focal: Some((50, 1)),
            serial: Some("012345678901".into()),
            lens: Some("RF50mm F1.8 STM".into()),
            ..Default::default()
        }
    }
}

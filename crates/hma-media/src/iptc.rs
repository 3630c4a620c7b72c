//! IPTC-IIM dates from a JPEG's Photoshop segment (APP13): news agencies,
//! scanners and older Photoshop/Lightroom exports put the capture date there
//! (DateCreated 2:55 + TimeCreated 2:60) when a file has no EXIF time.
//! A few lines of format walking; no maintained crate reads just this.

use crate::exif::TakenAt;

/// The IPTC capture date and time of a JPEG, if it has one.
pub fn date_created(jpeg: &[u8]) -> Option<TakenAt> {
    let iptc = iptc_block(jpeg)?;
    let (mut date, mut time) = (None, None);
    let mut i = 0;
    while i + 5 <= iptc.len() && iptc[i] == 0x1C {
        let (rec, ds) = (iptc[i + 1], iptc[i + 2]);
        let len = u16::from_be_bytes([iptc[i + 3], iptc[i + 4]]) as usize;
        if len & 0x8000 != 0 {
            break; // extended datasets are never dates
        }
        let data = iptc.get(i + 5..i + 5 + len)?;
        match (rec, ds) {
            (2, 55) => date = std::str::from_utf8(data).ok(),
            (2, 60) => time = std::str::from_utf8(data).ok(),
            _ => {}
        }
        i += 5 + len;
    }
    let d = date?.trim();
    if d.len() < 8 || !d.bytes().take(8).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let t = time.map(str::trim).unwrap_or("000000");
    let clock = t.get(..6).filter(|c| c.bytes().all(|b| b.is_ascii_digit())).unwrap_or("000000");
    let s = format!("{}:{}:{} {}:{}:{}", &d[..4], &d[4..6], &d[6..8], &clock[..2], &clock[2..4], &clock[4..6]);
    let mut at = crate::exif::parse_datetime(&s)?;
    if let Some(z) = t.get(6..11) {
        let sign = if z.starts_with('-') { -1 } else { 1 };
        if let (Ok(h), Ok(m)) = (z[1..3].parse::<i32>(), z[3..5].parse::<i32>()) {
            at.offset_min = Some(sign * (h * 60 + m));
        }
    }
    Some(at)
}

/// The IPTC-NAA resource (8BIM 0x0404) of the first Photoshop APP13 segment.
fn iptc_block(d: &[u8]) -> Option<&[u8]> {
    resource(crate::jpeg::segment(d, 0xED, b"Photoshop 3.0\0")?, 0x0404)
}

fn resource(mut d: &[u8], want: u16) -> Option<&[u8]> {
    while d.len() >= 12 && &d[..4] == b"8BIM" {
        let id = u16::from_be_bytes([d[4], d[5]]);
        let name_len = d[6] as usize;
        let name_total = (1 + name_len + 1) & !1; // Pascal string padded to even
        let at = 6 + name_total;
        let size = u32::from_be_bytes(d.get(at..at + 4)?.try_into().ok()?) as usize;
        let data = d.get(at + 4..at + 4 + size)?;
        if id == want {
            return Some(data);
        }
        d = d.get(at + 4 + ((size + 1) & !1)..)?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_date_and_time_created() {
        let mut iptc = Vec::new();
        for (ds, v) in [(55u8, &b"20220110"[..]), (60, &b"151544-0400"[..])] {
            iptc.extend_from_slice(&[0x1C, 2, ds, 0, v.len() as u8]);
            iptc.extend_from_slice(v);
        }
        let mut res = b"8BIM\x04\x04\0\0".to_vec();
        res.extend_from_slice(&(iptc.len() as u32).to_be_bytes());
        res.extend_from_slice(&iptc);
        let mut seg = b"Photoshop 3.0\0".to_vec();
        seg.extend_from_slice(&res);
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xED];
        jpeg.extend_from_slice(&((seg.len() + 2) as u16).to_be_bytes());
        jpeg.extend_from_slice(&seg);
        jpeg.extend_from_slice(&[0xFF, 0xD9]);
        let t = date_created(&jpeg).unwrap();
        assert_eq!(t.to_iso(), "2022-01-10T15:15:44-04:00");
        assert_eq!(date_created(&jpeg[..20]), None);
    }
}

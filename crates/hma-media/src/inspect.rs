//! Reading one file, once: its content hash, what it is, its pixel size, its
//! EXIF and XMP. The file is opened read-only and never written.
//!
//! Files up to [`WHOLE_READ_LIMIT`] are read into a reused buffer, hashed and
//! parsed from memory (one pass over the disk); larger ones (videos, huge
//! scans) are hashed in a stream and parsed from their first bytes, so memory
//! per worker stays bounded.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use serde::Serialize;

use crate::exif::{read_exif, Exif};
use crate::hash::{hash_stream, ContentHash};
use crate::sniff::{claims_image, sniff, Format, Kind};
use crate::xmp::{self, Xmp};

/// Files up to this size are read whole into memory.
pub const WHOLE_READ_LIMIT: u64 = 64 << 20;
/// How much of a larger file is kept for parsing its metadata.
pub const HEAD_LIMIT: usize = 8 << 20;
/// Read size: small enough that a chunk is hashed while still in L2 cache.
pub const CHUNK: usize = 128 << 10;
/// JPEGs are streamed past this much head (see [`inspect`]).
const STREAM_JPEG_AFTER: usize = 256 << 10;
const TRUNCATED_JPEG: &str = "truncated JPEG: the image data ends before its end-of-image marker";

/// What reading a file told us.
#[derive(Debug, Clone, Serialize)]
pub struct Facts {
    /// xxh3-64 of the content.
    pub hash: ContentHash,
    /// Bytes read.
    pub size: u64,
    /// Broad kind.
    pub kind: Kind,
    /// Format short name.
    pub format: Format,
    /// Stored pixel width (before orientation), when known.
    pub width: Option<u32>,
    /// Stored pixel height, when known.
    pub height: Option<u32>,
    /// EXIF, when the file has any.
    pub exif: Option<Exif>,
    /// XMP: the sidecar's content, or a packet embedded in the file.
    pub xmp: Option<Xmp>,
    /// A problem with the content that did not stop us from hashing it
    /// (unknown bytes behind an image name, truncation, broken EXIF).
    pub problem: Option<String>,
}

/// Reading failed outright: nothing about the content is known.
#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    /// Opening or reading failed (permissions, I/O error, vanished).
    #[error("cannot read file: {0}")]
    Io(#[from] std::io::Error),
}

/// Reads the open file `file` (named `name`; opened read-only, by the
/// scanner beneath its root: [`crate::beneath`]). `buf` is a reusable buffer.
pub fn inspect(file: File, name: &str, buf: &mut Vec<u8>) -> Result<Facts, InspectError> {
    read_and_analyse(file, name, buf, true).map(|(facts, _)| facts)
}

/// As [`inspect`], but a file up to [`WHOLE_READ_LIMIT`] is always kept
/// whole in `buf` (no JPEG streaming), so later stages can decode it
/// without reading it again (`hma import`). Returns the facts and, when the
/// whole file is in `buf`, its length (`&buf[..len]` is the file).
pub fn inspect_whole(file: File, name: &str, buf: &mut Vec<u8>) -> Result<(Facts, Option<usize>), InspectError> {
    read_and_analyse(file, name, buf, false)
}

fn read_and_analyse(
    mut file: File,
    name: &str,
    buf: &mut Vec<u8>,
    stream_jpeg: bool,
) -> Result<(Facts, Option<usize>), InspectError> {
    let len = file.metadata()?.len();
    // `buf` keeps its length between files: growing it zero-fills only the
    // new part, and bytes past `data_len` are stale and never looked at.
    let data_len;
    let (hash, size, whole) = if len <= WHOLE_READ_LIMIT {
        // Read in cache-sized chunks and hash each one while it is still in
        // the CPU cache: one pass over memory instead of two.
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        // A JPEG whose metadata segments end within its first 256 KiB is
        // kept only that far: the image data streams through one window
        // after the head (hashed and checked for its end marker while in
        // cache) instead of being copied whole into memory.
        let mut tail: Option<(usize, JpegTail)> = None;
        let mut got = 0;
        loop {
            let at = tail.as_ref().map_or(got, |(head, _)| *head);
            if at + CHUNK > buf.len() {
                buf.resize(at + CHUNK, 0); // the file grew while we read it
            }
            let n = match file.read(&mut buf[at..at + CHUNK]) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            h.update(&buf[at..at + n]);
            match tail.as_mut() {
                Some((_, t)) => t.feed(&buf[at..at + n]),
                None => {
                    got += n;
                    if stream_jpeg
                        && got >= STREAM_JPEG_AFTER
                        && (got as u64) < len
                        && buf.starts_with(&[0xFF, 0xD8, 0xFF])
                    {
                        if let Some(sos) = crate::jpeg::metadata_end(&buf[..got]) {
                            let mut t = JpegTail::default();
                            t.feed(&buf[sos..got]);
                            tail = Some((got, t));
                        }
                    }
                }
            }
        }
        if let Some((head, t)) = tail {
            let mut facts = analyse(&buf[..head], name, ContentHash(h.digest()), len, false);
            if !t.ended() && facts.problem.is_none() {
                facts.problem = Some(TRUNCATED_JPEG.to_string());
            }
            return Ok((facts, None));
        }
        data_len = got;
        (ContentHash(h.digest()), got as u64, true)
    } else {
        if buf.len() < HEAD_LIMIT {
            buf.resize(HEAD_LIMIT, 0);
        }
        let mut got = 0;
        fill(&mut file, buf, &mut got, HEAD_LIMIT)?;
        data_len = got;
        let mut chunk = vec![0u8; CHUNK];
        let (h, n) = hash_stream(&buf[..got], &mut file, &mut chunk)?;
        (h, n, false)
    };
    Ok((analyse(&buf[..data_len], name, hash, size, whole), whole.then_some(data_len)))
}

/// Reads into `buf[*got..upto]` until it is full or the file ends.
fn fill(file: &mut File, buf: &mut [u8], got: &mut usize, upto: usize) -> std::io::Result<()> {
    while *got < upto {
        match file.read(&mut buf[*got..upto])? {
            0 => break,
            n => *got += n,
        }
    }
    Ok(())
}

/// Reads a file's metadata only (no hash): its first 256 KiB, which hold a
/// JPEG's metadata segments and the header of most other formats; the whole
/// file (up to [`WHOLE_READ_LIMIT`]) only when that was not enough. For
/// `hma exif`.
pub fn read_metadata(path: &Path, name: &str, buf: &mut Vec<u8>) -> Result<Facts, InspectError> {
    const HEAD: usize = 256 << 10;
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let want = len.min(WHOLE_READ_LIMIT) as usize;
    if buf.len() < want.clamp(16, HEAD) {
        buf.resize(want.clamp(16, HEAD), 0);
    }
    let mut got = 0;
    fill(&mut file, buf, &mut got, want.min(HEAD))?;
    if got < want {
        let (_, format) = sniff(&buf[..got], name);
        let enough = if format == Format::Jpeg { crate::jpeg::metadata_end(&buf[..got]).is_some() } else { false };
        let head_facts = enough.then(|| analyse(&buf[..got], name, ContentHash::default(), len, false));
        if let Some(f) = head_facts {
            return Ok(f);
        }
        let f = analyse(&buf[..got], name, ContentHash::default(), len, false);
        if f.exif.is_some() && f.problem.is_none() && f.width.is_some() {
            return Ok(f);
        }
        if buf.len() < want {
            buf.resize(want, 0);
        }
        fill(&mut file, buf, &mut got, want)?;
    }
    Ok(analyse(&buf[..got], name, ContentHash::default(), len, false))
}

/// The XMP packet of a JPEG: the APP1 segment in Adobe's XMP namespace.
fn jpeg_xmp(d: &[u8]) -> Option<&[u8]> {
    crate::jpeg::segment(d, 0xE1, b"http://ns.adobe.com/xap/1.0/\0")
}

/// What [`inspect`] learns from a whole file's bytes (no hash): the fuzz
/// harnesses' way in, without a file on disk.
pub fn facts_from_bytes(data: &[u8], name: &str) -> Facts {
    analyse(data, name, ContentHash::default(), data.len() as u64, true)
}

/// Everything but the hash, from the bytes read; `whole` when `data` is the
/// complete file (then a JPEG is also checked for truncation). A panic in a
/// parser leaves the file catalogued (hash, size, format) with the error as
/// its problem.
fn analyse(data: &[u8], name: &str, hash: ContentHash, size: u64, whole: bool) -> Facts {
    crate::guard::watch("scan", data, || analyse_unguarded(data, name, hash, size, whole)).unwrap_or_else(|e| {
        let (kind, format) = sniff(data, name);
        Facts { hash, size, kind, format, width: None, height: None, exif: None, xmp: None, problem: Some(e) }
    })
}

fn analyse_unguarded(data: &[u8], name: &str, hash: ContentHash, size: u64, whole: bool) -> Facts {
    let (kind, format) = sniff(data, name);
    let mut facts = Facts { hash, size, kind, format, width: None, height: None, exif: None, xmp: None, problem: None };
    if size == 0 {
        facts.problem = Some("empty file (0 bytes)".into());
        return facts;
    }
    match kind {
        Kind::Sidecar => match xmp::parse(data) {
            Ok(x) => facts.xmp = Some(x),
            Err(e) => facts.problem = Some(e.to_string()),
        },
        Kind::Image | Kind::Raw => {
            if let Ok(dim) = imagesize::blob_size(data) {
                facts.width = u32::try_from(dim.width).ok();
                facts.height = u32::try_from(dim.height).ok();
            } else if matches!(facts.format, Format::Heic | Format::Avif) {
                if let Some((w, h)) = heif_size(data) {
                    facts.width = Some(w);
                    facts.height = Some(h);
                }
            }
            match read_exif(facts.format.as_str(), data) {
                Ok(e) => facts.exif = e,
                Err(e) => facts.problem = Some(e.to_string()),
            }
            if facts.format == Format::Jpeg {
                let head = &data[..data.len().min(256 << 10)];
                facts.xmp = jpeg_xmp(data).and_then(|p| xmp::parse(p).ok()).filter(|x| !x.is_empty());
                // No EXIF DateTimeOriginal: IPTC's DateCreated+TimeCreated, else
                // XMP's DateTimeOriginal or photoshop:DateCreated, is the
                // capture time (as ExifTool's composite DateTimeOriginal).
                if !facts.exif.as_ref().is_some_and(|e| e.taken_original) {
                    let xmp_time = || {
                        let x = facts.xmp.as_ref()?;
                        x.date_time_original
                            .as_deref()
                            .or(x.date_created.as_deref())
                            .and_then(crate::exif::parse_xmp_datetime)
                    };
                    if let Some(t) = crate::iptc::date_created(head).or_else(xmp_time) {
                        facts.exif.get_or_insert_with(Exif::default).taken_at = Some(t);
                    }
                }
                if whole {
                    if let Err(e) = jpeg_complete(data) {
                        facts.problem = Some(e);
                    }
                }
            } else if kind == Kind::Image && facts.width.is_none() {
                facts.problem =
                    Some(format!("{} header unreadable (truncated or corrupt)", facts.format.as_str().to_uppercase()));
            }
        }
        Kind::Other if claims_image(name) => {
            let shown: String = data.iter().take(8).map(|b| format!("{b:02x}")).collect();
            facts.problem =
                Some(format!("not a recognised image: content does not match the name (first bytes {shown})"));
        }
        _ => {}
    }
    facts
}

/// Pixel size of a HEIF/AVIF from its largest `ispe` (image spatial extent)
/// property; `imagesize` gives up on some 10-bit and grid images.
fn heif_size(d: &[u8]) -> Option<(u32, u32)> {
    let meta_end = d.len().min(1 << 20);
    let mut best: Option<(u32, u32)> = None;
    let mut from = 0;
    while let Some(p) = memchr::memmem::find(&d[from..meta_end], b"ispe") {
        let at = from + p;
        let w = d.get(at + 8..at + 12).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))?;
        let h = d.get(at + 12..at + 16).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))?;
        if best.is_none_or(|(bw, bh)| (w as u64) * (h as u64) > (bw as u64) * (bh as u64)) {
            best = Some((w, h));
        }
        from = at + 4;
    }
    best.filter(|&(w, h)| w > 0 && h > 0)
}

/// Checks that a JPEG's segments and scans run to an end-of-image marker.
/// Inside entropy-coded data every 0xFF is followed by 0x00 or a restart
/// marker, so the first other marker after a scan ends it; running out of
/// bytes first means the file was cut short.
pub fn jpeg_complete(d: &[u8]) -> Result<(), String> {
    let truncated = || Err(TRUNCATED_JPEG.to_string());
    let mut i = 2;
    loop {
        // Find the next marker.
        i += memchr::memchr(0xFF, &d[i.min(d.len())..]).unwrap_or(d.len().saturating_sub(i));
        while i < d.len() && d[i] == 0xFF {
            i += 1;
        }
        let Some(&m) = d.get(i) else { return truncated() };
        i += 1;
        match m {
            0xD9 => return Ok(()),
            0x01 | 0xD0..=0xD7 => continue,
            _ => {
                let Some(len) = d.get(i..i + 2).map(|b| u16::from_be_bytes([b[0], b[1]]) as usize) else {
                    return truncated();
                };
                if len < 2 || i + len > d.len() {
                    return truncated();
                }
                i += len;
                if m == 0xDA {
                    // Skip entropy-coded data up to the next real marker.
                    loop {
                        let Some(p) = memchr::memchr(0xFF, &d[i..]) else { return truncated() };
                        i += p;
                        match d.get(i + 1) {
                            None => return truncated(),
                            Some(0x00) | Some(0xD0..=0xD7) | Some(0xFF) => i += 1,
                            Some(_) => break,
                        }
                    }
                }
            }
        }
    }
}

/// Follows a JPEG from its first scan to its end marker, fed in pieces of
/// any size: the streaming twin of [`jpeg_complete`] (same rules).
#[derive(Debug, Default)]
struct JpegTail {
    state: TailState,
}

#[derive(Debug, Default, Clone, Copy, PartialEq)]
enum TailState {
    /// Inside entropy-coded data; `ff` when the last byte was 0xFF.
    #[default]
    Entropy,
    EntropyFf,
    /// Expecting a marker (fill bytes 0xFF allowed).
    Marker,
    MarkerFf,
    /// Reading a segment's two length bytes (`sos` when it is a scan).
    Len1 {
        sos: bool,
    },
    Len2 {
        sos: bool,
        hi: u8,
    },
    /// Skipping a segment's payload.
    Skip {
        left: usize,
        sos: bool,
    },
    Ended,
}

impl JpegTail {
    fn ended(&self) -> bool {
        self.state == TailState::Ended
    }

    fn marker(&mut self, m: u8) {
        use TailState::*;
        self.state = match m {
            0xD9 => Ended,
            0x01 | 0xD0..=0xD7 => Marker,
            m => Len1 { sos: m == 0xDA },
        };
    }

    fn feed(&mut self, mut d: &[u8]) {
        use TailState::*;
        while !d.is_empty() {
            match self.state {
                Ended => return,
                Entropy => match memchr::memchr(0xFF, d) {
                    Some(p) => {
                        self.state = EntropyFf;
                        d = &d[p + 1..];
                    }
                    None => return,
                },
                EntropyFf => {
                    let b = d[0];
                    d = &d[1..];
                    match b {
                        0x00 | 0xD0..=0xD7 => self.state = Entropy,
                        0xFF => {}
                        m => self.marker(m),
                    }
                }
                Marker => {
                    let b = d[0];
                    d = &d[1..];
                    if b == 0xFF {
                        self.state = MarkerFf;
                    }
                }
                MarkerFf => {
                    let b = d[0];
                    d = &d[1..];
                    if b != 0xFF {
                        self.marker(b);
                    }
                }
                Len1 { sos } => {
                    self.state = Len2 { sos, hi: d[0] };
                    d = &d[1..];
                }
                Len2 { sos, hi } => {
                    let len = u16::from_be_bytes([hi, d[0]]) as usize;
                    d = &d[1..];
                    self.state = if len < 2 { Marker } else { Skip { left: len - 2, sos } };
                }
                Skip { left, sos } => {
                    let k = left.min(d.len());
                    d = &d[k..];
                    self.state = match (left - k, sos) {
                        (0, true) => Entropy,
                        (0, false) => Marker,
                        (left, sos) => Skip { left, sos },
                    };
                }
            }
        }
        if let Skip { left: 0, sos } = self.state {
            self.state = if sos { Entropy } else { Marker };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny_jpeg() -> Vec<u8> {
        // SOI, a 4-byte APP0, SOS with 2 bytes of header, entropy data with a
        // stuffed 0xFF00 and a restart marker, then EOI.
        vec![
            0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00, 0xFF, 0xDA, 0x00, 0x02, 0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0,
            0x56, 0xFF, 0xD9,
        ]
    }

    #[test]
    fn complete_and_truncated_jpegs() {
        let j = tiny_jpeg();
        assert!(jpeg_complete(&j).is_ok());
        for cut in 3..j.len() - 1 {
            assert!(jpeg_complete(&j[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn streamed_end_check_agrees_with_the_whole_check() {
        // A progressive-style file: two scans separated by a table segment.
        let mut j = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00, 0xFF, 0xDA, 0x00, 0x03, 0x01];
        j.extend_from_slice(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD3, 0x56, 0xFF, 0xFF, 0xC4, 0x00, 0x03, 0x09]);
        j.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x02, 0x77, 0xFF, 0x00, 0xFF, 0xD9]);
        let sos = crate::jpeg::metadata_end(&j).unwrap();
        for cut in sos..=j.len() {
            let whole = jpeg_complete(&j[..cut]).is_ok();
            for piece in [1, 2, 3, 7, 64] {
                let mut t = JpegTail::default();
                for c in j[sos..cut].chunks(piece) {
                    t.feed(c);
                }
                assert_eq!(t.ended(), whole, "cut {cut}, pieces of {piece}");
            }
        }
    }

    #[test]
    fn zero_byte_and_fake_jpeg_are_problems() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.jpg");
        std::fs::write(&empty, b"").unwrap();
        let mut buf = Vec::new();
        let f = inspect(File::open(&empty).unwrap(), "empty.jpg", &mut buf).unwrap();
        assert_eq!(f.problem.as_deref(), Some("empty file (0 bytes)"));
        let fake = dir.path().join("fake.jpg");
        std::fs::write(&fake, b"this is not a photo at all").unwrap();
        let f = inspect(File::open(&fake).unwrap(), "fake.jpg", &mut buf).unwrap();
        assert!(f.problem.unwrap().starts_with("not a recognised image"));
        assert_eq!(f.hash, ContentHash::of(b"this is not a photo at all"));
    }
}

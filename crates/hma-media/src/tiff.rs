//! Reading TIFF structures by hand (IFD entries in either byte order), for
//! what neither EXIF crate gives: maker notes (`makernote`) and the bound on
//! what a file's tag tables claim before rexif reads them (`exif`).

/// A TIFF block and its byte order.
pub(crate) struct Tiff<'a> {
    pub(crate) d: &'a [u8],
    pub(crate) le: bool,
}

impl Tiff<'_> {
    pub(crate) fn u16(&self, at: usize) -> Option<u16> {
        let b = self.d.get(at..at + 2)?;
        Some(if self.le { u16::from_le_bytes([b[0], b[1]]) } else { u16::from_be_bytes([b[0], b[1]]) })
    }
    pub(crate) fn u32(&self, at: usize) -> Option<u32> {
        let b = self.d.get(at..at + 4)?;
        let a = [b[0], b[1], b[2], b[3]];
        Some(if self.le { u32::from_le_bytes(a) } else { u32::from_be_bytes(a) })
    }
    /// Entries of the IFD at `off`: (tag, type, count, offset of the value).
    pub(crate) fn entries(&self, off: usize) -> Vec<(u16, u16, u32, usize)> {
        self.entries_shifted(off, 0)
    }

    /// Entries whose out-of-line value offsets are moved by `shift` (maker
    /// notes that an editor relocated without fixing their offsets).
    pub(crate) fn entries_shifted(&self, off: usize, shift: i64) -> Vec<(u16, u16, u32, usize)> {
        let Some(n) = self.u16(off) else { return vec![] };
        (0..n as usize)
            .filter_map(|i| {
                let e = off + 2 + 12 * i;
                let (tag, typ, count) = (self.u16(e)?, self.u16(e + 2)?, self.u32(e + 4)?);
                let size = type_size(typ)? as usize * count as usize;
                let val = if size <= 4 { e + 8 } else { usize::try_from(self.u32(e + 8)? as i64 + shift).ok()? };
                Some((tag, typ, count, val))
            })
            .take(1000)
            .collect()
    }
    pub(crate) fn shorts(&self, at: usize, count: u32) -> Vec<u16> {
        (0..count.min(256) as usize).filter_map(|i| self.u16(at + 2 * i)).collect()
    }
}

/// The bytes of one value of TIFF field type `typ` (None: a type TIFF 6
/// does not define).
pub(crate) fn type_size(typ: u16) -> Option<u64> {
    match typ {
        1 | 2 | 6 | 7 => Some(1),
        3 | 8 => Some(2),
        4 | 9 | 11 => Some(4),
        5 | 10 | 12 => Some(8),
        _ => None,
    }
}

/// The TIFF block of a JPEG's EXIF (APP1), or of a TIFF-based file.
pub(crate) fn tiff_of(data: &[u8]) -> Option<&[u8]> {
    if data.starts_with(b"II") || data.starts_with(b"MM") {
        return Some(data);
    }
    crate::jpeg::segment(data, 0xE1, b"Exif\0\0")
}

//! Reading media files without ever changing them.
//!
//! Everything here opens files read-only: walking a root ([`walk`]), hashing
//! content ([`hash`]), recognising formats ([`sniff`]), reading EXIF
//! ([`exif`]) and XMP ([`xmp`]), and the name signals that tie RAW, JPEG and
//! edits of one moment together ([`lineage`]). Nothing here knows about the
//! catalogue.

pub mod beneath;
pub mod exif;
pub mod failpoint;
pub mod flight;
pub mod guard;
pub mod hash;
pub mod inspect;
pub mod iptc;
pub mod jpeg;
pub mod lineage;
pub mod makernote;
pub mod path;
pub mod portable;
pub mod rawmeta;
pub mod sniff;
mod tiff;
pub mod walk;
pub mod xmp;
pub mod xmp_write;

pub use exif::{Exif, Gps, TakenAt};
pub use hash::ContentHash;
pub use inspect::{inspect, Facts};
pub use path::RelPath;
pub use sniff::{Format, Kind};

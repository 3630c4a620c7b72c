//! Row types (read) and insert types (write), kept apart as Diesel wants.

use diesel::prelude::*;
use hma_media::{ContentHash, Format, Kind};

use crate::schema::*;
use crate::RelationKind;

/// A storage root: a folder or drive the user pointed us at.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = roots)]
pub struct Root {
    /// Row id.
    pub id: i64,
    /// Stable identity, kept when the root moves.
    pub uuid: String,
    /// The user's name for it.
    pub name: String,
    /// A backup copy: never the keeper of a duplicate group.
    pub is_backup: bool,
    /// When it was added.
    pub created_ms: i64,
    /// Start of the last scan that walked it completely: every present file
    /// was seen then, and a file first seen after it is new since.
    pub last_scan_ms: Option<i64>,
    /// Decisions are written into XMP sidecars beside its photos (opt-in).
    pub sidecars: bool,
}

#[derive(Insertable)]
#[diesel(table_name = roots)]
pub(crate) struct NewRoot<'a> {
    pub uuid: &'a str,
    pub name: &'a str,
    pub is_backup: bool,
    pub created_ms: i64,
}

#[derive(Insertable)]
#[diesel(table_name = root_locations)]
pub(crate) struct NewLocation<'a> {
    pub root_id: i64,
    pub machine: &'a str,
    pub path: &'a str,
    pub updated_ms: i64,
}

/// A file as the catalogue knows it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = files)]
pub struct FileRow {
    /// Row id: the file's identity, kept across moves and renames.
    pub id: i64,
    /// Its root.
    pub root_id: i64,
    /// Relative path (`/`, NFC, bad bytes escaped).
    pub rel_path: String,
    /// xxh3 of `rel_path`.
    pub path_key: i64,
    /// xxh3 of the folder part.
    pub dir_key: i64,
    /// Exact name bytes when `rel_path` is not exact.
    pub raw_path: Option<Vec<u8>>,
    /// Bytes.
    pub size: i64,
    /// Modification time (ns).
    pub mtime_ns: i64,
    /// xxh3-64 of the content (bits as i64).
    pub content_hash: Option<ContentHash>,
    /// image, raw, video, sidecar, other.
    pub kind: Kind,
    /// jpeg, heic, cr2…
    pub format: Format,
    /// Stored pixel width.
    pub width: Option<i32>,
    /// Stored pixel height.
    pub height: Option<i32>,
    /// The moment it belongs to.
    pub capture_id: Option<i64>,
    /// First scan that saw it.
    pub first_seen_ms: i64,
    /// Last scan that saw it.
    pub last_seen_ms: i64,
    /// Gone from disk (kept: it may hold the user's work).
    pub missing: bool,
    /// Last problem reading it.
    pub error: Option<String>,
}

/// A file to insert.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = files, treat_none_as_default_value = false)]
pub struct NewFile {
    /// Its root.
    pub root_id: i64,
    /// Relative path text.
    pub rel_path: String,
    /// Key of `rel_path`.
    pub path_key: i64,
    /// Key of the folder.
    pub dir_key: i64,
    /// Exact bytes when needed.
    pub raw_path: Option<Vec<u8>>,
    /// Bytes.
    pub size: i64,
    /// mtime (ns).
    pub mtime_ns: i64,
    /// Content hash.
    pub content_hash: Option<ContentHash>,
    /// Kind.
    pub kind: Kind,
    /// Format.
    pub format: Format,
    /// Width.
    pub width: Option<i32>,
    /// Height.
    pub height: Option<i32>,
    /// Capture.
    pub capture_id: Option<i64>,
    /// First seen.
    pub first_seen_ms: i64,
    /// Last seen.
    pub last_seen_ms: i64,
    /// Missing flag.
    pub missing: bool,
    /// Error.
    pub error: Option<String>,
}

/// A moment: the EXIF that RAW, JPEG and edits of one shot share.
#[derive(Debug, Clone, Default, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = captures, treat_none_as_default_value = false)]
pub struct CaptureFields {
    /// Local wall-clock time, ms.
    pub taken_local_ms: Option<i64>,
    /// Whether sub-seconds were recorded.
    pub taken_has_ms: bool,
    /// UTC offset in minutes.
    pub taken_offset_min: Option<i32>,
    /// Camera maker.
    pub make: Option<String>,
    /// Camera model.
    pub model: Option<String>,
    /// Body serial.
    pub serial: Option<String>,
    /// Lens.
    pub lens: Option<String>,
    /// Focal length, mm.
    pub focal_length_mm: Option<f64>,
    /// f-number.
    pub f_number: Option<f64>,
    /// Seconds.
    pub exposure_time_s: Option<f64>,
    /// ISO.
    pub iso: Option<i64>,
    /// Latitude.
    pub gps_lat: Option<f64>,
    /// Longitude.
    pub gps_lon: Option<f64>,
    /// Altitude.
    pub gps_alt: Option<f64>,
    /// EXIF orientation.
    pub orientation: Option<i32>,
    /// Stars (from XMP for now).
    pub rating: Option<i32>,
    /// Colour label.
    pub label: Option<String>,
    /// +1 pick, −1 reject.
    pub pick: Option<i32>,
}

/// A capture row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = captures)]
pub struct CaptureRow {
    /// Row id.
    pub id: i64,
    /// Its fields.
    #[diesel(embed)]
    pub fields: CaptureFields,
}

#[derive(Insertable)]
#[diesel(table_name = captures, treat_none_as_default_value = false)]
pub(crate) struct NewCapture {
    #[diesel(embed)]
    pub fields: CaptureFields,
    pub created_ms: i64,
}

/// A link between two files.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = file_relations)]
pub struct Relation {
    /// The file the relation is about (the edit, the JPEG, the sidecar).
    pub file_id: i64,
    /// The file it points to (the original, the RAW, the photo).
    pub other_file_id: i64,
    /// What links them.
    pub kind: RelationKind,
    /// Which evidence made it: same_stem, editor_suffix, pixel_name,
    /// capture_time_serial, xmp_derived_from, content_hash.
    pub signal_name: String,
    /// 0–1.
    pub confidence: f64,
}

/// One audited scan.
#[derive(Debug, Clone, Default, Queryable, Selectable)]
#[diesel(table_name = scans)]
pub struct ScanRow {
    /// Row id.
    pub id: i64,
    /// Which machine ran it.
    pub machine: String,
    /// Start.
    pub started_ms: i64,
    /// End (None while running or when killed).
    pub finished_ms: Option<i64>,
    /// running, done, cancelled.
    pub status: String,
    /// Files seen.
    pub seen: i64,
    /// New files.
    pub new_files: i64,
    /// Changed files.
    pub changed: i64,
    /// Unchanged files.
    pub unchanged: i64,
    /// Moved files.
    pub moved: i64,
    /// Files gone missing.
    pub missing: i64,
    /// Problems recorded.
    pub errors: i64,
}

/// A taxonomy node as imported.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = taxonomy_nodes, treat_none_as_default_value = false)]
pub struct NewTaxon {
    /// Set by the importer.
    pub taxonomy_id: i64,
    /// The source's id (taxonID).
    pub external_id: String,
    /// The parent's source id.
    pub parent_external_id: Option<String>,
    /// Name.
    pub name: String,
    /// Rank (species, genus, family…).
    pub taxon_rank: Option<String>,
    /// accepted, synonym…
    pub status: Option<String>,
    /// The name as searched ([`taxon_key`]).
    pub name_key: Option<String>,
}

/// A name as the catalogue searches it: trimmed, lower case (Unicode), at
/// most 190 characters (the indexed column's width on MariaDB).
pub fn taxon_key(name: &str) -> String {
    name.trim().to_lowercase().chars().take(190).collect()
}

/// A taxonomy as listed.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = taxonomies)]
pub struct Taxonomy {
    /// Row id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// dwc or csv.
    pub source_format: String,
    /// xxh3 of the imported file: its version.
    pub source_hash: ContentHash,
    /// Nodes imported.
    pub node_count: i64,
    /// When.
    pub imported_ms: i64,
}

//! What the CLI (and later the app) shows of a file: one DTO built from
//! catalogue rows, never the rows themselves.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use hma_catalog::{CaptureFields, Catalog, FileRow};
use hma_media::{ContentHash, RelPath, TakenAt};
use serde::Serialize;

use crate::{EngineError, Result};

/// EXIF as shown.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ExifReport {
    /// ISO 8601, with sub-seconds and offset when known.
    pub taken_at: Option<String>,
    /// Camera maker.
    pub make: Option<String>,
    /// Camera model.
    pub model: Option<String>,
    /// Body serial.
    pub serial: Option<String>,
    /// Lens.
    pub lens: Option<String>,
    /// mm.
    pub focal_length_mm: Option<f64>,
    /// f-number.
    pub f_number: Option<f64>,
    /// Seconds.
    pub exposure_time_s: Option<f64>,
    /// ISO.
    pub iso: Option<i64>,
    /// Degrees and metres.
    pub gps: Option<GpsReport>,
    /// 1–8.
    pub orientation: Option<i32>,
}

/// A position.
#[derive(Debug, Clone, Serialize)]
pub struct GpsReport {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Altitude.
    pub alt: Option<f64>,
}

/// The culling state and keywords of a file's capture: decided here (the
/// app, `hma mark`) over what its XMP says, as the lightbox shows it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FlagsReport {
    /// Stars.
    pub rating: Option<i32>,
    /// Colour label (lower case).
    pub label: Option<String>,
    /// +1 pick, −1 reject (None: unflagged).
    pub pick: Option<i32>,
    /// Keywords.
    pub keywords: Vec<String>,
}

/// A relation as shown.
#[derive(Debug, Clone, Serialize)]
pub struct RelationReport {
    /// raw_jpeg_pair, edit_of, sidecar_of, same_content.
    pub kind: hma_catalog::RelationKind,
    /// "to": this file is the edit/JPEG/sidecar of `other`; "from": `other` is.
    pub direction: &'static str,
    /// The other file's path.
    pub other: String,
    /// The evidence.
    pub signal: String,
    /// 0–1.
    pub confidence: f64,
}

/// A file as `hma show` / `hma ls` print it.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    /// The file's catalogue id (stable across moves and renames).
    pub id: i64,
    /// Absolute path on this machine.
    pub path: String,
    /// Root name.
    pub root: String,
    /// Bytes.
    pub size: i64,
    /// xxh3-64, hex.
    pub hash: Option<String>,
    /// image, raw, video, sidecar, other.
    pub kind: hma_media::Kind,
    /// jpeg, heic, cr2…
    pub format: hma_media::Format,
    /// Stored pixel width.
    pub width: Option<i32>,
    /// Stored pixel height.
    pub height: Option<i32>,
    /// The capture (moment) it belongs to.
    pub capture_id: Option<i64>,
    /// Gone from disk.
    pub missing: bool,
    /// Last problem reading it.
    pub error: Option<String>,
    /// First seen, ms since the epoch.
    pub first_seen_ms: i64,
    /// Last seen, ms since the epoch.
    pub last_seen_ms: i64,
    /// Camera metadata (of its capture).
    pub exif: ExifReport,
    /// Ratings, labels, keywords.
    pub flags: FlagsReport,
    /// Links to other files.
    pub relations: Vec<RelationReport>,
}

/// Maps catalogue rows to paths on this machine.
#[derive(Debug)]
pub struct Places {
    roots: HashMap<i64, (String, Option<PathBuf>)>,
    last_scan: HashMap<i64, i64>,
}

impl Places {
    /// Loads the roots and their locations on `machine`.
    pub fn load(cat: &mut Catalog, machine: &str) -> Result<Places> {
        let all = cat.roots(machine)?;
        let last_scan = all.iter().filter_map(|(r, _)| Some((r.id, r.last_scan_ms?))).collect();
        let roots = all.into_iter().map(|(r, loc)| (r.id, (r.name, loc.map(PathBuf::from)))).collect();
        Ok(Places { roots, last_scan })
    }

    /// The path of a row on this machine (`root-name:relative` when the root
    /// has no location here).
    pub fn path_of(&self, f: &FileRow) -> String {
        self.path_in(f.root_id, &f.rel_path)
    }

    /// The path of `rel_path` under root `root_id` on this machine.
    pub fn path_in(&self, root_id: i64, rel_path: &str) -> String {
        match self.roots.get(&root_id) {
            Some((_, Some(base))) => {
                let rp = RelPath { text: rel_path.to_string(), raw: None };
                rp.to_os_path(base).to_string_lossy().into_owned()
            }
            Some((name, None)) => format!("{name}:{rel_path}"),
            None => rel_path.to_string(),
        }
    }

    /// The exact path on disk (raw bytes when the name is not UTF-8).
    pub fn os_path_of(&self, f: &FileRow) -> Option<PathBuf> {
        let (_, base) = self.roots.get(&f.root_id)?;
        Some(RelPath { text: f.rel_path.clone(), raw: f.raw_path.clone() }.to_os_path(base.as_ref()?))
    }

    /// The exact path on disk of a root-relative path (None when the root
    /// is not connected to this machine).
    pub fn os_path(&self, root_id: i64, rel_path: &str, raw: Option<&[u8]>) -> Option<PathBuf> {
        let (_, base) = self.roots.get(&root_id)?;
        Some(RelPath { text: rel_path.to_string(), raw: raw.map(<[u8]>::to_vec) }.to_os_path(base.as_ref()?))
    }

    /// Where a root is on this machine (None when it is not connected here).
    pub fn root_path(&self, root_id: i64) -> Option<PathBuf> {
        self.roots.get(&root_id)?.1.clone()
    }

    /// Root name.
    pub fn root_name(&self, id: i64) -> String {
        self.roots.get(&id).map(|r| r.0.clone()).unwrap_or_default()
    }

    /// Which root and relative path an absolute path falls under (longest
    /// root wins).
    pub fn locate(&self, path: &Path) -> Option<(i64, RelPath)> {
        self.roots
            .iter()
            .filter_map(|(id, (_, base))| {
                let base = base.as_ref()?;
                let rel = match path.strip_prefix(base) {
                    Ok(rel) => RelPath::from_relative(rel),
                    // Windows: D:\Photos holds d:/photos/x.jpg and \\?\D:\Photos\x.jpg too.
                    Err(_) if cfg!(windows) => {
                        let text =
                            hma_media::portable::relative_to(&base.to_string_lossy(), &path.to_string_lossy(), true)?;
                        RelPath::from_relative(Path::new(&text))
                    }
                    Err(_) => return None,
                };
                Some((base.components().count(), *id, rel))
            })
            .max_by_key(|(depth, ..)| *depth)
            .map(|(_, id, rel)| (id, rel))
    }
}

/// EXIF as shown, from capture fields.
pub fn exif_report(c: &CaptureFields) -> ExifReport {
    ExifReport {
        taken_at: c.taken_local_ms.map(|ms| TakenAt::from_local_ms(ms, c.taken_has_ms, c.taken_offset_min).to_iso()),
        make: c.make.clone(),
        model: c.model.clone(),
        serial: c.serial.clone(),
        lens: c.lens.clone(),
        focal_length_mm: c.focal_length_mm,
        f_number: c.f_number,
        exposure_time_s: c.exposure_time_s,
        iso: c.iso,
        gps: match (c.gps_lat, c.gps_lon) {
            (Some(lat), Some(lon)) => Some(GpsReport { lat, lon, alt: c.gps_alt }),
            _ => None,
        },
        orientation: c.orientation,
    }
}

/// Builds reports for a page of rows with a handful of batched queries.
pub fn reports(cat: &mut Catalog, places: &Places, rows: &[FileRow]) -> Result<Vec<FileReport>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let cap_ids: Vec<i64> = rows.iter().filter_map(|r| r.capture_id).collect();
    let caps: HashMap<i64, CaptureFields> =
        cat.captures_by_ids(&cap_ids)?.into_iter().map(|c| (c.id, c.fields)).collect();
    let decisions: HashMap<i64, hma_catalog::DecisionRow> =
        cat.decisions_of(&cap_ids)?.into_iter().map(|d| (d.capture_id, d)).collect();
    let rels = cat.relations_for(&ids)?;
    let other_ids: Vec<i64> =
        rels.iter().flat_map(|r| [r.file_id, r.other_file_id]).filter(|id| !ids.contains(id)).collect();
    let mut paths: HashMap<i64, String> = rows.iter().map(|r| (r.id, places.path_of(r))).collect();
    for f in cat.files_by_ids(&other_ids)? {
        paths.insert(f.id, places.path_of(&f));
    }
    let mut kw_cache: HashMap<i64, Vec<String>> = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let cap = r.capture_id.and_then(|c| caps.get(&c)).cloned().unwrap_or_default();
        let keywords = match r.capture_id {
            Some(c) => match kw_cache.get(&c) {
                Some(k) => k.clone(),
                None => {
                    let k: Vec<String> = cat.keywords(c)?.into_iter().map(|(k, _)| k).collect();
                    kw_cache.insert(c, k.clone());
                    k
                }
            },
            None => vec![],
        };
        let relations = rels
            .iter()
            .filter(|x| x.file_id == r.id || x.other_file_id == r.id)
            .map(|x| {
                let (direction, other) = if x.file_id == r.id { ("to", x.other_file_id) } else { ("from", x.file_id) };
                RelationReport {
                    kind: x.kind,
                    direction,
                    other: paths.get(&other).cloned().unwrap_or_default(),
                    signal: x.signal_name.clone(),
                    confidence: x.confidence,
                }
            })
            .collect();
        out.push(FileReport {
            id: r.id,
            path: paths.get(&r.id).cloned().unwrap_or_default(),
            root: places.root_name(r.root_id),
            size: r.size,
            hash: r.content_hash.map(ContentHash::to_hex),
            kind: r.kind,
            format: r.format.clone(),
            width: r.width,
            height: r.height,
            capture_id: r.capture_id,
            missing: r.missing,
            error: r.error.clone(),
            first_seen_ms: r.first_seen_ms,
            // A present file was seen by its root's last complete scan.
            last_seen_ms: match (r.missing, places.last_scan.get(&r.root_id)) {
                (false, Some(&t)) => r.last_seen_ms.max(t),
                _ => r.last_seen_ms,
            },
            flags: {
                let d = r.capture_id.and_then(|c| decisions.get(&c));
                let m = crate::marks::Marks::of(d, r.capture_id.map(|_| &cap));
                FlagsReport {
                    rating: (m.rating > 0 || cap.rating.is_some() || m.decided.rating.is_some())
                        .then_some(m.rating as i32),
                    label: m.label,
                    pick: (m.flag != 0).then_some(m.flag as i32),
                    keywords,
                }
            },
            exif: exif_report(&cap),
            relations,
        });
    }
    Ok(out)
}

/// The catalogue row of a path on this machine.
pub fn find_file(cat: &mut Catalog, places: &Places, path: &Path) -> Result<FileRow> {
    let abs = std::path::absolute(path).map_err(|e| EngineError::Io { path: path.display().to_string(), source: e })?;
    let candidates = [Some(abs.clone()), std::fs::canonicalize(&abs).ok()];
    for p in candidates.into_iter().flatten() {
        if let Some((root, rel)) = places.locate(&p) {
            if let Some(f) = cat.file_by_key(root, rel.key())? {
                return Ok(f);
            }
        }
    }
    Err(EngineError::NotFound(format!("{} is not in the catalogue (is its folder added and scanned?)", path.display())))
}

/// One step of a file's content history.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryStep {
    pub hash: String,
    pub size: i64,
    pub seen_ms: i64,
}

/// Everything the catalogue knows about one file (`hma show`).
#[derive(Debug, Clone, Serialize)]
pub struct FileDetail {
    #[serde(flatten)]
    pub file: FileReport,
    /// Scores and why, recomputed from the stored measurements as `top` does.
    pub quality: Option<crate::rank::QualityReport>,
    pub group: Option<crate::rank::GroupRef>,
    pub detections: Vec<crate::detect::DetectionReport>,
    /// The faces found (`hma faces`), best first, in pixels of the picture
    /// as displayed.
    pub faces: Vec<crate::faces::FaceReport>,
    /// Whether the faces model looked at it (without error): `faces:0`
    /// means looked at and none found.
    pub faces_looked_at: bool,
    /// The pets named in it (`hma people pet`).
    pub pets: Vec<crate::people::PetReport>,
    /// The culling state (the same answer as `flags`, with what was decided here).
    pub marks: Option<crate::marks::Marks>,
    /// Where it was taken (from its GPS position, offline), null without
    /// GPS or when the position has no place.
    pub place: Option<crate::places::Place>,
    /// Its capture's tags, `taxonomy:path/to/node` (keywords, places,
    /// people, species…).
    pub tags: Vec<String>,
    pub history: Vec<HistoryStep>,
}

/// The detail of the catalogued file at `path`.
pub fn file_detail(cat: &mut Catalog, places: &Places, path: &Path) -> Result<FileDetail> {
    let row = find_file(cat, places, path)?;
    let history = cat
        .history(row.id)?
        .into_iter()
        .map(|h| HistoryStep { hash: h.content_hash.to_hex(), size: h.size, seen_ms: h.seen_ms })
        .collect();
    let file = reports(cat, places, std::slice::from_ref(&row))?.remove(0);
    let group = cat.group_of_file(row.id)?.map(|(g, rank)| crate::rank::GroupRef {
        id: g.id,
        kind: g.kind,
        rank,
        size: g.size,
    });
    let faces_looked_at = match row.content_hash {
        Some(h) => cat.face_run(h, crate::faces::MODEL_ID)?.is_some_and(|r| r.error.is_none()),
        None => false,
    };
    let (quality, detections, faces, pets) = match row.content_hash {
        Some(h) => {
            let found = crate::scoring::found_of(cat, h)?;
            let quality = cat.analysis(h)?.map(|a| {
                let mut q = crate::rank::quality_report(&a, file.exif.iso, found.as_ref());
                if let Some(g) = &group {
                    q.explain.push(crate::rank::group_line(g));
                }
                q
            });
            (
                quality,
                crate::detect::detections_of(cat, h)?,
                crate::faces::faces_of(cat, h)?,
                crate::faces::pets_of(cat, h)?,
            )
        }
        None => (None, vec![], vec![], vec![]),
    };
    let marks = match row.capture_id {
        Some(c) => Some(crate::cull::marks_of(cat, c)?),
        None => None,
    };
    let place = file.exif.gps.as_ref().and_then(|g| crate::places::locate(g.lat, g.lon).ok());
    let tags = match row.capture_id {
        Some(c) => crate::tags::tags_of(cat, c)?,
        None => vec![],
    };
    Ok(FileDetail { file, quality, group, detections, faces, faces_looked_at, pets, marks, place, tags, history })
}

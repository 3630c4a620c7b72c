//! The scan job: walk each root, skip what is unchanged without reading a
//! byte, read what is new or changed, and keep the catalogue in step.
//!
//! Shape (after czkawka's funnel): one walker thread stats files and checks
//! them against the root's index (size + mtime); `threads` readers hash and
//! parse new and changed files (each with one reused buffer); this thread is
//! the only writer and commits every [`BATCH_FILES`] results in a
//! transaction. Memory is bounded by the channels and the index.
//!
//! A killed scan loses nothing: committed batches stay, the next scan finds
//! those files unchanged, and nothing is marked missing or moved unless the
//! walk of a root completed. A file that vanished from one place while the
//! same content appeared at another keeps its row (its identity and all that
//! hangs on it) and is reported as moved.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crossbeam_channel::bounded;
use hma_catalog::{Catalog, ContentUpdate, FileRow, IndexEntry, NewFile, NewPlace, Relation, Root, ScanRow};
use hma_media::inspect::inspect_whole;
use hma_media::walk::{walk, Found, WalkItem};
use hma_media::{inspect, ContentHash, Facts, Kind};
use serde::Serialize;

use crate::capture::{capture_fields, fill_gaps};
use crate::import::{LookSummary, Looked, Looker};
use crate::{EngineError, JobContext, Result};

/// Results written per transaction.
pub const BATCH_FILES: usize = 256;

/// What a scan did, in files.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ScanSummary {
    /// Files found under the roots (media and sidecars).
    pub seen: u64,
    /// Files catalogued for the first time.
    pub new: u64,
    /// Files whose size or mtime changed (read again).
    pub changed: u64,
    /// Files skipped because size and mtime were unchanged.
    pub unchanged: u64,
    /// Files found at a new path with content the catalogue knew.
    pub moved: u64,
    /// Files the catalogue knew that are gone (kept, marked missing).
    pub missing: u64,
    /// Files and folders that could not be read or are damaged.
    pub errors: u64,
    /// Non-media files passed over.
    #[serde(skip)]
    pub ignored: u64,
    /// True when the scan was cancelled before it finished.
    #[serde(skip)]
    pub cancelled: bool,
    /// True when the scan wrote to the files table.
    #[serde(skip)]
    pub wrote: bool,
}

impl std::ops::AddAssign for ScanSummary {
    fn add_assign(&mut self, o: Self) {
        self.seen += o.seen;
        self.new += o.new;
        self.changed += o.changed;
        self.unchanged += o.unchanged;
        self.moved += o.moved;
        self.missing += o.missing;
        self.errors += o.errors;
        self.ignored += o.ignored;
        self.cancelled |= o.cancelled;
        self.wrote |= o.wrote;
    }
}

struct Job {
    found: Found,
    existing: Option<IndexEntry>,
}

enum Msg {
    Read {
        found: Found,
        existing: Option<IndexEntry>,
        result: std::result::Result<Box<Facts>, String>,
        /// What `import` found in the picture while its bytes were in memory.
        looked: Option<Box<Looked>>,
    },
    Returned {
        found: Found,
        id: i64,
    },
    Problem {
        rel: String,
        message: String,
    },
}

/// The job mark that is 1 from a scan's start until its places, keywords
/// and events are done.
const FOLLOW_UPS: &str = "scan_follow_ups";

/// Scans the named roots (all roots when `names` is empty).
pub fn scan(cat: &mut Catalog, names: &[String], ctx: &JobContext) -> Result<ScanSummary> {
    scan_with(cat, names, ctx, None).map(|(sum, _)| sum)
}

/// Scans, and with a `looker` (`hma import`) also runs the content stages
/// on each new picture's bytes while the reader holds them: one read a file.
pub(crate) fn scan_with(
    cat: &mut Catalog,
    names: &[String],
    ctx: &JobContext,
    looker: Option<&Looker>,
) -> Result<(ScanSummary, LookSummary)> {
    crate::roots::check_our_places(cat, ctx)?;
    let roots = cat.roots(&ctx.machine)?;
    for n in names {
        if !roots.iter().any(|(r, _)| &r.name == n) {
            return Err(EngineError::NotFound(format!("no root named '{n}' (see `hma root list`)")));
        }
    }
    let selected: Vec<_> = roots.into_iter().filter(|(r, _)| names.is_empty() || names.contains(&r.name)).collect();
    let scan_id = cat.begin_scan(&ctx.machine, ctx.now())?;
    // Kept counts go stale while we write; a kill leaves them marked so.
    let stats_were_current = cat.stats_current()?;
    cat.mark_stats_dirty()?;
    // Places, keywords and events follow what a scan wrote. A scan killed
    // or cancelled after writing files leaves this mark set, so the next
    // scan does them even when it finds nothing new (found by the crash
    // campaign: a killed scan's files never got their events).
    let follow_ups_pending = cat.job_mark(FOLLOW_UPS)? != 0;
    cat.set_job_mark(FOLLOW_UPS, 1)?;
    let mut total = ScanSummary::default();
    let mut looked = LookSummary::default();
    for (root, loc) in selected {
        let problem = match &loc {
            None => Some("this root has no location on this machine; set one with `hma root relocate`".to_string()),
            Some(p) if !Path::new(p).is_dir() => {
                Some("root folder not reachable (drive unplugged?); its files were not marked missing".to_string())
            }
            _ => None,
        };
        if let Some(message) = problem {
            tracing::warn!(root = root.id, "{message}");
            cat.add_problems(scan_id, root.id, &[(String::new(), message)])?;
            total.errors += 1;
            continue;
        }
        let base = loc.unwrap_or_default();
        let s = scan_root(cat, &root, Path::new(&base), scan_id, ctx, looker, &mut looked)?;
        tracing::info!(
            root = root.id,
            seen = s.seen,
            new = s.new,
            changed = s.changed,
            moved = s.moved,
            errors = s.errors,
            "root scanned"
        );
        total += s;
        if total.cancelled {
            break;
        }
    }
    // A cancelled scan leaves the follow-ups pending for the next one.
    if !total.cancelled {
        if total.wrote || follow_ups_pending {
            // New GPS positions get their place, new XMP keywords their
            // tags, new and changed times their events.
            crate::places::update(cat, ctx)?;
            crate::tags::sync_keywords(cat, ctx)?;
            crate::events::update(cat, ctx)?;
        }
        cat.set_job_mark(FOLLOW_UPS, 0)?;
    }
    if total.wrote || !stats_were_current {
        cat.refresh_stats(ctx.now())?;
    } else {
        cat.mark_stats_clean()?;
    }
    cat.finish_scan(&ScanRow {
        id: scan_id,
        machine: ctx.machine.clone(),
        started_ms: 0,
        finished_ms: Some(ctx.now()),
        status: if total.cancelled { "cancelled".into() } else { "done".into() },
        seen: total.seen as i64,
        new_files: total.new as i64,
        changed: total.changed as i64,
        unchanged: total.unchanged as i64,
        moved: total.moved as i64,
        missing: total.missing as i64,
        errors: total.errors as i64,
    })?;
    Ok((total, looked))
}

fn scan_root(
    cat: &mut Catalog,
    root: &Root,
    base: &Path,
    scan_id: i64,
    ctx: &JobContext,
    looker: Option<&Looker>,
    looked: &mut LookSummary,
) -> Result<ScanSummary> {
    let started = ctx.now();
    let index: HashMap<i64, IndexEntry> = cat.file_index(root.id)?.into_iter().map(|e| (e.path_key, e)).collect();
    ctx.progress.stage(if looker.is_some() { "import" } else { "scan" }, None);
    let (job_tx, job_rx) = bounded::<Job>(1024);
    let (msg_tx, msg_rx) = bounded::<Msg>(1024);
    let mut writer = Writer::new(root.id, scan_id, ctx, looker, looked, base);
    // Every file is read through this (when the root cannot be opened, the
    // walk says so and finds nothing).
    let beneath = hma_media::beneath::Beneath::new(base).ok();
    let beneath = &beneath;
    let (leftover, walked) = std::thread::scope(|s| -> Result<(HashMap<i64, IndexEntry>, ScanSummary)> {
        let walker = {
            let msg_tx = msg_tx.clone();
            s.spawn(move || {
                let mut index = index;
                let mut sum = ScanSummary::default();
                walk(base, ctx.threads.max(1), &ctx.cancel, |item| match item {
                    WalkItem::File(found) => {
                        sum.seen += 1;
                        match index.remove(&found.rel.key()) {
                            Some(e) if e.size == found.size as i64 && e.mtime_ns == found.mtime_ns => {
                                if e.missing {
                                    let _ = msg_tx.send(Msg::Returned { found, id: e.id });
                                } else {
                                    sum.unchanged += 1;
                                    ctx.progress.advance(1);
                                }
                            }
                            existing => {
                                let _ = job_tx.send(Job { found, existing });
                            }
                        }
                    }
                    WalkItem::Problem(p) => {
                        let _ = msg_tx.send(Msg::Problem { rel: p.rel, message: p.message });
                    }
                    WalkItem::Ignored => sum.ignored += 1,
                });
                (index, sum)
            })
        };
        for _ in 0..ctx.threads.max(1) {
            let rx = job_rx.clone();
            let tx = msg_tx.clone();
            s.spawn(move || {
                let mut buf = Vec::new();
                for job in rx {
                    if ctx.cancelled() {
                        continue; // drain without reading
                    }
                    // Opened beneath the root: a link that leads out (put
                    // there since the walk saw the folder) is not read.
                    let file = match beneath.as_ref().map(|b| b.open(&job.found.path)) {
                        Some(Ok(f)) => f,
                        Some(Err(e)) => {
                            let result = Err(hma_media::inspect::InspectError::Io(e).to_string());
                            if tx
                                .send(Msg::Read { found: job.found, existing: job.existing, result, looked: None })
                                .is_err()
                            {
                                break;
                            }
                            continue;
                        }
                        None => continue,
                    };
                    // The buffer is kept between files (at most 64 MiB a
                    // reader: larger files are streamed): no page faults and
                    // no zero-filling after the first large file.
                    let (result, looked) = match looker {
                        None => (inspect(file, &job.found.name, &mut buf), None),
                        Some(l) => match inspect_whole(file, &job.found.name, &mut buf) {
                            Ok((facts, Some(len))) => {
                                let looked = l.look(&facts, &buf[..len], ctx.now());
                                (Ok(facts), looked)
                            }
                            Ok((facts, _)) => (Ok(facts), None),
                            Err(e) => (Err(e), None),
                        },
                    };
                    if let Ok(f) = &result {
                        ctx.read_bytes.fetch_add(f.size, Ordering::Relaxed);
                    }
                    let result = result.map(Box::new).map_err(|e| e.to_string());
                    if tx.send(Msg::Read { found: job.found, existing: job.existing, result, looked }).is_err() {
                        break;
                    }
                }
            });
        }
        drop(msg_tx);
        drop(job_rx);
        let written = (|| -> Result<()> {
            let mut batch = Vec::with_capacity(BATCH_FILES);
            let mut last = Instant::now();
            for msg in &msg_rx {
                batch.push(msg);
                if batch.len() >= BATCH_FILES || last.elapsed() > Duration::from_secs(2) {
                    writer.flush(cat, &mut batch)?;
                    last = Instant::now();
                }
            }
            writer.flush(cat, &mut batch)
        })();
        if written.is_err() {
            // Stop the walker and readers, and let them finish their sends.
            ctx.cancel.store(true, Ordering::Relaxed);
            for _ in &msg_rx {}
        }
        let walked = walker.join().map_err(|_| EngineError::Internal("walker thread panicked".into()))?;
        written?;
        Ok(walked)
    })?;
    let mut sum = writer.sum;
    sum.seen = walked.seen;
    sum.unchanged += walked.unchanged;
    sum.ignored = walked.ignored;
    if ctx.cancelled() {
        sum.cancelled = true;
        return Ok(sum);
    }
    // The walk completed: what was not seen has moved or gone.
    let gone: Vec<i64> = leftover.into_values().filter(|e| !e.missing).map(|e| e.id).collect();
    let now = ctx.now();
    let mut touched = writer.touched.clone();
    cat.transaction(|cat| -> Result<()> {
        let mut missing = Vec::new();
        for old in cat.files_by_ids(&gone)? {
            match old.content_hash.map(|h| moved_to(cat, &old, h, root.last_scan_ms)).transpose()?.flatten() {
                Some(newer) => {
                    take_place(cat, &old, &newer, now)?;
                    touched.insert(newer.dir_key);
                    sum.moved += 1;
                    sum.new = sum.new.saturating_sub(1);
                }
                None => missing.push(old.id),
            }
        }
        sum.missing += missing.len() as u64;
        sum.wrote |= !missing.is_empty() || sum.moved > 0;
        cat.mark_missing(&missing)?;
        // A group that held a file now gone gets its best from the rest.
        crate::groups::rerank_files(cat, &missing)?;
        cat.set_root_scanned(root.id, started)?;
        crate::link::link_dirs(cat, root.id, &touched, &HashMap::new(), &|_| None)
    })?;
    Ok(sum)
}

/// A present file with the same content that appeared since `old` was last
/// seen (the root's previous complete scan): where `old` moved to. A copy
/// that existed before is never taken for the move.
fn moved_to(cat: &mut Catalog, old: &FileRow, hash: ContentHash, last_scan: Option<i64>) -> Result<Option<FileRow>> {
    let since = last_scan.unwrap_or(old.last_seen_ms).max(old.last_seen_ms);
    Ok(cat.files_with_hash(hash)?.into_iter().find(|f| f.id != old.id && f.first_seen_ms > since))
}

/// `old` (the identity) takes the place of `newer` (a row made for the same
/// content at its new path), which is removed.
fn take_place(cat: &mut Catalog, old: &FileRow, newer: &FileRow, now: i64) -> Result<()> {
    let place = NewPlace {
        root_id: newer.root_id,
        rel_path: newer.rel_path.clone(),
        path_key: newer.path_key,
        dir_key: newer.dir_key,
        raw_path: newer.raw_path.clone(),
        mtime_ns: newer.mtime_ns,
    };
    cat.delete_new_file(newer.id)?;
    cat.move_file(old.id, &place, now)?;
    if let Some(c) = newer.capture_id.filter(|c| Some(*c) != old.capture_id) {
        cat.delete_capture_if_orphan(c)?;
    }
    Ok(())
}

/// Where a file found by the walk lives, as a catalogue place.
fn place_of(root_id: i64, found: &Found) -> NewPlace {
    let rel = &found.rel;
    NewPlace {
        root_id,
        rel_path: rel.text.clone(),
        path_key: rel.key(),
        dir_key: hma_media::path::dir_key(rel.dir()),
        raw_path: rel.raw.clone(),
        mtime_ns: found.mtime_ns,
    }
}

fn has_capture(kind: Kind) -> bool {
    matches!(kind, Kind::Image | Kind::Raw | Kind::Video)
}

struct Writer<'a> {
    root_id: i64,
    scan_id: i64,
    ctx: &'a JobContext,
    sum: ScanSummary,
    touched: HashSet<i64>,
    looker: Option<&'a Looker>,
    looked: &'a mut LookSummary,
    /// The root's folder on this machine.
    base: &'a Path,
    /// When this root's scan started.
    started: i64,
}

impl<'a> Writer<'a> {
    fn new(
        root_id: i64,
        scan_id: i64,
        ctx: &'a JobContext,
        looker: Option<&'a Looker>,
        looked: &'a mut LookSummary,
        base: &'a Path,
    ) -> Self {
        let started = ctx.now();
        Writer {
            root_id,
            scan_id,
            ctx,
            sum: ScanSummary::default(),
            touched: HashSet::new(),
            looker,
            looked,
            base,
            started,
        }
    }

    /// Writes a batch of results in one transaction, then links the folders
    /// it touched (inside the same transaction, so a kill never leaves files
    /// written but unlinked).
    fn flush(&mut self, cat: &mut Catalog, batch: &mut Vec<Msg>) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let now = self.ctx.now();
        let mut sum = ScanSummary::default();
        let mut dirs = HashSet::new();
        let mut xmps = HashMap::new();
        let msgs = std::mem::take(batch);
        let n = msgs.len() as u64;
        let mut seen_by_looker = Vec::new();
        cat.transaction(|cat| -> Result<()> {
            let mut problems = Vec::new();
            for msg in msgs {
                match msg {
                    Msg::Problem { rel, message } => {
                        sum.errors += 1;
                        problems.push((rel, message));
                    }
                    Msg::Returned { found, id } => {
                        cat.move_file(id, &place_of(self.root_id, &found), now)?;
                        sum.unchanged += 1;
                    }
                    Msg::Read { found, existing, result, looked } => {
                        let dir_key = hma_media::path::dir_key(found.rel.dir());
                        dirs.insert(dir_key);
                        let (file_id, problem) = match existing {
                            Some(e) => self.changed(cat, &found, e, &result, now, &mut sum)?,
                            None => self.new_file(cat, &found, dir_key, &result, now, &mut sum)?,
                        };
                        if problem {
                            sum.errors += 1;
                        }
                        if let (Some(id), Ok(f)) = (file_id, &result) {
                            if let Some(x) = &f.xmp {
                                xmps.insert(id, x.clone());
                            }
                        }
                        if let Some(l) = looked {
                            seen_by_looker.push((found.path.display().to_string(), l));
                        }
                    }
                }
            }
            if let Some(looker) = self.looker {
                looker.write(cat, std::mem::take(&mut seen_by_looker), now, self.looked)?;
            }
            cat.add_problems(self.scan_id, self.root_id, &problems)?;
            // Sidecars of these folders with no photo yet (read in an
            // earlier batch or scan than their photo: a big file, or the
            // import analysing it) are read again by the linker, so a photo
            // arriving now gets their XMP. A few kilobytes each.
            let read_sidecar = |f: &FileRow| {
                let path =
                    hma_media::RelPath { text: f.rel_path.clone(), raw: f.raw_path.clone() }.to_os_path(self.base);
                let name = f.rel_path.rsplit('/').next().unwrap_or_default();
                let mut buf = Vec::new();
                let facts = hma_media::inspect::read_metadata(&path, name, &mut buf).ok()?;
                self.ctx.read_bytes.fetch_add(facts.size.min(buf.len() as u64), Ordering::Relaxed);
                facts.xmp
            };
            crate::link::link_dirs(cat, self.root_id, &dirs, &xmps, &read_sidecar)
        })?;
        self.ctx.progress.advance(n);
        sum.wrote = true;
        self.touched.extend(dirs);
        self.sum += sum;
        Ok(())
    }

    fn changed(
        &self,
        cat: &mut Catalog,
        found: &Found,
        e: IndexEntry,
        result: &std::result::Result<Box<Facts>, String>,
        now: i64,
        sum: &mut ScanSummary,
    ) -> Result<(Option<i64>, bool)> {
        let old = cat.file(e.id)?;
        sum.changed += 1;
        let update = match result {
            Err(msg) => ContentUpdate {
                size: found.size as i64,
                mtime_ns: old.mtime_ns, // keep: the next scan tries again
                content_hash: old.content_hash,
                kind: old.kind,
                format: old.format.clone(),
                width: old.width,
                height: old.height,
                error: Some(msg.clone()),
            },
            Ok(f) => ContentUpdate {
                size: f.size as i64,
                mtime_ns: found.mtime_ns,
                content_hash: Some(f.hash),
                kind: f.kind,
                format: f.format.clone(),
                width: f.width.map(|w| w as i32),
                height: f.height.map(|h| h as i32),
                error: f.problem.clone(),
            },
        };
        cat.update_content(e.id, &update, now)?;
        let Ok(f) = result else { return Ok((Some(e.id), true)) };
        if old.content_hash != Some(f.hash) {
            cat.record_history(e.id, f.hash, f.size as i64, found.mtime_ns, now, self.scan_id)?;
        }
        // Same photo, new bytes (metadata written in place, say): the
        // capture stays, its EXIF is refreshed.
        match old.capture_id {
            Some(cid) => {
                if let Some(mut c) = cat.capture(cid)? {
                    let keep = c.fields.clone();
                    let mut fresh = capture_fields(f.exif.as_ref());
                    fresh.rating = keep.rating;
                    fresh.label = keep.label.clone();
                    fresh.pick = keep.pick;
                    fill_gaps(&mut fresh, &keep);
                    c.fields = fresh;
                    cat.update_capture(cid, &c.fields)?;
                }
            }
            None if has_capture(f.kind) => {
                let cid = cat.insert_capture(&capture_fields(f.exif.as_ref()), now)?;
                cat.set_file_capture(e.id, Some(cid))?;
            }
            None => {}
        }
        Ok((Some(e.id), f.problem.is_some()))
    }

    fn new_file(
        &self,
        cat: &mut Catalog,
        found: &Found,
        dir_key: i64,
        result: &std::result::Result<Box<Facts>, String>,
        now: i64,
        sum: &mut ScanSummary,
    ) -> Result<(Option<i64>, bool)> {
        let rel = &found.rel;
        let mut row = NewFile {
            root_id: self.root_id,
            rel_path: rel.text.clone(),
            path_key: rel.key(),
            dir_key,
            raw_path: rel.raw.clone(),
            size: found.size as i64,
            mtime_ns: found.mtime_ns,
            content_hash: None,
            kind: Kind::Other,
            format: hma_media::Format::parse(
                &hma_media::sniff::extension(&found.name).unwrap_or_else(|| "unknown".into()),
            ),
            width: None,
            height: None,
            capture_id: None,
            // The scan's start: copies found by one scan were catalogued at
            // the same moment, whatever batch each landed in, so "catalogued
            // first" (the keeper of exact copies) means "by an earlier scan".
            first_seen_ms: self.started,
            last_seen_ms: now,
            missing: false,
            error: None,
        };
        let f = match result {
            Err(msg) => {
                row.error = Some(msg.clone());
                row.mtime_ns = -1; // never matches: the next scan reads it again
                cat.insert_files(&[row])?;
                sum.new += 1;
                return Ok((None, true));
            }
            Ok(f) => f,
        };
        let hash = f.hash;
        // Same content known already? A missing row is this file, moved.
        let same = cat.files_with_hash_any(hash)?;
        if let Some(gone) = same.iter().find(|r| r.missing) {
            cat.move_file(gone.id, &place_of(self.root_id, found), now)?;
            sum.moved += 1;
            return Ok((Some(gone.id), f.problem.is_some()));
        }
        row.content_hash = Some(hash);
        row.kind = f.kind;
        row.format = f.format.clone();
        row.width = f.width.map(|w| w as i32);
        row.height = f.height.map(|h| h as i32);
        row.error = f.problem.clone();
        let twin = same.iter().find(|r| r.capture_id.is_some());
        if has_capture(f.kind) {
            row.capture_id = match twin {
                Some(t) => t.capture_id,
                None => {
                    let mut fields = capture_fields(f.exif.as_ref());
                    if let Some(x) = &f.xmp {
                        fields.rating = x.rating;
                        fields.label = x.label.clone();
                        fields.pick = x.pick;
                    }
                    Some(cat.insert_capture(&fields, now)?)
                }
            };
        }
        let id = cat.insert_files(&[row])?[0];
        cat.record_history(id, hash, f.size as i64, found.mtime_ns, now, self.scan_id)?;
        if let Some(t) = twin.or(same.first()) {
            cat.add_relations(&[Relation {
                file_id: id,
                other_file_id: t.id,
                kind: hma_catalog::RelationKind::SameContent,
                signal_name: "content_hash".into(),
                confidence: 1.0,
            }])?;
        }
        sum.new += 1;
        Ok((Some(id), f.problem.is_some()))
    }
}

//! `hma worker`: one of several machines sharing the work of a MariaDB
//! catalogue. Each worker fills the queue with what the catalogue lacks
//! (`work_queue`, one row per content and stage), claims a batch at a time
//! (`FOR UPDATE SKIP LOCKED`, a lease in its name) of contents it can reach
//! through its own mount of their root, reads each file once, and stores
//! the results in one transaction that also takes the rows off the queue,
//! but only those still leased to it. So:
//!
//! - two workers never hold the same picture at once (a claim is a locked,
//!   leased row);
//! - a killed worker (kill -9, a machine asleep) loses at most its claimed
//!   batch: the rows come back when the lease ends, and another worker
//!   takes them;
//! - results are stored once: a worker whose lease ended before it stored
//!   a batch drops what another worker now has (counted as `lost`), and
//!   every write is keyed by content hash and model version, so storing
//!   again would change nothing anyway.
//!
//! A thread with its own connection renews the worker's leases and
//! heartbeat every third of the lease. A lost connection is retried with
//! backoff (a batch is one transaction: never stored by half). When there
//! is nothing left to claim, one worker at a time (a server lock) finishes
//! what needs the whole catalogue: scores made by older rules, the groups,
//! and who the faces are.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hma_catalog::{Catalog, ContentHash, Pending, WorkItem, WorkerRow};
use serde::Serialize;

use crate::analyze::Failure;
use crate::pipeline::Stage;
use crate::report::Places;
use crate::{EngineError, JobContext, Result};

/// Options of [`work`].
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// The stages this worker does (every one whose model is here by default).
    pub jobs: Vec<Stage>,
    /// How long a claim holds without a heartbeat.
    pub lease: Duration,
    /// Stop when the queue is empty (instead of waiting for new work).
    pub exit_when_idle: bool,
    /// Pictures claimed at a time.
    pub batch: usize,
    /// Loupe previews of JPEGs too.
    pub loupe: bool,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            jobs: Stage::ALL.to_vec(),
            lease: Duration::from_secs(60),
            exit_when_idle: false,
            batch: 16,
            loupe: false,
        }
    }
}

/// What a worker did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WorkerSummary {
    pub id: String,
    pub machine: String,
    pub jobs: Vec<Stage>,
    /// Batches claimed.
    pub batches: u64,
    /// Pictures whose results it stored, per stage.
    pub done: HashMap<String, u64>,
    /// Pictures stored as failed (undecodable, recorded with the error).
    pub failed: u64,
    pub failures: Vec<Failure>,
    /// Results dropped because the lease had ended and another worker had the picture.
    pub lost: u64,
    /// Pictures it claimed but could not read here (given back).
    pub unavailable: u64,
    /// Queue rows it found already done by another worker (taken off the queue).
    pub already: u64,
    /// Times the catalogue connection failed and was opened again.
    pub reconnects: u64,
    /// Times it finished the whole catalogue's work (groups, people).
    pub finishes: u64,
    pub cancelled: bool,
}

/// Each stage's name in the queue.
fn queue_name(stage: Stage) -> &'static str {
    stage.as_str()
}

fn pending(stage: Stage) -> Pending {
    match stage {
        Stage::Analyze => Pending::Analysis { version: hma_vision::ANALYSIS_VERSION },
        Stage::Detect => Pending::Detection { model: hma_detect::MODEL_ID.into(), version: hma_detect::DETECT_VERSION },
        Stage::Faces => Pending::Faces { model: crate::faces::MODEL_ID.into(), version: crate::faces::FACES_VERSION },
    }
}

/// The models a worker runs, loaded once.
struct Models {
    brisque: hma_vision::brisque::BrisqueModel,
    detector: Option<hma_detect::Detector>,
    faces: Option<crate::faces::FaceModels>,
}

/// A running worker: what it does, with what, under which name.
struct Worker<'a> {
    url: &'a str,
    ctx: &'a JobContext,
    opts: &'a WorkerOptions,
    jobs: Vec<Stage>,
    models: Models,
    coco: HashMap<String, i64>,
    id: String,
}

/// One picture's result for a stage.
enum Made {
    Analysis(Box<hma_catalog::AnalysisRow>),
    Objects(std::result::Result<crate::detect::Found, String>),
    Faces(std::result::Result<crate::faces::Found, String>),
}

/// A connection for a worker: reads committed rows, without gap locks.
fn open(url: &str) -> Result<Catalog> {
    let mut c = Catalog::open(url)?;
    c.read_committed()?;
    Ok(c)
}

/// Runs a worker until cancelled (or, with `exit_when_idle`, until the
/// queue is empty). `url` is the catalogue's (the heartbeat and reconnects
/// open their own connections).
pub fn work(url: &str, ctx: &JobContext, opts: &WorkerOptions) -> Result<WorkerSummary> {
    let mut cat = open(url)?;
    if cat.backend() != hma_catalog::Backend::Mysql {
        return Err(EngineError::Invalid(
            "an embedded SQLite catalogue belongs to one machine: `hma worker` shares a MariaDB catalogue \
             (--catalog mysql://…); here, run `hma analyze`"
                .into(),
        ));
    }
    crate::roots::check_our_places(&mut cat, ctx)?;
    let mut jobs = Vec::new();
    for &stage in &Stage::ALL {
        if opts.jobs.contains(&stage) {
            if let Some(why) = stage.missing(ctx) {
                return Err(EngineError::Model(why));
            }
            jobs.push(stage);
        }
    }
    let models = Models {
        brisque: crate::analyze::brisque_model(),
        detector: if jobs.contains(&Stage::Detect) {
            Some(crate::detect::load_detector(&ctx.models_dir)?)
        } else {
            None
        },
        faces: if jobs.contains(&Stage::Faces) { Some(crate::faces::load_face_models(&ctx.models_dir)?) } else { None },
    };
    let coco = if models.detector.is_some() { crate::detect::coco_nodes(&mut cat, ctx.now())? } else { HashMap::new() };
    let started = ctx.now();
    let id = format!("{}:{}:{started}", ctx.machine, std::process::id());
    let names: Vec<&str> = jobs.iter().map(|s| s.as_str()).collect();
    cat.register_worker(&WorkerRow {
        id: id.clone(),
        machine: ctx.machine.clone(),
        jobs: names.join(","),
        started_ms: started,
        heartbeat_ms: started,
        lease_ms: opts.lease.as_millis() as i64,
        state: "working".into(),
        stage: None,
        done: 0,
        failed: 0,
        lost: 0,
    })?;
    let mut sum =
        WorkerSummary { id: id.clone(), machine: ctx.machine.clone(), jobs: jobs.clone(), ..Default::default() };
    let lease_ms = opts.lease.as_millis() as i64;
    let worker = Worker { url, ctx, opts, jobs, models, coco, id: id.clone() };
    let stop = Arc::new(AtomicBool::new(false));
    let result = std::thread::scope(|s| {
        // The heartbeat: leases renewed every third of their length.
        let beat = {
            let (stop, id, ctx) = (stop.clone(), id.clone(), ctx.clone());
            s.spawn(move || heartbeat(url, &id, &ctx, lease_ms, &stop))
        };
        let r = worker.run(&mut cat, &mut sum);
        stop.store(true, Ordering::Relaxed);
        let _ = beat.join();
        r
    });
    sum.cancelled = ctx.cancelled();
    // A last word in the workers table (best effort: the connection may be the problem).
    let state = if result.is_ok() { "stopped" } else { "failed" };
    if let Ok(mut c) = Catalog::open(url) {
        let _ = c.worker_progress(&id, state, None, ctx.now(), (0, 0, 0));
    }
    result.map(|()| sum)
}

fn heartbeat(url: &str, id: &str, ctx: &JobContext, lease_ms: i64, stop: &AtomicBool) {
    let tick = Duration::from_millis((lease_ms / 3).clamp(100, 20_000) as u64);
    let mut cat: Option<Catalog> = None;
    while !stop.load(Ordering::Relaxed) {
        // Sleep in short steps, so stopping is quick.
        let until = std::time::Instant::now() + tick;
        while std::time::Instant::now() < until && !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(50));
        }
        if cat.is_none() {
            cat = open(url).ok();
        }
        if let Some(c) = cat.as_mut() {
            let now = ctx.now();
            if let Err(e) = c.renew_leases(id, now, now + lease_ms) {
                tracing::warn!("worker heartbeat failed, connecting again: {e}");
                cat = None;
            }
        }
    }
}

impl Worker<'_> {
    /// Claims and does batches until cancelled (or idle, with `exit_when_idle`).
    fn run(&self, cat: &mut Catalog, sum: &mut WorkerSummary) -> Result<()> {
        let Worker { url, ctx, opts, jobs, id, .. } = self;
        let mut places = Places::load(cat, &ctx.machine)?;
        let mut unfinished = false; // stored something since the last finish
        let mut backoff = Duration::from_millis(500);
        let mut failing_since: Option<std::time::Instant> = None;
        let mut idle_sleep = Duration::from_millis(200);
        ctx.progress.stage("worker", None);
        loop {
            if ctx.cancelled() {
                return Ok(());
            }
            let step = self.step(cat, &places, sum);
            let worked = match step {
                Ok(w) => {
                    failing_since = None;
                    backoff = Duration::from_millis(500);
                    w
                }
                // A deadlock with another worker: nothing was stored; again.
                Err(EngineError::Catalog(e)) if e.is_retryable() => {
                    // The batch was dropped: its rows go back to the queue.
                    tracing::debug!("transaction rolled back ({e}); again");
                    std::thread::sleep(Duration::from_millis(50));
                    cat.release_all_work(id)?;
                    continue;
                }
                Err(e) if e.is_connection_lost() => {
                    // Wait, open a new connection, go on. What was claimed and
                    // not stored comes back to the queue when its lease ends.
                    let since = *failing_since.get_or_insert_with(std::time::Instant::now);
                    if since.elapsed() > Duration::from_secs(300) {
                        return Err(e);
                    }
                    tracing::warn!("catalogue connection lost ({e}); trying again in {backoff:?}");
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                    if let Ok(mut c) = open(url) {
                        // The batch in hand was dropped: its rows go back to
                        // the queue (the heartbeat would keep them leased).
                        if c.release_all_work(id).is_ok() {
                            *cat = c;
                            sum.reconnects += 1;
                        }
                    }
                    continue;
                }
                Err(e) => return Err(e),
            };
            if worked {
                unfinished = true;
                idle_sleep = Duration::from_millis(200);
                continue;
            }
            // Nothing to claim: fill the queue from what the catalogue lacks
            // (new files scanned meanwhile, a root mounted here), then look again.
            places = Places::load(cat, &ctx.machine)?;
            let mut added = 0;
            for &stage in jobs {
                added += cat.fill_work_queue(queue_name(stage), &pending(stage))?;
            }
            if added > 0 {
                continue;
            }
            if unfinished && cat.try_named_lock("hma_finish")? {
                let r = finish(cat, ctx, jobs);
                cat.release_named_lock("hma_finish")?;
                r?;
                sum.finishes += 1;
                unfinished = false;
            }
            let now = ctx.now();
            if opts.exit_when_idle && cat.leased_by_others(id, now)? == 0 && !unfinished {
                // A row still waiting is one this machine cannot read (given
                // back for a while): other machines' work, or an unreadable file.
                return Ok(());
            }
            cat.worker_progress(id, "idle", None, now, (0, 0, 0))?;
            std::thread::sleep(idle_sleep);
            idle_sleep = (idle_sleep * 2).min(Duration::from_secs(5));
        }
    }

    /// Claims and does one batch of the first stage with work. False when no
    /// stage had any.
    fn step(&self, cat: &mut Catalog, places: &Places, sum: &mut WorkerSummary) -> Result<bool> {
        let Worker { ctx, opts, jobs, models, coco, id, .. } = self;
        let lease_ms = opts.lease.as_millis() as i64;
        for &stage in jobs {
            let now = ctx.now();
            let items =
                cat.claim_work(queue_name(stage), id, &ctx.machine, now, now + lease_ms, opts.batch.max(1) as i64)?;
            if items.is_empty() {
                continue;
            }
            sum.batches += 1;
            // Work another worker stored after this row was queued (a fill that
            // raced a store re-queues it): off the queue, not done again.
            let hashes: Vec<ContentHash> = items.iter().map(|it| it.content_hash).collect();
            let stored_already = match stage {
                Stage::Analyze => cat.analysed_hashes(&hashes, hma_vision::ANALYSIS_VERSION)?,
                Stage::Detect => cat.detected_hashes(&hashes, hma_detect::MODEL_ID, hma_detect::DETECT_VERSION)?,
                Stage::Faces => cat.faced_hashes(&hashes, crate::faces::MODEL_ID, crate::faces::FACES_VERSION)?,
            };
            let (already, items): (Vec<WorkItem>, Vec<WorkItem>) =
                items.into_iter().partition(|it| stored_already.contains(&it.content_hash));
            if !already.is_empty() {
                let ids: Vec<i64> = already.iter().map(|it| it.id).collect();
                cat.transaction(|c| c.finish_work(id, &ids))?;
                sum.already += already.len() as u64;
            }
            cat.worker_progress(id, "working", Some(stage.as_str()), now, (0, 0, 0))?;
            // Where each content is on this machine.
            let mut jobs_here: Vec<Job> = Vec::with_capacity(items.len());
            let mut away = Vec::new();
            for it in &items {
                let found = cat.files_with_hash(it.content_hash)?.into_iter().find_map(|f| {
                    Some(crate::detect::Job {
                        content_hash: it.content_hash,
                        path: Some(places.os_path_of(&f)?),
                        shown: places.path_in(f.root_id, &f.rel_path),
                        format: f.format,
                    })
                });
                match found {
                    Some(j) => jobs_here.push((it.id, j)),
                    None => away.push(it.id),
                }
            }
            let made = make(stage, &jobs_here, models, opts.loupe, ctx);
            let mut stored: Vec<(WorkItem, String, Made)> = Vec::new();
            for ((id, j), m) in jobs_here.iter().zip(made) {
                match m {
                    Ok(m) => stored.push((WorkItem { id: *id, content_hash: j.content_hash }, j.shown.clone(), m)),
                    Err(unreadable) => {
                        tracing::debug!("cannot read {}: {unreadable}", j.shown);
                        away.push(*id);
                    }
                }
            }
            sum.unavailable += away.len() as u64;
            if !away.is_empty() {
                // Free again in a minute (for a machine that can read it, or
                // this one once the drive is back).
                cat.release_work(id, &away, ctx.now() + 60_000)?;
            }
            let now = ctx.now();
            let ids: Vec<i64> = stored.iter().map(|(it, _, _)| it.id).collect();
            // One transaction: the results, the rows off the queue, the counts.
            // A deadlock with another worker rolls it all back: run it again.
            let mut tries = 0;
            let (done, failed, lost, failures) = loop {
                let r = cat.transaction(|c| -> Result<(u64, u64, u64, Vec<Failure>)> {
                    let mine: std::collections::HashSet<i64> = c.finish_work(id, &ids)?.into_iter().collect();
                    let lost = (ids.len() - mine.len()) as u64;
                    let kept: Vec<&(WorkItem, String, Made)> =
                        stored.iter().filter(|(it, _, _)| mine.contains(&it.id)).collect();
                    let (done, failed, failures) = store(c, stage, &kept, coco, now)?;
                    c.worker_progress(
                        id,
                        "working",
                        Some(stage.as_str()),
                        now,
                        (done as i64, failed as i64, lost as i64),
                    )?;
                    Ok((done, failed, lost, failures))
                });
                match r {
                    Err(EngineError::Catalog(e)) if e.is_retryable() && tries < 10 => {
                        tries += 1;
                        std::thread::sleep(Duration::from_millis(20 << tries.min(6)));
                    }
                    r => break r?,
                }
            };
            sum.failures.extend(failures);
            *sum.done.entry(stage.as_str().to_string()).or_default() += done;
            sum.failed += failed;
            sum.lost += lost;
            ctx.progress.advance(done);
            return Ok(true);
        }
        Ok(false)
    }
}

/// A claimed queue row and its picture on this machine.
type Job = (i64, crate::detect::Job);

/// Reads each picture once (still the content queued?) and runs the
/// stage on its bytes. Err: could not read it here (not recorded).
fn make(
    stage: Stage,
    jobs: &[Job],
    models: &Models,
    loupe: bool,
    ctx: &JobContext,
) -> Vec<std::result::Result<Made, String>> {
    let read = |(_, j): &Job, buf: &mut Vec<u8>| {
        let r = crate::detect::read_job(j, buf);
        ctx.read_bytes.fetch_add(buf.len() as u64, Ordering::Relaxed);
        r
    };
    match stage {
        // Measurements: a picture per thread.
        Stage::Analyze => crate::par_map(jobs, ctx.threads, |j, buf| {
            read(j, buf)?;
            let row = crate::analyze::analyse_bytes(
                j.1.content_hash,
                &j.1.format,
                buf,
                &models.brisque,
                loupe,
                &ctx.cache_dir,
                ctx.now(),
            )?;
            Ok(Made::Analysis(Box::new(row)))
        }),
        // The models use every core for one picture.
        Stage::Detect | Stage::Faces => {
            let mut buf = Vec::new();
            jobs.iter()
                .map(|j| {
                    read(j, &mut buf)?;
                    Ok(match stage {
                        Stage::Detect => Made::Objects(crate::detect::look(
                            models.detector.as_ref().expect("loaded for its stage"),
                            &buf,
                            &j.1.format,
                        )),
                        _ => Made::Faces(crate::faces::look(
                            models.faces.as_ref().expect("loaded for its stage"),
                            &buf,
                            &j.1.format,
                            j.1.content_hash,
                        )),
                    })
                })
                .collect()
        }
    }
}

/// Stores a batch's results (in the caller's transaction) and rescores
/// what they change. Returns (stored, failed, failures).
fn store(
    c: &mut Catalog,
    stage: Stage,
    kept: &[&(WorkItem, String, Made)],
    coco: &HashMap<String, i64>,
    now: i64,
) -> Result<(u64, u64, Vec<Failure>)> {
    let hashes: Vec<ContentHash> = kept.iter().map(|(it, _, _)| it.content_hash).collect();
    let mut failures = Vec::new();
    let (mut rows, mut runs, mut dets, mut face_runs, mut face_rows) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut objects = crate::detect::DetectSummary::default();
    let mut faces = crate::faces::FacesSummary::default();
    for (it, shown, made) in kept.iter().copied() {
        let shown = shown.clone();
        let error = match made {
            Made::Analysis(row) => row.error.clone(),
            Made::Objects(found) => found.as_ref().err().cloned(),
            Made::Faces(found) => found.as_ref().err().cloned(),
        };
        if let Some(error) = error {
            failures.push(Failure { path: shown, error });
        }
        match made {
            Made::Analysis(row) => rows.push((**row).clone()),
            Made::Objects(found) => {
                let (run, d) = crate::detect::record(it.content_hash, found.clone(), now, &mut objects);
                runs.push(run);
                dets.extend(d);
            }
            Made::Faces(found) => {
                let (run, f) = crate::faces::record(it.content_hash, found.clone(), now, &mut faces);
                face_runs.push(run);
                face_rows.extend(f);
            }
        }
    }
    match stage {
        Stage::Analyze => {
            let found = crate::scoring::founds_of(c, &hashes)?;
            for row in &mut rows {
                crate::scoring::apply(row, found.get(&row.content_hash));
            }
            c.put_analyses(&rows)?;
            crate::groups::rerank_contents(c, &hashes)?;
        }
        Stage::Detect => {
            c.put_detections(&runs, &dets, coco, now)?;
            crate::scoring::rescore(c, &hashes)?;
        }
        Stage::Faces => {
            c.put_faces(&face_runs, &face_rows)?;
            crate::scoring::rescore(c, &hashes)?;
        }
    }
    Ok((hashes.len() as u64, failures.len() as u64, failures))
}

/// What needs the whole catalogue, done by one worker at a time: scores
/// made by older rules, the groups when what they depend on changed, and
/// who the faces are.
fn finish(cat: &mut Catalog, ctx: &JobContext, jobs: &[Stage]) -> Result<()> {
    crate::scoring::rescore_stale(cat, ctx)?;
    let sig = cat.groups_signature()?;
    if cat.stored_groups_signature()?.as_deref() != Some(sig.as_str()) {
        crate::groups::rebuild(cat, ctx, &sig)?;
    }
    if jobs.contains(&Stage::Faces) {
        crate::people::cluster(cat, ctx)?;
    }
    Ok(())
}

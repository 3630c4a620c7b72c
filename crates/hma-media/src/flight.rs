//! The flight recorder of a supervised job: which file each reader is on,
//! and since when, where the supervising process can see it.
//!
//! A crash in C code (a segfault or an abort in libjpeg-turbo or libheif)
//! or a reader stuck for ever cannot be caught inside the process that
//! runs it. So the `hma` jobs that read files run as a child of a small
//! supervisor (`hma::supervise`). The child notes each file it starts
//! reading in a slot of a shared file and clears the slot when done; when
//! the child dies by a signal, or a slot stays set past the time limit,
//! the supervisor knows which file was being read. It starts the job again
//! with that file *condemned*: [`enter`] then refuses it with the reason,
//! and the stage records that as the file's error, as it records any other
//! (the job resumes where it stopped, as after a kill).
//!
//! A crash with several files in flight (one per thread) cannot be pinned on
//! one of them: they become *suspects*, and each suspect is then read alone
//! (the others wait), so the next crash, if it comes, names its file.
//!
//! The file: `SLOTS` records of [`SLOT`] bytes, each blank or one line
//! `START_MS STAGE KEY`, where KEY is a hash of the bytes read (the length,
//! the first and last 64 KiB: cheap, and the same file gives the same key
//! in every stage's run). Beside it, `FILE.condemned` (lines `STAGE KEY
//! REASON`) and `FILE.suspects` (lines `STAGE KEY`), written by the
//! supervisor before it starts the child. With `HMA_FLIGHT` unset (a job run
//! in one process), [`enter`] is one load of a value read once.
//!
//! Written by hand: no crate keeps a cross-process table of work in flight;
//! the parts are a file, positioned writes and a lock.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// The environment variable that names the flight file (set by the supervisor).
pub const ENV: &str = "HMA_FLIGHT";
/// Bytes per slot.
pub const SLOT: usize = 64;
/// Slots at most (one per file in flight: threads, and a stage within a stage).
pub const SLOTS: usize = 1024;

/// A file in flight, as the supervisor reads it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct InFlight {
    pub slot: usize,
    pub start_ms: i64,
    pub stage: String,
    pub key: String,
}

impl InFlight {
    /// The stage and key, as the condemned and suspects files hold them.
    pub fn id(&self) -> (String, String) {
        (self.stage.clone(), self.key.clone())
    }
}

/// The key of a file's bytes: its length and a hash of its first and last
/// 64 KiB, 16 hex digits.
pub fn key_of(bytes: &[u8]) -> String {
    const EDGE: usize = 64 << 10;
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(&(bytes.len() as u64).to_le_bytes());
    h.update(&bytes[..bytes.len().min(EDGE)]);
    if bytes.len() > EDGE {
        h.update(&bytes[bytes.len().saturating_sub(EDGE).max(EDGE)..]);
    }
    format!("{:016x}", h.digest())
}

fn condemned_path(flight: &Path) -> PathBuf {
    let mut s = flight.as_os_str().to_owned();
    s.push(".condemned");
    s.into()
}

fn suspects_path(flight: &Path) -> PathBuf {
    let mut s = flight.as_os_str().to_owned();
    s.push(".suspects");
    s.into()
}

/// Writes the files the child reads at its start: the flight file (blank),
/// the condemned files with their reasons, the suspects.
pub fn prepare(
    flight: &Path,
    condemned: &HashMap<(String, String), String>,
    suspects: &HashSet<(String, String)>,
) -> std::io::Result<()> {
    std::fs::write(flight, b"")?;
    let mut c = String::new();
    for ((stage, key), why) in condemned {
        c.push_str(&format!("{stage}\t{key}\t{}\n", why.replace(['\n', '\t'], " ")));
    }
    std::fs::write(condemned_path(flight), c)?;
    let s: String = suspects.iter().map(|(stage, key)| format!("{stage}\t{key}\n")).collect();
    std::fs::write(suspects_path(flight), s)
}

/// The files in flight as the flight file says (a record being written
/// while read is skipped: the next look sees it).
pub fn read(flight: &Path) -> Vec<InFlight> {
    let Ok(data) = std::fs::read(flight) else { return Vec::new() };
    data.chunks(SLOT)
        .enumerate()
        .filter_map(|(slot, rec)| {
            let line = std::str::from_utf8(rec).ok()?.trim_end_matches([' ', '\n', '\0']);
            let mut f = line.split('\t');
            let start_ms = f.next()?.parse().ok()?;
            let stage = f.next()?.to_string();
            let key = f.next()?.to_string();
            (key.len() == 16 && !stage.is_empty()).then_some(InFlight { slot, start_ms, stage, key })
        })
        .collect()
}

/// The child's side, read once from `HMA_FLIGHT`.
struct Recorder {
    file: File,
    condemned: HashMap<(String, String), String>,
    suspects: HashSet<(String, String)>,
    free: Mutex<Vec<bool>>,
    /// Read by every flight, written by a suspect's: a suspect is read alone.
    alone: RwLock<()>,
}

fn recorder() -> Option<&'static Recorder> {
    static R: OnceLock<Option<Recorder>> = OnceLock::new();
    R.get_or_init(|| {
        let path = PathBuf::from(std::env::var_os(ENV)?);
        let file = std::fs::OpenOptions::new().write(true).open(&path).ok()?;
        let text = |p: PathBuf| std::fs::read_to_string(p).unwrap_or_default();
        let condemned = text(condemned_path(&path))
            .lines()
            .filter_map(|l| {
                let mut f = l.splitn(3, '\t');
                Some(((f.next()?.to_string(), f.next()?.to_string()), f.next()?.to_string()))
            })
            .collect();
        let suspects = text(suspects_path(&path))
            .lines()
            .filter_map(|l| l.split_once('\t').map(|(s, k)| (s.to_string(), k.to_string())))
            .collect();
        Some(Recorder { file, condemned, suspects, free: Mutex::new(vec![true; SLOTS]), alone: RwLock::new(()) })
    })
    .as_ref()
}

/// True when this process runs under a supervisor.
pub fn supervised() -> bool {
    recorder().is_some()
}

thread_local! {
    /// Flights open on this thread: only the outermost takes the lock.
    static DEPTH: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

enum Turn {
    None,
    Shared(#[allow(dead_code)] RwLockReadGuard<'static, ()>),
    Alone(#[allow(dead_code)] RwLockWriteGuard<'static, ()>),
}

/// One file in flight; its slot is cleared when dropped.
pub struct Flight {
    slot: Option<usize>,
    _turn: Turn,
}

/// Notes that `stage` starts reading `bytes`. Err: the supervisor
/// condemned this file in an earlier run of the job (the reason, to be
/// recorded as the file's error; it is not read again).
pub fn enter(stage: &str, bytes: &[u8]) -> Result<Flight, String> {
    let Some(r) = recorder() else { return Ok(Flight { slot: None, _turn: Turn::None }) };
    let id = (stage.to_string(), key_of(bytes));
    if let Some(why) = r.condemned.get(&id) {
        return Err(why.clone());
    }
    let outer = DEPTH.with(|d| {
        d.set(d.get() + 1);
        d.get() == 1
    });
    let turn = match (outer, r.suspects.contains(&id)) {
        (false, _) => Turn::None,
        (true, true) => Turn::Alone(r.alone.write().unwrap_or_else(|e| e.into_inner())),
        (true, false) => Turn::Shared(r.alone.read().unwrap_or_else(|e| e.into_inner())),
    };
    let slot = {
        let mut free = r.free.lock().unwrap_or_else(|e| e.into_inner());
        free.iter().position(|f| *f).inspect(|&i| free[i] = false)
    };
    if let Some(i) = slot {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        let line = format!("{now}\t{}\t{}\n", id.0, id.1);
        write_slot(&r.file, i, line.as_bytes());
    }
    Ok(Flight { slot, _turn: turn })
}

impl Drop for Flight {
    fn drop(&mut self) {
        let Some(r) = recorder() else { return };
        DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
        if let Some(i) = self.slot {
            write_slot(&r.file, i, b"");
            r.free.lock().unwrap_or_else(|e| e.into_inner())[i] = true;
        }
    }
}

/// Writes one record, padded with blanks (a failed write only blinds the
/// supervisor to this file).
fn write_slot(file: &File, slot: usize, line: &[u8]) {
    let mut rec = [b' '; SLOT];
    let n = line.len().min(SLOT);
    rec[..n].copy_from_slice(&line[..n]);
    let at = (slot * SLOT) as u64;
    #[cfg(unix)]
    let _ = std::os::unix::fs::FileExt::write_all_at(file, &rec, at);
    #[cfg(windows)]
    let _ = std::os::windows::fs::FileExt::seek_write(file, &rec, at);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_tell_files_apart_by_their_edges_and_length() {
        let a = vec![7u8; 200_000];
        let mut b = a.clone();
        b[199_999] = 8; // the last 64 KiB differ
        let mut c = a.clone();
        c.push(7); // one byte longer
        let keys: HashSet<String> = [&a, &b, &c].iter().map(|d| key_of(d)).collect();
        assert_eq!(keys.len(), 3);
        assert_eq!(key_of(&a), key_of(&a.clone()));
        assert_eq!(key_of(b"").len(), 16);
    }

    #[test]
    fn slots_written_and_cleared_are_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flight");
        let mut condemned = HashMap::new();
        condemned.insert(("analyze".to_string(), "00000000000000aa".to_string()), "it crashed\tthe reader".to_string());
        prepare(&path, &condemned, &HashSet::new()).unwrap();
        let text = std::fs::read_to_string(condemned_path(&path)).unwrap();
        assert_eq!(text, "analyze\t00000000000000aa\tit crashed the reader\n");
        let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        write_slot(&file, 2, b"1700000000000\tscan\t0123456789abcdef\n");
        write_slot(&file, 0, b"1700000000001\tdetect\tfedcba9876543210\n");
        let seen = read(&path);
        assert_eq!(seen.len(), 2, "{seen:?}");
        assert_eq!(
            seen[1],
            InFlight { slot: 2, start_ms: 1_700_000_000_000, stage: "scan".into(), key: "0123456789abcdef".into() }
        );
        write_slot(&file, 2, b"");
        assert_eq!(read(&path).iter().map(|f| f.slot).collect::<Vec<_>>(), vec![0]);
        // A record torn or foreign is not a file in flight.
        write_slot(&file, 3, b"12\tscan\tshort\n");
        assert_eq!(read(&path).len(), 1);
    }
}

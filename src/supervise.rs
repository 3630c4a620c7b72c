//! A job that reads untrusted files runs as a child of a small supervisor,
//! so that a crash in C code (a segfault or an abort in a decoder) or a
//! reader stuck on one file costs that file, not the night's work.
//!
//! The child notes each file it reads in the flight recorder
//! ([`hma_media::flight`]); the supervisor looks at it ten times a second.
//! - **A file read for longer than the limit** (5 minutes unless told): the
//!   child is killed, and the file condemned with "reading it took longer
//!   than …".
//! - **A crash** (the child ended by a signal, or by an exception on
//!   Windows) with one file in flight: that file is condemned with the
//!   crash. With several in flight (one per thread), they become suspects,
//!   read alone in the next run, so a second crash names its file.
//!
//! Then the job starts again. It resumes as after a kill (the catalogue
//! keeps what was finished), and the condemned file is refused by
//! [`hma_media::flight::enter`] with its reason, which the stage records as
//! that file's error: the job ends with exit status 2 and the file in its
//! list of failures, and a later run does not read it again.
//!
//! What it costs: one process more, two positioned writes of 64 bytes and
//! a hash of at most 128 KiB per file read (`docs/benchmarks.md`).
//!
//! The child's standard input is the supervisor's channel: a line `cancel`
//! asks the job to stop at its next safe point (the supervisor's Ctrl-C or
//! SIGINT); its end (the supervisor killed, even by SIGKILL) ends the child
//! at once, as if it had been killed with it.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hma_media::flight::{self, InFlight};

/// The default time one file may take in one stage.
pub const DEFAULT_FILE_LIMIT: Duration = Duration::from_secs(300);

/// More files than this condemned within an hour: something else is wrong
/// (a bug, a broken installation), and the job stops instead of condemning
/// every file. (An hour, not the run: a worker runs for days.)
pub const MAX_CONDEMNED: usize = 50;

/// The stages that decode a picture's pixels: a file that crashed one of
/// them would crash the others (the same decoders), so it is condemned in
/// all three at once, not found again by each.
const DECODING: [&str; 3] = ["analyze", "detect", "faces"];

/// The exit status of a child whose supervisor is gone.
pub const ORPHANED: i32 = 137;

/// How often the child is asked whether it ended (a job that ends is
/// seen ending at once: a short job is not made longer).
const TICK: Duration = Duration::from_millis(5);
/// How often the flight recorder is looked at, in ticks (every 100 ms).
const LOOK_EVERY: u32 = 20;

#[derive(Clone, Debug)]
pub struct Options {
    /// How long one file may take in one stage.
    pub file_limit: Duration,
    /// At most this many files condemned within an hour.
    pub max_condemned: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options { file_limit: DEFAULT_FILE_LIMIT, max_condemned: MAX_CONDEMNED }
    }
}

/// How a supervised job ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    /// The job's own exit status (after any restarts).
    Exited(i32),
    /// Cancelled while a file hung (the job was killed, not restarted).
    Cancelled,
    /// It crashed outside the reading of any file, or kept condemning files:
    /// not a bad file's doing. The words say what happened.
    Failed(String),
}

/// What the supervisor tells the user about each restart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The stage that was reading (`scan`, `analyze`, `detect`, `faces`).
    pub stage: String,
    pub text: String,
}

/// Why a child ended, when it crashed: the signal's name (a fault, an
/// abort, or SIGKILL, which the kernel sends when memory runs out), or the
/// Windows exception code. None for an exit of its own (any status) and for
/// the signals that ask a process to stop (SIGTERM, SIGINT, SIGHUP).
pub fn crash_of(st: &ExitStatus) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        st.signal().and_then(|s| match s {
            4 => Some("SIGILL".to_string()),
            5 => Some("SIGTRAP".to_string()),
            6 => Some("SIGABRT".to_string()),
            7 => Some("SIGBUS".to_string()),
            8 => Some("SIGFPE".to_string()),
            // The kernel's answer to memory run out: the file's doing, or
            // another program's, so it needs a second time to condemn.
            9 => Some(KILLED.to_string()),
            11 => Some("SIGSEGV".to_string()),
            31 => Some("SIGSYS".to_string()),
            _ => None,
        })
    }
    #[cfg(windows)]
    {
        // STATUS_CONTROL_C_EXIT is a stop asked for, as SIGINT is.
        st.code()
            .map(|c| c as u32)
            .filter(|c| *c >= 0x8000_0000 && *c != 0xC000_013A)
            .map(|c| format!("exception 0x{c:08X}"))
    }
    #[cfg(not(any(unix, windows)))]
    {
        let _ = st;
        None
    }
}

/// What [`crash_of`] says of SIGKILL.
const KILLED: &str = "SIGKILL, out of memory?";

/// The exit status to pass on for a child that ended on its own or was
/// asked to stop by a signal (128 + the signal, as a shell says it).
fn code_of(st: &ExitStatus) -> i32 {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(s) = st.signal() {
            return 128 + s;
        }
    }
    // A status a shell cannot hold (a Windows code) is a failure, not 0.
    st.code().filter(|c| (0..=255).contains(c)).unwrap_or(1)
}

/// The words recorded against a file the reader crashed on.
fn crash_reason(stage: &str, how: &str) -> String {
    format!(
        "this file made the reader crash ({how}) while {}: it is skipped (it is probably damaged; \
         if it opens elsewhere, please report it)",
        doing(stage)
    )
}

/// The words recorded against a file the reader was stuck on.
fn hang_reason(stage: &str, limit: Duration) -> String {
    format!(
        "reading this file took longer than {} s while {}, and was stopped: it is skipped (it is probably \
         damaged; a huge file on a slow machine can also do this: `--file-limit` gives more time)",
        limit.as_secs(),
        doing(stage)
    )
}

fn doing(stage: &str) -> &'static str {
    match stage {
        "scan" => "reading its metadata",
        "analyze" => "decoding and measuring it",
        "detect" => "looking for objects",
        "faces" => "looking for faces",
        _ => "reading it",
    }
}

/// Runs the job `make` builds (this program, which notes its files in
/// flight) under watch, restarting it after each file that crashed or hung
/// it. `started` sees each child as it starts (to write its request on its
/// stdin before the supervisor takes it, to read its stdout); `cancel` is
/// forwarded to the child; `notice` hears each restart.
pub fn run(
    make: &mut dyn FnMut() -> Command,
    started: &mut dyn FnMut(&mut Child) -> std::io::Result<()>,
    opts: &Options,
    cancel: &AtomicBool,
    notice: &mut dyn FnMut(Notice),
) -> std::io::Result<Ended> {
    // The flight files in a folder of their own, made fresh with a random
    // name and for this user only (another user cannot plant entries or
    // links there); removed when the job ends.
    let dir = tempfile::Builder::new().prefix("hma-flight-").tempdir()?;
    let path = dir.path().join("flight");
    let mut condemned: HashMap<(String, String), String> = HashMap::new();
    let mut suspects: HashSet<(String, String)> = HashSet::new();
    // When each file was condemned (the limit counts the last hour's).
    let mut recent: std::collections::VecDeque<Instant> = Default::default();
    let mut condemn = |condemned: &mut HashMap<(String, String), String>, f: &InFlight, why: String| {
        if DECODING.contains(&f.stage.as_str()) {
            for stage in DECODING {
                condemned.insert((stage.to_string(), f.key.clone()), why.clone());
            }
        } else {
            condemned.insert(f.id(), why);
        }
        recent.push_back(Instant::now());
        recent.retain(|t| t.elapsed() < Duration::from_secs(3600));
        recent.len()
    };
    let ended = loop {
        flight::prepare(&path, &condemned, &suspects)?;
        let mut cmd = make();
        cmd.env(flight::ENV, &path).stdin(Stdio::piped());
        // The child dies with its supervisor, even one killed by SIGKILL:
        // its stdin's end would tell it too, but only once it reads it.
        #[cfg(target_os = "linux")]
        #[allow(unsafe_code)]
        {
            use std::os::unix::process::CommandExt;
            // SAFETY: the closure runs between fork and exec, where only
            // async-signal-safe calls are allowed: prctl is one, and it
            // touches no memory of ours.
            unsafe {
                cmd.pre_exec(|| {
                    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                    Ok(())
                });
            }
        }
        let mut child = cmd.spawn()?;
        if let Err(e) = started(&mut child) {
            let _ = child.kill();
            let _ = child.wait();
            return Err(e);
        }
        let mut lately = 0;
        match watch(&mut child, &path, opts.file_limit, cancel)? {
            // Killed for a file that was done a moment later: again.
            Watched::Raced => {}
            Watched::Hung(hung) => {
                for f in &hung {
                    notice(Notice {
                        stage: f.stage.clone(),
                        text: format!(
                            "a file took longer than {} s while {}; the reader was stopped, the file is recorded \
                             with that error, and the job goes on",
                            opts.file_limit.as_secs(),
                            doing(&f.stage)
                        ),
                    });
                    lately = condemn(&mut condemned, f, hang_reason(&f.stage, opts.file_limit));
                }
                if cancel.load(Ordering::Relaxed) {
                    break Ended::Cancelled;
                }
            }
            Watched::Exited(status) => {
                let Some(how) = crash_of(&status) else { break Ended::Exited(code_of(&status)) };
                let in_flight = flight::read(&path);
                if in_flight.is_empty() {
                    break Ended::Failed(format!(
                        "the job crashed ({how}) outside the reading of any file; run it again: what was finished \
                         is kept"
                    ));
                }
                let ids: Vec<(String, String)> = in_flight.iter().map(InFlight::id).collect();
                // A lone file is condemned at once, except after a SIGKILL
                // (memory may have run out for another program's sake): then,
                // as with several files, only when it comes again on suspects.
                let alone = ids.len() == 1 && how != KILLED;
                if alone || ids.iter().all(|id| suspects.contains(id)) {
                    for f in &in_flight {
                        notice(Notice {
                            stage: f.stage.clone(),
                            text: format!(
                                "a file made the reader crash ({how}) while {}; it is recorded with that error, and \
                                 the job goes on",
                                doing(&f.stage)
                            ),
                        });
                        lately = condemn(&mut condemned, f, crash_reason(&f.stage, &how));
                    }
                } else {
                    let text = if ids.len() == 1 {
                        format!("the reader was killed ({how}) while on a file; it is read again on its own")
                    } else {
                        format!(
                            "the reader crashed ({how}) with {} files in flight; each is read again on its own to \
                             find the one",
                            ids.len()
                        )
                    };
                    notice(Notice { stage: in_flight[0].stage.clone(), text });
                    suspects.extend(ids);
                }
            }
        }
        if lately > opts.max_condemned {
            break Ended::Failed(format!(
                "{lately} files crashed or hung the reader within an hour: that is not a few damaged files; \
                 stopping (please report it)"
            ));
        }
    };
    drop(dir);
    Ok(ended)
}

enum Watched {
    Exited(ExitStatus),
    /// Killed: these files were in flight for longer than the limit.
    Hung(Vec<InFlight>),
    /// Killed for files that were done a moment later.
    Raced,
}

/// Waits for the child; kills it when a file stays in flight past `limit`.
/// Cancellation is passed on once.
fn watch(child: &mut Child, path: &std::path::Path, limit: Duration, cancel: &AtomicBool) -> std::io::Result<Watched> {
    let mut stdin = child.stdin.take();
    let mut since: HashMap<InFlight, Instant> = HashMap::new();
    let mut told = false;
    let mut tick = 0u32;
    loop {
        if let Some(st) = child.try_wait()? {
            return Ok(Watched::Exited(st));
        }
        tick = tick.wrapping_add(1);
        if tick % LOOK_EVERY != 1 {
            std::thread::sleep(TICK);
            continue;
        }
        if !told && cancel.load(Ordering::Relaxed) {
            told = true;
            if let Some(s) = stdin.as_mut() {
                let _ = s.write_all(b"cancel\n").and_then(|_| s.flush());
            }
        }
        // Timed by this process's clock, from when each file was first seen
        // (the child's start time is only part of the record's identity).
        let now = Instant::now();
        let seen = flight::read(path);
        since.retain(|f, _| seen.contains(f));
        for f in seen {
            since.entry(f).or_insert(now);
        }
        let over: Vec<InFlight> =
            since.iter().filter(|(_, t)| now.duration_since(**t) >= limit).map(|(f, _)| f.clone()).collect();
        if !over.is_empty() {
            let _ = child.kill();
            child.wait()?;
            // It may have finished a file just before the kill: only what is
            // still in flight is condemned.
            let still = flight::read(path);
            let over: Vec<InFlight> = over.into_iter().filter(|f| still.contains(f)).collect();
            return Ok(if over.is_empty() { Watched::Raced } else { Watched::Hung(over) });
        }
        std::thread::sleep(TICK);
    }
}

/// In a supervised child: a line `cancel` on standard input sets `cancel`;
/// the end of standard input (the supervisor gone) ends this process at
/// once. Does nothing in a job run on its own.
pub fn serve_supervisor(cancel: Arc<AtomicBool>) {
    if !flight::supervised() {
        return;
    }
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        let mut line = String::new();
        loop {
            line.clear();
            match stdin.lock().read_line(&mut line) {
                Ok(0) | Err(_) => std::process::exit(ORPHANED),
                Ok(_) if line.trim() == "cancel" => cancel.store(true, Ordering::Relaxed),
                Ok(_) => {}
            }
        }
    });
}

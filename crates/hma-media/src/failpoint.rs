//! Failure injection for tests of the jobs' resilience: a file whose bytes
//! hold the marker `HMA-FAILPOINT` makes a named stage panic (or abort, as
//! a crash in C code would) when the environment variable `HMA_FAILPOINTS`
//! names that stage (`scan`, `analyze`, `detect`, `faces`, comma-separated;
//! `STAGE=abort` aborts, as a crash in C code would; `STAGE=hang` never
//! returns, as a stuck decoder would). Unset (always, outside tests), a
//! check is one load of a value read once per process.

use std::sync::OnceLock;

/// The marker a test writes into a file (a JPEG comment, say).
pub const MARKER: &[u8] = b"HMA-FAILPOINT";

#[derive(Clone, Copy, PartialEq)]
enum How {
    Panic,
    Abort,
    Hang,
}

/// The armed stages and what each does, read once.
fn armed() -> &'static [(String, How)] {
    static ARMED: OnceLock<Vec<(String, How)>> = OnceLock::new();
    ARMED.get_or_init(|| {
        std::env::var("HMA_FAILPOINTS")
            .unwrap_or_default()
            .split(',')
            .filter(|a| !a.is_empty())
            .map(|a| match a.split_once('=') {
                Some((name, "abort")) => (name.to_string(), How::Abort),
                Some((name, "hang")) => (name.to_string(), How::Hang),
                Some((name, _)) => (name.to_string(), How::Panic),
                None => (a.to_string(), How::Panic),
            })
            .collect()
    })
}

/// Panics (or aborts, or hangs) when `stage` is armed and `data` holds the marker.
pub fn hit(stage: &str, data: &[u8]) {
    let armed = armed();
    if armed.is_empty() {
        return;
    }
    for (name, how) in armed {
        if name == stage && memchr::memmem::find(data, MARKER).is_some() {
            match how {
                How::Abort => std::process::abort(),
                How::Hang => loop {
                    std::thread::sleep(std::time::Duration::from_secs(3600));
                },
                How::Panic => panic!("failpoint {stage}: injected panic"),
            }
        }
    }
}

//! Failure injection for tests of the jobs' resilience: a file whose bytes
//! hold the marker `HMA-FAILPOINT` makes a named stage panic (or abort, as
//! a crash in C code would) when the environment variable `HMA_FAILPOINTS`
//! names that stage (`scan`, `analyze`, `detect`, `faces`, comma-separated;
//! `STAGE=abort` aborts). Unset (always, outside tests), a check is one
//! load of a value read once per process.

use std::sync::OnceLock;

/// The marker a test writes into a file (a JPEG comment, say).
pub const MARKER: &[u8] = b"HMA-FAILPOINT";

/// The armed stages and whether each aborts, read once.
fn armed() -> &'static [(String, bool)] {
    static ARMED: OnceLock<Vec<(String, bool)>> = OnceLock::new();
    ARMED.get_or_init(|| {
        std::env::var("HMA_FAILPOINTS")
            .unwrap_or_default()
            .split(',')
            .filter(|a| !a.is_empty())
            .map(|a| match a.split_once('=') {
                Some((name, how)) => (name.to_string(), how == "abort"),
                None => (a.to_string(), false),
            })
            .collect()
    })
}

/// Panics (or aborts) when `stage` is armed and `data` holds the marker.
pub fn hit(stage: &str, data: &[u8]) {
    let armed = armed();
    if armed.is_empty() {
        return;
    }
    for (name, abort) in armed {
        if name == stage && memchr::memmem::find(data, MARKER).is_some() {
            if *abort {
                std::process::abort();
            }
            panic!("failpoint {stage}: injected panic");
        }
    }
}

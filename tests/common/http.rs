//! A small HTTP/1.1 file server on 127.0.0.1 for the fetch tests: serves
//! named files, honours `Range: bytes=N-` (206), can cut a response short
//! (a broken connection), and records every request it got.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    /// The start of a `Range: bytes=N-` header.
    pub range_from: Option<u64>,
}

#[derive(Default)]
struct State {
    files: HashMap<String, Vec<u8>>,
    /// Send at most this many body bytes of the next response, then close.
    cut_next_at: Option<usize>,
    seen: Vec<Seen>,
}

/// The server; it runs until the test process ends.
#[derive(Clone)]
pub struct Server {
    pub base: String,
    state: Arc<Mutex<State>>,
}

impl Server {
    pub fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        let st = state.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let st = st.clone();
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(conn.try_clone().unwrap());
                    let mut first = String::new();
                    if reader.read_line(&mut first).is_err() {
                        return;
                    }
                    let path = first.split_whitespace().nth(1).unwrap_or("/").to_string();
                    let mut range_from = None;
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                            break;
                        }
                        let lower = line.to_ascii_lowercase();
                        if let Some(v) = lower.strip_prefix("range: bytes=") {
                            range_from = v.trim().trim_end_matches('-').parse().ok();
                        }
                    }
                    let (body, cut) = {
                        let mut s = st.lock().unwrap();
                        s.seen.push(Seen { path: path.clone(), range_from });
                        let name = path.trim_start_matches('/').to_string();
                        (s.files.get(&name).cloned(), s.cut_next_at.take())
                    };
                    let Some(body) = body else {
                        let _ =
                            conn.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                        return;
                    };
                    let total = body.len();
                    let (status, from) = match range_from {
                        Some(n) if (n as usize) < total => ("206 Partial Content", n as usize),
                        Some(_) => {
                            let _ = conn.write_all(
                                format!("HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{total}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                                    .as_bytes(),
                            );
                            return;
                        }
                        None => ("200 OK", 0),
                    };
                    let mut head = format!(
                        "HTTP/1.1 {status}\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n",
                        total - from
                    );
                    if from > 0 {
                        head.push_str(&format!("Content-Range: bytes {from}-{}/{total}\r\n", total - 1));
                    }
                    head.push_str("\r\n");
                    let _ = conn.write_all(head.as_bytes());
                    let end = cut.map(|c| (from + c).min(total)).unwrap_or(total);
                    let _ = conn.write_all(&body[from..end]);
                    let _ = conn.flush();
                    // Dropping the connection here ends a cut response early.
                });
            }
        });
        Server { base, state }
    }

    /// Serves `bytes` at `/name`.
    pub fn put(&self, name: &str, bytes: Vec<u8>) {
        self.state.lock().unwrap().files.insert(name.to_string(), bytes);
    }

    /// The next response stops after `n` body bytes (the connection closes).
    pub fn cut_next_at(&self, n: usize) {
        self.state.lock().unwrap().cut_next_at = Some(n);
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    pub fn url(&self, name: &str) -> String {
        format!("{}/{name}", self.base)
    }
}

/// A URL on 127.0.0.1 where nothing listens.
pub fn closed_port_url(name: &str) -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}/{name}")
}

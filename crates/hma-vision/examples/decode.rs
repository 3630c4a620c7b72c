//! Decodes files the way `hma analyze` does, for timing against `djpeg`:
//! `decode [--long N] FILES…` decodes each file (read from disk each time)
//! at the smallest DCT scale whose long edge is at least N (default 1:
//! always 1/8, like `djpeg -scale 1/8`) and prints the total time.
use std::time::Instant;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut long = 1u32;
    if args.first().map(String::as_str) == Some("--long") {
        long = args[1].parse().expect("--long N");
        args.drain(..2);
    }
    let req = hma_vision::DecodeRequest { min_long_edge: long, ..Default::default() };
    let start = Instant::now();
    let mut pixels = 0u64;
    for f in &args {
        let bytes = std::fs::read(f).expect("readable file");
        let d = hma_vision::decode::decode(&bytes, "jpeg", None, &req).expect("decodable JPEG");
        pixels += d.image.width as u64 * d.image.height as u64;
    }
    let secs = start.elapsed().as_secs_f64();
    println!("{} files {secs:.3} s ({} output pixels)", args.len(), pixels);
}

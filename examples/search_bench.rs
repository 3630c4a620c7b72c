//! Times the search language in-process on a catalogue: for each query, the
//! first `LIMIT` captures (`hma::search::search`, what `hma search` and the
//! app run), after one warm-up, median and slowest of `RUNS`; and, as the
//! baseline in the same run, the lightbox's list of the same length
//! (`rank::top_of`, no filter). One JSON object per line.
//! Usage: search_bench CATALOG_URL RUNS LIMIT QUERY…

use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 5 {
        return Err("usage: search_bench CATALOG_URL RUNS LIMIT QUERY…".into());
    }
    let (url, runs, limit) = (&args[1], args[2].parse::<usize>()?, args[3].parse::<usize>()?);
    let mut cat = hma::Catalog::open(url)?;
    let places = hma::report::Places::load(&mut cat, "bench")?;
    let time = |f: &mut dyn FnMut() -> usize| -> (f64, f64, usize) {
        let n = f();
        let mut ms: Vec<f64> = (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        ms.sort_by(f64::total_cmp);
        (ms[ms.len() / 2], ms[ms.len() - 1], n)
    };
    let q = hma::rank::TopQuery { n: Some(limit), ..Default::default() };
    let (med, max, n) = time(&mut || hma::rank::top_of(&mut cat, &places, &q).map(|v| v.len()).unwrap_or(0));
    println!(
        "{}",
        serde_json::json!({"query": "(baseline: the lightbox's list, no filter)", "ms_median": med, "ms_max": max, "hits": n})
    );
    for query in &args[4..] {
        let (med, max, n) = time(&mut || {
            hma::search::search(&mut cat, &places, query, limit).map(|r| r.hits.len()).unwrap_or_else(|e| {
                eprintln!("{query}: {e}");
                0
            })
        });
        println!("{}", serde_json::json!({"query": query, "ms_median": med, "ms_max": max, "hits": n}));
    }
    Ok(())
}

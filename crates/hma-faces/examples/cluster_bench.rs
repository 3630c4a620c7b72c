//! Clustering at scale on synthetic identity embeddings:
//! `cluster_bench N [SEED]` makes N faces of a made-up family archive and
//! clusters them as `hma people cluster` does ([`hma_faces::cluster`]),
//! printing one JSON line: time of each step, peak memory of the process
//! (VmHWM, so run one size per process), edges, clusters and pairwise
//! precision / recall against the made-up identities.
//!
//! The archive: 40 % of the faces are 25 family members, 45 % friends and
//! relatives with 20 faces each, 15 % strangers seen once. Each identity
//! is a random direction in 128-d plus a direction all faces share (SFace's
//! embeddings of different people are not centred: their cosine has a
//! median of 0.115), so two people have cosine about 0.12 ± 0.09; its
//! faces scatter around it with a per-identity spread giving cosine
//! 0.71–0.94 to the centre, so two faces of one person have cosine about
//! 0.5–0.9 (SFace on real faces: same person 0.51–0.89, median 0.74;
//! different people −0.14–0.41, median 0.115; docs/benchmarks.md).

use std::collections::HashMap;
use std::time::Instant;

use hma_faces::cluster::{chinese_whispers, neighbour_graph, pairwise, Code, Config, DIM};
use rayon::prelude::*;

fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

/// Standard normal (Box–Muller).
fn gauss(seed: &mut u64) -> f32 {
    let u = ((next(seed) >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
    let v = (next(seed) >> 11) as f64 / (1u64 << 53) as f64;
    ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|k| k.parse::<f64>().ok()))
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).expect("usage: cluster_bench N [SEED]");
    let seed: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1);
    // Identity sizes.
    let family = 25usize;
    let mut sizes: Vec<usize> = vec![n * 40 / 100 / family; family];
    let friends = n * 45 / 100 / 20;
    sizes.extend(std::iter::repeat_n(20, friends));
    let used: usize = sizes.iter().sum();
    sizes.extend(std::iter::repeat_n(1, n - used));
    let t0 = Instant::now();
    // Faces of identity p, made in parallel, each from its own seed.
    // The shared direction (weight 0.36: cos between centres ≈ 0.36² / (1 + 0.36²) ≈ 0.115).
    let shared: Vec<f32> = {
        let mut s = seed ^ 0x5eed;
        next(&mut s);
        let v: Vec<f32> = (0..DIM).map(|_| gauss(&mut s)).collect();
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| 0.36 * x / n).collect()
    };
    let made: Vec<(Vec<Code>, u64)> = sizes
        .par_iter()
        .enumerate()
        .map(|(p, &size)| {
            let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (p as u64 + 1).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            next(&mut s);
            let own: Vec<f32> = (0..DIM).map(|_| gauss(&mut s)).collect();
            let norm = own.iter().map(|x| x * x).sum::<f32>().sqrt();
            let centre: Vec<f32> = own.iter().zip(&shared).map(|(o, m)| o / norm + m).collect();
            let norm = centre.iter().map(|x| x * x).sum::<f32>().sqrt();
            let spread = 0.035 + 0.05 * ((next(&mut s) >> 11) as f32 / (1u64 << 53) as f32);
            let codes = (0..size)
                .map(|_| {
                    let v: Vec<f32> = centre.iter().map(|c| c / norm + spread * gauss(&mut s)).collect();
                    Code::new(&v).expect("a vector")
                })
                .collect();
            (codes, p as u64)
        })
        .collect();
    let mut codes = Vec::with_capacity(n);
    let mut truth = Vec::with_capacity(n);
    for (c, p) in made {
        truth.extend(std::iter::repeat_n(p, c.len()));
        codes.extend(c);
    }
    let make_s = t0.elapsed().as_secs_f64();
    let mut cfg = Config::default();
    // Tuning: HMA_EFC / HMA_EF / HMA_K override the index's breadths and k.
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<usize>().ok());
    cfg.ef_construction = env("HMA_EFC").unwrap_or(cfg.ef_construction);
    cfg.ef = env("HMA_EF").unwrap_or(cfg.ef);
    cfg.k = env("HMA_K").unwrap_or(cfg.k);
    let t1 = Instant::now();
    let (graph, _codes) = neighbour_graph(codes, &cfg);
    let graph_s = t1.elapsed().as_secs_f64();
    let t2 = Instant::now();
    let labels = chinese_whispers(&graph, &cfg);
    let whispers_s = t2.elapsed().as_secs_f64();
    let (precision, recall) = pairwise(&truth, &labels);
    let mut count: HashMap<u64, usize> = HashMap::new();
    for &l in &labels {
        *count.entry(l).or_default() += 1;
    }
    let clusters = count.values().filter(|&&c| c >= 2).count();
    println!(
        "{}",
        serde_json::json!({
            "faces": n,
            "identities": sizes.len(),
            "threads": rayon::current_num_threads(),
            "make_s": (make_s * 100.0).round() / 100.0,
            "index_and_neighbours_s": (graph_s * 100.0).round() / 100.0,
            "whispers_s": (whispers_s * 100.0).round() / 100.0,
            "cluster_s": ((graph_s + whispers_s) * 100.0).round() / 100.0,
            "edges": graph.edges.len() / 2,
            "clusters_of_2_or_more": clusters,
            "peak_rss_mib": peak_rss_mib().round(),
            "precision": (precision * 10000.0).round() / 10000.0,
            "recall": (recall * 10000.0).round() / 10000.0,
        })
    );
}

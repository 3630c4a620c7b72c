//! Who is who: faces grouped by identity without comparing every pair.
//!
//! 1. Each face's identity embedding (SFace, 128-d) is normalised and
//!    quantised to `i8` ([`Code`]): a quarter of the memory of `f32`, and
//!    cosine within ±0.005 of the exact one.
//! 2. An HNSW index (the `instant-distance` crate) gives each face its `k`
//!    nearest faces in O(log n); pairs at cosine ≥ `min_similarity` become
//!    edges of a sparse graph, kept both ways ([`Graph`], compressed rows).
//! 3. Chinese whispers (Biemann 2006, the clustering dlib uses for faces)
//!    runs on that graph: every face takes the label its neighbours hold
//!    with the most weight, for a few rounds.
//! 4. [`settle`] lays the user's decisions over the clusters: confirmed
//!    faces keep their person; a cluster holding them passes their person
//!    to its other faces that are close enough to them (and were never
//!    rejected from them).
//!
//! Time O(n · k · log n) for the index and O(n · k) per round; memory
//! O(n · k). `examples/cluster_bench.rs` measures it at 10K, 100K and 1M
//! synthetic faces.

use std::collections::HashMap;

use instant_distance::{Builder, Search};
use rayon::prelude::*;

/// Embedding length.
pub const DIM: usize = 128;

/// An identity embedding, normalised and quantised (×127).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code(pub [i8; DIM]);

impl Code {
    /// `v` normalised and quantised; None when it is not a usable vector
    /// (wrong length, zero, not finite).
    pub fn new(v: &[f32]) -> Option<Code> {
        if v.len() != DIM {
            return None;
        }
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        if !norm.is_finite() || norm < 1e-6 {
            return None;
        }
        let mut q = [0i8; DIM];
        for (q, x) in q.iter_mut().zip(v) {
            *q = (x / norm * 127.0).round().clamp(-127.0, 127.0) as i8;
        }
        Some(Code(q))
    }

    /// From 128 little-endian `f32` (as the catalogue stores them).
    pub fn from_le_bytes(b: &[u8]) -> Option<Code> {
        if b.len() != DIM * 4 {
            return None;
        }
        let v: Vec<f32> = b.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
        Code::new(&v)
    }

    /// Cosine similarity (of the quantised vectors).
    pub fn similarity(&self, other: &Code) -> f32 {
        // At most 128 × 127² = 2,064,512: no overflow, so wrapping
        // arithmetic (the dev profile's overflow checks would keep the
        // compiler from vectorising this, the clustering's inner loop).
        let dot = self
            .0
            .iter()
            .zip(other.0.iter())
            .map(|(&a, &b)| i32::from(a).wrapping_mul(i32::from(b)))
            .fold(0i32, i32::wrapping_add);
        dot as f32 * (1.0 / (127.0 * 127.0))
    }
}

impl instant_distance::Point for Code {
    fn distance(&self, other: &Self) -> f32 {
        (1.0 - self.similarity(other)).max(0.0)
    }
}

/// How faces are clustered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Config {
    /// Neighbours asked of the index per face.
    pub k: usize,
    /// Pairs less alike than this are no edge. 0.55, above OpenCV's
    /// "same person" threshold for SFace (0.363): on 61 press photos of 13
    /// people the clusters are exact from 0.363 to 0.55, but in the 1927
    /// Solvay photo, where 29 grainy faces of 50–70 px look alike to the
    /// network, 0.363 puts 9 men in one cluster and 0.5 still two; 0.55
    /// keeps every man apart (docs/benchmarks.md). A person split in two
    /// clusters is one merge for the user; two people in one is worse.
    pub min_similarity: f32,
    /// Chinese-whispers rounds at most (it stops when nothing changes).
    pub rounds: usize,
    /// The index's search breadth (HNSW `ef`), at least `k`.
    pub ef: usize,
    /// Its breadth while building (HNSW `efConstruction`).
    pub ef_construction: usize,
    /// Seed of the index's layers and of the visiting order.
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config { k: 12, min_similarity: 0.55, rounds: 20, ef: 48, ef_construction: 20, seed: 0x5eed_face }
    }
}

/// A sparse similarity graph, rows compressed: node `i`'s edges are
/// `edges[offsets[i]..offsets[i + 1]]` as (neighbour, similarity).
#[derive(Debug, Clone, Default)]
pub struct Graph {
    pub offsets: Vec<u64>,
    pub edges: Vec<(u32, f32)>,
}

impl Graph {
    /// Nodes.
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Whether there are no nodes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Node `i`'s edges.
    pub fn neighbours(&self, i: usize) -> &[(u32, f32)] {
        &self.edges[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }

    /// The graph of these directed edges (`from`, `to`, similarity), kept
    /// both ways (a pair each found from the other counts twice: mutual
    /// neighbours weigh more).
    pub fn undirected(n: usize, directed: &[Vec<(u32, f32)>]) -> Graph {
        let mut degree = vec![0u64; n + 1];
        for (i, out) in directed.iter().enumerate() {
            degree[i] += out.len() as u64;
            for &(j, _) in out {
                degree[j as usize] += 1;
            }
        }
        let mut offsets = vec![0u64; n + 1];
        for i in 0..n {
            offsets[i + 1] = offsets[i] + degree[i];
        }
        let mut fill: Vec<u64> = offsets[..n].to_vec();
        let mut edges = vec![(0u32, 0f32); offsets[n] as usize];
        for (i, out) in directed.iter().enumerate() {
            for &(j, s) in out {
                edges[fill[i] as usize] = (j, s);
                fill[i] += 1;
                edges[fill[j as usize] as usize] = (i as u32, s);
                fill[j as usize] += 1;
            }
        }
        Graph { offsets, edges }
    }
}

/// The neighbour graph of `codes`: each face's `k` nearest by the HNSW
/// index, at similarity ≥ `min_similarity`, both ways. Consumes the codes
/// (the index keeps them) and gives them back in input order.
pub fn neighbour_graph(codes: Vec<Code>, cfg: &Config) -> (Graph, Vec<Code>) {
    let n = codes.len();
    if n == 0 {
        return (Graph { offsets: vec![0], edges: vec![] }, codes);
    }
    let (index, ids) = Builder::default()
        .ef_construction(cfg.ef_construction)
        .ef_search(cfg.ef.max(cfg.k + 1))
        .seed(cfg.seed)
        .build_hnsw(codes);
    // The index numbers points its own way.
    let mut input_of = vec![0u32; n];
    for (i, pid) in ids.iter().enumerate() {
        input_of[pid.into_inner() as usize] = i as u32;
    }
    let mut codes = vec![Code([0; DIM]); n];
    for (pid, c) in index.iter() {
        codes[input_of[pid.into_inner() as usize] as usize] = *c;
    }
    let directed: Vec<Vec<(u32, f32)>> = (0..n)
        .into_par_iter()
        .map_init(Search::default, |search, i| {
            index
                .search(&codes[i], search)
                .filter_map(|item| {
                    let j = input_of[item.pid.into_inner() as usize];
                    let s = 1.0 - item.distance;
                    (j as usize != i && s >= cfg.min_similarity).then_some((j, s))
                })
                .take(cfg.k)
                .collect()
        })
        .collect();
    // A pair both faces found is kept once (by the lower-numbered face),
    // or [`Graph::undirected`] would count it twice over.
    let directed: Vec<Vec<(u32, f32)>> = directed
        .iter()
        .enumerate()
        .map(|(i, out)| {
            out.iter()
                .copied()
                .filter(|&(j, _)| (j as usize) > i || !directed[j as usize].iter().any(|&(b, _)| b as usize == i))
                .collect()
        })
        .collect();
    (Graph::undirected(n, &directed), codes)
}

/// Labels of the faces after Chinese whispers on `graph`: every face
/// starts alone (label `FREE + i`) and, round after round in a fixed
/// order, takes the label its neighbours hold with the most weight, until
/// nothing changes. Deterministic for a given seed.
pub fn chinese_whispers(graph: &Graph, cfg: &Config) -> Vec<u64> {
    let n = graph.len();
    let mut labels: Vec<u64> = (0..n as u64).map(|i| FREE + i).collect();
    let mut order: Vec<u32> = (0..n as u32).collect();
    let mut rng = cfg.seed | 1;
    // Fisher–Yates with xorshift: a fixed visiting order per seed.
    for i in (1..order.len()).rev() {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        order.swap(i, (rng % (i as u64 + 1)) as usize);
    }
    let mut weights: Vec<(u64, f32)> = Vec::new();
    for _ in 0..cfg.rounds {
        let mut changed = 0usize;
        for &i in &order {
            weights.clear();
            for &(j, s) in graph.neighbours(i as usize) {
                let l = labels[j as usize];
                match weights.iter_mut().find(|(k, _)| *k == l) {
                    Some(w) => w.1 += s,
                    None => weights.push((l, s)),
                }
            }
            let best = weights.iter().max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
            if let Some(&(l, _)) = best {
                if l != labels[i as usize] {
                    labels[i as usize] = l;
                    changed += 1;
                }
            }
        }
        if changed == 0 {
            break;
        }
    }
    labels
}

/// What the user decided, over the clusters: a face with a fixed label
/// (a person the user confirmed) keeps it; another face in a cluster that
/// holds fixed faces joins the fixed label whose faces there it is most
/// like, when its cosine to their mean is at least `absorb` and it was
/// not rejected from that label; every other face keeps its cluster's
/// label. Clusters never merge or split here: the user's faces only name
/// what the clustering found.
pub fn settle(
    labels: &[u64],
    codes: &[Code],
    fixed: &[Option<u64>],
    rejected: &HashMap<u32, Vec<u64>>,
    absorb: f32,
) -> Vec<u64> {
    let mut members: HashMap<u64, Vec<usize>> = HashMap::new();
    for (i, &l) in labels.iter().enumerate() {
        members.entry(l).or_default().push(i);
    }
    let mut out: Vec<u64> = labels.to_vec();
    for faces in members.values() {
        // The fixed labels in this cluster and the mean of their faces.
        let mut held: HashMap<u64, Vec<usize>> = HashMap::new();
        for &i in faces {
            if let Some(Some(l)) = fixed.get(i) {
                held.entry(*l).or_default().push(i);
            }
        }
        let means: Vec<(u64, Code)> =
            held.iter().filter_map(|(&l, m)| Some((l, mean(m.iter().map(|&i| &codes[i]))?))).collect();
        for &i in faces {
            if let Some(Some(l)) = fixed.get(i) {
                out[i] = *l;
                continue;
            }
            let banned = rejected.get(&(i as u32));
            let best = means
                .iter()
                .filter(|(l, _)| banned.is_none_or(|b| !b.contains(l)))
                .map(|(l, m)| (*l, m.similarity(&codes[i])))
                .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
            if let Some((l, _)) = best.filter(|&(_, s)| s >= absorb) {
                out[i] = l;
            }
        }
    }
    out
}

/// One person is in a photo once: where a label holds several faces of one
/// photo (`photos[i]`: the photo of face `i`), the face closest to the
/// label's mean stays (a fixed face always stays) and the others leave it,
/// each alone (a new label from `FREE + n`). Two men side by side in a
/// grainy group photo can look alike to the network; they are never one
/// person.
pub fn one_per_photo(labels: &mut [u64], photos: &[u64], codes: &[Code], fixed: &[Option<u64>]) {
    let n = labels.len();
    let mut members: HashMap<u64, Vec<usize>> = HashMap::new();
    for (i, &l) in labels.iter().enumerate() {
        members.entry(l).or_default().push(i);
    }
    let mut next = FREE + n as u64;
    let mut faces: Vec<(u64, Vec<usize>)> = members.into_iter().collect();
    faces.sort_by_key(|(l, _)| *l);
    for (_, m) in faces {
        let mut by_photo: HashMap<u64, Vec<usize>> = HashMap::new();
        for &i in &m {
            by_photo.entry(photos[i]).or_default().push(i);
        }
        if by_photo.values().all(|v| v.len() == 1) {
            continue;
        }
        let centre = mean(m.iter().map(|&i| &codes[i]));
        for (_, mut same) in by_photo.into_iter().filter(|(_, v)| v.len() > 1) {
            same.sort_unstable();
            let held = |i: usize| fixed.get(i).copied().flatten().is_some();
            let keep: Vec<usize> = if same.iter().any(|&i| held(i)) {
                same.iter().copied().filter(|&i| held(i)).collect()
            } else {
                let best = same
                    .iter()
                    .copied()
                    .max_by(|&a, &b| {
                        let s = |i: usize| centre.as_ref().map_or(0.0, |c| c.similarity(&codes[i]));
                        s(a).total_cmp(&s(b)).then(b.cmp(&a))
                    })
                    .unwrap_or(same[0]);
                vec![best]
            };
            for i in same.into_iter().filter(|i| !keep.contains(i)) {
                labels[i] = next;
                next += 1;
            }
        }
    }
}

/// The normalised mean of some codes (None when there are none).
pub fn mean<'a>(codes: impl Iterator<Item = &'a Code>) -> Option<Code> {
    let mut sum = [0f32; DIM];
    let mut n = 0;
    for c in codes {
        for (s, &v) in sum.iter_mut().zip(c.0.iter()) {
            *s += f32::from(v);
        }
        n += 1;
    }
    if n == 0 {
        return None;
    }
    Code::new(&sum)
}

/// Labels of faces nobody fixed start here (person ids stay below).
pub const FREE: u64 = 1 << 48;

/// Pairwise precision and recall of a clustering against the truth: of the
/// pairs put together, the share that are the same identity; of the pairs
/// of the same identity, the share put together. By counting (O(n)), not
/// by visiting pairs. A clustering with no pair together has precision 1.
pub fn pairwise(truth: &[u64], predicted: &[u64]) -> (f64, f64) {
    let pairs = |n: u64| (n * n.saturating_sub(1) / 2) as f64;
    let mut both: HashMap<(u64, u64), u64> = HashMap::new();
    let mut by_truth: HashMap<u64, u64> = HashMap::new();
    let mut by_pred: HashMap<u64, u64> = HashMap::new();
    for (&t, &p) in truth.iter().zip(predicted) {
        *both.entry((t, p)).or_default() += 1;
        *by_truth.entry(t).or_default() += 1;
        *by_pred.entry(p).or_default() += 1;
    }
    let tp: f64 = both.values().map(|&n| pairs(n)).sum();
    let together: f64 = by_pred.values().map(|&n| pairs(n)).sum();
    let same: f64 = by_truth.values().map(|&n| pairs(n)).sum();
    (if together > 0.0 { tp / together } else { 1.0 }, if same > 0.0 { tp / same } else { 1.0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unit vectors near `centre` (cosine about 0.8), deterministic.
    fn around(centre: &[f32], n: usize, seed: &mut u64) -> Vec<Code> {
        (0..n)
            .map(|_| {
                let v: Vec<f32> = centre.iter().map(|c| c + 0.065 * gauss(seed)).collect();
                Code::new(&v).unwrap()
            })
            .collect()
    }

    fn gauss(seed: &mut u64) -> f32 {
        // Sum of 12 uniforms minus 6: near enough a standard normal here.
        (0..12)
            .map(|_| {
                *seed ^= *seed << 13;
                *seed ^= *seed >> 7;
                *seed ^= *seed << 17;
                (*seed >> 11) as f32 / (1u64 << 53) as f32
            })
            .sum::<f32>()
            - 6.0
    }

    fn centre(seed: &mut u64) -> Vec<f32> {
        let v: Vec<f32> = (0..DIM).map(|_| gauss(seed)).collect();
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
    }

    #[test]
    fn quantised_cosine_is_close_to_the_exact_one() {
        let mut seed = 7;
        let (a, b) = (centre(&mut seed), centre(&mut seed));
        let mixed: Vec<f32> = a.iter().zip(&b).map(|(x, y)| x + 0.8 * y).collect();
        let exact = {
            let n = mixed.iter().map(|x| x * x).sum::<f32>().sqrt();
            mixed.iter().zip(&a).map(|(x, y)| x / n * y).sum::<f32>()
        };
        let q = Code::new(&mixed).unwrap().similarity(&Code::new(&a).unwrap());
        assert!((q - exact).abs() < 0.01, "{q} vs {exact}");
        assert!((Code::new(&a).unwrap().similarity(&Code::new(&a).unwrap()) - 1.0).abs() < 0.01);
        assert!(Code::new(&[0.0; DIM]).is_none() && Code::new(&[1.0; 3]).is_none());
        assert!(Code::new(&[f32::NAN; DIM]).is_none());
    }

    #[test]
    fn identities_come_apart_and_confirmed_faces_hold_their_label() {
        let mut seed = 42;
        let centres: Vec<Vec<f32>> = (0..5).map(|_| centre(&mut seed)).collect();
        let mut codes = Vec::new();
        let mut truth = Vec::new();
        for (p, c) in centres.iter().enumerate() {
            codes.extend(around(c, 30, &mut seed));
            truth.extend(std::iter::repeat_n(p as u64, 30));
        }
        let cfg = Config::default();
        let (graph, codes) = neighbour_graph(codes, &cfg);
        assert_eq!((graph.len(), codes.len()), (150, 150));
        let labels = chinese_whispers(&graph, &cfg);
        let (p, r) = pairwise(&truth, &labels);
        assert!(p > 0.99 && r > 0.99, "precision {p} recall {r}");
        // Face 0 confirmed as person 7: its whole identity follows; face 1
        // rejected from person 7 does not.
        let mut fixed = vec![None; 150];
        fixed[0] = Some(7);
        let rejected = HashMap::from([(1u32, vec![7u64])]);
        let labels = settle(&labels, &codes, &fixed, &rejected, 0.4);
        assert_eq!(labels[0], 7);
        assert_ne!(labels[1], 7);
        assert!((2..30).all(|i| labels[i] == 7), "{:?}", &labels[..30]);
        assert!((30..150).all(|i| labels[i] != 7));
    }

    #[test]
    fn one_person_is_in_a_photo_once() {
        let mut seed = 9;
        let c = centre(&mut seed);
        let codes = around(&c, 4, &mut seed);
        // Faces 0 and 1 in photo 10, 2 and 3 in photos 11 and 12: one label.
        let mut labels = vec![FREE; 4];
        one_per_photo(&mut labels, &[10, 10, 11, 12], &codes, &[None; 4]);
        assert_eq!(labels.iter().filter(|&&l| l == FREE).count(), 3, "{labels:?}");
        assert!(labels[0] == FREE || labels[1] == FREE);
        // A confirmed face stays, the other of its photo leaves.
        let mut labels = vec![7; 4];
        one_per_photo(&mut labels, &[10, 10, 11, 12], &codes, &[None, Some(7), None, None]);
        assert_eq!((labels[1], labels[2], labels[3]), (7, 7, 7));
        assert_ne!(labels[0], 7);
    }

    #[test]
    fn pairwise_counts_pairs() {
        // Truth {0,1,2} {3}; predicted {0,1} {2,3}: together 2 pairs, 1
        // right; same 3 pairs, 1 found.
        let (p, r) = pairwise(&[1, 1, 1, 2], &[5, 5, 6, 6]);
        assert!((p - 0.5).abs() < 1e-9 && (r - 1.0 / 3.0).abs() < 1e-9);
        assert_eq!(pairwise(&[1, 2], &[3, 4]), (1.0, 1.0));
    }
}

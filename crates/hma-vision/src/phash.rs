//! Perceptual hashes and a sub-quadratic neighbour index.
//!
//! The hash is the DCT hash (pHash, Zauner 2010): the picture as displayed
//! (orientation applied), area-averaged to 32×32 grey, 2-D DCT-II, and one
//! bit per low-frequency coefficient: above or below their median. It
//! survives resizing, recompression, colour and tone edits and small crops.
//!
//! Orientation awareness: a picture whose pixels were rotated or mirrored
//! (rather than tagged) has the same DCT coefficients up to sign and
//! transposition — mirroring left-right negates the odd horizontal
//! frequencies, transposing swaps the two axes — so the hashes of all eight
//! rotations/mirrors come from one DCT, and a lookup tries all eight.
//!
//! The index is multi-index hashing (Norouzi, Punjani, Fleet 2012): four
//! tables keyed by 16-bit slices of the hash. Two hashes within distance r
//! agree to within ⌊r/4⌋ bits on at least one slice (pigeonhole), so a query
//! probes only those slice values: exact results, near-constant work per
//! query at a million pictures, and no all-pairs comparison.

use crate::Gray8;

/// The eight dihedral transforms (identity first), as (transpose, mirror
/// horizontal frequencies, mirror vertical frequencies) applied to the DCT.
const TRANSFORMS: [(bool, bool, bool); 8] = [
    (false, false, false),
    (false, true, false),
    (false, false, true),
    (false, true, true),
    (true, false, false),
    (true, true, false),
    (true, false, true),
    (true, true, true),
];

/// Coefficients used: the 8×8 low-frequency block without the DC term (63),
/// plus (0, 8) so there are 64.
fn coeff_positions() -> impl Iterator<Item = (usize, usize)> {
    (0..8).flat_map(|v| (0..8).map(move |u| (u, v))).filter(|&p| p != (0, 0)).chain(std::iter::once((8, 0)))
}

/// 32-point DCT-II basis (unnormalised).
fn dct_basis() -> [[f64; 32]; 9] {
    let mut b = [[0f64; 32]; 9];
    for (k, row) in b.iter_mut().enumerate() {
        for (n, v) in row.iter_mut().enumerate() {
            *v = (std::f64::consts::PI / 32.0 * (n as f64 + 0.5) * k as f64).cos();
        }
    }
    b
}

/// The low-frequency DCT coefficients `c[v][u]` (u horizontal, v vertical,
/// 0..9) of the picture's 32×32 area average.
pub fn low_dct(gray: &Gray8) -> [[f64; 9]; 9] {
    let small = crate::resize::gray_area(gray, 32, 32);
    let basis = dct_basis();
    // Rows first: r[y][u] = Σx p[y][x]·b[u][x].
    let mut r = [[0f64; 9]; 32];
    for (y, ry) in r.iter_mut().enumerate() {
        for (u, v) in ry.iter_mut().enumerate() {
            *v = (0..32).map(|x| small.data[y * 32 + x] as f64 * basis[u][x]).sum();
        }
    }
    let mut c = [[0f64; 9]; 9];
    for (v, cv) in c.iter_mut().enumerate() {
        for (u, val) in cv.iter_mut().enumerate() {
            *val = (0..32).map(|y| r[y][u] * basis[v][y]).sum();
        }
    }
    c
}

fn bits(values: &[f64; 64]) -> u64 {
    let mut sorted = *values;
    sorted.sort_by(f64::total_cmp);
    let median = (sorted[31] + sorted[32]) / 2.0;
    values.iter().enumerate().fold(0u64, |h, (i, &v)| if v > median { h | (1 << i) } else { h })
}

/// The hash of the picture as displayed, and of its seven rotations and
/// mirrors (index 0 is the picture itself).
pub fn dct_hashes(gray: &Gray8) -> [u64; 8] {
    let c = low_dct(gray);
    let mut out = [0u64; 8];
    for (slot, &(transpose, flip_u, flip_v)) in TRANSFORMS.iter().enumerate() {
        let mut vals = [0f64; 64];
        for (i, (u, v)) in coeff_positions().enumerate() {
            // Coefficient (u, v) of the transformed picture comes from (v, u)
            // of the original when transposed; mirroring flips the sign of
            // odd frequencies along the mirrored axis.
            let (su, sv) = if transpose { (v, u) } else { (u, v) };
            let mut x = c[sv][su];
            if flip_u && u % 2 == 1 {
                x = -x;
            }
            if flip_v && v % 2 == 1 {
                x = -x;
            }
            vals[i] = x;
        }
        out[slot] = bits(&vals);
    }
    out
}

/// Whether the picture has too little structure for its hash to mean
/// anything (a flat or nearly flat frame hashes like every other one).
pub fn is_degenerate(gray: &Gray8) -> bool {
    let c = low_dct(gray);
    let energy: f64 = coeff_positions().map(|(u, v)| c[v][u] * c[v][u]).sum::<f64>().sqrt();
    // Orthonormal-equivalent energy below ~2 grey levels of variation.
    energy / 16.0 < 2.0
}

pub fn distance(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// Multi-index hashing over four 16-bit slices. Each slice's table is a
/// direct-addressed bucket array (65,536 offsets) into one list of
/// (hash, id) entries sorted by bucket, so a probe reads one small offset
/// table and then scans its bucket's hashes contiguously: at a million
/// hashes a radius-7 query scans about a thousand hashes, sequentially.
/// One slice's table: bucket start offsets (65,537), and the hashes and
/// their ids in bucket order, side by side (12 bytes a hash per slice,
/// where (hash, id) pairs would take 16 with their padding: 48 MB less at
/// a million hashes).
struct SliceTable {
    offsets: Vec<u32>,
    hashes: Vec<u64>,
    ids: Vec<u32>,
}

pub struct HashIndex {
    tables: Vec<SliceTable>,
    len: usize,
}

impl HashIndex {
    /// Indexes `hashes`; a hash's id is its position.
    pub fn build(hashes: Vec<u64>) -> Self {
        let mut tables = Vec::with_capacity(4);
        for s in 0..4 {
            let key = |h: u64| (h >> (16 * s)) as u16 as usize;
            let mut offsets = vec![0u32; 65_537];
            for &h in &hashes {
                offsets[key(h) + 1] += 1;
            }
            for i in 1..offsets.len() {
                offsets[i] += offsets[i - 1];
            }
            let mut fill = offsets.clone();
            let mut sorted = vec![0u64; hashes.len()];
            let mut ids = vec![0u32; hashes.len()];
            for (id, &h) in hashes.iter().enumerate() {
                let k = key(h);
                sorted[fill[k] as usize] = h;
                ids[fill[k] as usize] = id as u32;
                fill[k] += 1;
            }
            tables.push(SliceTable { offsets, hashes: sorted, ids });
        }
        HashIndex { tables, len: hashes.len() }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Ids of every stored hash within `radius` bits of `query` (radius ≤ 15),
    /// with their distance, each once.
    pub fn within(&self, query: u64, radius: u32) -> Vec<(u32, u32)> {
        let per_slice = radius / 4;
        let mut found: Vec<(u32, u32)> = Vec::new();
        for (s, t) in self.tables.iter().enumerate() {
            let key = (query >> (16 * s)) as u16;
            for_each_within(key, per_slice, &mut |k| {
                let (a, b) = (t.offsets[k as usize] as usize, t.offsets[k as usize + 1] as usize);
                for (&h, &id) in t.hashes[a..b].iter().zip(&t.ids[a..b]) {
                    let d = distance(h, query);
                    if d <= radius {
                        found.push((id, d));
                    }
                }
            });
        }
        found.sort_unstable();
        found.dedup();
        found
    }
}

/// Calls `f` with every 16-bit value within `r` bits (r ≤ 3) of `key`.
fn for_each_within(key: u16, r: u32, f: &mut impl FnMut(u16)) {
    f(key);
    if r >= 1 {
        for a in 0..16 {
            let k1 = key ^ (1 << a);
            f(k1);
            if r >= 2 {
                for b in a + 1..16 {
                    let k2 = k1 ^ (1 << b);
                    f(k2);
                    if r >= 3 {
                        for c in b + 1..16 {
                            f(k2 ^ (1 << c));
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picture(w: u32, h: u32) -> Gray8 {
        let data = (0..h)
            .flat_map(|y| {
                (0..w).map(move |x| {
                    let (fx, fy) = (x as f64 / w as f64, y as f64 / h as f64);
                    (120.0 + 80.0 * (fx * 7.0).sin() * (fy * 3.0 + fx).cos() + 40.0 * fy) as u8
                })
            })
            .collect();
        Gray8 { width: w, height: h, data }
    }

    fn rotate90(g: &Gray8) -> Gray8 {
        let (w, h) = (g.width as usize, g.height as usize);
        let mut data = vec![0u8; w * h];
        for y in 0..w {
            for x in 0..h {
                data[y * h + x] = g.data[(h - 1 - x) * w + y];
            }
        }
        Gray8 { width: h as u32, height: w as u32, data }
    }

    #[test]
    fn resized_and_rotated_copies_match_and_others_do_not() {
        let a = picture(320, 240);
        let ha = dct_hashes(&a);
        let smaller = crate::resize::gray_area(&a, 160, 120);
        assert!(distance(ha[0], dct_hashes(&smaller)[0]) <= 4);
        // The stored pixels turned a quarter: one of the eight variants of
        // the original matches the turned picture's own hash.
        let turned = dct_hashes(&rotate90(&a))[0];
        assert!(ha.iter().any(|&v| distance(v, turned) <= 4), "{:?} vs {turned:x}", ha);
        assert!(distance(ha[0], turned) > 10);
        let other = Gray8 {
            width: 320,
            height: 240,
            data: (0..240u32)
                .flat_map(|y| (0..320u32).map(move |x| ((x * 3 + y * 5) % 97 + (x / 40) * 20) as u8))
                .collect(),
        };
        let other = dct_hashes(&other)[0];
        assert!(distance(ha[0], other) > 10);
        assert!(is_degenerate(&Gray8 { width: 50, height: 50, data: vec![77; 2500] }));
        assert!(!is_degenerate(&a));
    }

    #[test]
    fn index_finds_exactly_the_neighbours_within_the_radius() {
        let mut rng = 0x9E3779B97F4A7C15u64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let hashes: Vec<u64> = (0..5000).map(|_| next()).collect();
        let idx = HashIndex::build(hashes.clone());
        let q = hashes[17] ^ 0b1011_0000_0000_0001_0000_0000_0100_0000_0000_0001;
        for radius in [0, 4, 7, 10, 12] {
            let brute: Vec<(u32, u32)> = hashes
                .iter()
                .enumerate()
                .map(|(i, &h)| (i as u32, distance(h, q)))
                .filter(|&(_, d)| d <= radius)
                .collect();
            assert_eq!(idx.within(q, radius), brute, "radius {radius}");
        }
    }
}

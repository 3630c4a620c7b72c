//! How well a model ranks decisions it did not learn from: the area under
//! the ROC curve (with its standard error), accuracy, Brier score and
//! expected calibration error, and the folds of a cross-validation.

use serde::Serialize;

/// Area under the ROC curve: the chance that a random kept picture scores
/// above a random rejected one (ties count half), from the ranks
/// (Mann–Whitney U), O(n log n). None without both kinds.
pub fn auc(scores: &[f64], positive: &[bool]) -> Option<f64> {
    let n_pos = positive.iter().filter(|&&p| p).count();
    let n_neg = positive.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Mid-ranks over runs of equal scores.
    let mut rank_sum_pos = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let mid = (i + j) as f64 / 2.0 + 1.0;
        rank_sum_pos += order[i..=j].iter().filter(|&&k| positive[k]).count() as f64 * mid;
        i = j + 1;
    }
    let (p, n) = (n_pos as f64, n_neg as f64);
    Some((rank_sum_pos - p * (p + 1.0) / 2.0) / (p * n))
}

/// Standard error of an AUC (Hanley & McNeil 1982): what the number of
/// decisions allows one to trust.
pub fn auc_se(auc: f64, n_pos: usize, n_neg: usize) -> f64 {
    let (p, n) = (n_pos as f64, n_neg as f64);
    let q1 = auc / (2.0 - auc);
    let q2 = 2.0 * auc * auc / (1.0 + auc);
    let v = (auc * (1.0 - auc) + (p - 1.0) * (q1 - auc * auc) + (n - 1.0) * (q2 - auc * auc)) / (p * n);
    v.max(0.0).sqrt()
}

/// Out-of-fold predictions summed up.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Metrics {
    pub auc: f64,
    pub auc_se: f64,
    /// Share of decisions on the right side of 0.5.
    pub accuracy: f64,
    /// Mean squared distance of the probability from the decision (0 best).
    pub brier: f64,
    /// Expected calibration error over ten bins of probability: how far
    /// "70 %" is from seven kept in ten.
    pub ece: f64,
    pub positives: usize,
    pub negatives: usize,
}

/// The metrics of probabilities `p` against decisions `positive`; None
/// without both kinds.
pub fn metrics(p: &[f64], positive: &[bool]) -> Option<Metrics> {
    let auc = auc(p, positive)?;
    let n_pos = positive.iter().filter(|&&x| x).count();
    let n_neg = positive.len() - n_pos;
    let n = p.len() as f64;
    let truth = |k: usize| if positive[k] { 1.0 } else { 0.0 };
    let accuracy = (0..p.len()).filter(|&k| (p[k] >= 0.5) == positive[k]).count() as f64 / n;
    let brier = (0..p.len()).map(|k| (p[k] - truth(k)).powi(2)).sum::<f64>() / n;
    let mut bins = [(0.0f64, 0.0f64, 0usize); 10];
    for (k, &pk) in p.iter().enumerate() {
        let b = ((pk * 10.0) as usize).min(9);
        bins[b].0 += pk;
        bins[b].1 += truth(k);
        bins[b].2 += 1;
    }
    let ece = bins.iter().filter(|b| b.2 > 0).map(|b| (b.0 - b.1).abs()).sum::<f64>() / n;
    Some(Metrics { auc, auc_se: auc_se(auc, n_pos, n_neg), accuracy, brier, ece, positives: n_pos, negatives: n_neg })
}

/// A small deterministic generator (xorshift64*): folds and initial
/// weights are the same on every run, so a model and its report can be
/// reproduced from the same decisions.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

/// The fold (0..k) of each example, stratified: the kept and the rejected
/// are each shuffled and dealt round the folds, so every fold has its share
/// of both.
pub fn folds(positive: &[bool], k: usize, seed: u64) -> Vec<usize> {
    let mut rng = Rng::new(seed);
    let mut out = vec![0; positive.len()];
    let mut next = 0;
    for kind in [true, false] {
        let mut idx: Vec<usize> = (0..positive.len()).filter(|&i| positive[i] == kind).collect();
        rng.shuffle(&mut idx);
        for i in idx {
            out[i] = next % k;
            next += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_counts_pairs_and_ties() {
        // Pairs (pos, neg): (0.9,0.1) (0.9,0.5) (0.4,0.1) (0.4,0.5): 3 of 4 right.
        assert_eq!(auc(&[0.9, 0.4, 0.1, 0.5], &[true, true, false, false]), Some(0.75));
        // All tied: a coin.
        assert_eq!(auc(&[0.3; 4], &[true, false, true, false]), Some(0.5));
        assert_eq!(auc(&[0.2, 0.8], &[false, true]), Some(1.0));
        assert_eq!(auc(&[0.2, 0.8], &[true, true]), None);
    }

    #[test]
    fn auc_se_shrinks_with_more_decisions() {
        let few = auc_se(0.8, 20, 20);
        let many = auc_se(0.8, 500, 500);
        assert!(few > 0.05 && few < 0.09, "{few}");
        assert!(many < few / 4.0, "{many}");
    }

    #[test]
    fn calibration_of_a_perfect_and_a_bad_forecast() {
        let truth = [true, false, true, false];
        let m = metrics(&[1.0, 0.0, 1.0, 0.0], &truth).unwrap();
        assert_eq!((m.auc, m.accuracy, m.brier, m.ece), (1.0, 1.0, 0.0, 0.0));
        // Always "90 %" while half are kept: ranks nothing, 0.4 off.
        let m = metrics(&[0.9; 4], &truth).unwrap();
        assert_eq!(m.auc, 0.5);
        assert!((m.ece - 0.4).abs() < 1e-12, "{}", m.ece);
    }

    #[test]
    fn folds_are_stratified_and_repeatable() {
        let pos: Vec<bool> = (0..100).map(|i| i % 4 == 0).collect();
        let f = folds(&pos, 5, 7);
        assert_eq!(f, folds(&pos, 5, 7));
        for k in 0..5 {
            let n = f.iter().filter(|&&x| x == k).count();
            let p = (0..100).filter(|&i| f[i] == k && pos[i]).count();
            assert_eq!((n, p), (20, 5), "fold {k}");
        }
    }
}

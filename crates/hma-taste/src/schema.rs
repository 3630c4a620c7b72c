//! The features a taste model reads, with the words that name them. The
//! engine makes the vectors (from the catalogue); this crate only needs to
//! know each feature's name and how to say it.

use serde::{Deserialize, Serialize};

/// How a feature varies, which decides how its words read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Shape {
    /// 0 or 1: the picture has it or not ("photos with people").
    Indicator,
    /// A level, more or less ("bright photos" / "dark photos").
    Level,
}

/// One feature: its key and its words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureDef {
    /// Stable key (`people`, `brightness`, `person:Anna`).
    pub key: String,
    pub shape: Shape,
    /// The pictures that have much of it, as a plural noun phrase ("photos
    /// with people", "bright photos", "photos of Anna").
    pub high: String,
    /// The pictures that have little of it ("photos without people", "dark
    /// photos").
    pub low: String,
}

impl FeatureDef {
    pub fn indicator(key: impl Into<String>, high: impl Into<String>, low: impl Into<String>) -> FeatureDef {
        FeatureDef { key: key.into(), shape: Shape::Indicator, high: high.into(), low: low.into() }
    }

    pub fn level(key: impl Into<String>, high: impl Into<String>, low: impl Into<String>) -> FeatureDef {
        FeatureDef { key: key.into(), shape: Shape::Level, high: high.into(), low: low.into() }
    }

    /// What a model learned of this feature, from the sign of its effect
    /// on keeping a picture: "you keep photos with people", "you reject
    /// photos with people", "you keep dark photos".
    pub fn learned(&self, effect: f64) -> String {
        match (self.shape, effect >= 0.0) {
            (_, true) => format!("you keep {}", self.high),
            (Shape::Indicator, false) => format!("you reject {}", self.high),
            (Shape::Level, false) => format!("you keep {}", self.low),
        }
    }

    /// Why this feature moved one picture's taste score: `z` is the
    /// picture's standardised value (above or below her usual), `push` the
    /// feature's push towards keeping it (logit units).
    pub fn said_of(&self, z: f64, push: f64) -> String {
        let what = if z >= 0.0 { &self.high } else { &self.low };
        let verdict = if push >= 0.0 { "you keep those" } else { "you reject those" };
        format!("{what}: {verdict}")
    }
}

/// The features of one model, in vector order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Schema {
    pub features: Vec<FeatureDef>,
    /// How a picture's look embedding becomes the `look:N` features.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub look: Option<LookAxes>,
}

/// The main directions in which the look embeddings of her decided
/// pictures differ (principal components, largest first): a model reads a
/// picture's place along each, a handful of numbers instead of hundreds,
/// which a few hundred decisions can support. Found with the decisions'
/// own pictures, stored with the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct LookAxes {
    pub mean: Vec<f32>,
    /// Unit vectors.
    pub axes: Vec<Vec<f32>>,
}

impl LookAxes {
    /// The `k` main directions of `looks` (all of one length); `None` with
    /// fewer than `2k` looks or when they do not vary. Power iteration on
    /// the covariance with deflation, deterministic (same looks, same
    /// axes). Written here: the covariance is a few hundred wide and the
    /// iteration twenty lines, no linear-algebra crate needed.
    pub fn fit(looks: &[&[f32]], k: usize) -> Option<LookAxes> {
        let n = looks.len();
        let d = looks.first()?.len();
        if n < 2 * k || d == 0 || looks.iter().any(|l| l.len() != d) {
            return None;
        }
        let mut mean = vec![0f64; d];
        for l in looks {
            for (m, v) in mean.iter_mut().zip(l.iter()) {
                *m += f64::from(*v) / n as f64;
            }
        }
        let mut cov = vec![0f64; d * d];
        let mut row = vec![0f64; d];
        for l in looks {
            for (r, (v, m)) in row.iter_mut().zip(l.iter().zip(&mean)) {
                *r = f64::from(*v) - m;
            }
            for i in 0..d {
                let ri = row[i];
                if ri == 0.0 {
                    continue;
                }
                for (c, rj) in cov[i * d..i * d + i + 1].iter_mut().zip(&row[..=i]) {
                    *c += ri * rj;
                }
            }
        }
        for i in 0..d {
            for j in 0..i {
                cov[j * d + i] = cov[i * d + j];
            }
        }
        // Variance next to the looks' own size: rounding alone is not a
        // direction.
        let total: f64 = (0..d).map(|i| cov[i * d + i]).sum();
        let size: f64 = mean.iter().map(|m| m * m).sum::<f64>() + 1e-30;
        if total / n as f64 <= size * 1e-10 {
            return None;
        }
        let mut axes = Vec::with_capacity(k);
        for a in 0..k {
            // A start no axis is orthogonal to by accident.
            let mut v: Vec<f64> = (0..d).map(|i| 1.0 + ((i * 7 + a * 13) % 11) as f64 / 10.0).collect();
            let mut lambda = 0.0;
            for _ in 0..300 {
                let w: Vec<f64> =
                    (0..d).map(|i| cov[i * d..(i + 1) * d].iter().zip(&v).map(|(c, x)| c * x).sum()).collect();
                let norm = w.iter().map(|x| x * x).sum::<f64>().sqrt();
                if norm <= total * 1e-9 {
                    break;
                }
                let next: Vec<f64> = w.iter().map(|x| x / norm).collect();
                let moved = next.iter().zip(&v).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
                v = next;
                lambda = norm;
                if moved < 1e-9 {
                    break;
                }
            }
            if lambda <= total * 1e-6 {
                break;
            }
            // One sign for the same data: the largest part positive.
            let big = v.iter().copied().fold(0.0, |m: f64, x| if x.abs() > m.abs() { x } else { m });
            if big < 0.0 {
                v.iter_mut().for_each(|x| *x = -*x);
            }
            for i in 0..d {
                for j in 0..d {
                    cov[i * d + j] -= lambda * v[i] * v[j];
                }
            }
            axes.push(v.iter().map(|&x| x as f32).collect());
        }
        (!axes.is_empty()).then(|| LookAxes { mean: mean.iter().map(|&m| m as f32).collect(), axes })
    }

    /// A look's place along each axis.
    pub fn project(&self, look: &[f32]) -> Vec<f32> {
        self.axes
            .iter()
            .map(|a| a.iter().zip(look.iter().zip(&self.mean)).map(|(w, (v, m))| w * (v - m)).sum())
            .collect()
    }
}

impl Schema {
    pub fn len(&self) -> usize {
        self.features.len()
    }

    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    pub fn index(&self, key: &str) -> Option<usize> {
        self.features.iter().position(|f| f.key == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_look_axes_are_the_directions_the_looks_differ_in() {
        // Points spread 10 along (1, 1, 0, 0)/√2 and 3 along (0, 0, 1, −1)/√2,
        // around a mean of (5, 5, 5, 5).
        let mut looks = Vec::new();
        // Every s with both t: uncorrelated, each of mean 0.
        for i in 0..42 {
            let (s, t) = ((i / 2) as f32 - 10.0, if i % 2 == 0 { 3.0 } else { -3.0 });
            let r = std::f32::consts::FRAC_1_SQRT_2;
            looks.push(vec![5.0 + s * r, 5.0 + s * r, 5.0 + t * r, 5.0 - t * r]);
        }
        let refs: Vec<&[f32]> = looks.iter().map(|l| l.as_slice()).collect();
        let ax = LookAxes::fit(&refs, 2).unwrap();
        let r = std::f32::consts::FRAC_1_SQRT_2;
        let close = |a: &[f32], b: [f32; 4]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-3);
        assert!(close(&ax.axes[0], [r, r, 0.0, 0.0]), "{:?}", ax.axes[0]);
        assert!(close(&ax.axes[1], [0.0, 0.0, r, -r]) || close(&ax.axes[1], [0.0, 0.0, -r, r]), "{:?}", ax.axes[1]);
        // A look is placed along each axis from the mean.
        let p = ax.project(&[5.0 + 2.0 * r, 5.0 + 2.0 * r, 5.0, 5.0]);
        assert!((p[0] - 2.0).abs() < 1e-3 && p[1].abs() < 1e-3, "{p:?}");
        // Too few looks, or looks that do not vary: no axes.
        assert!(LookAxes::fit(&refs[..3], 2).is_none());
        let same = vec![vec![1.0f32; 4]; 10];
        let same: Vec<&[f32]> = same.iter().map(|l| l.as_slice()).collect();
        assert!(LookAxes::fit(&same, 2).is_none());
    }
}

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Schema {
    pub features: Vec<FeatureDef>,
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

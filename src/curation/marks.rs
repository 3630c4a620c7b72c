//! The culling marks of a capture (pick/reject flag, stars, colour label):
//! what was decided here over what its XMP says. Plain values, shared by
//! ranking, reports and culling.

use hma_catalog::{CaptureFields, DecisionRow};
use serde::{Deserialize, Serialize};

/// Colour labels, in the order of Lightroom's keys 6–9 (purple has no key).
pub const LABELS: [&str; 5] = ["red", "yellow", "green", "blue", "purple"];

/// The pick/reject flag of a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum Flag {
    Picked,
    Rejected,
    Unflagged,
}

impl Flag {
    /// As stored and as the UI shows it: 1 picked, −1 rejected, 0 unflagged.
    pub fn value(self) -> i16 {
        match self {
            Flag::Picked => 1,
            Flag::Rejected => -1,
            Flag::Unflagged => 0,
        }
    }

    /// The flag of a stored value (None for anything but −1, 0, 1).
    pub fn from_value(v: i16) -> Option<Flag> {
        match v {
            1 => Some(Flag::Picked),
            -1 => Some(Flag::Rejected),
            0 => Some(Flag::Unflagged),
            _ => None,
        }
    }
}

/// The culling state of a capture as shown: decided here, else read from
/// the photo's XMP, else nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Marks {
    /// 1 picked, −1 rejected, 0 unflagged.
    pub flag: i16,
    /// 0–5 stars.
    pub rating: i16,
    /// Colour label (lower case), if any.
    pub label: Option<String>,
    /// What the user decided here (each `None` = not decided: XMP shows).
    pub decided: Decision,
    /// Why the XMP sidecar could not be written (said once per folder; the
    /// decision is saved all the same).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub sidecar: Option<String>,
}

/// A decision as stored: each field `None` when not decided here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Decision {
    pub flag: Option<i16>,
    pub rating: Option<i16>,
    pub label: Option<String>,
}

impl Marks {
    /// The marks of a capture from its stored decision and its XMP fields.
    pub fn of(d: Option<&DecisionRow>, xmp: Option<&CaptureFields>) -> Marks {
        let decided =
            d.map(|d| Decision { flag: d.flag, rating: d.rating, label: d.label.clone() }).unwrap_or_default();
        let (xmp_flag, xmp_rating, xmp_label) =
            xmp.map(|c| from_xmp(c.pick, c.rating, c.label.as_deref())).unwrap_or_default();
        Marks {
            flag: decided.flag.or(xmp_flag).unwrap_or(0),
            rating: decided.rating.or(xmp_rating).unwrap_or(0),
            label: match &decided.label {
                Some(l) if l.is_empty() => None,
                Some(l) => Some(l.clone()),
                None => xmp_label,
            },
            decided,
            sidecar: None,
        }
    }
}

/// What XMP says, as our marks read it: the flag (pick ±1 or 0; a rating
/// of −1 is Lightroom's and darktable's reject), the stars (0–5; a −1
/// rating says nothing about them) and the label (as stored; an empty one
/// is none). Each None when XMP does not say.
pub fn from_xmp(
    pick: Option<i32>,
    rating: Option<i32>,
    label: Option<&str>,
) -> (Option<i16>, Option<i16>, Option<String>) {
    let flag = pick.or(rating.filter(|&r| r < 0).map(|_| -1)).map(|f| f.signum() as i16);
    let stars = rating.filter(|&r| r >= 0).map(|r| r.min(5) as i16);
    let label = label.map(normalise_label).filter(|l| !l.is_empty());
    (flag, stars, label)
}

/// A label as stored: lower case, trimmed ("Red" → "red").
pub fn normalise_label(s: &str) -> String {
    s.trim().to_lowercase()
}

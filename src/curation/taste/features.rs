//! The features of a picture as her taste model reads them, each with the
//! words that name it: the technical scores and measurements (light,
//! tones, detail), what the detector and the face models found (people,
//! faces and their eyes, who is in it, animals, food, screens…), when it
//! was taken, whether a camera took it, and its look: where the detector's
//! look embedding places it along the main directions her decided pictures
//! differ in. All are stored already by the other stages; none needs the
//! picture read again.

use std::collections::HashMap;

use hma_catalog::{AnalysisRow, TasteFacts};
use hma_taste::{FeatureDef, LookAxes, Schema};
use hma_vision::score::{Found, Scored};
use hma_vision::Measurements;

/// Version of the features below: a model made with another version is
/// trained again before it is used (2: the look).
pub const FEATURES_VERSION: i32 = 2;

/// Look axes a model reads (`look:1` …): one for every [`PICTURES_PER_AXIS`]
/// decided pictures with a look, from [`MIN_LOOK_AXES`] to
/// [`MAX_LOOK_AXES`]. More axes let a model see more kinds of picture and
/// ask more decisions to place them: on the shared photographs (in-sample:
/// no other labelled set here) 4, 8, 16, 24 and 32 axes at 135 decisions
/// gave the nature lover's held-out AUC 0.81, 0.85, 0.84, 0.87, 0.87 and
/// the dark user's 0.95, 0.95, 0.94, 0.93, 0.91 (docs/taste.md).
pub const PICTURES_PER_AXIS: usize = 16;
pub const MIN_LOOK_AXES: usize = 4;
pub const MAX_LOOK_AXES: usize = 32;

/// Examples that name a look axis at each end.
const LOOK_EXAMPLES: usize = 2;

/// Named people who get a feature of their own ("you keep photos of
/// Anna"): those in at least this many decided pictures, the most
/// frequent first, at most [`MAX_PEOPLE`].
pub const MIN_PERSON_PICTURES: usize = 3;
pub const MAX_PEOPLE: usize = 8;

/// A detection counts from this confidence.
const SEEN: f64 = 0.4;

/// COCO classes by what a person would call them.
const KINDS: [(&str, &str, &[&str]); 6] = [
    ("pets", "photos of pets", &["dog", "cat"]),
    ("animals", "photos of animals", &["bird", "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe"]),
    ("vehicles", "photos of vehicles", &["bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat"]),
    (
        "food",
        "photos of food and drink",
        &[
            "bottle",
            "wine glass",
            "cup",
            "fork",
            "knife",
            "spoon",
            "bowl",
            "banana",
            "apple",
            "sandwich",
            "orange",
            "broccoli",
            "carrot",
            "hot dog",
            "pizza",
            "donut",
            "cake",
        ],
    ),
    ("screens", "photos of screens and gadgets", &["tv", "laptop", "mouse", "remote", "keyboard", "cell phone"]),
    (
        "rooms",
        "photos of rooms and furniture",
        &[
            "chair",
            "couch",
            "bed",
            "dining table",
            "toilet",
            "microwave",
            "oven",
            "toaster",
            "sink",
            "refrigerator",
            "book",
            "clock",
            "vase",
        ],
    ),
];

/// The features every model has, in order (named people follow).
pub fn base() -> Vec<FeatureDef> {
    let mut v = vec![
        FeatureDef::level("quality", "technically good photos", "technically weak photos"),
        FeatureDef::level("sharpness", "sharp photos", "soft photos"),
        FeatureDef::level("exposure", "well-exposed photos", "badly exposed photos"),
        FeatureDef::level("noise", "clean photos", "noisy photos"),
        FeatureDef::level("composition", "well-composed photos", "loosely composed photos"),
        FeatureDef::level("brightness", "bright photos", "dark photos"),
        FeatureDef::level("shadows", "photos mostly in shadow", "photos with little shadow"),
        FeatureDef::level("light_tones", "photos mostly in light tones", "photos with few light tones"),
        FeatureDef::level("contrast", "high-contrast photos", "low-contrast photos"),
        FeatureDef::level("tones", "photos rich in tones", "flat photos"),
        FeatureDef::level("detail", "detailed, busy photos", "plain, smooth photos"),
        FeatureDef::level("empty_space", "photos with much empty space", "photos filled edge to edge"),
        FeatureDef::level("size", "large photos", "small pictures"),
        FeatureDef::indicator("upright", "upright photos", "wide photos"),
        FeatureDef::indicator("people", "photos with people", "photos without people"),
        FeatureDef::level("faces", "photos with many faces", "photos with few faces"),
        FeatureDef::level("face_size", "close-ups of faces", "photos where faces are small"),
        FeatureDef::indicator(
            "eyes_closed",
            "photos where someone's eyes are closed",
            "photos where no eyes are closed",
        ),
        FeatureDef::level("subject_size", "photos with a large main subject", "photos with a small main subject"),
    ];
    for (key, high, _) in KINDS {
        v.push(FeatureDef::indicator(key, high, format!("photos without {}", &high["photos of ".len()..])));
    }
    v.extend([
        FeatureDef::indicator("no_camera", "pictures no camera took (screenshots, graphics)", "photographs"),
        FeatureDef::indicator("night", "photos taken at night", "photos taken by day"),
        FeatureDef::indicator("weekend", "photos taken at weekends", "photos taken on weekdays"),
        FeatureDef::indicator("winter", "winter photos", "photos from other seasons"),
        FeatureDef::indicator("spring", "spring photos", "photos from other seasons"),
        FeatureDef::indicator("summer", "summer photos", "photos from other seasons"),
        FeatureDef::indicator("autumn", "autumn photos", "photos from other seasons"),
        FeatureDef::indicator("december", "photos from December", "photos from other months"),
    ]);
    v
}

/// The schema for these decided pictures: the base features, her most
/// frequent named people, and the look axes of their looks (`looks`: each
/// decided picture's look and file name; empty leaves the look out).
pub fn schema_for<'a>(found: impl Iterator<Item = &'a Found>, looks: &[(Vec<f32>, String)]) -> Schema {
    let mut count: HashMap<&str, usize> = HashMap::new();
    for f in found {
        let mut names: Vec<&str> = f.faces.iter().filter_map(|x| x.name.as_deref()).collect();
        names.sort_unstable();
        names.dedup();
        for n in names {
            *count.entry(n).or_default() += 1;
        }
    }
    let mut people: Vec<(&str, usize)> = count.into_iter().filter(|&(_, c)| c >= MIN_PERSON_PICTURES).collect();
    people.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    people.truncate(MAX_PEOPLE);
    let mut features = base();
    for (name, _) in people {
        features.push(FeatureDef::indicator(
            format!("person:{name}"),
            format!("photos of {name}"),
            format!("photos without {name}"),
        ));
    }
    let refs: Vec<&[f32]> = looks.iter().map(|(l, _)| l.as_slice()).collect();
    let axes = (looks.len() / PICTURES_PER_AXIS).clamp(MIN_LOOK_AXES, MAX_LOOK_AXES);
    let look = LookAxes::fit(&refs, axes);
    for (k, _) in look.iter().flat_map(|l| l.axes.iter().enumerate()) {
        // An axis is named by the decided pictures at its two ends: "photos
        // that look like beach.jpg or dunes.jpg". Those most *along* it
        // (the cosine of their look with it), not the farthest: an odd
        // picture far from everything (a strip of logos) lies far along
        // many axes and says little about any.
        let ax = look.as_ref().expect("iterating its axes");
        let along = |l: &[f32]| {
            let norm = l.iter().zip(&ax.mean).map(|(v, m)| (v - m) * (v - m)).sum::<f32>().sqrt();
            if norm > 0.0 {
                ax.project(l)[k] / norm
            } else {
                0.0
            }
        };
        let mut at: Vec<(f32, &str)> = looks.iter().map(|(l, name)| (along(l), name.as_str())).collect();
        at.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        let like = |names: Vec<&str>| format!("photos that look like {}", names.join(" or "));
        let high = like(at.iter().take(LOOK_EXAMPLES).map(|x| x.1).collect());
        let low = like(at.iter().rev().take(LOOK_EXAMPLES).map(|x| x.1).collect());
        features.push(FeatureDef::level(format!("look:{}", k + 1), high, low));
    }
    Schema { features, look }
}

/// What the features of one picture are made from.
pub struct Inputs<'a> {
    pub analysis: &'a AnalysisRow,
    pub measurements: &'a Measurements,
    /// Its technical scores (no taste).
    pub technical: &'a Scored,
    pub found: Option<&'a Found>,
    pub facts: Option<&'a TasteFacts>,
}

/// The picture's features in `schema`'s order (a key this version does not
/// know reads 0).
pub fn vector(schema: &Schema, i: &Inputs) -> Vec<f32> {
    let m = i.measurements;
    let none = Found::default();
    let found = i.found.unwrap_or(&none);
    let faces: Vec<_> = found.faces.iter().filter(|f| f.counts()).collect();
    let facts = i.facts;
    let has = |classes: &[&str]| {
        facts.is_some_and(|f| f.classes.iter().any(|(c, conf)| *conf >= SEEN && classes.contains(&c.as_str())))
    };
    let hist = |from: usize, to: usize| {
        m.luma_hist.get(from..to.min(m.luma_hist.len())).map_or(0.0, |b| b.iter().sum::<f32>())
    };
    let part = |n: &str| i.technical.part(n).unwrap_or(0.5) as f32;
    let when = facts.and_then(|f| f.taken_local_ms).map(civil);
    let (w, h) = (i.analysis.full_width.unwrap_or(0), i.analysis.full_height.unwrap_or(0));
    let flag = |b: bool| if b { 1.0 } else { 0.0 };
    // Without a look (not looked at by the detector, or it could not read
    // the picture): at her pictures' mean, 0 on every axis.
    let along: Vec<f32> = match (&schema.look, facts.and_then(|f| f.look.as_deref()).and_then(hma_detect::decode_look))
    {
        (Some(ax), Some(look)) => ax.project(&look),
        _ => Vec::new(),
    };
    schema
        .features
        .iter()
        .map(|f| match f.key.as_str() {
            "quality" => i.technical.overall as f32,
            "sharpness" => part("sharpness"),
            "exposure" => part("exposure"),
            "noise" => part("noise"),
            "composition" => part("composition"),
            "brightness" => (m.luma_mean / 255.0) as f32,
            // Luma below 64 and from 192 (8 levels a bin).
            "shadows" => hist(0, 8),
            "light_tones" => hist(24, 32),
            "contrast" => (m.dynamic_range / 255.0) as f32,
            "tones" => (m.entropy / 8.0) as f32,
            "detail" => (m.sharp_global.max(1.0).ln() / 10.0) as f32,
            "empty_space" => m.negative_space as f32,
            "size" => (f64::from(w.max(1)) * f64::from(h.max(1)) / 1e6).max(0.01).ln() as f32,
            "upright" => flag(h > w),
            "people" => flag(!faces.is_empty() || has(&["person"])),
            "faces" => (faces.len() as f32).ln_1p(),
            "face_size" => faces.iter().map(|f| (f.bbox[2] * f.bbox[3]).sqrt()).fold(0.0, f64::max) as f32,
            "eyes_closed" => flag(faces.iter().any(|f| f.eyes_open == Some(false))),
            "subject_size" => found.subject.as_ref().map_or(0.0, |s| (s.bbox[2] * s.bbox[3]).sqrt()) as f32,
            "no_camera" => flag(facts.is_some_and(|f| !f.camera)),
            "night" => flag(when.is_some_and(|c| c.hour >= 21 || c.hour < 5)),
            "weekend" => flag(when.is_some_and(|c| c.weekday >= 5)),
            "winter" => flag(when.is_some_and(|c| matches!(c.month, 12 | 1 | 2))),
            "spring" => flag(when.is_some_and(|c| matches!(c.month, 3..=5))),
            "summer" => flag(when.is_some_and(|c| matches!(c.month, 6..=8))),
            "autumn" => flag(when.is_some_and(|c| matches!(c.month, 9..=11))),
            "december" => flag(when.is_some_and(|c| c.month == 12)),
            key => {
                if let Some((_, _, classes)) = KINDS.iter().find(|k| k.0 == key) {
                    flag(has(classes))
                } else if let Some(name) = key.strip_prefix("person:") {
                    flag(faces.iter().any(|f| f.name.as_deref() == Some(name)))
                } else if let Some(k) = key.strip_prefix("look:").and_then(|k| k.parse::<usize>().ok()) {
                    k.checked_sub(1).and_then(|k| along.get(k)).copied().unwrap_or(0.0)
                } else {
                    0.0
                }
            }
        })
        .collect()
}

/// Month (1–12), hour and weekday (0 = Monday) of a local time in ms.
#[derive(Clone, Copy)]
struct Civil {
    month: u32,
    hour: u32,
    weekday: u32,
}

fn civil(ms: i64) -> Civil {
    let days = ms.div_euclid(86_400_000);
    let hour = (ms.rem_euclid(86_400_000) / 3_600_000) as u32;
    // 1970-01-01 was a Thursday (3 with Monday = 0).
    let weekday = (days + 3).rem_euclid(7) as u32;
    Civil { month: crate::rank::month_of(ms), hour, weekday }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_time_of_known_days() {
        // 2024-12-24 19:30 local, a Tuesday.
        let c = civil(1_735_068_600_000);
        assert_eq!((c.month, c.hour, c.weekday), (12, 19, 1));
        // 2021-07-04 02:00, a Sunday.
        let c = civil(1_625_364_000_000);
        assert_eq!((c.month, c.hour, c.weekday), (7, 2, 6));
    }

    /// An analysis of a `w`×`h` picture (what the features read of it).
    fn analysis(w: i32, h: i32) -> AnalysisRow {
        AnalysisRow {
            content_hash: hma_catalog::ContentHash(1),
            version: 1,
            analyzed_ms: 0,
            error: None,
            method: None,
            full_width: Some(w),
            full_height: Some(h),
            measurements: None,
            brisque: None,
            jpeg_quality: None,
            phash: None,
            phash_turns: None,
            scores: Default::default(),
        }
    }

    #[test]
    fn every_base_feature_is_computed() {
        // A key the vector does not compute would silently read 0.
        let a = analysis(3000, 4000);
        let m = Measurements { luma_mean: 128.0, luma_hist: vec![1.0 / 32.0; 32], entropy: 7.0, ..Default::default() };
        let s = hma_vision::score::score(&m, None, None, None);
        let facts = TasteFacts {
            taken_local_ms: Some(1_735_068_600_000),
            camera: false,
            classes: vec![("person".into(), 0.9), ("dog".into(), 0.8), ("cake".into(), 0.7)],
            look: None,
            name: None,
        };
        let schema = Schema { features: base(), look: None };
        let v = vector(
            &schema,
            &Inputs { analysis: &a, measurements: &m, technical: &s, found: None, facts: Some(&facts) },
        );
        let at = |k: &str| v[schema.index(k).unwrap()];
        assert_eq!((at("people"), at("pets"), at("food"), at("vehicles")), (1.0, 1.0, 1.0, 0.0));
        assert_eq!((at("winter"), at("december"), at("summer"), at("night"), at("weekend")), (1.0, 1.0, 0.0, 0.0, 0.0));
        assert_eq!((at("upright"), at("no_camera")), (1.0, 1.0));
        assert!((at("brightness") - 128.0 / 255.0).abs() < 1e-6);
        assert!((at("shadows") - 0.25).abs() < 1e-6);
        assert!(v.iter().all(|x| x.is_finite()));
    }

    #[test]
    fn the_look_axes_are_named_by_the_pictures_at_their_ends() {
        // Ten beach pictures one way along a direction, ten forest pictures
        // the other way, and a strip of logos farther out along it but
        // mostly off to the side: the axis is named by beaches and forests,
        // not by the odd one out.
        let dims = hma_detect::LOOK_DIMS;
        let at = |along: f32, side: f32, wiggle: f32| {
            let mut l = vec![0.5f32; dims];
            l[0] += along;
            l[1] -= along;
            l[5] += side;
            l[2] += wiggle;
            l
        };
        let mut looks: Vec<(Vec<f32>, String)> = Vec::new();
        for i in 0..10 {
            looks.push((at(3.0, 0.0, i as f32 * 0.05), format!("beach{i}.jpg")));
            looks.push((at(-3.0, 0.0, i as f32 * 0.05), format!("forest{i}.jpg")));
        }
        looks.push((at(4.0, 8.0, 0.0), "logos.jpg".into()));
        let schema = schema_for(std::iter::empty(), &looks);
        let axes = schema.look.as_ref().unwrap();
        assert!(!axes.axes.is_empty() && axes.axes.len() <= MIN_LOOK_AXES);
        let first = &schema.features[schema.index("look:1").unwrap()];
        let mut ends = [first.high.as_str(), first.low.as_str()];
        ends.sort();
        assert!(ends[0].starts_with("photos that look like beach") && !ends[0].contains("logos"), "{ends:?}");
        assert!(ends[1].starts_with("photos that look like forest") && !ends[1].contains("logos"), "{ends:?}");
        // A picture's look is read from its stored bytes and placed on the
        // axes; one without a look sits at the mean.
        let a = analysis(100, 100);
        let m = Measurements { luma_mean: 128.0, luma_hist: vec![1.0 / 32.0; 32], ..Default::default() };
        let s = hma_vision::score::score(&m, None, None, None);
        let placed = |look: Option<&Vec<f32>>| {
            let facts = TasteFacts { look: look.map(|l| hma_detect::encode_look(l)), ..Default::default() };
            let v = vector(
                &schema,
                &Inputs { analysis: &a, measurements: &m, technical: &s, found: None, facts: Some(&facts) },
            );
            v[schema.index("look:1").unwrap()]
        };
        let (beach, forest, none) = (placed(Some(&looks[0].0)), placed(Some(&looks[1].0)), placed(None));
        assert!((beach - forest).abs() > 5.0, "{beach} {forest}");
        assert!(beach * forest < 0.0, "the two kinds sit either side of the mean: {beach} {forest}");
        assert_eq!(none, 0.0);
    }
}

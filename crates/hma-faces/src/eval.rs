//! Scoring found faces against drawn ground-truth boxes (the Solvay check,
//! and any labelled group photo).

/// A ground-truth box `[x, y, w, h]` and how many faces it holds (a box
/// drawn around two overlapping faces holds two).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Truth {
    pub bbox: [f64; 4],
    pub faces: usize,
}

/// The drawn boxes of a truth file (`{"boxes": [{"box": [x, y, w, h],
/// "faces": n}, …]}`, as tests/fixtures/faces/solvay-1927.boxes.json).
pub fn truth_from_json(text: &str) -> Result<Vec<Truth>, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let boxes = v["boxes"].as_array().ok_or("no \"boxes\" array")?;
    boxes
        .iter()
        .map(|b| {
            let xywh: Vec<f64> =
                b["box"].as_array().ok_or("a box without \"box\"")?.iter().filter_map(|x| x.as_f64()).collect();
            let [x, y, w, h] = xywh[..] else { return Err(format!("box {xywh:?} is not [x, y, w, h]")) };
            Ok(Truth { bbox: [x, y, w, h], faces: b["faces"].as_u64().unwrap_or(1) as usize })
        })
        .collect()
}

/// Detected face centres matched one to one to the truth: a centre matches
/// a box grown by 25 % each way; closest pairs first. Returns (faces
/// matched, detections left over = false faces).
pub fn match_centres(centres: &[(f64, f64)], truth: &[Truth]) -> (usize, usize) {
    let mut slots: Vec<(f64, f64, f64, f64)> = Vec::new();
    for t in truth {
        let [x, y, w, h] = t.bbox;
        for _ in 0..t.faces {
            slots.push((x - w / 4.0, y - h / 4.0, x + w * 1.25, y + h * 1.25));
        }
    }
    let mut pairs: Vec<(f64, usize, usize)> = Vec::new();
    for (i, &(x, y)) in centres.iter().enumerate() {
        for (j, s) in slots.iter().enumerate() {
            if x >= s.0 && x <= s.2 && y >= s.1 && y <= s.3 {
                pairs.push(((x - (s.0 + s.2) / 2.0).hypot(y - (s.1 + s.3) / 2.0), i, j));
            }
        }
    }
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (mut used_d, mut used_t) = (vec![false; centres.len()], vec![false; slots.len()]);
    let mut found = 0;
    for (_, i, j) in pairs {
        if !used_d[i] && !used_t[j] {
            used_d[i] = true;
            used_t[j] = true;
            found += 1;
        }
    }
    (found, centres.len() - found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_face_is_matched_once_and_the_rest_are_false() {
        let truth =
            [Truth { bbox: [0.0, 0.0, 10.0, 10.0], faces: 1 }, Truth { bbox: [50.0, 0.0, 20.0, 10.0], faces: 2 }];
        // Two detections on the first face (one is false), two in the double box, one far away.
        let found = match_centres(&[(5.0, 5.0), (6.0, 5.0), (55.0, 5.0), (65.0, 5.0), (200.0, 200.0)], &truth);
        assert_eq!(found, (3, 2));
        // Just outside the grown box (−2.5 … 12.5) is not a match.
        assert_eq!(match_centres(&[(12.6, 5.0)], &truth), (0, 1));
    }
}

//! Speed of her taste model (docs/benchmarks.md, "Taste"):
//! - training: `learn` on N decisions (both kinds, 5-fold cross-validation
//!   each, then the chosen one on all), against its own baseline, one
//!   logistic fit on the same decisions (what the cross-validation repeats);
//! - inference: M pictures scored with their words (`predict_explained`
//!   and `why`, in batches as the rescoring pages them), for the chosen
//!   kind and for the MLP, against a plain
//!   scalar loop computing the same logistic probabilities (no words).
//!
//! `target/debug/examples/bench-taste [DECISIONS=10000] [PICTURES=1000000]`
//! (built by `cargo build --workspace --all-targets`).

use std::time::Instant;

use hma_taste::eval::Rng;
use hma_taste::{Example, FeatureDef, Model, Schema, LOGISTIC};

const FEATURES: usize = 40;

fn schema() -> Schema {
    Schema {
        features: (0..FEATURES)
            .map(|i| FeatureDef::level(format!("f{i}"), format!("more {i}"), format!("less {i}")))
            .collect(),
        look: None,
    }
}

/// A picture's features: a few that decide, the rest noise.
fn row(rng: &mut Rng) -> Vec<f32> {
    (0..FEATURES).map(|i| if i % 3 == 0 { (rng.unit() < 0.3) as u8 as f32 } else { rng.unit() as f32 }).collect()
}

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let decisions = args.first().copied().unwrap_or(10_000);
    let pictures = args.get(1).copied().unwrap_or(1_000_000);
    let schema = schema();
    let mut rng = Rng::new(1);
    let examples: Vec<Example> = (0..decisions)
        .map(|_| {
            let x = row(&mut rng);
            let keep = 2.0 * x[0] - 1.5 * x[1] + x[3] + 0.5 * (rng.unit() as f32 - 0.5) > 0.3;
            Example { x, target: keep as u8 as f32 }
        })
        .collect();

    let t = Instant::now();
    let one = Model::fit(&schema, &examples, &LOGISTIC, 1).unwrap();
    let fit_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let (report, model) = hma_taste::learn(&schema, &examples).unwrap();
    let learn_s = t.elapsed().as_secs_f64();
    let model = model.unwrap();
    println!(
        "training, {decisions} decisions x {FEATURES} features: learn {learn_s:.2} s (chose {}, AUC {:.3}; logistic CV {:.2} s, MLP CV {:.2} s); one logistic fit {fit_s:.2} s; ratio {:.1}x",
        report.kind,
        report.metrics.unwrap().auc,
        report.candidates[0].seconds,
        report.candidates[1].seconds,
        learn_s / fit_s
    );

    // Inference: pages of 500, as the rescoring runs it.
    let page = 500;
    let batch: Vec<Vec<f32>> = (0..page).map(|_| row(&mut rng)).collect();
    let refs: Vec<&[f32]> = batch.iter().map(|r| r.as_slice()).collect();
    let mlp = Model::fit(&schema, &examples, &hma_taste::MLP, 1).unwrap();
    let mut timed = Vec::new();
    let (mut sum, mut words) = (0.0f64, 0usize);
    for m in [&model, &mlp] {
        let t = Instant::now();
        for _ in 0..pictures / page {
            let (p, pushes) = m.predict_explained(&refs).unwrap();
            sum += p.iter().map(|&x| f64::from(x)).sum::<f64>();
            words += pushes.iter().map(|r| hma_taste::why(m, r).len()).sum::<usize>();
        }
        timed.push((m.config.kind(), t.elapsed().as_secs_f64()));
    }
    // Baseline: the logistic model's probabilities by a scalar loop (the
    // least any scoring could do), on the same rows.
    let (w, b, mean, std) = (
        one.tensor("out.weight").unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap(),
        one.tensor("out.bias").unwrap().to_vec1::<f32>().unwrap()[0],
        one.tensor("norm.mean").unwrap().to_vec1::<f32>().unwrap(),
        one.tensor("norm.std").unwrap().to_vec1::<f32>().unwrap(),
    );
    let t = Instant::now();
    let mut base = 0.0f64;
    for _ in 0..pictures / page {
        for r in &batch {
            let z: f32 =
                r.iter().zip(&w).zip(mean.iter().zip(&std)).map(|((x, w), (m, s))| (x - m) / s * w).sum::<f32>() + b;
            base += 1.0 / (1.0 + f64::from(-z).exp());
        }
    }
    let scalar = t.elapsed().as_secs_f64();
    for (kind, secs) in timed {
        println!(
            "inference, {pictures} pictures in pages of {page}, {kind}: with words {secs:.2} s ({:.1} µs a picture); scalar logistic loop {scalar:.2} s; ratio {:.1}x",
            secs / pictures as f64 * 1e6,
            secs / scalar
        );
    }
    println!("[checksums {sum:.0} {base:.0} {words}]");
}

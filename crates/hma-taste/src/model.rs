//! Training, storing and using a taste model: class-balanced, regularised,
//! full-batch AdamW on standardised features, deterministic (the same
//! decisions give the same model), saved as safetensors with its features
//! and their words.

use std::collections::HashMap;

use candle_core::{DType, Device, Tensor};
use candle_nn::{Optimizer, ParamsAdamW, VarBuilder, VarMap};
use serde::{Deserialize, Serialize};

use crate::eval::Rng;
use crate::net::{Config, TasteNet};
use crate::schema::Schema;
use crate::{Result, TasteError};

/// One decision: the picture's features (schema order) and what she
/// decided, 0 (rejected) to 1 (picked); stars give the grades between.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    pub x: Vec<f32>,
    pub target: f32,
}

impl Example {
    /// Kept (true), rejected (false), or neither (a middling grade, which
    /// trains but is not scored).
    pub fn kept(&self) -> Option<bool> {
        (self.target != 0.5).then_some(self.target > 0.5)
    }
}

/// How a model is trained.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrainParams {
    pub hidden: usize,
    pub lr: f64,
    pub steps: usize,
    /// L2 penalty on the weight matrices (not the biases).
    pub l2: f64,
}

/// The two kinds tried; the cross-validation picks one.
pub const LOGISTIC: TrainParams = TrainParams { hidden: 0, lr: 0.05, steps: 300, l2: 0.01 };
pub const MLP: TrainParams = TrainParams { hidden: 16, lr: 0.01, steps: 400, l2: 0.003 };

const FORMAT: &str = "hma-taste/1";

/// One picture's features as the model saw them: per feature, its
/// standardised value and its push on the logit.
pub type Pushes = Vec<(f32, f32)>;

/// A trained model with its features and their scaling.
#[derive(Debug, Clone)]
pub struct Model {
    pub config: Config,
    pub schema: Schema,
    mean: Vec<f32>,
    std: Vec<f32>,
    net: TasteNet,
    tensors: HashMap<String, Tensor>,
}

impl Model {
    /// Trains on `examples` (each `x` of `schema.len()` features).
    pub fn fit(schema: &Schema, examples: &[Example], params: &TrainParams, seed: u64) -> Result<Model> {
        let f = schema.len();
        if examples.is_empty() || examples.iter().any(|e| e.x.len() != f) {
            return Err(TasteError::Input(format!("{} examples, not all of {f} features", examples.len())));
        }
        let (mean, std) = scaling(examples, f);
        let dev = Device::Cpu;
        let z = standardised(examples.iter().map(|e| e.x.as_slice()), &mean, &std, &dev)?;
        let y = Tensor::from_vec(examples.iter().map(|e| e.target).collect::<Vec<_>>(), examples.len(), &dev)?;
        // Class-balanced: the kept and the rejected weigh half each, however
        // few of one kind she has; middling grades weigh as one example.
        let n_pos = examples.iter().filter(|e| e.kept() == Some(true)).count().max(1) as f32;
        let n_neg = examples.iter().filter(|e| e.kept() == Some(false)).count().max(1) as f32;
        let n = examples.len() as f32;
        let w: Vec<f32> = examples
            .iter()
            .map(|e| match e.kept() {
                Some(true) => 0.5 / n_pos,
                Some(false) => 0.5 / n_neg,
                None => 0.5 / n,
            })
            .collect();
        let wsum: f32 = w.iter().sum();
        let w = (Tensor::from_vec(w, examples.len(), &dev)? / f64::from(wsum))?;

        let config = Config { inputs: f, hidden: params.hidden };
        let varmap = VarMap::new();
        let net = TasteNet::load(VarBuilder::from_varmap(&varmap, DType::F32, &dev), &config)?;
        // candle's CPU random numbers cannot be seeded: the first weights
        // come from our own generator, so a model can be made again.
        let mut varmap = varmap;
        let mut rng = Rng::new(seed);
        let mut normal = |n: usize, scale: f64| -> Vec<f32> {
            (0..n)
                .map(|_| {
                    let (u, v) = (rng.unit().max(1e-12), rng.unit());
                    ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos() * scale) as f32
                })
                .collect()
        };
        if params.hidden == 0 {
            varmap.set_one("out.weight", Tensor::zeros((1, f), DType::F32, &dev)?)?;
        } else {
            let h = params.hidden;
            let w1 = normal(h * f, (2.0 / f as f64).sqrt());
            varmap.set_one("hidden.weight", Tensor::from_vec(w1, (h, f), &dev)?)?;
            varmap.set_one("hidden.bias", Tensor::zeros(h, DType::F32, &dev)?)?;
            let w2 = normal(h, (1.0 / h as f64).sqrt());
            varmap.set_one("out.weight", Tensor::from_vec(w2, (1, h), &dev)?)?;
        }
        varmap.set_one("out.bias", Tensor::zeros(1, DType::F32, &dev)?)?;

        let matrices: Vec<Tensor> = {
            let data = varmap.data().lock().map_err(|_| TasteError::Input("poisoned".into()))?;
            data.iter().filter(|(k, _)| k.ends_with(".weight")).map(|(_, v)| v.as_tensor().clone()).collect()
        };
        let mut opt = candle_nn::AdamW::new(
            varmap.all_vars(),
            ParamsAdamW { lr: params.lr, weight_decay: 0.0, ..Default::default() },
        )?;
        for _ in 0..params.steps {
            let x = net.forward(&z)?;
            // Binary cross-entropy on logits, in the form that cannot
            // overflow: max(x, 0) − x·y + log(1 + e^−|x|). (candle-nn's
            // takes the sigmoid first and gives NaN once it saturates.)
            let bce = ((x.relu()? - (&x * &y)?)? + (x.abs()?.neg()?.exp()? + 1.0)?.log()?)?;
            let mut loss = (bce * &w)?.sum_all()?;
            for m in &matrices {
                loss = (loss + (m.sqr()?.sum_all()? * params.l2)?)?;
            }
            opt.backward_step(&loss)?;
        }
        let mut tensors: HashMap<String, Tensor> = {
            let data = varmap.data().lock().map_err(|_| TasteError::Input("poisoned".into()))?;
            data.iter().map(|(k, v)| (k.clone(), v.as_tensor().detach())).collect()
        };
        tensors.insert("norm.mean".into(), Tensor::new(mean.as_slice(), &dev)?);
        tensors.insert("norm.std".into(), Tensor::new(std.as_slice(), &dev)?);
        let net = TasteNet::load(VarBuilder::from_tensors(tensors.clone(), DType::F32, &dev), &config)?;
        Ok(Model { config, schema: schema.clone(), mean, std, net, tensors })
    }

    /// The model as stored: safetensors, its config and features in the
    /// header's metadata.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut meta = HashMap::new();
        meta.insert("format".to_string(), FORMAT.to_string());
        meta.insert("config".to_string(), serde_json::to_string(&self.config)?);
        meta.insert("schema".to_string(), serde_json::to_string(&self.schema)?);
        let mut named: Vec<(&String, &Tensor)> = self.tensors.iter().collect();
        named.sort_by(|a, b| a.0.cmp(b.0));
        safetensors::tensor::serialize(named, Some(meta)).map_err(|e| TasteError::Stored(e.to_string()))
    }

    /// A stored model; a damaged one is an error (the engine then trains
    /// it again from the decisions).
    pub fn from_bytes(bytes: &[u8]) -> Result<Model> {
        let (_, meta) =
            safetensors::SafeTensors::read_metadata(bytes).map_err(|e| TasteError::Stored(e.to_string()))?;
        let meta = meta.metadata().clone().unwrap_or_default();
        if meta.get("format").map(String::as_str) != Some(FORMAT) {
            return Err(TasteError::Stored(format!("not a {FORMAT} model")));
        }
        let get = |k: &str| meta.get(k).ok_or_else(|| TasteError::Stored(format!("no {k} in the model")));
        let config: Config = serde_json::from_str(get("config")?)?;
        let schema: Schema = serde_json::from_str(get("schema")?)?;
        if schema.len() != config.inputs {
            return Err(TasteError::Stored(format!("{} features for {} inputs", schema.len(), config.inputs)));
        }
        let dev = Device::Cpu;
        let tensors = candle_core::safetensors::load_buffer(bytes, &dev)?;
        let vb = VarBuilder::from_tensors(tensors.clone(), DType::F32, &dev);
        let net = TasteNet::load(vb.clone(), &config)?;
        let mean = vb.get(config.inputs, "norm.mean")?.to_vec1::<f32>()?;
        let std = vb.get(config.inputs, "norm.std")?.to_vec1::<f32>()?;
        if std.iter().any(|s| !(s.is_finite() && *s > 0.0)) || mean.iter().any(|m| !m.is_finite()) {
            return Err(TasteError::Stored("bad feature scaling".into()));
        }
        Ok(Model { config, schema, mean, std, net, tensors })
    }

    /// One of its tensors by name (`out.weight`, `norm.mean`, …).
    pub fn tensor(&self, name: &str) -> Option<&Tensor> {
        self.tensors.get(name)
    }

    /// Probability that she keeps each picture (rows of `schema.len()`).
    pub fn predict(&self, rows: &[&[f32]]) -> Result<Vec<f32>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let z = standardised(rows.iter().copied(), &self.mean, &self.std, &Device::Cpu)?;
        Ok(candle_nn::ops::sigmoid(&self.net.forward(&z)?)?.to_vec1()?)
    }

    /// [`Model::predict`], with each feature's standardised value and push
    /// on the logit, per picture (`[row][feature] = (z, push)`).
    pub fn predict_explained(&self, rows: &[&[f32]]) -> Result<(Vec<f32>, Vec<Pushes>)> {
        if rows.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        let z = standardised(rows.iter().copied(), &self.mean, &self.std, &Device::Cpu)?;
        let (logit, push) = self.net.forward_explained(&z)?;
        let p = candle_nn::ops::sigmoid(&logit)?.to_vec1()?;
        let (z, push) = (z.to_vec2::<f32>()?, push.to_vec2::<f32>()?);
        let both = z.into_iter().zip(push).map(|(z, p)| z.into_iter().zip(p).collect()).collect();
        Ok((p, both))
    }

    /// Each feature's mean effect on the logit per standard deviation,
    /// over `rows` (her decided pictures): what the model learned, signed.
    pub fn effects(&self, rows: &[&[f32]]) -> Result<Vec<f64>> {
        let (_, both) = self.predict_explained(rows)?;
        let f = self.schema.len();
        let mut sum = vec![0.0f64; f];
        let mut n = vec![0usize; f];
        for row in &both {
            for (i, &(z, push)) in row.iter().enumerate() {
                // push = gradient × z: the gradient where z says anything.
                if z.abs() > 1e-3 {
                    sum[i] += f64::from(push / z);
                    n[i] += 1;
                }
            }
        }
        Ok(sum.iter().zip(&n).map(|(s, &k)| if k == 0 { 0.0 } else { s / k as f64 }).collect())
    }
}

/// Per-feature mean and standard deviation (a constant feature gets 1, so
/// it reads as 0 everywhere).
fn scaling(examples: &[Example], f: usize) -> (Vec<f32>, Vec<f32>) {
    let n = examples.len() as f64;
    let mut mean = vec![0.0f64; f];
    for e in examples {
        for (m, &v) in mean.iter_mut().zip(&e.x) {
            *m += f64::from(v) / n;
        }
    }
    let mut var = vec![0.0f64; f];
    for e in examples {
        for ((s, &v), m) in var.iter_mut().zip(&e.x).zip(&mean) {
            *s += (f64::from(v) - m).powi(2) / n;
        }
    }
    let std = var.iter().map(|v| if v.sqrt() > 1e-6 { v.sqrt() as f32 } else { 1.0 }).collect();
    (mean.into_iter().map(|m| m as f32).collect(), std)
}

fn standardised<'a>(rows: impl Iterator<Item = &'a [f32]>, mean: &[f32], std: &[f32], dev: &Device) -> Result<Tensor> {
    let f = mean.len();
    let mut flat = Vec::new();
    let mut n = 0;
    for r in rows {
        if r.len() != f {
            return Err(TasteError::Input(format!("a row of {} features for a model of {f}", r.len())));
        }
        flat.extend(r.iter().zip(mean).zip(std).map(|((v, m), s)| if v.is_finite() { (v - m) / s } else { 0.0 }));
        n += 1;
    }
    Ok(Tensor::from_vec(flat, (n, f), dev)?)
}

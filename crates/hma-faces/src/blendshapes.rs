//! MediaPipe's face blendshapes (`face_blendshapes.tflite` of the Face
//! Landmarker bundle, Apache-2.0): 52 expression scores, among them each
//! eye's blink, from 146 of the 478 face landmarks — a small MLP-Mixer.
//!
//! The network, as its TFLite graph runs it:
//! - the points are centred on their mean and divided by their mean
//!   distance to it, then halved (so a shift or a uniform scale of the
//!   points changes nothing; a rotation does: they are given upright, in
//!   picture pixels, as MediaPipe does);
//! - a linear map from the 146 points to 96 tokens, then each token's (x, y)
//!   to 64 channels; a learned token goes first: 97 tokens × 64;
//! - four mixer blocks, each a token-mixing MLP (97 → 384 → 97, ReLU) and a
//!   channel-mixing MLP (64 → 256 → 64, ReLU), each after a layer norm with
//!   a scale and no shift (ε = 1e-6 in fp16) and added back;
//! - the learned token → 52 scores through a linear map and the logistic.
//!
//! Every linear map is a 1×1 convolution in the file (weights `[O, 1, 1,
//! I]`); the weights are converted by layer order
//! ([`crate::Naming::OpOrderConstants`]).

use candle_core::{DType, Module, Result, Tensor, D};
use candle_nn::VarBuilder;

/// The landmarks the model reads, in its order (MediaPipe's
/// `kLandmarksSubsetIdxs`).
pub const SUBSET: [usize; 146] = [
    0, 1, 4, 5, 6, 7, 8, 10, 13, 14, 17, 21, 33, 37, 39, 40, 46, 52, 53, 54, 55, 58, 61, 63, 65, 66, 67, 70, 78, 80,
    81, 82, 84, 87, 88, 91, 93, 95, 103, 105, 107, 109, 127, 132, 133, 136, 144, 145, 146, 148, 149, 150, 152, 153,
    154, 155, 157, 158, 159, 160, 161, 162, 163, 168, 172, 173, 176, 178, 181, 185, 191, 195, 197, 234, 246, 249, 251,
    263, 267, 269, 270, 276, 282, 283, 284, 285, 288, 291, 293, 295, 296, 297, 300, 308, 310, 311, 312, 314, 317, 318,
    321, 323, 324, 332, 334, 336, 338, 356, 361, 362, 365, 373, 374, 375, 377, 378, 379, 380, 381, 382, 384, 385, 386,
    387, 388, 389, 390, 397, 398, 400, 402, 405, 409, 415, 454, 466, 468, 469, 470, 471, 472, 473, 474, 475, 476, 477,
];

/// Output index of the subject's left eye's blink (`eyeBlinkLeft`).
pub const EYE_BLINK_LEFT: usize = 9;
/// Output index of the subject's right eye's blink (`eyeBlinkRight`).
pub const EYE_BLINK_RIGHT: usize = 10;
/// Output indices of the smile (`mouthSmileLeft`, `mouthSmileRight`).
pub const MOUTH_SMILE: [usize; 2] = [44, 45];

/// The model's sizes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Config {
    pub points: usize,
    pub tokens: usize,
    pub channels: usize,
    pub token_hidden: usize,
    pub channel_hidden: usize,
    pub blocks: usize,
    pub outputs: usize,
    /// The layer norms' ε (1e-6 stored as fp16).
    pub eps: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            points: 146,
            tokens: 96,
            channels: 64,
            token_hidden: 384,
            channel_hidden: 256,
            blocks: 4,
            outputs: 52,
            eps: 1.013_278_961_181_640_6e-6,
        }
    }
}

/// A linear map over the last axis, from a 1×1 convolution's weights.
#[derive(Debug, Clone)]
struct Linear {
    /// `[I, O]`, transposed once at load.
    wt: Tensor,
    b: Tensor,
}

impl Linear {
    fn load(vb: &VarBuilder, i: usize, inputs: usize, outputs: usize) -> Result<Linear> {
        let w = vb.get((outputs, 1, 1, inputs), &format!("conv{i}.kernel"))?.reshape((outputs, inputs))?;
        let b = vb.get(outputs, &format!("conv{i}.bias"))?;
        Ok(Linear { wt: w.t()?.contiguous()?, b })
    }
}

impl Module for Linear {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.broadcast_matmul(&self.wt)?.broadcast_add(&self.b)
    }
}

#[derive(Debug, Clone)]
struct Block {
    norm1: Tensor,
    token1: Linear,
    token2: Linear,
    norm2: Tensor,
    channel1: Linear,
    channel2: Linear,
}

/// The blendshapes network.
#[derive(Debug, Clone)]
pub struct Blendshapes {
    cfg: Config,
    points: Linear,
    coords: Linear,
    token: Tensor,
    blocks: Vec<Block>,
    head: Linear,
}

impl Blendshapes {
    /// The weights by layer order: convolutions 0 (points → tokens), 1
    /// (x, y → channels), four per block (token MLP, channel MLP), the
    /// head; `concat0.const` the learned token; `mul0.const` the input's
    /// ½ and `mul{1 + 2b}`, `mul{2 + 2b}` block b's norm scales;
    /// `add{k}.const` the norms' ε (checked).
    pub fn load(vb: VarBuilder, cfg: &Config) -> Result<Blendshapes> {
        let c = cfg.channels;
        let tokens = cfg.tokens + 1;
        let half = vb.get((), "mul0.const")?.to_scalar::<f32>()?;
        let eps = vb.get((), "add0.const")?.to_scalar::<f32>()?;
        if half != 0.5 || (f64::from(eps) - cfg.eps).abs() > 1e-12 {
            candle_core::bail!("not the blendshapes model this code knows: input scale {half}, epsilon {eps}");
        }
        let blocks = (0..cfg.blocks)
            .map(|b| {
                let k = 2 + 4 * b;
                Ok(Block {
                    norm1: vb.get(c, &format!("mul{}.const", 1 + 2 * b))?,
                    token1: Linear::load(&vb, k, tokens, cfg.token_hidden)?,
                    token2: Linear::load(&vb, k + 1, cfg.token_hidden, tokens)?,
                    norm2: vb.get(c, &format!("mul{}.const", 2 + 2 * b))?,
                    channel1: Linear::load(&vb, k + 2, c, cfg.channel_hidden)?,
                    channel2: Linear::load(&vb, k + 3, cfg.channel_hidden, c)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Blendshapes {
            cfg: *cfg,
            points: Linear::load(&vb, 0, cfg.points, cfg.tokens)?,
            coords: Linear::load(&vb, 1, 2, c)?,
            token: vb.get((1, 1, 1, c), "concat0.const")?.reshape((1, 1, c))?,
            blocks,
            head: Linear::load(&vb, 2 + 4 * cfg.blocks, c, cfg.outputs)?,
        })
    }

    /// Layer norm over the channels with a scale and no shift.
    fn norm(&self, h: &Tensor, scale: &Tensor) -> Result<Tensor> {
        let mu = h.mean_keepdim(D::Minus1)?;
        let centred = h.broadcast_sub(&mu)?;
        let var = centred.sqr()?.mean_keepdim(D::Minus1)?;
        centred.broadcast_div(&(var + self.cfg.eps)?.sqrt()?)?.broadcast_mul(scale)
    }

    /// `[N, 146, 2]` points (upright, picture pixels) → `[N, 52]` scores.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let n = x.dim(0)?;
        let centred = x.broadcast_sub(&x.mean_keepdim(1)?)?;
        let radius = centred.sqr()?.sum_keepdim(2)?.sqrt()?.mean_keepdim(1)?;
        let x = (centred.broadcast_div(&radius)? * 0.5)?;
        let t = self.points.forward(&x.transpose(1, 2)?.contiguous()?)?;
        let emb = self.coords.forward(&t.transpose(1, 2)?.contiguous()?)?;
        let token = self.token.broadcast_as((n, 1, self.cfg.channels))?;
        let mut h = Tensor::cat(&[&token, &emb], 1)?;
        for b in &self.blocks {
            let y = self.norm(&h, &b.norm1)?.transpose(1, 2)?.contiguous()?;
            let y = b.token2.forward(&b.token1.forward(&y)?.relu()?)?;
            h = (h + y.transpose(1, 2)?)?;
            let y = self.norm(&h, &b.norm2)?;
            let y = b.channel2.forward(&b.channel1.forward(&y)?.relu()?)?;
            h = (h + y)?;
        }
        let first = h.narrow(1, 0, 1)?.squeeze(1)?;
        candle_nn::ops::sigmoid(&self.head.forward(&first)?)
    }
}

/// The model's input from one face's 478 landmarks given in picture
/// pixels: the 146 it reads, (x, y).
pub fn input(landmarks: &[(f64, f64)]) -> Vec<f32> {
    SUBSET
        .iter()
        .flat_map(|&i| {
            let (x, y) = landmarks.get(i).copied().unwrap_or_default();
            [x as f32, y as f32]
        })
        .collect()
}

/// `[N, 146, 2]` from the inputs of N faces.
pub fn batch(inputs: &[Vec<f32>], device: &candle_core::Device) -> Result<Tensor> {
    let flat: Vec<f32> = inputs.iter().flatten().copied().collect();
    Tensor::from_vec(flat, (inputs.len(), SUBSET.len(), 2), device)?.to_dtype(DType::F32)
}

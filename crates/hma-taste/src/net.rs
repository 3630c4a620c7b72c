//! The network: logistic regression (`hidden` = 0) or a two-layer MLP, on
//! standardised features, giving the logit that she keeps a picture.
//! Config / load(vb) / a pure forward, as every model here.

use candle_core::{DType, Module, Result, Tensor, D};
use candle_nn::{Linear, VarBuilder};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// Features in.
    pub inputs: usize,
    /// Hidden units (ReLU); 0 = logistic regression.
    pub hidden: usize,
}

impl Config {
    pub fn kind(&self) -> &'static str {
        if self.hidden == 0 {
            "logistic"
        } else {
            "mlp"
        }
    }
}

#[derive(Debug, Clone)]
pub struct TasteNet {
    hidden: Option<Linear>,
    out: Linear,
}

impl TasteNet {
    /// Weights `hidden.{weight,bias}` (MLP only) and `out.{weight,bias}`.
    pub fn load(vb: VarBuilder, cfg: &Config) -> Result<TasteNet> {
        if cfg.hidden == 0 {
            return Ok(TasteNet { hidden: None, out: candle_nn::linear(cfg.inputs, 1, vb.pp("out"))? });
        }
        Ok(TasteNet {
            hidden: Some(candle_nn::linear(cfg.inputs, cfg.hidden, vb.pp("hidden"))?),
            out: candle_nn::linear(cfg.hidden, 1, vb.pp("out"))?,
        })
    }

    /// Logits `[n]` of standardised features `z` `[n, inputs]`.
    pub fn forward(&self, z: &Tensor) -> Result<Tensor> {
        let h = match &self.hidden {
            Some(l) => l.forward(z)?.relu()?,
            None => z.clone(),
        };
        self.out.forward(&h)?.squeeze(D::Minus1)
    }

    /// Logits `[n]` and each feature's push on each logit `[n, inputs]`:
    /// the gradient of the logit times the feature (exact for the logistic
    /// model, the local linear map of the MLP around the picture), so a
    /// picture's taste says which features moved it, and which way.
    pub fn forward_explained(&self, z: &Tensor) -> Result<(Tensor, Tensor)> {
        let w_out = self.out.weight(); // [1, h]
        let (logit, grad) = match &self.hidden {
            None => (self.forward(z)?, w_out.broadcast_as(z.shape())?.contiguous()?),
            Some(l) => {
                let pre = l.forward(z)?; // [n, h]
                let h = pre.relu()?;
                let logit = self.out.forward(&h)?.squeeze(D::Minus1)?;
                let on = pre.gt(0.0)?.to_dtype(DType::F32)?;
                let g = on.broadcast_mul(w_out)?.matmul(l.weight())?; // [n, inputs]
                (logit, g)
            }
        };
        Ok((logit, (grad * z)?))
    }
}

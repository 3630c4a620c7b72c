//! BlazeFace full-range as a typed candle model: `Config`, `load(vb)`, a
//! pure `forward`. The network is fully convolutional, so it runs on any
//! input whose sides are multiples of 32 (192 is what it was trained at;
//! larger inputs give one anchor per 4×4 pixels, the same as tiles of 192
//! without the overlap): see `detect` for the picture pyramid.
//!
//! Layout (read from the TFLite graph, docs/research/faces-ref): a 3×3
//! stride-2 stem, then residual blocks of depthwise 3×3 → 1×1 down → ReLU →
//! depthwise 3×3 → 1×1 up, whose shortcut is max-pooled when the block
//! strides and zero-padded on channels when it widens; then a feature
//! pyramid (1×1 lateral convolutions, bilinear 2× upsampling, more blocks)
//! back to stride 4, where two 1×1 heads give a logit and 16 box values per
//! cell. TensorFlow's SAME padding on a stride-2 convolution of an even side
//! pads only the bottom and right.
//!
//! The weights are the TFLite file's, converted by `tflite_to_safetensors`
//! under the TFLite tensor names (Keras' `conv2d_N`, `depthwise_conv2d_N`
//! numbered in graph order); filters stay in TFLite's layout on disk and are
//! re-laid here.

use candle_core::{Result, Tensor};
use candle_nn::VarBuilder;

use crate::layers::{residual_block, Act, Conv, Depthwise};

/// One residual block: widths in → mid → out, stride 1 or 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block {
    pub cin: usize,
    pub mid: usize,
    pub cout: usize,
    pub stride: usize,
}

const fn b(cin: usize, mid: usize, cout: usize, stride: usize) -> Block {
    Block { cin, mid, cout, stride }
}

/// One level of the feature pyramid, from the coarse level above it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Level {
    /// Width of the coarser level's output (upsampled into this one).
    pub from: usize,
    /// Index of the encoder block whose output is this level's lateral input.
    pub lateral: usize,
    /// Width of the lateral encoder output.
    pub lateral_width: usize,
    /// Width of the level (both 1×1 laterals project to it).
    pub width: usize,
    /// The level's residual blocks (width → mid → width, stride 1).
    pub mids: Vec<usize>,
}

/// The network's shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Stem output width.
    pub stem: usize,
    pub encoder: Vec<Block>,
    pub pyramid: Vec<Level>,
    /// Box values per anchor (box 4 + keypoints 2 × 6).
    pub coords: usize,
    /// Input pixels per anchor cell, each way.
    pub cell: usize,
}

impl Config {
    /// MediaPipe's `face_detection_full_range.tflite` (the dense one of npm
    /// `@mediapipe/face_detection`).
    pub fn full_range() -> Config {
        Config {
            stem: 32,
            encoder: vec![
                b(32, 8, 32, 1),
                b(32, 8, 32, 1),
                b(32, 12, 48, 2),
                b(48, 12, 48, 1),
                b(48, 16, 64, 1), // 4: stride 4, lateral of the finest level
                b(64, 24, 96, 2),
                b(96, 32, 128, 1),
                b(128, 32, 128, 1), // 7: stride 8
                b(128, 36, 144, 2),
                b(144, 48, 192, 1),
                b(192, 64, 256, 1), // 10: stride 16
                b(256, 96, 384, 2),
                b(384, 96, 384, 1),
                b(384, 96, 384, 1),
                b(384, 96, 384, 1), // 14: stride 32, the top
            ],
            pyramid: vec![
                Level { from: 384, lateral: 10, lateral_width: 256, width: 96, mids: vec![48, 48] },
                Level { from: 96, lateral: 7, lateral_width: 128, width: 64, mids: vec![32, 32] },
                Level { from: 64, lateral: 4, lateral_width: 64, width: 48, mids: vec![24] },
            ],
            coords: 16,
            cell: 4,
        }
    }

    /// Input sides must be multiples of this (the encoder halves five times).
    pub fn multiple(&self) -> usize {
        1 << (1 + self.encoder.iter().filter(|b| b.stride == 2).count())
    }
}

/// Hands out the Keras layer names in graph order.
struct Names {
    conv: usize,
    depthwise: usize,
}

impl Names {
    fn conv(&mut self) -> String {
        let n = if self.conv == 0 { "conv2d".to_string() } else { format!("conv2d_{}", self.conv) };
        self.conv += 1;
        n
    }
    fn depthwise(&mut self) -> String {
        let n = if self.depthwise == 0 {
            "depthwise_conv2d".to_string()
        } else {
            format!("depthwise_conv2d_{}", self.depthwise)
        };
        self.depthwise += 1;
        n
    }
}

/// depthwise → 1×1 → ReLU → depthwise → 1×1, plus the shortcut, then ReLU.
#[derive(Debug, Clone)]
struct ResBlock {
    dw1: Depthwise,
    pw1: Conv,
    dw2: Depthwise,
    pw2: Conv,
    spec: Block,
}

impl ResBlock {
    fn load(vb: &VarBuilder, names: &mut Names, spec: Block) -> Result<ResBlock> {
        let dw1 = Depthwise::load(vb, &names.depthwise(), spec.cin, spec.stride)?;
        let pw1 = Conv::load(vb, &names.conv(), spec.cin, spec.mid, 1, 1)?;
        let dw2 = Depthwise::load(vb, &names.depthwise(), spec.mid, 1)?;
        let pw2 = Conv::load(vb, &names.conv(), spec.mid, spec.cout, 1, 1)?;
        Ok(ResBlock { dw1, pw1, dw2, pw2, spec })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        if let Some(y) = residual_block(x, &self.dw1, &self.pw1, Some((&self.dw2, &self.pw2)), Act::Relu)? {
            return Ok(y);
        }
        let y = self.pw1.forward(&self.dw1.forward(x)?, true)?;
        let y = self.pw2.forward(&self.dw2.forward(&y)?, false)?;
        let mut s = if self.spec.stride == 2 { x.max_pool2d(2)? } else { x.clone() };
        if self.spec.cout > self.spec.cin {
            s = s.pad_with_zeros(1, 0, self.spec.cout - self.spec.cin)?;
        }
        (s + y)?.relu()
    }
}

#[derive(Debug, Clone)]
struct PyramidLevel {
    down: Conv,
    lateral: Conv,
    blocks: Vec<ResBlock>,
    tap: usize,
}

/// BlazeFace full-range.
#[derive(Debug, Clone)]
pub struct BlazeFace {
    stem: Conv,
    encoder: Vec<ResBlock>,
    pyramid: Vec<PyramidLevel>,
    classifier: Conv,
    regressor: Conv,
    config: Config,
}

impl BlazeFace {
    pub fn load(vb: VarBuilder, config: &Config) -> Result<BlazeFace> {
        let mut names = Names { conv: 0, depthwise: 0 };
        let stem = Conv::load(&vb, &names.conv(), 3, config.stem, 3, 2)?;
        let encoder = config.encoder.iter().map(|&s| ResBlock::load(&vb, &mut names, s)).collect::<Result<_>>()?;
        let mut pyramid = Vec::new();
        for l in &config.pyramid {
            let down = Conv::load(&vb, &names.conv(), l.from, l.width, 1, 1)?;
            let lateral = Conv::load(&vb, &names.conv(), l.lateral_width, l.width, 1, 1)?;
            let blocks = l
                .mids
                .iter()
                .map(|&mid| ResBlock::load(&vb, &mut names, b(l.width, mid, l.width, 1)))
                .collect::<Result<_>>()?;
            pyramid.push(PyramidLevel { down, lateral, blocks, tap: l.lateral });
        }
        let width = config.pyramid.last().map_or(config.stem, |l| l.width);
        Ok(BlazeFace {
            stem,
            encoder,
            pyramid,
            classifier: Conv::load(&vb, "classifier_face_4", width, 1, 1, 1)?,
            regressor: Conv::load(&vb, "regressor_face_4", width, config.coords, 1, 1)?,
            config: config.clone(),
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// `x`: `[n, 3, h, w]`, values in [-1, 1], sides multiples of
    /// [`Config::multiple`]. Returns the box values `[n, h/4 · w/4, 16]`
    /// (input pixels, offsets from each cell's centre) and the logits
    /// `[n, h/4 · w/4]`, cells row by row.
    pub fn forward(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        let (_, _, h, w) = x.dims4()?;
        let m = self.config.multiple();
        if h % m != 0 || w % m != 0 {
            candle_core::bail!("BlazeFace input {w}×{h}: sides must be multiples of {m}");
        }
        let mut y = self.stem.forward(x, true)?;
        let mut taps = Vec::with_capacity(self.encoder.len());
        for block in &self.encoder {
            y = block.forward(&y)?;
            taps.push(y.clone());
        }
        for level in &self.pyramid {
            let lateral = level.lateral.forward(&taps[level.tap], true)?;
            let (lh, lw) = (lateral.dim(2)?, lateral.dim(3)?);
            let up = level.down.forward(&y, true)?.upsample_bilinear2d(lh, lw, false)?;
            y = (lateral + up)?;
            for block in &level.blocks {
                y = block.forward(&y)?;
            }
        }
        let n = y.dim(0)?;
        let cells = y.dim(2)? * y.dim(3)?;
        let logits = self.classifier.forward(&y, false)?.reshape((n, cells))?;
        let boxes = self.regressor.forward(&y, false)?.reshape((n, self.config.coords, cells))?.transpose(1, 2)?;
        Ok((boxes.contiguous()?, logits))
    }
}

//! YOLOv12n (Ultralytics, COCO-80) in candle: backbone with area-attention
//! blocks (A2C2f), neck, and the anchor-free detection head. `forward`
//! returns the head's raw outputs, `[1, 144, 8400]` for a 640×640 input
//! (per anchor: 4 sides × 16 distance bins, then 80 class logits);
//! `crate::postprocess` turns them into boxes and scores.
//!
//! Written from the exported graph (see docs/detection.md): batch norm is
//! folded into every convolution (each has a bias), SiLU after each
//! convolution except the attention's qkv/pe/proj, the MLP's second layer
//! and the head's last layers. Parameter names are those of the Ultralytics
//! state dict (`model.6.m.0.0.attn.qkv.conv.weight`…).

use candle_core::{Module, Result, Tensor, D};
use candle_nn::{Conv2d, Conv2dConfig, VarBuilder};

use crate::{cpu, direct};

/// The shape of the network (YOLOv12n's, unless a larger variant is added).
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub num_classes: usize,
    /// Distance bins per box side (DFL).
    pub reg_max: usize,
    /// Channels per attention head.
    pub head_dim: usize,
}

impl Config {
    /// YOLOv12n, COCO-80.
    pub fn yolov12n() -> Config {
        Config { num_classes: 80, reg_max: 16, head_dim: 32 }
    }
}

/// Convolution (+ SiLU unless `act` is false), padding k/2.
#[derive(Debug, Clone)]
struct ConvBlock {
    conv: Conv2d,
    act: bool,
    /// One filter per channel (stride 1).
    depthwise: bool,
    /// The weights for the CPU kernels ([`crate::cpu`]), when on the CPU.
    cpu: Option<cpu::Filters>,
    /// The same packed for the direct kernel ([`crate::direct`]), when
    /// this CPU and this convolution's shape allow it.
    direct: Option<direct::Packed>,
}

impl ConvBlock {
    /// Loads `vb.conv.{weight,bias}` (or `vb.{weight,bias}` when `bare`).
    // The arguments are a convolution's own parameters, named as in the paper's tables.
    #[allow(clippy::too_many_arguments)]
    fn load(
        vb: VarBuilder,
        c1: usize,
        c2: usize,
        k: usize,
        stride: usize,
        groups: usize,
        act: bool,
        bare: bool,
    ) -> Result<Self> {
        let cfg = Conv2dConfig { padding: k / 2, stride, groups, ..Default::default() };
        let conv = candle_nn::conv2d(c1, c2, k, cfg, if bare { vb } else { vb.pp("conv") })?;
        let depthwise = groups > 1 && groups == c1 && c1 == c2 && stride == 1;
        if groups > 1 && !depthwise {
            candle_core::bail!("grouped convolution {c1}→{c2} in {groups} groups is not in this network");
        }
        let cpu = if conv.weight().device().is_cpu() {
            let bias = match conv.bias() {
                Some(b) => cpu::to_vec(b)?,
                None => vec![0.0; c2],
            };
            Some(cpu::Filters { w: cpu::to_vec(conv.weight())?, bias, out: c2, k, stride })
        } else {
            None
        };
        let direct = cpu.as_ref().filter(|_| !depthwise).and_then(|f| direct::pack(f, c1));
        Ok(ConvBlock { conv, act, depthwise, cpu, direct })
    }

    fn new(vb: VarBuilder, c1: usize, c2: usize, k: usize, stride: usize) -> Result<Self> {
        Self::load(vb, c1, c2, k, stride, 1, true, false)
    }

    /// The convolution, then SiLU (when `act`), then `+ residual`.
    fn forward_res(&self, x: &Tensor, residual: Option<&Tensor>) -> Result<Tensor> {
        let Some(f) = self.cpu.as_ref().filter(|_| x.device().is_cpu()) else {
            let y = self.conv.forward(x)?;
            let y = if self.act { candle_nn::ops::silu(&y)? } else { y };
            return match residual {
                Some(r) => y + r,
                None => Ok(y),
            };
        };
        let (n, c, h, w) = x.dims4()?;
        if n != 1 {
            // One picture at a time: the kernels work on [c, h, w].
            let ys = (0..n)
                .map(|i| {
                    self.forward_res(&x.narrow(0, i, 1)?, residual.map(|r| r.narrow(0, i, 1)).transpose()?.as_ref())
                })
                .collect::<Result<Vec<_>>>()?;
            return Tensor::cat(&ys, 0);
        }
        let inputs: Vec<&Tensor> = std::iter::once(x).chain(residual).collect();
        let (y, (ho, wo)) = cpu::with_f32s(&inputs, |s| {
            if let Some(p) = &self.direct {
                (direct::conv(&[(s[0], c)], (h, w), f, p, self.act, s.get(1).copied()), (h, w))
            } else if self.depthwise {
                let mut y = cpu::depthwise(s[0], (c, h, w), f, self.act);
                if let Some(r) = s.get(1) {
                    y.iter_mut().zip(*r).for_each(|(y, r)| *y += r);
                }
                (y, (h, w))
            } else {
                cpu::conv(s[0], (c, h, w), f, self.act, s.get(1).copied())
            }
        })?;
        cpu::tensor(y, (f.out, ho, wo))
    }

    /// A 1×1 convolution of the channel-wise concatenation of `parts`
    /// (then SiLU when `act`, then `+ residual`); on the CPU the
    /// concatenation is never made.
    fn forward_cat(&self, parts: &[&Tensor], residual: Option<&Tensor>) -> Result<Tensor> {
        let f = match self.cpu.as_ref() {
            Some(f) if f.k == 1 && parts.iter().all(|p| p.device().is_cpu() && p.dim(0).ok() == Some(1)) => f,
            _ => return self.forward_res(&Tensor::cat(parts, 1)?, residual),
        };
        let (_, _, h, w) = parts[0].dims4()?;
        let channels = parts.iter().map(|p| p.dim(1)).collect::<Result<Vec<_>>>()?;
        let inputs: Vec<&Tensor> = parts.iter().copied().chain(residual).collect();
        let y = cpu::with_f32s(&inputs, |s| {
            let ps: Vec<(&[f32], usize)> = s[..parts.len()].iter().copied().zip(channels).collect();
            cpu::conv1x1_parts(&ps, h * w, f, self.act, s.get(parts.len()).copied())
        })?;
        cpu::tensor(y, (f.out, h, w))
    }
}

impl Module for ConvBlock {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.forward_res(x, None)
    }
}

/// Two 3×3 convolutions with a shortcut.
#[derive(Debug, Clone)]
struct Bottleneck {
    cv1: ConvBlock,
    cv2: ConvBlock,
}

impl Bottleneck {
    fn load(vb: VarBuilder, c: usize, hidden: usize) -> Result<Self> {
        Ok(Bottleneck {
            cv1: ConvBlock::new(vb.pp("cv1"), c, hidden, 3, 1)?,
            cv2: ConvBlock::new(vb.pp("cv2"), hidden, c, 3, 1)?,
        })
    }
}

impl Module for Bottleneck {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.cv2.forward_res(&self.cv1.forward(x)?, Some(x))
    }
}

/// CSP block with two bottlenecks (`C3k`), c → c channels.
#[derive(Debug, Clone)]
struct C3k {
    cv1: ConvBlock,
    cv2: ConvBlock,
    cv3: ConvBlock,
    m: Vec<Bottleneck>,
}

impl C3k {
    fn load(vb: VarBuilder, c: usize) -> Result<Self> {
        let h = c / 2;
        Ok(C3k {
            cv1: ConvBlock::new(vb.pp("cv1"), c, h, 1, 1)?,
            cv2: ConvBlock::new(vb.pp("cv2"), c, h, 1, 1)?,
            cv3: ConvBlock::new(vb.pp("cv3"), 2 * h, c, 1, 1)?,
            m: (0..2).map(|i| Bottleneck::load(vb.pp(format!("m.{i}")), h, h)).collect::<Result<_>>()?,
        })
    }
}

impl Module for C3k {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let mut a = self.cv1.forward(x)?;
        for b in &self.m {
            a = b.forward(&a)?;
        }
        let b = self.cv2.forward(x)?;
        self.cv3.forward_cat(&[&a, &b], None)
    }
}

#[derive(Debug, Clone)]
enum Inner {
    Bottleneck(Box<Bottleneck>),
    C3k(Box<C3k>),
}

impl Module for Inner {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        match self {
            Inner::Bottleneck(b) => b.forward(x),
            Inner::C3k(c) => c.forward(x),
        }
    }
}

/// `C3k2`: split, one inner block on the second half, concatenate all three.
#[derive(Debug, Clone)]
struct C3k2 {
    cv1: ConvBlock,
    cv2: ConvBlock,
    m: Inner,
    c: usize,
}

impl C3k2 {
    fn load(vb: VarBuilder, c1: usize, c2: usize, c: usize, c3k: bool) -> Result<Self> {
        let m = if c3k {
            Inner::C3k(Box::new(C3k::load(vb.pp("m.0"), c)?))
        } else {
            Inner::Bottleneck(Box::new(Bottleneck::load(vb.pp("m.0"), c, c / 2)?))
        };
        Ok(C3k2 {
            cv1: ConvBlock::new(vb.pp("cv1"), c1, 2 * c, 1, 1)?,
            cv2: ConvBlock::new(vb.pp("cv2"), 3 * c, c2, 1, 1)?,
            m,
            c,
        })
    }
}

impl Module for C3k2 {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.forward_parts(&[x])
    }
}

impl C3k2 {
    /// The block on the channel-wise concatenation of `parts` (never made).
    fn forward_parts(&self, parts: &[&Tensor]) -> Result<Tensor> {
        let y = self.cv1.forward_cat(parts, None)?;
        let a = y.narrow(1, 0, self.c)?;
        let b = y.narrow(1, self.c, self.c)?;
        let m = self.m.forward(&b)?;
        self.cv2.forward_cat(&[&a, &b, &m], None)
    }
}

/// Area attention: the feature map's tokens, in row-major order, are cut
/// into `area` horizontal strips and attend within their strip; a 7×7
/// depthwise convolution of the values adds position.
#[derive(Debug, Clone)]
struct AAttn {
    qkv: ConvBlock,
    pe: ConvBlock,
    proj: ConvBlock,
    heads: usize,
    head_dim: usize,
    area: usize,
}

impl AAttn {
    fn load(vb: VarBuilder, c: usize, head_dim: usize, area: usize) -> Result<Self> {
        Ok(AAttn {
            qkv: ConvBlock::load(vb.pp("qkv"), c, 3 * c, 1, 1, 1, false, false)?,
            pe: ConvBlock::load(vb.pp("pe"), c, c, 7, 1, c, false, false)?,
            proj: ConvBlock::load(vb.pp("proj"), c, c, 1, 1, 1, false, false)?,
            heads: c / head_dim,
            head_dim,
            area,
        })
    }
}

impl AAttn {
    /// `x + attention(x)`.
    fn forward_res(&self, x: &Tensor) -> Result<Tensor> {
        let (b, c, h, w) = x.dims4()?;
        let (n, hd, nh, area) = (h * w, self.head_dim, self.heads, self.area);
        let qkv = self.qkv.forward(x)?;
        if b == 1 && x.device().is_cpu() {
            // The products on strided views of qkv's output, no permuted copies.
            let (o, v) = cpu::with_f32(&qkv, |s| cpu::area_attention(s, n, nh, hd, area))?;
            let mut o = cpu::tensor(o, (c, h, w))?;
            let pe = self.pe.forward(&cpu::tensor(v, (c, h, w))?)?;
            o = (o + pe)?;
            return self.proj.forward_res(&o, Some(x));
        }
        // [B, 3C, H, W] → [B, N, 3C] → [B·area, N/area, heads, 3·hd]; per head [q | k | v].
        let qkv = qkv.flatten_from(2)?.transpose(1, 2)?.contiguous()?.reshape((b * area, n / area, nh, 3 * hd))?;
        let q = qkv.narrow(3, 0, hd)?.permute((0, 2, 1, 3))?.contiguous()?;
        let k = qkv.narrow(3, hd, hd)?.permute((0, 2, 3, 1))?.contiguous()?;
        let v = qkv.narrow(3, 2 * hd, hd)?.contiguous()?;
        let scores = (q.matmul(&k)? * (hd as f64).powf(-0.5))?;
        let attn = candle_nn::ops::softmax_last_dim(&scores)?;
        let o = attn.matmul(&v.permute((0, 2, 1, 3))?.contiguous()?)?; // [B·area, heads, n/area, hd]
        let o = o.permute((0, 2, 1, 3))?.contiguous()?.reshape((b, h, w, c))?.permute((0, 3, 1, 2))?;
        let pe = self.pe.forward(&v.reshape((b, h, w, c))?.permute((0, 3, 1, 2))?.contiguous()?)?;
        self.proj.forward_res(&(o + pe)?, Some(x))
    }
}

/// Attention then a 2× MLP, each with a residual.
#[derive(Debug, Clone)]
struct ABlock {
    attn: AAttn,
    mlp0: ConvBlock,
    mlp1: ConvBlock,
}

impl ABlock {
    fn load(vb: VarBuilder, c: usize, head_dim: usize, area: usize) -> Result<Self> {
        Ok(ABlock {
            attn: AAttn::load(vb.pp("attn"), c, head_dim, area)?,
            mlp0: ConvBlock::new(vb.pp("mlp.0"), c, 2 * c, 1, 1)?,
            mlp1: ConvBlock::load(vb.pp("mlp.1"), 2 * c, c, 1, 1, 1, false, false)?,
        })
    }
}

impl Module for ABlock {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let x = self.attn.forward_res(x)?;
        self.mlp1.forward_res(&self.mlp0.forward(&x)?, Some(&x))
    }
}

/// `A2C2f`: with attention, two stages of two area-attention blocks; without,
/// one `C3k`. The input projection and every stage's output are concatenated.
#[derive(Debug, Clone)]
struct A2C2f {
    cv1: ConvBlock,
    cv2: ConvBlock,
    stages: Vec<Vec<ABlock>>,
    c3k: Option<C3k>,
}

impl A2C2f {
    fn load(vb: VarBuilder, c1: usize, c2: usize, c: usize, attention: Option<(usize, usize)>) -> Result<Self> {
        let cv1 = ConvBlock::new(vb.pp("cv1"), c1, c, 1, 1)?;
        match attention {
            Some((head_dim, area)) => {
                let stages = (0..2)
                    .map(|i| {
                        (0..2)
                            .map(|j| ABlock::load(vb.pp(format!("m.{i}.{j}")), c, head_dim, area))
                            .collect::<Result<Vec<_>>>()
                    })
                    .collect::<Result<Vec<_>>>()?;
                Ok(A2C2f { cv1, cv2: ConvBlock::new(vb.pp("cv2"), 3 * c, c2, 1, 1)?, stages, c3k: None })
            }
            None => Ok(A2C2f {
                cv1,
                cv2: ConvBlock::new(vb.pp("cv2"), 2 * c, c2, 1, 1)?,
                stages: vec![],
                c3k: Some(C3k::load(vb.pp("m.0"), c)?),
            }),
        }
    }
}

impl Module for A2C2f {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.forward_parts(&[x])
    }
}

impl A2C2f {
    /// The block on the channel-wise concatenation of `parts` (never made).
    fn forward_parts(&self, parts: &[&Tensor]) -> Result<Tensor> {
        let y0 = self.cv1.forward_cat(parts, None)?;
        let mut ys = vec![y0.clone()];
        if let Some(c3k) = &self.c3k {
            ys.push(c3k.forward(&y0)?);
        }
        let mut y = y0;
        for stage in &self.stages {
            for b in stage {
                y = b.forward(&y)?;
            }
            ys.push(y.clone());
        }
        self.cv2.forward_cat(&ys.iter().collect::<Vec<_>>(), None)
    }
}

/// The detection head of one level: box distances and class logits.
#[derive(Debug, Clone)]
struct HeadLevel {
    boxes: [ConvBlock; 3],
    classes: [ConvBlock; 5],
}

impl HeadLevel {
    fn load(vb: VarBuilder, i: usize, c: usize, cfg: &Config) -> Result<Self> {
        let (b, k) = (vb.pp(format!("cv2.{i}")), vb.pp(format!("cv3.{i}")));
        let box_c = 4 * cfg.reg_max;
        let nc = cfg.num_classes;
        Ok(HeadLevel {
            boxes: [
                ConvBlock::new(b.pp("0"), c, 64, 3, 1)?,
                ConvBlock::new(b.pp("1"), 64, 64, 3, 1)?,
                ConvBlock::load(b.pp("2"), 64, box_c, 1, 1, 1, false, true)?,
            ],
            classes: [
                ConvBlock::load(k.pp("0.0"), c, c, 3, 1, c, true, false)?,
                ConvBlock::new(k.pp("0.1"), c, nc, 1, 1)?,
                ConvBlock::load(k.pp("1.0"), nc, nc, 3, 1, nc, true, false)?,
                ConvBlock::new(k.pp("1.1"), nc, nc, 1, 1)?,
                ConvBlock::load(k.pp("2"), nc, nc, 1, 1, 1, false, true)?,
            ],
        })
    }
}

impl HeadLevel {
    /// Box distances `[1, 4·reg_max, h, w]` and class logits `[1, classes, h, w]`.
    fn forward(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        let mut b = x.clone();
        for l in &self.boxes {
            b = l.forward(&b)?;
        }
        let mut c = x.clone();
        for l in &self.classes {
            c = l.forward(&c)?;
        }
        Ok((b, c))
    }
}

/// YOLOv12n.
#[derive(Debug, Clone)]
pub struct Yolo {
    c0: ConvBlock,
    c1: ConvBlock,
    b2: C3k2,
    c3: ConvBlock,
    b4: C3k2,
    c5: ConvBlock,
    b6: A2C2f,
    c7: ConvBlock,
    b8: A2C2f,
    b11: A2C2f,
    b14: A2C2f,
    c15: ConvBlock,
    b17: A2C2f,
    c18: ConvBlock,
    b20: C3k2,
    head: [HeadLevel; 3],
    pub config: Config,
}

impl Yolo {
    /// Loads the weights under `model.*`.
    pub fn load(vb: VarBuilder, config: Config) -> Result<Self> {
        let m = vb.pp("model");
        let hd = config.head_dim;
        let h = m.pp("21");
        Ok(Yolo {
            c0: ConvBlock::new(m.pp("0"), 3, 16, 3, 2)?,
            c1: ConvBlock::new(m.pp("1"), 16, 32, 3, 2)?,
            b2: C3k2::load(m.pp("2"), 32, 64, 16, false)?,
            c3: ConvBlock::new(m.pp("3"), 64, 64, 3, 2)?,
            b4: C3k2::load(m.pp("4"), 64, 128, 32, false)?,
            c5: ConvBlock::new(m.pp("5"), 128, 128, 3, 2)?,
            b6: A2C2f::load(m.pp("6"), 128, 128, 64, Some((hd, 4)))?,
            c7: ConvBlock::new(m.pp("7"), 128, 256, 3, 2)?,
            b8: A2C2f::load(m.pp("8"), 256, 256, 128, Some((hd, 1)))?,
            b11: A2C2f::load(m.pp("11"), 384, 128, 64, None)?,
            b14: A2C2f::load(m.pp("14"), 256, 64, 32, None)?,
            c15: ConvBlock::new(m.pp("15"), 64, 64, 3, 2)?,
            b17: A2C2f::load(m.pp("17"), 192, 128, 64, None)?,
            c18: ConvBlock::new(m.pp("18"), 128, 128, 3, 2)?,
            b20: C3k2::load(m.pp("20"), 384, 256, 128, true)?,
            head: [
                HeadLevel::load(h.clone(), 0, 64, &config)?,
                HeadLevel::load(h.clone(), 1, 128, &config)?,
                HeadLevel::load(h, 2, 256, &config)?,
            ],
            config,
        })
    }
}

/// Nearest-neighbour 2× upsampling.
fn up2(x: &Tensor) -> Result<Tensor> {
    let (n, c, h, w) = x.dims4()?;
    if n == 1 && x.device().is_cpu() {
        let y = cpu::with_f32(x, |s| cpu::upsample2(s, (c, h, w)))?;
        return cpu::tensor(y, (c, 2 * h, 2 * w));
    }
    x.upsample_nearest2d(2 * h, 2 * w)
}

impl Module for Yolo {
    /// `x`: `[1, 3, 640, 640]` RGB in 0–1 → `[1, 4·reg_max + classes, anchors]`.
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        Ok(self.forward_with_neck(x)?.0)
    }
}

impl Yolo {
    /// As `forward`, and the neck's last, coarsest map (`[1, 256, 20, 20]`
    /// at 640 px: stride 32), the one the large objects' head reads: what
    /// the picture shows, per cell, for the look embedding.
    pub fn forward_with_neck(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        let x = self.c1.forward(&self.c0.forward(x)?)?;
        let p2 = self.b2.forward(&x)?;
        let p3 = self.b4.forward(&self.c3.forward(&p2)?)?;
        let p4 = self.b6.forward(&self.c5.forward(&p3)?)?;
        let p5 = self.b8.forward(&self.c7.forward(&p4)?)?;
        let n4 = self.b11.forward_parts(&[&up2(&p5)?, &p4])?;
        let n3 = self.b14.forward_parts(&[&up2(&n4)?, &p3])?;
        let m4 = self.b17.forward_parts(&[&self.c15.forward(&n3)?, &n4])?;
        let m5 = self.b20.forward_parts(&[&self.c18.forward(&m4)?, &p5])?;
        let outs = [self.head[0].forward(&n3)?, self.head[1].forward(&m4)?, self.head[2].forward(&m5)?];
        // Per level, box rows over class rows; the levels side by side.
        let (b, n) = (outs[0].0.dim(0)?, outs.iter().map(|(x, _)| Ok(x.dim(2)? * x.dim(3)?)).sum::<Result<usize>>()?);
        if b == 1 && outs.iter().all(|(x, _)| x.device().is_cpu()) {
            let parts: Vec<&Tensor> = outs.iter().flat_map(|(x, c)| [x, c]).collect();
            let rows = outs[0].0.dim(1)? + outs[0].1.dim(1)?;
            let y = cpu::with_f32s(&parts, |s| cpu::head_rows(s, rows, n))?;
            return Ok((Tensor::from_vec(y, (1, rows, n), x.device())?, m5));
        }
        let levels = outs.iter().map(|(x, c)| Tensor::cat(&[x, c], 1)?.flatten_from(2)).collect::<Result<Vec<_>>>()?;
        Ok((Tensor::cat(&levels, D::Minus1)?, m5))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn fast_exp_is_accurate() {
        let mut worst = 0f32;
        let mut x = -80.0f32;
        while x < 80.0 {
            let rel = ((crate::cpu::exp_f32(x) - x.exp()) / x.exp()).abs();
            worst = worst.max(rel);
            x += 0.0137;
        }
        assert!(worst < 5e-7, "relative error {worst}");
    }
}

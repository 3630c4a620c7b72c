//! One analysis pipeline: the measurements (`analyze`), then objects
//! (`detect`), then faces and who they are (`faces`) — every stage whose
//! model is here, or the stages asked for. The CLI's `hma analyze` and the
//! app's Analyse both run it, so scores and group bests go through the one
//! scoring path after every stage (each stage rescores what it changes).

use serde::Serialize;

use hma_catalog::Catalog;

use crate::analyze::{AnalyzeOptions, AnalyzeSummary};
use crate::detect::{DetectOptions, DetectSummary};
use crate::faces::{FacesOptions, FacesSummary};
use crate::{JobContext, Result};

/// A stage of the pipeline, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Analyze,
    Detect,
    Faces,
}

impl Stage {
    pub const ALL: [Stage; 3] = [Stage::Analyze, Stage::Detect, Stage::Faces];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Analyze => "analyze",
            Stage::Detect => "detect",
            Stage::Faces => "faces",
        }
    }

    /// Why the stage cannot run here (its model's weights absent or
    /// corrupt, with how to get them), or None when it can.
    pub fn missing(self, ctx: &JobContext) -> Option<String> {
        let ids: &[&str] = match self {
            Stage::Analyze => &[],
            Stage::Detect => &[hma_detect::MODEL_ID],
            Stage::Faces => &crate::faces::MODEL_IDS,
        };
        ids.iter().find_map(|id| crate::models::ready_weights(&ctx.models_dir, id).err().map(|e| e.to_string()))
    }
}

/// Which stages, and how.
#[derive(Debug, Clone)]
pub struct PipelineOptions {
    /// The stages asked for. A stage asked for by name (`explicit`) whose
    /// model is missing is an error; otherwise it is skipped and said why.
    pub stages: Vec<Stage>,
    pub explicit: bool,
    /// Redo every picture in every stage.
    pub force: bool,
    /// Loupe previews of JPEGs too (the app wants them).
    pub loupe: bool,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        PipelineOptions { stages: Stage::ALL.to_vec(), explicit: false, force: false, loupe: false }
    }
}

/// The `why` of a stage left out by `--only` / `--skip`.
pub const NOT_ASKED: &str = "not asked for";

/// One stage's fate in a run.
#[derive(Debug, Clone, Serialize)]
pub struct StageRun {
    pub stage: Stage,
    pub ran: bool,
    /// Why it did not run (model missing, not asked for, cancelled).
    pub why: Option<String>,
}

/// What a run did: the measurements' summary (its fields at the top level,
/// as `hma analyze --json` always gave them), then one object per later
/// stage (null when it did not run), and each stage's fate.
#[derive(Debug, Clone, Serialize)]
pub struct PipelineSummary {
    #[serde(flatten)]
    pub analysis: Option<AnalyzeSummary>,
    pub objects: Option<DetectSummary>,
    pub faces: Option<FacesSummary>,
    pub stages: Vec<StageRun>,
}

impl PipelineSummary {
    pub fn cancelled(&self) -> bool {
        self.analysis.as_ref().is_some_and(|s| s.cancelled)
            || self.objects.as_ref().is_some_and(|s| s.cancelled)
            || self.faces.as_ref().is_some_and(|s| s.cancelled)
    }

    /// Some picture failed in some stage (recorded; the job went on).
    pub fn failed(&self) -> bool {
        self.analysis.as_ref().is_some_and(|s| s.failed > 0)
            || self.objects.as_ref().is_some_and(|s| s.failed > 0)
            || self.faces.as_ref().is_some_and(|s| s.failed > 0)
    }
}

/// Runs the stages in order. Checks every asked stage's model first, so an
/// explicit request that cannot be met fails before any work.
pub fn run(cat: &mut Catalog, ctx: &JobContext, opts: &PipelineOptions) -> Result<PipelineSummary> {
    // Each asked stage's weights checked once, before any work.
    let missing: Vec<Option<String>> =
        Stage::ALL.iter().map(|s| if opts.stages.contains(s) { s.missing(ctx) } else { None }).collect();
    if opts.explicit {
        if let Some(why) = missing.iter().flatten().next() {
            return Err(crate::EngineError::Model(why.clone()));
        }
    }
    let mut sum = PipelineSummary { analysis: None, objects: None, faces: None, stages: Vec::new() };
    for (stage, missing) in Stage::ALL.into_iter().zip(missing) {
        let why = if !opts.stages.contains(&stage) {
            Some(NOT_ASKED.to_string())
        } else if sum.cancelled() {
            Some("cancelled before it started".to_string())
        } else {
            missing
        };
        if let Some(why) = why {
            sum.stages.push(StageRun { stage, ran: false, why: Some(why) });
            continue;
        }
        match stage {
            Stage::Analyze => {
                let o = AnalyzeOptions { loupe: opts.loupe, force: opts.force };
                sum.analysis = Some(crate::analyze::analyze(cat, ctx, &o)?);
            }
            Stage::Detect => {
                let o = DetectOptions { top: None, force: opts.force };
                sum.objects = Some(crate::detect::detect(cat, ctx, &o)?);
            }
            Stage::Faces => {
                let o = FacesOptions { top: None, force: opts.force };
                sum.faces = Some(crate::faces::faces(cat, ctx, &o)?);
            }
        }
        sum.stages.push(StageRun { stage, ran: true, why: None });
    }
    Ok(sum)
}

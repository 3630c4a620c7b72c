//! `hma taste`: her taste, learned from her own decisions and blended into
//! the score — train it, see how well it ranks, turn it on or off.

use clap::Subcommand;
use hma::taste::{self, TasteModelInfo, TasteStatus, TrainSummary};

use super::{exit, Env};

#[derive(Subcommand, Debug)]
pub enum TasteCmd {
    /// Learn her taste from her decisions (picks, rejects and stars, made here
    /// or in another program's XMP): two kinds of model (logistic, MLP) are
    /// cross-validated on decisions they did not see, the better one is kept,
    /// and every picture is scored again with it. Its weight in the score
    /// grows with its cross-validated AUC; one no better than chance, or with
    /// fewer than 15 picks or 15 rejects, is off and says why.
    Train {
        /// Leave out the look (what the object detector saw in each
        /// picture), to measure what it adds (scripts/eval-taste); the app
        /// always reads it.
        #[arg(long)]
        without_look: bool,
    },
    /// The model in force: decisions, AUC, accuracy, calibration, its weight,
    /// what it learned in words, and new decisions since it was trained.
    Status,
    /// Blend her taste into the score (the default); rescores every picture.
    On,
    /// Technical quality only; rescores every picture. The model is kept.
    Off,
}

pub fn run(cmd: &TasteCmd, env: &Env) -> anyhow::Result<u8> {
    let mut cat = env.open()?;
    match cmd {
        TasteCmd::Train { without_look } => {
            let s = match taste::train(&mut cat, &env.ctx, taste::TrainOptions { look: !without_look }) {
                Err(hma::EngineError::Cancelled) => {
                    return env.finish("taste train", &serde_json::json!({"cancelled": true}), true, false, |_| {})
                }
                r => r?,
            };
            env.finish("taste train", &s, false, false, print_train)
        }
        TasteCmd::Status => {
            let s = taste::status(&mut cat)?;
            env.print(&s, print_status)?;
            Ok(exit::OK)
        }
        TasteCmd::On | TasteCmd::Off => {
            let on = matches!(cmd, TasteCmd::On);
            let rescored = taste::set_enabled(&mut cat, &env.ctx, on)?;
            let s = taste::status(&mut cat)?;
            let v = serde_json::json!({"on": on, "rescored": rescored, "status": s});
            env.finish("taste", &v, false, false, |_| {
                println!("taste is {}; {rescored} pictures scored again", if on { "on" } else { "off" });
                if on && s.model.as_ref().is_none_or(|m| m.weight == 0.0) {
                    println!("(no model in force yet: {})", reason(&s));
                }
            })
        }
    }
}

fn reason(s: &TasteStatus) -> String {
    match &s.model {
        Some(m) => m.reason.clone(),
        None => "not trained yet: `hma taste train`".into(),
    }
}

fn print_model(m: &TasteModelInfo) {
    println!(
        "model {} ({}): {} decisions, {} kept, {} rejected",
        m.model_version, m.kind, m.decisions, m.positives, m.negatives
    );
    if let (Some(auc), Some(acc)) = (m.auc, m.accuracy) {
        println!(
            "  {}-fold cross-validation: AUC {auc:.3} (lower bound {:.3}), accuracy {:.1} %, Brier {:.3}, calibration error {:.3}",
            m.folds,
            m.auc_low.unwrap_or(0.0),
            acc * 100.0,
            m.brier.unwrap_or(0.0),
            m.ece.unwrap_or(0.0)
        );
    }
    println!("  {}", m.reason);
    for l in &m.learned {
        println!("  - {l}");
    }
}

fn print_train(s: &TrainSummary) {
    println!(
        "model {} ({}): {} decisions, {} kept, {} rejected",
        s.model_version, s.kind, s.decisions, s.positives, s.negatives
    );
    if let (Some(auc), Some(acc)) = (s.auc, s.accuracy) {
        println!("  {}-fold cross-validation: AUC {auc:.3}, accuracy {:.1} %", s.folds, acc * 100.0);
    }
    println!("  {}", s.reason);
    for l in &s.learned {
        println!("  - {l}");
    }
    if s.waiting > 0 {
        println!("  {} decided pictures are not analysed yet (run `hma analyze`)", s.waiting);
    }
    println!("  {} pictures scored again, in {:.1} s", s.rescored, s.seconds);
}

fn print_status(s: &TasteStatus) {
    println!("taste is {}", if s.on { "on" } else { "off (`hma taste on`)" });
    match &s.model {
        Some(m) => print_model(m),
        None => println!("not trained yet: `hma taste train` (or cull in the app: it trains as you go)"),
    }
    if s.model.is_some() {
        println!(
            "{} new decisions since it was trained{}",
            s.new_decisions,
            if s.due { ": time to train again (`hma taste train`)" } else { "" }
        );
    }
}

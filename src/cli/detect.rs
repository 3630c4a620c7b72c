//! What is in the pictures: `detect`, `faces` and `search`.

use clap::Args;

use super::Env;

#[derive(Args, Debug)]
pub struct DetectArgs {
    /// Only the best N photos (one per burst), best first: useful before the rest is done.
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,
    /// Look again at pictures already done.
    #[arg(long)]
    pub force: bool,
}

/// Objects, then faces when the face model is here (`hma faces` alone
/// says how to get it when it is not).
pub fn detect(a: &DetectArgs, env: &Env) -> anyhow::Result<u8> {
    let mut cat = env.open_for_job()?;
    let opts = hma::detect::DetectOptions { top: a.top, force: a.force };
    let sum = hma::detect::detect(&mut cat, &env.ctx, &opts)?;
    let faces = if !sum.cancelled && hma::faces::ready(&env.ctx.models_dir) {
        let opts = hma::faces::FacesOptions { top: a.top, force: a.force };
        Some(hma::faces::faces(&mut cat, &env.ctx, &opts)?)
    } else {
        None
    };
    #[derive(serde::Serialize)]
    struct Both {
        #[serde(flatten)]
        objects: hma::detect::DetectSummary,
        faces: Option<hma::faces::FacesSummary>,
    }
    let cancelled = sum.cancelled || faces.as_ref().is_some_and(|f| f.cancelled);
    let failed = sum.failed > 0 || faces.as_ref().is_some_and(|f| f.failed > 0);
    let both = Both { objects: sum, faces };
    env.finish("detection", &both, cancelled, failed, |b| {
        print_objects(&b.objects);
        if let Some(f) = &b.faces {
            print_faces(f);
        }
    })
}

#[derive(Args, Debug)]
pub struct FacesArgs {
    /// Only the best N photos (one per burst), best first.
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,
    /// Look again at pictures already done.
    #[arg(long)]
    pub force: bool,
}

pub fn faces(a: &FacesArgs, env: &Env) -> anyhow::Result<u8> {
    let mut cat = env.open_for_job()?;
    let opts = hma::faces::FacesOptions { top: a.top, force: a.force };
    let sum = hma::faces::faces(&mut cat, &env.ctx, &opts)?;
    env.finish("faces", &sum, sum.cancelled, sum.failed > 0, print_faces)
}

pub(super) fn print_objects(s: &hma::detect::DetectSummary) {
    println!(
        "objects: pictures {}  detected {}  unchanged {}  failed {}  objects {}  rescored {}",
        s.pictures, s.detected, s.unchanged, s.failed, s.objects, s.rescored
    );
    let mut classes: Vec<_> = s.classes.iter().collect();
    classes.sort_by(|a, b| b.1.cmp(a.1));
    if !classes.is_empty() {
        println!("  {}", classes.iter().map(|(c, n)| format!("{c} {n}")).collect::<Vec<_>>().join(", "));
    }
    for f in s.failures.iter().take(20) {
        println!("  {}: {}", f.path, f.error);
    }
}

pub(super) fn print_faces(s: &hma::faces::FacesSummary) {
    println!(
        "faces: pictures {}  looked at {}  with faces {}  faces {}  unchanged {}  failed {}  rescored {}",
        s.pictures, s.looked, s.with_faces, s.faces, s.unchanged, s.failed, s.rescored
    );
    for f in s.failures.iter().take(20) {
        println!("  {}: {}", f.path, f.error);
    }
}

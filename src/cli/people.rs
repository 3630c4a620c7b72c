//! `hma people`: who is in the photos — list, show, name, merge, split,
//! reject, name pets, recluster.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use hma::people::{Changed, PersonDetail, PersonSummary};
use hma::report::Places;

use super::Env;

#[derive(Args, Debug)]
pub struct PeopleArgs {
    #[command(subcommand)]
    pub cmd: Option<PeopleCmd>,
}

#[derive(Subcommand, Debug)]
pub enum PeopleCmd {
    /// One person, pet or cluster (id or name) with their faces.
    Show {
        /// Id or name.
        who: String,
    },
    /// Name a cluster or rename a person (an existing name joins them);
    /// with --face, name one face. Their faces count as confirmed.
    Name {
        /// The cluster's or person's id or name (a face id with --face).
        who: String,
        /// The name.
        name: String,
        /// Birthday, YYYY-MM-DD.
        #[arg(long, value_name = "YYYY-MM-DD")]
        born: Option<String>,
        /// WHO is a face id: name that face only.
        #[arg(long)]
        face: bool,
    },
    /// Set a birthday (YYYY-MM-DD), or clear it with --clear.
    Born {
        /// Id or name.
        who: String,
        /// YYYY-MM-DD.
        date: Option<String>,
        #[arg(long, conflicts_with = "date")]
        clear: bool,
    },
    /// Merge B into A: one person (B's name kept when A has none).
    Merge {
        /// Kept.
        a: String,
        /// Merged into A.
        b: String,
    },
    /// These faces of a person are someone else (a new cluster).
    Split {
        /// Id or name.
        who: String,
        /// Face ids (see `hma people show`).
        #[arg(required = true)]
        faces: Vec<i64>,
    },
    /// A face is not its person (it never goes back to them); with
    /// --not-a-face, or when it has no person, it is no face at all.
    Reject {
        /// Face id.
        face: i64,
        #[arg(long)]
        not_a_face: bool,
    },
    /// Name a pet from the dog or cat detected in a photo.
    Pet {
        /// The photo.
        path: PathBuf,
        /// The pet's name.
        name: String,
        /// Which animal: its box x,y,w,h in pixels (as `hma show` gives it);
        /// needed when there is more than one.
        #[arg(long = "box", value_name = "X,Y,W,H")]
        bbox: Option<String>,
    },
    /// Cluster the faces again (`hma faces` does it after finding new faces).
    Cluster,
}

fn print_list(v: &Vec<PersonSummary>) {
    if v.is_empty() {
        println!("nobody yet: run `hma faces` (or `hma detect`) first");
    }
    for p in v {
        let name = p.name.clone().unwrap_or_else(|| "(unnamed)".into());
        let born = p.birthday.as_deref().map(|b| format!("  born {b}")).unwrap_or_default();
        println!("{:>6}  {:<24} {:<6} {:>6} faces{born}", p.id, name, p.kind, p.faces);
    }
}

fn print_changed(c: &Changed) {
    match &c.person {
        Some(p) => println!(
            "{} ({}): {} faces; {} changed, {} photos rescored",
            p.name.as_deref().unwrap_or("(unnamed)"),
            p.id,
            p.faces,
            c.faces,
            c.rescored
        ),
        None => println!("{} face changed, {} photos rescored", c.faces, c.rescored),
    }
    for e in &c.sidecar_errors {
        eprintln!("hma: {e}");
    }
}

fn print_detail(d: &PersonDetail) {
    println!(
        "{} ({}, {}){}",
        d.name.as_deref().unwrap_or("(unnamed)"),
        d.id,
        d.kind,
        d.birthday.as_deref().map(|b| format!(", born {b}")).unwrap_or_default()
    );
    for f in &d.faces {
        println!(
            "  face {:>7}  {:<9} eyes {:<6} {}  [{:.0}, {:.0}, {:.0}, {:.0}]",
            f.id,
            f.source,
            f.eyes,
            f.path.as_deref().unwrap_or("(no present file)"),
            f.bbox[0],
            f.bbox[1],
            f.bbox[2],
            f.bbox[3]
        );
    }
}

fn parse_box(s: &str) -> anyhow::Result<[f64; 4]> {
    let v: Vec<f64> = s.split(',').map(|p| p.trim().parse::<f64>()).collect::<Result<_, _>>()?;
    match v.as_slice() {
        &[x, y, w, h] if w > 0.0 && h > 0.0 => Ok([x, y, w, h]),
        _ => anyhow::bail!("--box {s:?}: four numbers x,y,w,h (pixels), w and h above 0"),
    }
}

pub fn run(a: &PeopleArgs, env: &Env) -> anyhow::Result<u8> {
    let mut cat = env.open()?;
    let ctx = &env.ctx;
    match &a.cmd {
        None => {
            let v = hma::people::list(&mut cat)?;
            env.print(&v, print_list)?;
        }
        Some(PeopleCmd::Show { who }) => {
            let places = Places::load(&mut cat, &ctx.machine)?;
            let d = hma::people::show(&mut cat, &places, who)?;
            env.print(&d, print_detail)?;
        }
        Some(PeopleCmd::Name { who, name, born, face }) => {
            let c = if *face {
                let id: i64 = who.parse().map_err(|_| anyhow::anyhow!("--face takes a face id, not {who:?}"))?;
                hma::people::name_face(&mut cat, ctx, id, name, born.as_deref())?
            } else {
                hma::people::name(&mut cat, ctx, who, name, born.as_deref())?
            };
            env.print(&c, print_changed)?;
        }
        Some(PeopleCmd::Born { who, date, clear }) => {
            if date.is_none() && !clear {
                anyhow::bail!("give a date (YYYY-MM-DD) or --clear");
            }
            let p = hma::people::set_birthday(&mut cat, who, date.as_deref())?;
            env.print(&vec![p], print_list)?;
        }
        Some(PeopleCmd::Merge { a, b }) => {
            let c = hma::people::merge(&mut cat, ctx, a, b)?;
            env.print(&c, print_changed)?;
        }
        Some(PeopleCmd::Split { who, faces }) => {
            let c = hma::people::split(&mut cat, ctx, who, faces)?;
            env.print(&c, print_changed)?;
        }
        Some(PeopleCmd::Reject { face, not_a_face }) => {
            let c = hma::people::reject(&mut cat, ctx, *face, *not_a_face)?;
            env.print(&c, print_changed)?;
        }
        Some(PeopleCmd::Pet { path, name, bbox }) => {
            let places = Places::load(&mut cat, &ctx.machine)?;
            let b = bbox.as_deref().map(parse_box).transpose()?;
            let c = hma::people::pet(&mut cat, ctx, &places, path, b, name)?;
            env.print(&c, print_changed)?;
        }
        Some(PeopleCmd::Cluster) => {
            let s = hma::people::cluster(&mut cat, ctx)?;
            return env.finish("people", &s, false, false, print_cluster);
        }
    }
    Ok(super::exit::OK)
}

pub fn print_cluster(s: &hma::people::ClusterSummary) {
    println!(
        "people: {} faces; {} named ({} confirmed faces, {} more found), {} unnamed clusters holding {} faces; {:.1} s",
        s.faces, s.named, s.confirmed, s.absorbed, s.clusters, s.clustered, s.seconds
    );
}

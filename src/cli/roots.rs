//! `hma root`: the folders and drives the catalogue covers.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;

use super::Env;

#[derive(Subcommand, Debug)]
pub enum RootCmd {
    /// Add a folder or drive.
    Add {
        /// Where it is on this machine.
        path: PathBuf,
        /// A name for it [default: the folder's name].
        #[arg(long)]
        name: Option<String>,
        /// It holds backup copies (never chosen as the keeper of duplicates).
        #[arg(long)]
        backup: bool,
        /// Write decisions and named people into XMP sidecars beside its photos
        /// (NAME.xmp, or the NAME.EXT.xmp already there), for Lightroom, darktable
        /// and digiKam. The photos themselves are never written.
        #[arg(long)]
        sidecars: bool,
    },
    /// Change a root's settings.
    Set {
        /// The root's name.
        name: String,
        /// XMP sidecars beside its photos: on or off (on writes the sidecars of
        /// every photo already decided or with a named person, then every
        /// decision from then on).
        #[arg(long, value_name = "on|off", value_parser = ["on", "off"])]
        sidecars: Option<String>,
    },
    /// List roots and where they are on this machine.
    List,
    /// Forget a root in the catalogue (its files on disk are not touched).
    Remove {
        /// The root's name.
        name: String,
    },
    /// Tell the catalogue a root now lives elsewhere (new drive letter, mount point or machine).
    Relocate {
        /// The root's name.
        name: String,
        /// Where it is now.
        new_path: PathBuf,
    },
}

pub fn run(cmd: &RootCmd, env: &Env) -> anyhow::Result<u8> {
    let mut cat = env.open()?;
    let ctx = &env.ctx;
    match cmd {
        RootCmd::Add { path, name, backup, sidecars } => {
            let (root, path_s) = hma::roots::add_root(&mut cat, path, name.as_deref(), *backup, ctx)?;
            if *sidecars {
                cat.set_root_sidecars(root.id, true)?;
            }
            let v = serde_json::json!({"id": root.id, "name": root.name, "uuid": root.uuid, "path": path_s, "backup": root.is_backup, "sidecars": sidecars});
            env.print(&v, |_| println!("added root '{}' at {}", root.name, path_s))?;
        }
        RootCmd::Set { name, sidecars } => {
            let root = cat.root_by_name(name)?.with_context(|| format!("no root named '{name}'"))?;
            let Some(s) = sidecars else { anyhow::bail!("nothing to set: give --sidecars on|off") };
            cat.set_root_sidecars(root.id, s == "on")?;
            // Turned on: what was decided before goes into the sidecars now.
            let wrote = if s == "on" { Some(hma::sidecar::write_all(&mut cat, ctx, root.id)?) } else { None };
            for e in wrote.iter().flat_map(|w| &w.errors) {
                eprintln!("hma: {e}");
            }
            let v = serde_json::json!({"name": root.name, "sidecars": s == "on", "written": wrote});
            env.print(&v, |_| {
                println!("root '{}': XMP sidecars {s}", root.name);
                if let Some(w) = &wrote {
                    println!(
                        "  {} photos with decisions or names: {} sidecars written, {} already right",
                        w.captures, w.written, w.unchanged
                    );
                }
            })?;
        }
        RootCmd::Remove { name } => {
            let n = hma::roots::remove_root(&mut cat, name, ctx)?;
            let v = serde_json::json!({"removed": name, "files_forgotten": n});
            env.print(&v, |_| {
                println!("removed root '{name}' from the catalogue ({n} files forgotten; nothing on disk was touched)")
            })?;
        }
        RootCmd::List => {
            let roots = cat.roots(&ctx.machine)?;
            let v: Vec<_> = roots
                .iter()
                .map(|(r, loc)| serde_json::json!({"id": r.id, "name": r.name, "uuid": r.uuid, "path": loc, "backup": r.is_backup, "sidecars": r.sidecars}))
                .collect();
            env.print(&v, |_| {
                for (r, loc) in &roots {
                    println!(
                        "{:<20} {}{}{}",
                        r.name,
                        loc.as_deref().unwrap_or("(no location on this machine)"),
                        if r.is_backup { "  [backup]" } else { "" },
                        if r.sidecars { "  [XMP sidecars]" } else { "" }
                    );
                }
            })?;
        }
        RootCmd::Relocate { name, new_path } => {
            let root = cat.root_by_name(name)?.with_context(|| format!("no root named '{name}'"))?;
            let abs = std::fs::canonicalize(new_path)
                .with_context(|| format!("{} is not a readable folder", new_path.display()))?;
            let path_s =
                &*hma_media::portable::simplify_verbatim(abs.to_str().context("the new path is not valid Unicode")?);
            cat.set_location(root.id, &ctx.machine, path_s, ctx.now())?;
            let v = serde_json::json!({"name": root.name, "path": path_s});
            env.print(&v, |_| println!("root '{}' now at {} (nothing rescanned as new)", root.name, path_s))?;
        }
    }
    Ok(super::exit::OK)
}

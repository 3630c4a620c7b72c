//! Commands on files without a catalogue: `hash` and `exif`.

use std::path::PathBuf;

use super::{Env, Lines};

pub fn hash(files: &[PathBuf], env: &Env) -> anyhow::Result<u8> {
    let hashes = hma::hash_files(files, env.ctx.threads);
    let mut lines = Lines::new(env.g.json);
    for (path, h) in files.iter().zip(hashes) {
        match h {
            Ok(h) => {
                let v = serde_json::json!({"path": path, "hash": h.to_hex()});
                lines.item(&v, |out, _| writeln!(out, "XXH3 ({}) = {}", path.display(), h.to_hex()))?;
            }
            Err(e) => lines.failed(path, e),
        }
    }
    lines.finish()
}

pub fn exif(paths: &[PathBuf], env: &Env) -> anyhow::Result<u8> {
    let ctx = &env.ctx;
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            hma_media::walk::walk(p, ctx.threads.max(1), &ctx.cancel, |item| {
                if let hma_media::walk::WalkItem::File(f) = item {
                    files.push(f.path);
                }
            });
        } else {
            files.push(p.clone());
        }
    }
    let facts = hma::read_metadata(&files, ctx.threads);
    let mut lines = Lines::new(env.g.json);
    for (path, f) in files.iter().zip(facts) {
        let v = match f {
            Ok(f) => {
                let fields = hma::capture::capture_fields(f.exif.as_ref());
                serde_json::json!({
                    "path": path, "kind": f.kind, "format": f.format, "size": f.size,
                    "width": f.width, "height": f.height,
                    "exif": hma::report::exif_report(&fields),
                    "xmp": f.xmp, "error": f.problem,
                })
            }
            Err(e) => {
                lines.failed(path, &e);
                serde_json::json!({"path": path, "error": e})
            }
        };
        lines.item(&v, |out, v| writeln!(out, "{}", serde_json::to_string_pretty(v).unwrap_or_default()))?;
    }
    lines.finish()
}

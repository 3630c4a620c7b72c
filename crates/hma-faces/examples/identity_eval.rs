//! Identity embeddings of labelled faces (`scripts/eval-identity`): for each
//! picture FOLDER/<person>/<file>, the largest face the pipeline finds,
//! aligned and embedded by SFace; one line per picture: person, path, the
//! 128 numbers (comma-separated), or "no face".
//! Usage: identity_eval BLAZEFACE SFACE FOLDER
use std::path::Path;

use hma_faces::detect::{FaceDetector, Options};
use hma_faces::sface::Embedder;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let det = FaceDetector::load(Path::new(&args[0])).unwrap();
    let emb = Embedder::load(Path::new(&args[1])).unwrap();
    let mut people: Vec<_> =
        std::fs::read_dir(&args[2]).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    people.sort();
    for dir in people {
        let person = dir.file_name().unwrap().to_string_lossy().to_string();
        let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        for f in files {
            let Ok(img) = image::open(&f) else { continue };
            let img = img.to_rgb8();
            let faces = det.detect(&img, &Options::default()).unwrap();
            let Some(best) = faces.iter().max_by(|a, b| {
                ((a.xmax - a.xmin) * (a.ymax - a.ymin)).total_cmp(&((b.xmax - b.xmin) * (b.ymax - b.ymin)))
            }) else {
                println!("{person}\t{}\tno face", f.display());
                continue;
            };
            let k = best.keypoints;
            let e = emb.embed(&img, &[[k[0], k[1], k[2], k[3]]]).unwrap().remove(0);
            let s: Vec<String> = e.iter().map(|v| format!("{v:.6}")).collect();
            println!("{person}\t{}\t{}", f.display(), s.join(","));
        }
    }
}

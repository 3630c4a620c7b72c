//! Prints what the face pipeline sees in pictures, one face per line:
//! detector score, box (pixels), landmarker presence, eye openness and
//! verdict. For looking at disputed pictures (docs/benchmarks.md, faces).
//! Usage: faces_probe BLAZEFACE.safetensors FACEMESH.safetensors PICTURE…
use std::path::Path;

use hma_faces::detect::{FaceDetector, Options};
use hma_faces::eyes::Landmarker;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let det = FaceDetector::load(Path::new(&args[0])).unwrap();
    let marks =
        Landmarker::load(Path::new(&args[1]), &Path::new(&args[1]).with_file_name("face_blendshapes.safetensors"))
            .unwrap();
    for path in &args[2..] {
        let img = match image::open(path) {
            Ok(i) => i.to_rgb8(),
            Err(e) => {
                println!("{path}: {e}");
                continue;
            }
        };
        let faces = det.detect(&img, &Options::default()).unwrap();
        let eyes = marks.eyes(&img, &faces).unwrap();
        for (f, e) in faces.iter().zip(&eyes) {
            println!(
                "{path}\t{:.3}\t{:.0} {:.0} {:.0} {:.0}\t{}\t{}\t{}\t{}",
                f.score,
                f.xmin,
                f.ymin,
                f.xmax - f.xmin,
                f.ymax - f.ymin,
                e.presence.map_or("-".into(), |p| format!("{p:.3}")),
                e.left.map_or("-".into(), |p| format!("{p:.3}")),
                e.right.map_or("-".into(), |p| format!("{p:.3}")),
                e.verdict.as_str()
            );
        }
    }
}

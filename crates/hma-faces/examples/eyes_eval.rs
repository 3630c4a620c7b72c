//! Eyes on labelled real faces (`scripts/eval-eyes`): for each picture, the
//! largest face the pipeline finds (the picture first padded to twice its
//! size with its edge colour when `--pad`, for tight face crops), its
//! landmarker crop saved as PNG (the reference runtime reads the same one),
//! and one line: path, crop, detector score, presence, left/right openness,
//! left/right blink score, the crop's rotation (radians), verdict.
//! Usage: eyes_eval BLAZEFACE FACEMESH CROPS_DIR [--pad] PICTURE…
use std::path::Path;

use hma_faces::detect::{FaceDetector, Options};
use hma_faces::eyes::Landmarker;
use hma_faces::landmarker::Roi;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let det = FaceDetector::load(Path::new(&args[0])).unwrap();
    let marks =
        Landmarker::load(Path::new(&args[1]), &Path::new(&args[1]).with_file_name("face_blendshapes.safetensors"))
            .unwrap();
    let crops = Path::new(&args[2]);
    std::fs::create_dir_all(crops).unwrap();
    let pad = args.get(3).is_some_and(|a| a == "--pad");
    for (i, path) in args[if pad { 4 } else { 3 }..].iter().enumerate() {
        let Ok(img) = image::open(path) else {
            println!("{path}\tunreadable");
            continue;
        };
        let mut img = img.to_rgb8();
        if pad {
            let (w, h) = img.dimensions();
            let mut big = image::RgbImage::from_pixel(w * 2, h * 2, *img.get_pixel(0, 0));
            // Edge colours carried outwards, so the border is no new edge.
            for y in 0..h * 2 {
                for x in 0..w * 2 {
                    let sx = (x as i64 - (w / 2) as i64).clamp(0, w as i64 - 1) as u32;
                    let sy = (y as i64 - (h / 2) as i64).clamp(0, h as i64 - 1) as u32;
                    big.put_pixel(x, y, *img.get_pixel(sx, sy));
                }
            }
            img = big;
        }
        let faces = det.detect(&img, &Options::default()).unwrap();
        let Some(best) = faces
            .iter()
            .max_by(|a, b| ((a.xmax - a.xmin) * (a.ymax - a.ymin)).total_cmp(&((b.xmax - b.xmin) * (b.ymax - b.ymin))))
        else {
            println!("{path}\tno face");
            continue;
        };
        let e = marks.eyes(&img, std::slice::from_ref(best)).unwrap().remove(0);
        let roi =
            Roi::from_detection([best.xmin, best.ymin, best.xmax, best.ymax], best.keypoints[0], best.keypoints[1]);
        let crop = crops.join(format!("{i:04}.png"));
        roi.crop(&img).save(&crop).unwrap();
        let f = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.4}"));
        println!(
            "{path}\t{}\t{:.3}\t{}\t{}\t{}\t{}\t{}\t{:.6}\t{}",
            crop.display(),
            best.score,
            f(e.presence),
            f(e.left),
            f(e.right),
            f(e.blink_left),
            f(e.blink_right),
            roi.rotation,
            e.verdict.as_str()
        );
    }
}

//! Writes the detector's input for a photo — decoded and oriented as
//! `hma detect` does, letterboxed to 640×640 — as a PNG, and prints the
//! sha256 of its RGB bytes. `scripts/yolo-reference` feeds these exact
//! pixels to onnxruntime to make the reference outputs the tests compare
//! the candle model with.
//! Usage: cargo run --example yolo_input -- PHOTO OUT.png

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(photo), Some(out)) = (args.get(1), args.get(2)) else {
        return Err("usage: yolo_input PHOTO OUT.png".into());
    };
    let (boxed, _) = hma::detect::letterboxed(std::path::Path::new(photo))?;
    boxed.save(out)?;
    println!("{}", hma::detect::rgb_sha256(&boxed));
    Ok(())
}

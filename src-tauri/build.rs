fn main() {
    // The app embeds the built UI (ui/dist, made by `npm run build` in ui/;
    // scripts/test and scripts/bundle do it first). Say so plainly.
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/dist/index.html");
    println!("cargo:rerun-if-changed=../ui/dist");
    if !dist.exists() {
        panic!("ui/dist is missing: build the UI first (cd ui && npm ci && npm run build), or run scripts/test");
    }
    // tauri.conf.json lives at the repository root, as the user asked
    // (one source of truth); capabilities/ is still read from src-tauri/.
    let attrs = tauri_build::Attributes::new().config_path("../tauri.conf.json");
    tauri_build::try_build(attrs).expect("tauri-build failed");
}

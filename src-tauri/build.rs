fn main() {
    // The app embeds the built UI (ui/dist, made by `npm run build` in ui/;
    // scripts/test and scripts/bundle do it first). Say so plainly.
    // The manifest's folder as cargo gives it when it runs this script, not
    // as it was when the script was compiled: checkouts that share one
    // CARGO_TARGET_DIR share the compiled script (with `env!` a second
    // checkout's build looked for the first one's ui/dist).
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR for build scripts");
    let dist = std::path::Path::new(&manifest).join("../ui/dist/index.html");
    println!("cargo:rerun-if-changed=../ui/dist");
    if !dist.exists() {
        panic!("ui/dist is missing: build the UI first (cd ui && npm ci && npm run build), or run scripts/test");
    }
    // tauri.conf.json lives at the repository root, as the user asked
    // (one source of truth); capabilities/ is still read from src-tauri/.
    let attrs = tauri_build::Attributes::new().config_path("../tauri.conf.json");
    tauri_build::try_build(attrs).expect("tauri-build failed");
}

fn main() {
    // tauri.conf.json lives at the repository root, as the user asked
    // (one source of truth); capabilities/ is still read from src-tauri/.
    let attrs = tauri_build::Attributes::new().config_path("../tauri.conf.json");
    tauri_build::try_build(attrs).expect("tauri-build failed");
}

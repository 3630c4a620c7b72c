//! The desktop shell: builds the Tauri app and exposes thin commands over the
//! engine (`hma` library). Issue "desktop app" grows this into the culling
//! lightbox; for now it shows the catalogue's status.

/// Starts the desktop app.
pub fn run() {
    tauri::Builder::default()
        .run(tauri::generate_context!("../tauri.conf.json"))
        .expect("error while running the Home Media AI app");
}

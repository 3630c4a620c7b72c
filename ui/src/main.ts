import "./style.css";
import { App } from "./app";
import type { Backend } from "./backend";
import { MemoryBackend } from "./memory-backend";
import { TauriBackend } from "./tauri-backend";

// Inside the app the Tauri bridge exists; in a plain browser the in-memory
// test backend stands in (`npm run dev`).
const inTauri = "__TAURI_INTERNALS__" in window;
const backend: Backend = inTauri ? new TauriBackend() : new MemoryBackend();
const app = new App(document.getElementById("app") as HTMLElement, backend);
if (!inTauri) app.showLightbox();

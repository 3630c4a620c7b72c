import { defineConfig } from "vite";

// The build lands in ui/dist, which tauri.conf.json's frontendDist embeds.
export default defineConfig({
  clearScreen: false,
  build: { outDir: "dist", emptyOutDir: true, target: "es2021", modulePreload: { polyfill: false } },
  test: { environment: "jsdom" },
});

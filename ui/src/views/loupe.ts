// The loupe: one photo, fitted or at 100 % (scrolled to its sharpest part).
// The picture is decoded off screen before it is shown, and the next photos
// are decoded ahead, so the next photo shows at once.
import { $, h } from "../dom";
import type { Context } from "./context";
import { fullUrl, loupeUrl, scrollToSharpest } from "./pictures";

const PREFETCH_AHEAD = 3;

export class LoupeView {
  constructor(private ctx: Context) {}

  dom() {
    return h("div", { id: "loupe" }, h("div", { id: "loupe-frame" }));
  }

  wire() {
    $("#loupe-frame").addEventListener("dblclick", () => this.ctx.act({ kind: "zoom" }));
  }

  async show() {
    const { backend, state } = this.ctx;
    const e = state.current;
    const frame = $("#loupe-frame");
    if (!e) {
      frame.replaceChildren(h("p", { class: "empty", text: "No photos match. Add a folder in the library, or change the filters." }));
      this.ctx.renderFilmstrip();
      return;
    }
    const started = this.ctx.takeKeyTime();
    this.ctx.renderInfo();
    this.ctx.renderFilmstrip();
    let img: HTMLImageElement;
    try {
      img = await this.ctx.images.get(this.ctx.zoomed ? fullUrl(backend, e) : loupeUrl(backend, e), backend.originalUrl(e.file_id));
    } catch {
      if (state.current === e) frame.replaceChildren(h("p", { class: "empty", text: `${e.name}: no preview (run Analyse)` }));
      return;
    }
    if (state.current !== e || this.ctx.mode !== "loupe") return;
    const shown = img.cloneNode() as HTMLImageElement;
    shown.id = "loupe-img";
    shown.alt = e.name;
    shown.draggable = false;
    frame.classList.toggle("zoomed", this.ctx.zoomed);
    frame.replaceChildren(shown);
    if (this.ctx.zoomed) scrollToSharpest(frame, shown, e);
    else void this.ctx.faces.draw(frame, shown, e);
    // After the next frame is painted (rAF runs just before the paint).
    if (started !== null) requestAnimationFrame(() => setTimeout(() => window.__hma.latencies.push(performance.now() - started), 0));
    this.prefetch();
  }

  private prefetch() {
    const { backend, state } = this.ctx;
    const i = state.index;
    for (const j of [i + 1, i + 2, i + PREFETCH_AHEAD, i - 1]) {
      const e = state.items[j];
      if (e) this.ctx.images.get(loupeUrl(backend, e), backend.originalUrl(e.file_id)).catch(() => {});
    }
  }
}

// Compare: the current photo beside its burst or near-duplicate siblings
// (six at most), zoomed together and scrolled together.
import { $, h } from "../dom";
import type { Entry } from "../types";
import type { Context } from "./context";
import { fullUrl, loupeUrl, scrollToSharpest } from "./pictures";

export class CompareView {
  constructor(private ctx: Context) {}

  dom() {
    return h("div", { id: "compare", class: "hidden" });
  }

  async show() {
    const { backend, state } = this.ctx;
    const e = state.current;
    const box = $("#compare");
    if (!e) return;
    let members: Entry[] = [e];
    let why = "";
    try {
      const g = await backend.group(e.file_id);
      if (g) {
        members = g.members.slice(0, 6);
        why = g.why;
      }
    } catch (err) {
      this.ctx.toast(err);
    }
    if (state.current !== e || this.ctx.mode !== "compare") return;
    const zoomed = this.ctx.zoomed;
    const frames = members.map((m) => {
      const img = h("img", { src: zoomed ? fullUrl(backend, m) : loupeUrl(backend, m), alt: m.name, draggable: "false" });
      img.addEventListener("error", () => (img.src = backend.originalUrl(m.file_id)), { once: true });
      const frame = h("div", { class: `cmp-frame${zoomed ? " zoomed" : ""}` }, img);
      if (zoomed) scrollToSharpest(frame, img, e);
      return h("figure", { class: m.file_id === e.file_id ? "current" : "" }, frame, h("figcaption", { text: `${m.group ? `#${m.group.rank} ` : ""}${m.name} · ${m.score.toFixed(2)}` }));
    });
    syncScrolling(frames.map((f) => f.querySelector(".cmp-frame") as HTMLElement));
    box.replaceChildren(h("div", { class: "cmp-why muted", text: members.length > 1 ? `${members.length} in this ${e.group?.kind ?? "group"}: ${why}` : "This photo has no burst or near-duplicate siblings." }), h("div", { class: "cmp-row" }, ...frames));
    box.dataset.members = String(members.length);
  }
}

/** Synchronised zoom: scrolling one frame scrolls the others to the same place. */
function syncScrolling(frames: HTMLElement[]) {
  let syncing = false;
  for (const frame of frames) {
    frame.addEventListener("scroll", () => {
      if (syncing) return;
      syncing = true;
      for (const other of frames) {
        if (other !== frame) {
          other.scrollLeft = frame.scrollLeft;
          other.scrollTop = frame.scrollTop;
        }
      }
      syncing = false;
    });
  }
}

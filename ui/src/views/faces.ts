// The faces overlay of the loupe (F): each face's box with its eyes'
// verdict and, when known, the person's name. Drawn over the photo as
// shown (fitted), from the catalogue's boxes in pixels of the picture.
import { h } from "../dom";
import type { Entry, FaceReport } from "../types";
import type { Context } from "./context";

export class FaceOverlay {
  on = false;
  private cache = new Map<number, FaceReport[]>();

  constructor(private ctx: Context) {}

  toggle() {
    this.on = !this.on;
  }

  /** Forget what was fetched (after naming or a new analysis). */
  clear() {
    this.cache.clear();
  }

  /** Draws the faces of `e` over `img` (inside `frame`), when on. */
  async draw(frame: HTMLElement, img: HTMLImageElement, e: Entry) {
    frame.querySelector("#face-overlay")?.remove();
    if (!this.on || !e.width || !e.height) return;
    let faces = this.cache.get(e.file_id);
    if (!faces) {
      try {
        faces = await this.ctx.backend.facesOf(e.file_id);
      } catch (err) {
        this.ctx.toast(err);
        return;
      }
      this.cache.set(e.file_id, faces);
    }
    if (this.ctx.state.current !== e || !img.isConnected) return;
    const layer = h("div", { id: "face-overlay" });
    layer.style.left = `${img.offsetLeft}px`;
    layer.style.top = `${img.offsetTop}px`;
    layer.style.width = `${img.offsetWidth}px`;
    layer.style.height = `${img.offsetHeight}px`;
    layer.dataset.faces = String(faces.length);
    for (const f of faces) {
      const [x, y, w, hh] = f.box;
      const box = h("div", { class: `face-box eyes-${f.eyes.verdict}` }, h("span", { class: "face-label", text: `${f.person ?? ""}${f.person ? " · " : ""}eyes ${f.eyes.verdict}` }));
      box.style.left = `${(x / e.width) * 100}%`;
      box.style.top = `${(y / e.height) * 100}%`;
      box.style.width = `${(w / e.width) * 100}%`;
      box.style.height = `${(hh / e.height) * 100}%`;
      if (f.person) box.dataset.person = f.person;
      layer.append(box);
    }
    frame.append(layer);
  }
}

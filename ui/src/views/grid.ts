// The grid: only the visible rows exist in the DOM (20,000 photos scroll
// smoothly). Click selects (Ctrl/⌘ adds, Shift a range), a double click
// opens the loupe, a drag copies the originals out.
import { $, h } from "../dom";
import type { Entry } from "../types";
import type { Context } from "./context";

const CELL = 212; // grid cell, px (200 thumbnail + gaps)

export class GridView {
  constructor(private ctx: Context) {}

  dom() {
    return h("div", { id: "grid", class: "hidden", tabindex: 0 }, h("div", { id: "grid-space" }));
  }

  wire() {
    $("#grid").addEventListener("scroll", () => this.render());
  }

  /** Photos per row, as last rendered (the arrow keys' row step). */
  get cols() {
    return Number($("#grid").dataset.cols || 1);
  }

  render(scrollToCurrent = false) {
    const { state } = this.ctx;
    const grid = $("#grid");
    const space = $("#grid-space");
    const cols = Math.max(1, Math.floor((grid.clientWidth || 1000) / CELL));
    const rows = Math.ceil(state.items.length / cols);
    space.style.height = `${rows * CELL}px`;
    if (scrollToCurrent) {
      const r = Math.floor(state.index / cols);
      if (r * CELL < grid.scrollTop || (r + 1) * CELL > grid.scrollTop + grid.clientHeight) grid.scrollTop = Math.max(0, r * CELL - grid.clientHeight / 2);
    }
    const first = Math.max(0, Math.floor(grid.scrollTop / CELL) - 2);
    const last = Math.min(rows, Math.ceil((grid.scrollTop + (grid.clientHeight || 800)) / CELL) + 2);
    const cells = [];
    for (let r = first; r < last; r++) {
      for (let c = 0; c < cols; c++) {
        const j = r * cols + c;
        const e = state.items[j];
        if (!e) break;
        cells.push(this.cell(e, j, r, c));
      }
    }
    space.replaceChildren(...cells);
    grid.dataset.cols = String(cols);
    grid.dataset.rendered = String(cells.length);
  }

  private cell(e: Entry, j: number, r: number, c: number) {
    const { backend, state, selection } = this.ctx;
    const m = e.marks;
    const cell = h(
      "div",
      { class: `cell flag${m.flag}${j === state.index ? " current" : ""}${selection.has(j) ? " selected" : ""}`, draggable: "true", "data-index": j, title: `${e.name} — score ${e.score.toFixed(2)} (drag out to copy the original)` },
      h("img", { src: backend.previewUrl(e.content, "grid"), alt: e.name, loading: "lazy", draggable: "false" }),
      h("div", { class: "badges" }, h("span", { text: m.flag === 1 ? "⚑" : m.flag === -1 ? "✕" : "" }), h("span", { text: "★".repeat(m.rating) }), h("span", { class: `dot label-${m.label ?? "none"}` }), h("span", { class: "muted", text: e.score.toFixed(2) })),
    );
    cell.style.top = `${r * CELL}px`;
    cell.style.left = `${c * CELL}px`;
    cell.addEventListener("click", (ev) => {
      if (ev.ctrlKey || ev.metaKey) {
        if (selection.has(j)) selection.delete(j);
        else selection.add(j);
      } else if (ev.shiftKey) {
        const [a, b] = [Math.min(j, state.index), Math.max(j, state.index)];
        for (let k = a; k <= b; k++) selection.add(k);
      } else {
        selection.clear();
        selection.add(j);
      }
      state.go(j);
      this.render();
      this.ctx.renderInfo();
    });
    cell.addEventListener("dblclick", () => {
      state.go(j);
      this.ctx.setMode("loupe");
    });
    cell.addEventListener("dragstart", (ev) => {
      // A real OS drag of the originals, not a browser drag of a thumbnail.
      ev.preventDefault();
      const idx = selection.has(j) ? [...selection] : [j];
      backend.dragOut(idx.map((k) => state.items[k].file_id)).catch((err) => this.ctx.toast(err));
    });
    return cell;
  }
}

// The panels over the lightbox, one open at a time: why (the score's parts,
// and why the photo beat its siblings), the keys, and export (built by
// export.ts).
import { $, h } from "../dom";
import { KEY_HELP } from "../keymap";
import type { Context, Overlay } from "./context";

export class OverlaysView {
  private shown: Overlay | null = null;

  constructor(private ctx: Context) {}

  /** The open panel, if any. */
  get open() {
    return this.shown;
  }

  dom() {
    return [
      h("div", { id: "why", class: "overlay hidden" }),
      h("div", { id: "help", class: "overlay hidden" }, h("h2", { text: "Keys" }), h("table", {}, ...KEY_HELP.map(([k, d]) => h("tr", {}, h("th", { text: k }), h("td", { text: d }))))),
    ];
  }

  toggle(which: Overlay) {
    const open = this.shown !== which;
    for (const o of ["why", "help", "export"]) $(`#${o}`).classList.toggle("hidden", !(open && o === which));
    this.shown = open ? which : null;
  }

  async toggleWhy() {
    if (this.shown === "why") return this.toggle("why");
    const e = this.ctx.state.current;
    if (!e) return;
    const box = $("#why");
    const parts = Object.entries(e.scores).sort((a, b) => b[1] - a[1]);
    box.replaceChildren(
      h("h2", { text: `Why ${e.score.toFixed(2)}: ${e.name}` }),
      h("div", { class: "parts" }, ...parts.map(([name, s]) => {
        const bar = h("span", { class: "bar" });
        bar.style.width = `${Math.round(s * 100)}%`;
        return h("div", { class: "part" }, h("span", { class: "pname", text: name }), h("span", { class: "track" }, bar), h("span", { text: s.toFixed(2) }));
      })),
      h("ul", { class: "explain" }, ...e.explain.map((l) => h("li", { text: l }))),
    );
    this.toggle("why");
    if (e.group) {
      try {
        const g = await this.ctx.backend.group(e.file_id);
        if (g && (this.shown as Overlay | null) === "why") {
          box.append(
            h("h3", { text: `Why this one beat its ${g.members.length - 1} sibling${g.members.length === 2 ? "" : "s"} (${g.kind})` }),
            h("p", { text: g.why }),
            h("ol", {}, ...g.members.map((m) => h("li", { class: m.file_id === e.file_id ? "current" : "" }, `${m.name} — ${m.score.toFixed(2)}`, h("span", { class: "muted", text: m.explain[0] ? ` · ${m.explain[0]}` : "" })))),
          );
        }
      } catch (err) {
        this.ctx.toast(err);
      }
    }
  }

  /** An open why panel follows the current photo. */
  followCurrent() {
    if (this.shown === "why") {
      this.shown = null;
      this.toggleWhy();
    }
  }
}

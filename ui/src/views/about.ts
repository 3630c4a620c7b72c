// Settings and About, on the library screen: where the app keeps its data
// (catalogue, previews with their size, models, settings, log), the threads
// jobs use, versions and licences (ours and each model's).
import { $, bytesText, h } from "../dom";
import type { About } from "../types";
import type { Context } from "./context";

export class AboutView {
  constructor(private ctx: Context) {}

  dom() {
    return h(
      "details",
      { class: "panel", id: "about" },
      h("summary", {}, h("h2", { text: "Settings and about" })),
      h("div", { class: "row" }, h("label", {}, "Threads for analysis ", h("input", { id: "threads", type: "number", min: 1, max: 256, placeholder: "all cores" })), h("button", { id: "save-threads", type: "button", text: "Save" }), h("span", { id: "threads-note", class: "muted" })),
      h("table", { id: "places" }),
      h("p", { id: "about-version", class: "muted" }),
      h("ul", { id: "about-licences", class: "muted" }),
    );
  }

  wire() {
    $("#about").addEventListener("toggle", () => {
      if (($("#about") as HTMLDetailsElement).open) this.refresh();
    });
    $("#save-threads").addEventListener("click", async () => {
      const v = ($("#threads") as HTMLInputElement).value.trim();
      try {
        const t = await this.ctx.backend.setThreads(v ? Number(v) : null);
        $("#threads-note").textContent = t ? `jobs use ${t} threads` : "jobs use all cores";
      } catch (e) {
        this.ctx.toast(e);
      }
    });
  }

  async refresh() {
    let a: About;
    try {
      a = await this.ctx.backend.about();
    } catch (e) {
      this.ctx.toast(e);
      return;
    }
    ($("#threads") as HTMLInputElement).value = a.threads ? String(a.threads) : "";
    $("#threads-note").textContent = `this machine has ${a.cores} cores`;
    $("#places").replaceChildren(
      ...a.places.map((p) => h("tr", { "data-place": p.what }, h("td", { text: p.what }), h("td", { class: "path", text: p.path }), h("td", { class: "muted", text: p.bytes == null ? "" : bytesText(p.bytes) }))),
    );
    $("#about-version").textContent = `Home Media AI ${a.version} · ${a.licence} · ${a.backend} catalogue`;
    $("#about-licences").replaceChildren(
      ...a.models.map((m) => h("li", { text: `${m.id}: ${m.licence}${m.ready ? "" : " (not here)"}` })),
      ...a.notices.map((n) => h("li", { text: n })),
    );
  }
}

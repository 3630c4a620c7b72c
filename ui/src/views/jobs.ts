// Long jobs (scan, analyse, export): a row with live progress and a Cancel
// button, in the library and in the export panel alike.
import { $, h } from "../dom";
import { errorCode, errorText, type JobKind } from "../types";
import type { Context } from "./context";

export function jobDom(kind: JobKind, label: string) {
  return h(
    "div",
    { id: `job-${kind}`, class: "job idle" },
    h("span", { class: "job-name", text: label }),
    h("progress", { class: "job-bar", max: 1, value: 0 }),
    h("span", { class: "job-text", text: "—" }),
    h("button", { class: "job-cancel", type: "button", text: "Cancel" }),
  );
}

export class Jobs {
  private running = new Set<JobKind>();

  constructor(private ctx: Context) {}

  /** The job's Cancel button asks the backend to stop it. */
  wireCancel(kind: JobKind) {
    $(`#job-${kind} .job-cancel`).addEventListener("click", () => this.ctx.backend.cancelJob(kind));
  }

  /** Runs a job with live progress; its summary when it finished (null when cancelled or failed). */
  async run(kind: JobKind, options = {}, box = $(`#job-${kind}`)): Promise<Record<string, unknown> | null> {
    if (this.running.has(kind)) return null;
    this.running.add(kind);
    const bar = box.querySelector("progress") as HTMLProgressElement;
    const text = box.querySelector(".job-text") as HTMLElement;
    box.className = "job running";
    let total: number | null = null;
    let stage = kind as string;
    try {
      const summary = await this.ctx.backend.runJob(kind, options, (ev) => {
        if (ev.event === "stage") {
          total = ev.total;
          stage = ev.name;
          bar.max = total ?? 1;
          bar.value = 0;
          text.textContent = `${stage}…`;
        } else {
          if (total) bar.value = ev.done;
          text.textContent = total ? `${stage}: ${ev.done} / ${total}` : `${stage}: ${ev.done}`;
        }
      });
      const cancelled = summary.cancelled === true;
      box.className = cancelled ? "job cancelled" : "job done";
      if (!cancelled) bar.value = bar.max;
      text.textContent = (cancelled ? "cancelled — " : "done — ") + summarise(kind, summary);
      return cancelled ? null : summary;
    } catch (e) {
      // A job stopped at the user's request is no failure: said as such, no alert.
      if (errorCode(e) === "cancelled") {
        box.className = "job cancelled";
        text.textContent = "cancelled — run it again to go on";
        return null;
      }
      box.className = "job failed";
      text.textContent = errorText(e);
      this.ctx.toast(e);
      return null;
    } finally {
      this.running.delete(kind);
    }
  }
}

function summarise(kind: JobKind, s: Record<string, unknown>): string {
  const n = (k: string) => Number(s[k] ?? 0);
  if (kind === "scan") return `${n("seen")} files seen, ${n("new")} new, ${n("changed")} changed, ${n("moved")} moved, ${n("missing")} missing, ${n("errors")} with errors`;
  if (kind === "analyze") {
    const failures = (s.failures as { path: string; error: string }[] | undefined) ?? [];
    return `${n("analysed")} analysed, ${n("unchanged")} already done, ${n("failed")} could not be read${failures.length ? ` (first: ${failures[0].error})` : ""}`;
  }
  return `${(s.copied as unknown[] | undefined)?.length ?? 0} copied`;
}

// Long jobs (scan, analyse, export): a row with live progress and a Cancel
// button, in the library and in the export panel alike.
import { $, bytesText, h } from "../dom";
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
    // One line per stage the job went through (scan, analyse, detect, faces…), with its count.
    h("ol", { class: "job-stages" }),
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
    const stages = box.querySelector(".job-stages") as HTMLElement;
    stages.replaceChildren();
    let line = null as HTMLElement | null;
    box.className = "job running";
    let total: number | null = null;
    let stage = kind as string;
    let bytes = false;
    const count = (n: number) => (bytes ? bytesText(n) : String(n));
    try {
      const summary = await this.ctx.backend.runJob(kind, options, (ev) => {
        if (ev.event === "stage") {
          total = ev.total;
          stage = ev.name;
          bytes = ev.bytes === true;
          bar.max = total ?? 1;
          bar.value = 0;
          text.textContent = `${stage}…`;
          finish(line, "done");
          line = h("li", { class: "running", "data-stage": stage }, h("b", { text: stage }), " ", h("span", { text: total ? `0 / ${count(total)}` : "…" }));
          stages.append(line);
        } else {
          if (total) bar.value = ev.done;
          const done = total ? `${count(ev.done)} / ${count(total)}` : count(ev.done);
          text.textContent = `${stage}: ${done}`;
          if (line) (line.lastChild as HTMLElement).textContent = done;
        }
      });
      const cancelled = summary.cancelled === true;
      finish(line, cancelled ? "cancelled" : "done");
      box.className = cancelled ? "job cancelled" : "job done";
      if (!cancelled) bar.value = bar.max;
      text.textContent = (cancelled ? "cancelled — " : "done — ") + summarise(kind, summary);
      return cancelled ? null : summary;
    } catch (e) {
      finish(line, errorCode(e) === "cancelled" ? "cancelled" : "failed");
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

/** A stage's line at its end: its state, and "done" where it had no count. */
function finish(line: HTMLElement | null, state: "done" | "cancelled" | "failed") {
  if (!line) return;
  line.classList.replace("running", state);
  const count = line.lastChild as HTMLElement;
  if (count.textContent === "…") count.textContent = state;
}

export function summarise(kind: JobKind, s: Record<string, unknown>): string {
  const line = summaryOf(kind, s);
  // A file crashed or hung the reader: the job's process started again where
  // it stopped, and the counts are of that last run.
  const restarted = (s.restarted as string[] | undefined) ?? [];
  if (!restarted.length) return line;
  const crashed = restarted.some((r) => /crash/.test(r));
  return `${line} · the job started again ${restarted.length === 1 ? "once" : `${restarted.length} times`} after a file ${crashed ? "crashed" : "stopped"} the reader; these counts are of its last run`;
}

function summaryOf(kind: JobKind, s: Record<string, unknown>): string {
  const n = (k: string) => Number(s[k] ?? 0);
  if (kind === "scan") {
    const scan = `${n("seen")} files seen, ${n("new")} new, ${n("changed")} changed, ${n("moved")} moved, ${n("missing")} missing, ${n("errors")} with errors`;
    // The import (the app's Scan) also looked at each new picture as it read it.
    if (s.analysed === undefined) return scan;
    const failures = (s.failures as { path: string; error: string }[] | undefined) ?? [];
    const failed = n("failed") ? ` · ${n("failed")} could not be read${failures.length ? ` (first: ${failures[0].error})` : ""}` : "";
    return `${scan} · ${n("analysed")} analysed as read, objects looked for in ${n("detected")}, ${n("faces")} faces · ${(n("bytes_read") / 1e6).toFixed(1)} MB read${failed}`;
  }
  if (kind === "analyze") {
    const failures = (s.failures as { path: string; error: string }[] | undefined) ?? [];
    const base = `${n("analysed")} analysed, ${n("unchanged")} already done, ${n("failed")} could not be read${failures.length ? ` (first: ${failures[0].error})` : ""}`;
    const objects = s.objects as Record<string, number> | null | undefined;
    const faces = s.faces as Record<string, number> | null | undefined;
    const parts = [base];
    if (objects) parts.push(`objects: ${objects.detected ?? 0} pictures looked at, ${objects.objects ?? 0} found`);
    if (faces) parts.push(`faces: ${faces.faces ?? 0} in ${faces.with_faces ?? 0} pictures`);
    // A stage that did not run says why (its model is missing: the Models panel gets it).
    const skipped = ((s.stages as { stage: string; ran: boolean; why: string | null }[] | undefined) ?? []).filter((st) => !st.ran);
    for (const st of skipped) parts.push(`${st.stage}: not run — ${/weights/.test(st.why ?? "") ? "its model is not here (Models, below)" : st.why}`);
    return parts.join(" · ");
  }
  if (kind === "models") {
    const models = (s.models as { id: string; state: string }[] | undefined) ?? [];
    const fetched = models.filter((m) => m.state === "fetched").length;
    return `${fetched} fetched, ${models.length - fetched} already here · ${bytesText(n("downloaded"))} downloaded`;
  }
  return `${(s.copied as unknown[] | undefined)?.length ?? 0} copied`;
}

// The app's screens: the library (folders, catalogue, jobs) and the
// culling lightbox (loupe, grid, compare, why, help, export), over one
// Backend. Every decision is saved the moment it is made.
import type { Backend } from "./backend";
import { $, h } from "./dom";
import { actionFor, KEY_HELP, type Action } from "./keymap";
import { CullState } from "./state";
import { errorText, type Entry, type JobKind, type ListFilter, type Status } from "./types";

const CELL = 212; // grid cell, px (200 thumbnail + gaps)
const WEB_VIEWABLE = /\.(jpe?g|png|webp|gif|bmp)$/i;
const PREFETCH_AHEAD = 3;
const IMAGE_CACHE = 16;

declare global {
  interface Window {
    __hma: { latencies: number[]; saves: number; view: string; mode: string; items?: () => unknown[] };
  }
}

export class App {
  state = new CullState();
  view: "library" | "lightbox" = "library";
  mode: "loupe" | "grid" | "compare" = "loupe";
  filter: ListFilter = { n: 2000 };
  zoomed = false;
  selection = new Set<number>();
  private images = new Map<string, Promise<HTMLImageElement>>();
  private pendingKey: number | null = null;
  private overlay: "why" | "help" | "export" | null = null;
  private running = new Set<JobKind>();

  constructor(
    private root: HTMLElement,
    private backend: Backend,
  ) {
    window.__hma = {
      latencies: [],
      saves: 0,
      view: "library",
      mode: "loupe",
      // For the end-to-end test: what the lightbox shows, in order.
      items: () => this.state.items.map((e) => ({ path: e.path, name: e.name, flag: e.marks.flag, rating: e.marks.rating, label: e.marks.label, group: e.group })),
    };
    this.root.replaceChildren(this.libraryDom(), this.lightboxDom(), h("div", { id: "toast", class: "hidden", role: "alert" }));
    document.addEventListener("keydown", (e) => this.onKey(e));
    window.addEventListener("resize", () => this.mode === "grid" && this.renderGrid());
    this.showLibrary();
  }

  // ---------- library ----------

  private libraryDom() {
    return h(
      "section",
      { id: "library" },
      h("header", {}, h("h1", { text: "Home Media AI" }), h("span", { id: "catalog-info", class: "muted" })),
      h(
        "div",
        { class: "panel" },
        h("h2", { text: "Folders" }),
        h("ul", { id: "roots" }),
        h(
          "div",
          { class: "row" },
          h("button", { id: "browse-root", type: "button", text: "Add folder…" }),
          h("input", { id: "root-path", type: "text", placeholder: "or type a folder path", spellcheck: "false" }),
          h("button", { id: "add-root", type: "button", text: "Add" }),
        ),
      ),
      h(
        "div",
        { class: "panel" },
        h("h2", { text: "Work" }),
        h("div", { id: "counts", class: "muted" }),
        this.jobDom("scan", "Scan"),
        this.jobDom("analyze", "Analyse"),
        h("div", { class: "row" }, h("button", { id: "rescan", type: "button", text: "Scan and analyse again" }), h("button", { id: "open-lightbox", type: "button", class: "primary", text: "Cull the best photos →" })),
      ),
      h(
        "div",
        { class: "panel" },
        h("h2", { text: "Catalogue" }),
        h(
          "div",
          { class: "row" },
          h("input", { id: "catalog-url", type: "text", placeholder: "SQLite file path or mysql://user:pass@host:3306/db", spellcheck: "false" }),
          h("button", { id: "open-catalog", type: "button", text: "Switch" }),
        ),
      ),
    );
  }

  private jobDom(kind: JobKind, label: string) {
    return h(
      "div",
      { id: `job-${kind}`, class: "job idle" },
      h("span", { class: "job-name", text: label }),
      h("progress", { class: "job-bar", max: 1, value: 0 }),
      h("span", { class: "job-text", text: "—" }),
      h("button", { class: "job-cancel", type: "button", text: "Cancel" }),
    );
  }

  async showLibrary() {
    this.view = "library";
    window.__hma.view = "library";
    $("#library").classList.remove("hidden");
    $("#lightbox").classList.add("hidden");
    if (!this.libraryWired) this.wireLibrary();
    await this.refreshStatus();
  }

  private libraryWired = false;
  private wireLibrary() {
    this.libraryWired = true;
    $("#browse-root").addEventListener("click", async () => {
      const p = await this.backend.pickFolder("Add a photo folder").catch((e) => this.toast(e));
      if (p) await this.addRoot(p);
    });
    $("#add-root").addEventListener("click", () => {
      const input = $("#root-path") as HTMLInputElement;
      if (input.value.trim()) this.addRoot(input.value.trim());
    });
    $("#rescan").addEventListener("click", () => this.scanAndAnalyse());
    $("#open-lightbox").addEventListener("click", () => this.showLightbox());
    $("#open-catalog").addEventListener("click", async () => {
      const url = ($("#catalog-url") as HTMLInputElement).value.trim();
      if (!url) return;
      try {
        await this.backend.openCatalog(url);
        $("#library").dataset.ready = "false";
        await this.refreshStatus();
      } catch (e) {
        this.toast(e);
      }
    });
    for (const kind of ["scan", "analyze"] as JobKind[]) {
      $(`#job-${kind} .job-cancel`).addEventListener("click", () => this.backend.cancelJob(kind));
    }
  }

  async addRoot(path: string) {
    $("#library").dataset.ready = "false";
    try {
      await this.backend.addRoot(path);
      ($("#root-path") as HTMLInputElement).value = "";
      await this.refreshStatus();
      await this.scanAndAnalyse();
    } catch (e) {
      this.toast(e);
    }
  }

  async scanAndAnalyse() {
    $("#library").dataset.ready = "false";
    if ((await this.runJob("scan")) && (await this.runJob("analyze"))) {
      $("#library").dataset.ready = "true";
    }
    await this.refreshStatus();
  }

  /** Runs a job with live progress; true when it finished (not cancelled or failed). */
  async runJob(kind: JobKind, options = {}, box = $(`#job-${kind}`)): Promise<Record<string, unknown> | null> {
    if (this.running.has(kind)) return null;
    this.running.add(kind);
    const bar = box.querySelector("progress") as HTMLProgressElement;
    const text = box.querySelector(".job-text") as HTMLElement;
    box.className = "job running";
    let total: number | null = null;
    let stage = kind as string;
    try {
      const summary = await this.backend.runJob(kind, options, (ev) => {
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
      box.className = "job failed";
      text.textContent = errorText(e);
      this.toast(e);
      return null;
    } finally {
      this.running.delete(kind);
    }
  }

  async refreshStatus() {
    try {
      const [info, st] = await Promise.all([this.backend.info(), this.backend.status()]);
      $("#catalog-info").textContent = `${info.backend} catalogue · ${info.catalog}`;
      this.renderRoots(st);
      $("#counts").textContent = `${st.files} files · ${st.captures} photos · ${st.analysed} analysed · ${st.analysis_failed + st.errors} with errors · ${st.duplicate_groups} duplicate groups`;
      const rootSel = document.getElementById("f-root") as HTMLSelectElement | null;
      if (rootSel) {
        const keep = rootSel.value;
        rootSel.replaceChildren(h("option", { value: "", text: "all folders" }), ...st.roots.map((r) => h("option", { value: r.name, text: r.name })));
        rootSel.value = keep;
      }
    } catch (e) {
      this.toast(e);
    }
  }

  private renderRoots(st: Status) {
    $("#roots").replaceChildren(
      ...st.roots.map((r) => {
        const rm = h("button", { type: "button", class: "small", text: "Remove", title: "Forget this folder in the catalogue (no file is touched)" });
        rm.addEventListener("click", async () => {
          if (!confirm(`Forget “${r.name}” in the catalogue? Its files on disk are not touched.`)) return;
          await this.backend.removeRoot(r.name).catch((e) => this.toast(e));
          await this.refreshStatus();
        });
        return h("li", {}, h("b", { text: r.name }), " ", h("span", { class: r.connected ? "muted" : "warn", text: r.path ?? "(not on this machine)" }), " ", rm);
      }),
    );
    if (st.roots.length === 0) $("#roots").append(h("li", { class: "muted", text: "No folders yet: add the folders or drives that hold your photos. Nothing in them is ever changed." }));
  }

  // ---------- lightbox ----------

  private lightboxDom() {
    const months = ["any month", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
    return h(
      "section",
      { id: "lightbox", class: "hidden" },
      h(
        "header",
        { class: "toolbar" },
        h("button", { id: "to-library", type: "button", text: "← Library" }),
        h("label", {}, "Top ", h("input", { id: "f-n", type: "number", min: 1, max: 100000, value: 2000 })),
        h("label", {}, "from ", h("input", { id: "f-from", type: "date" })),
        h("label", {}, "to ", h("input", { id: "f-to", type: "date" })),
        h("select", { id: "f-month" }, ...months.map((m, i) => h("option", { value: i || "", text: m }))),
        h("select", { id: "f-root" }, h("option", { value: "", text: "all folders" })),
        h("label", {}, "score ≥ ", h("input", { id: "f-min-score", type: "number", min: 0, max: 1, step: 0.05, placeholder: "0" })),
        h("select", { id: "f-flag" }, h("option", { value: "", text: "any flag" }), h("option", { value: "picked", text: "picked" }), h("option", { value: "unflagged", text: "unflagged" }), h("option", { value: "rejected", text: "rejected" })),
        h("select", { id: "f-min-rating" }, ...[0, 1, 2, 3, 4, 5].map((r) => h("option", { value: r, text: r ? "★".repeat(r) + " or more" : "any stars" }))),
        h("button", { id: "apply-filter", type: "button", text: "Show" }),
        h("span", { class: "spacer" }),
        h("label", { title: "Go to the next photo after a flag, stars or label (Caps Lock or A)" }, h("input", { id: "auto-advance", type: "checkbox", checked: true }), " auto-advance"),
        h("button", { id: "why-open", type: "button", text: "Why? (I)" }),
        h("button", { id: "help-open", type: "button", text: "Keys (?)" }),
        h("button", { id: "export-open", type: "button", class: "primary", text: "Export picks…" }),
      ),
      h("div", { id: "stage" }, h("div", { id: "loupe" }, h("div", { id: "loupe-frame" })), h("div", { id: "grid", class: "hidden", tabindex: 0 }, h("div", { id: "grid-space" })), h("div", { id: "compare", class: "hidden" })),
      h("div", { id: "photo-info" }),
      h("div", { id: "filmstrip" }),
      h("div", { id: "cull-status", class: "muted" }),
      h("div", { id: "why", class: "overlay hidden" }),
      h("div", { id: "help", class: "overlay hidden" }, h("h2", { text: "Keys" }), h("table", {}, ...KEY_HELP.map(([k, d]) => h("tr", {}, h("th", { text: k }), h("td", { text: d }))))),
      h(
        "div",
        { id: "export", class: "overlay hidden" },
        h("h2", { text: "Export picks" }),
        h("p", { class: "muted", text: "Copies the picked photos' originals (never moves them) into a folder; an existing file is never overwritten, each copy is checked byte for byte." }),
        h("div", { class: "row" }, h("input", { id: "export-dest", type: "text", placeholder: "folder, e.g. ~/Calendar 2025", spellcheck: "false" }), h("button", { id: "export-browse", type: "button", text: "Choose…" })),
        h("div", { class: "row" }, h("label", {}, "Names ", h("input", { id: "export-pattern", type: "text", value: "{YYYY}-{MM}_{name}", spellcheck: "false" }))),
        this.jobDom("export", "Export"),
        h("div", { id: "export-report" }),
        h("div", { class: "row" }, h("button", { id: "export-run", type: "button", class: "primary", text: "Export" }), h("button", { id: "export-close", type: "button", text: "Close" })),
      ),
    );
  }

  private lightboxWired = false;
  private wireLightbox() {
    this.lightboxWired = true;
    $("#to-library").addEventListener("click", () => this.showLibrary());
    $("#apply-filter").addEventListener("click", () => this.reload());
    $("#auto-advance").addEventListener("change", (e) => (this.state.autoAdvance = (e.target as HTMLInputElement).checked));
    $("#why-open").addEventListener("click", () => this.toggleWhy());
    $("#help-open").addEventListener("click", () => this.toggleOverlay("help"));
    $("#export-open").addEventListener("click", () => this.toggleOverlay("export"));
    $("#export-close").addEventListener("click", () => this.toggleOverlay("export"));
    $("#export-browse").addEventListener("click", async () => {
      const p = await this.backend.pickFolder("Export picks to").catch((e) => this.toast(e));
      if (p) ($("#export-dest") as HTMLInputElement).value = p;
    });
    $("#export-run").addEventListener("click", () => this.exportPicks());
    $("#job-export .job-cancel").addEventListener("click", () => this.backend.cancelJob("export"));
    const grid = $("#grid");
    grid.addEventListener("scroll", () => this.renderGrid());
    const frame = $("#loupe-frame");
    frame.addEventListener("dblclick", () => this.act({ kind: "zoom" }));
  }

  async showLightbox() {
    this.view = "lightbox";
    window.__hma.view = "lightbox";
    $("#library").classList.add("hidden");
    $("#lightbox").classList.remove("hidden");
    if (!this.lightboxWired) this.wireLightbox();
    await this.refreshStatus();
    await this.reload();
  }

  readFilter(): ListFilter {
    const val = (id: string) => ($(`#${id}`) as HTMLInputElement).value.trim();
    const f: ListFilter = { n: Number(val("f-n")) || 2000 };
    if (val("f-from")) f.from = val("f-from");
    if (val("f-to")) f.to = val("f-to");
    if (val("f-month")) f.month = Number(val("f-month"));
    if (val("f-root")) f.root = val("f-root");
    if (val("f-min-score")) f.minScore = Number(val("f-min-score"));
    if (val("f-flag")) f.flag = val("f-flag") as ListFilter["flag"];
    if (Number(val("f-min-rating")) > 0) f.minRating = Number(val("f-min-rating"));
    return f;
  }

  async reload() {
    this.filter = this.readFilter();
    try {
      const items = await this.backend.list(this.filter);
      this.state.load(items);
      this.selection.clear();
      this.images.clear();
      this.zoomed = false;
      this.setMode(this.mode === "compare" ? "loupe" : this.mode);
      $("#lightbox").dataset.count = String(items.length);
    } catch (e) {
      this.toast(e);
    }
  }

  setMode(mode: "loupe" | "grid" | "compare") {
    this.mode = mode;
    window.__hma.mode = mode;
    $("#loupe").classList.toggle("hidden", mode !== "loupe");
    $("#grid").classList.toggle("hidden", mode !== "grid");
    $("#compare").classList.toggle("hidden", mode !== "compare");
    $("#filmstrip").classList.toggle("hidden", mode === "grid");
    if (mode === "loupe") this.showLoupe();
    if (mode === "grid") this.renderGrid(true);
    if (mode === "compare") this.showCompare();
    this.renderInfo();
  }

  /** A decoded picture (cached; the next photos are decoded ahead). */
  private image(url: string, fallback?: string): Promise<HTMLImageElement> {
    let p = this.images.get(url);
    if (!p) {
      p = new Promise<HTMLImageElement>((resolve, reject) => {
        const img = new Image();
        img.decoding = "async";
        img.onload = () => img.decode().then(() => resolve(img), () => resolve(img));
        img.onerror = () => (fallback ? this.image(fallback).then(resolve, reject) : reject(new Error("no picture")));
        img.src = url;
      });
      this.images.set(url, p);
      p.catch(() => this.images.delete(url));
      while (this.images.size > IMAGE_CACHE) {
        const oldest = this.images.keys().next().value as string;
        this.images.delete(oldest);
      }
    }
    return p;
  }

  private loupeUrl(e: Entry) {
    return this.backend.previewUrl(e.content, "loupe");
  }

  private fullUrl(e: Entry) {
    return WEB_VIEWABLE.test(e.name) ? this.backend.originalUrl(e.file_id) : this.loupeUrl(e);
  }

  async showLoupe() {
    const e = this.state.current;
    const frame = $("#loupe-frame");
    if (!e) {
      frame.replaceChildren(h("p", { class: "empty", text: "No photos match. Add a folder in the library, or change the filters." }));
      this.renderFilmstrip();
      return;
    }
    const started = this.pendingKey;
    this.pendingKey = null;
    this.renderInfo();
    this.renderFilmstrip();
    let img: HTMLImageElement;
    try {
      img = await this.image(this.zoomed ? this.fullUrl(e) : this.loupeUrl(e), this.backend.originalUrl(e.file_id));
    } catch {
      if (this.state.current === e) frame.replaceChildren(h("p", { class: "empty", text: `${e.name}: no preview (run Analyse)` }));
      return;
    }
    if (this.state.current !== e || this.mode !== "loupe") return;
    const shown = img.cloneNode() as HTMLImageElement;
    shown.id = "loupe-img";
    shown.alt = e.name;
    shown.draggable = false;
    frame.classList.toggle("zoomed", this.zoomed);
    frame.replaceChildren(shown);
    if (this.zoomed) this.scrollToSharpest(frame, shown, e);
    // After the next frame is painted (rAF runs just before the paint).
    if (started !== null) requestAnimationFrame(() => setTimeout(() => window.__hma.latencies.push(performance.now() - started), 0));
    this.prefetch();
  }

  private prefetch() {
    const i = this.state.index;
    for (const j of [i + 1, i + 2, i + PREFETCH_AHEAD, i - 1]) {
      const e = this.state.items[j];
      if (e) this.image(this.loupeUrl(e), this.backend.originalUrl(e.file_id)).catch(() => {});
    }
  }

  private scrollToSharpest(frame: HTMLElement, img: HTMLImageElement, e: Entry) {
    const [sx, sy] = e.sharpest ?? [0.5, 0.5];
    const place = () => {
      frame.scrollLeft = sx * img.naturalWidth - frame.clientWidth / 2;
      frame.scrollTop = sy * img.naturalHeight - frame.clientHeight / 2;
    };
    if (img.complete) place();
    else img.addEventListener("load", place, { once: true });
  }

  private renderInfo() {
    const e = this.state.current;
    const box = $("#photo-info");
    if (!e) {
      box.replaceChildren();
      return;
    }
    const m = e.marks;
    box.dataset.flag = String(m.flag);
    box.dataset.rating = String(m.rating);
    box.dataset.label = m.label ?? "";
    box.dataset.index = String(this.state.index);
    const parts: (HTMLElement | null)[] = [
      h("span", { class: `flag flag${m.flag}`, text: m.flag === 1 ? "⚑ picked" : m.flag === -1 ? "✕ rejected" : "unflagged" }),
      h("span", { class: "stars", text: "★".repeat(m.rating) + "☆".repeat(5 - m.rating) }),
      h("span", { class: `label label-${m.label ?? "none"}`, text: m.label ?? "" }),
      h("b", { text: e.name }),
      h("span", { class: "muted", text: e.taken ?? "no date" }),
      h("span", { class: "score", text: `score ${e.score.toFixed(2)}` }),
      e.group ? h("span", { class: "muted", text: `${e.group.kind} ${e.group.rank}/${e.group.size}` }) : null,
      e.objects && e.objects.length ? h("span", { class: "objects", text: e.objects.join(", ") }) : null,
      h("span", { class: "muted", text: `${this.state.index + 1} of ${this.state.items.length}` }),
    ];
    box.replaceChildren(...parts.filter((x): x is HTMLElement => x !== null));
    const c = this.state.counts();
    $("#cull-status").textContent = `${c.picked} picked · ${c.rejected} rejected · ${c.rated} rated · auto-advance ${this.state.autoAdvance ? "on" : "off"}${this.zoomed ? " · 100 %" : ""}`;
  }

  private renderFilmstrip() {
    const strip = $("#filmstrip");
    const i = this.state.index;
    const from = Math.max(0, i - 12);
    const to = Math.min(this.state.items.length, i + 13);
    const cells = [];
    for (let j = from; j < to; j++) {
      const e = this.state.items[j];
      const img = h("img", { src: this.backend.previewUrl(e.content, "grid"), alt: e.name, draggable: "false" });
      const cell = h("div", { class: `film${j === i ? " current" : ""} flag${e.marks.flag}` }, img);
      cell.addEventListener("click", () => {
        this.state.go(j);
        this.setMode("loupe");
      });
      cells.push(cell);
    }
    strip.replaceChildren(...cells);
  }

  // Grid: only the visible rows exist in the DOM (20,000 photos scroll smoothly).
  renderGrid(scrollToCurrent = false) {
    const grid = $("#grid");
    const space = $("#grid-space");
    const cols = Math.max(1, Math.floor((grid.clientWidth || 1000) / CELL));
    const rows = Math.ceil(this.state.items.length / cols);
    space.style.height = `${rows * CELL}px`;
    if (scrollToCurrent) {
      const r = Math.floor(this.state.index / cols);
      if (r * CELL < grid.scrollTop || (r + 1) * CELL > grid.scrollTop + grid.clientHeight) grid.scrollTop = Math.max(0, r * CELL - grid.clientHeight / 2);
    }
    const first = Math.max(0, Math.floor(grid.scrollTop / CELL) - 2);
    const last = Math.min(rows, Math.ceil((grid.scrollTop + (grid.clientHeight || 800)) / CELL) + 2);
    const cells = [];
    for (let r = first; r < last; r++) {
      for (let c = 0; c < cols; c++) {
        const j = r * cols + c;
        const e = this.state.items[j];
        if (!e) break;
        cells.push(this.gridCell(e, j, r, c));
      }
    }
    space.replaceChildren(...cells);
    grid.dataset.cols = String(cols);
    grid.dataset.rendered = String(cells.length);
  }

  private gridCell(e: Entry, j: number, r: number, c: number) {
    const m = e.marks;
    const cell = h(
      "div",
      { class: `cell flag${m.flag}${j === this.state.index ? " current" : ""}${this.selection.has(j) ? " selected" : ""}`, draggable: "true", "data-index": j, title: `${e.name} — score ${e.score.toFixed(2)} (drag out to copy the original)` },
      h("img", { src: this.backend.previewUrl(e.content, "grid"), alt: e.name, loading: "lazy", draggable: "false" }),
      h("div", { class: "badges" }, h("span", { text: m.flag === 1 ? "⚑" : m.flag === -1 ? "✕" : "" }), h("span", { text: "★".repeat(m.rating) }), h("span", { class: `dot label-${m.label ?? "none"}` }), h("span", { class: "muted", text: e.score.toFixed(2) })),
    );
    cell.style.top = `${r * CELL}px`;
    cell.style.left = `${c * CELL}px`;
    cell.addEventListener("click", (ev) => {
      if (ev.ctrlKey || ev.metaKey) {
        if (this.selection.has(j)) this.selection.delete(j);
        else this.selection.add(j);
      } else if (ev.shiftKey) {
        const [a, b] = [Math.min(j, this.state.index), Math.max(j, this.state.index)];
        for (let k = a; k <= b; k++) this.selection.add(k);
      } else {
        this.selection = new Set([j]);
      }
      this.state.go(j);
      this.renderGrid();
      this.renderInfo();
    });
    cell.addEventListener("dblclick", () => {
      this.state.go(j);
      this.setMode("loupe");
    });
    cell.addEventListener("dragstart", (ev) => {
      // A real OS drag of the originals, not a browser drag of a thumbnail.
      ev.preventDefault();
      const idx = this.selection.has(j) ? [...this.selection] : [j];
      this.backend.dragOut(idx.map((k) => this.state.items[k].file_id)).catch((err) => this.toast(err));
    });
    return cell;
  }

  async showCompare() {
    const e = this.state.current;
    const box = $("#compare");
    if (!e) return;
    let members: Entry[] = [e];
    let why = "";
    try {
      const g = await this.backend.group(e.file_id);
      if (g) {
        members = g.members.slice(0, 6);
        why = g.why;
      }
    } catch (err) {
      this.toast(err);
    }
    if (this.state.current !== e || this.mode !== "compare") return;
    const frames = members.map((m) => {
      const img = h("img", { src: this.zoomed ? this.fullUrl(m) : this.loupeUrl(m), alt: m.name, draggable: "false" });
      img.addEventListener("error", () => (img.src = this.backend.originalUrl(m.file_id)), { once: true });
      const frame = h("div", { class: `cmp-frame${this.zoomed ? " zoomed" : ""}` }, img);
      if (this.zoomed) this.scrollToSharpest(frame, img, e);
      return h("figure", { class: m.file_id === e.file_id ? "current" : "" }, frame, h("figcaption", { text: `${m.group ? `#${m.group.rank} ` : ""}${m.name} · ${m.score.toFixed(2)}` }));
    });
    // Synchronised zoom: scrolling one frame scrolls the others to the same place.
    let syncing = false;
    for (const f of frames) {
      const frame = f.querySelector(".cmp-frame") as HTMLElement;
      frame.addEventListener("scroll", () => {
        if (syncing) return;
        syncing = true;
        for (const o of frames) {
          const other = o.querySelector(".cmp-frame") as HTMLElement;
          if (other !== frame) {
            other.scrollLeft = frame.scrollLeft;
            other.scrollTop = frame.scrollTop;
          }
        }
        syncing = false;
      });
    }
    box.replaceChildren(h("div", { class: "cmp-why muted", text: members.length > 1 ? `${members.length} in this ${e.group?.kind ?? "group"}: ${why}` : "This photo has no burst or near-duplicate siblings." }), h("div", { class: "cmp-row" }, ...frames));
    box.dataset.members = String(members.length);
  }

  async toggleWhy() {
    if (this.overlay === "why") return this.toggleOverlay("why");
    const e = this.state.current;
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
    this.toggleOverlay("why");
    if (e.group) {
      try {
        const g = await this.backend.group(e.file_id);
        if (g && (this.overlay as string | null) === "why") {
          box.append(
            h("h3", { text: `Why this one beat its ${g.members.length - 1} sibling${g.members.length === 2 ? "" : "s"} (${g.kind})` }),
            h("p", { text: g.why }),
            h("ol", {}, ...g.members.map((m) => h("li", { class: m.file_id === e.file_id ? "current" : "" }, `${m.name} — ${m.score.toFixed(2)}`, h("span", { class: "muted", text: m.explain[0] ? ` · ${m.explain[0]}` : "" })))),
          );
        }
      } catch (err) {
        this.toast(err);
      }
    }
  }

  toggleOverlay(which: "why" | "help" | "export") {
    const open = this.overlay !== which;
    for (const o of ["why", "help", "export"]) $(`#${o}`).classList.toggle("hidden", !(open && o === which));
    this.overlay = open ? which : null;
  }

  async exportPicks() {
    const dest = ($("#export-dest") as HTMLInputElement).value.trim();
    const pattern = ($("#export-pattern") as HTMLInputElement).value.trim();
    if (!dest) return this.toast({ code: "invalid", message: "choose a folder to export to" });
    const report = $("#export-report");
    report.textContent = "";
    const r = await this.runJob("export", { dest, pattern }, $("#job-export"));
    if (!r) return;
    const failed = (r.failed as { source: string | null; error: string }[]) ?? [];
    report.replaceChildren(
      h("p", { id: "export-summary", text: `${(r.copied as unknown[]).length} copied and verified, ${(r.already_there as unknown[]).length} already there, ${failed.length} failed — into ${r.dest}` }),
      ...failed.map((f) => h("p", { class: "warn", text: `${f.source ?? "?"}: ${f.error}` })),
    );
    report.dataset.done = "true";
  }

  // ---------- keys ----------

  private onKey(ev: KeyboardEvent) {
    const t = ev.target as HTMLElement | null;
    const typing = t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA");
    if (typing && ev.key !== "Escape") return;
    if (this.view !== "lightbox") return;
    const a = actionFor(ev);
    if (!a) return;
    ev.preventDefault();
    // Latency of the next photo: from this key press to the photo painted
    // (showLoupe reads it synchronously when the press shows a new photo).
    this.pendingKey = performance.now();
    this.act(a);
    this.pendingKey = null;
  }

  act(a: Action) {
    const s = this.state;
    switch (a.kind) {
      case "next":
      case "prev":
      case "first":
      case "last":
      case "up":
      case "down": {
        const cols = this.mode === "grid" ? Number($("#grid").dataset.cols || 1) : 1;
        const step = { next: 1, prev: -1, up: -cols, down: cols, first: -Infinity, last: Infinity }[a.kind];
        const target = Number.isFinite(step) ? s.index + step : step > 0 ? s.items.length - 1 : 0;
        if (!s.go(target)) {
          this.pendingKey = null;
          return;
        }
        this.zoomed = false;
        this.afterMove();
        return;
      }
      case "flag":
        return this.save(s.change("flag", a.flag, a.advance));
      case "rate":
        return this.save(s.change("rating", a.stars, a.advance));
      case "label":
        return this.save(s.change("label", a.label, a.advance));
      case "undo":
        return this.save(s.undo(), true);
      case "redo":
        return this.save(s.redo(), true);
      case "autoAdvance":
        s.autoAdvance = !s.autoAdvance;
        ($("#auto-advance") as HTMLInputElement).checked = s.autoAdvance;
        return this.renderInfo();
      case "zoom":
        if (this.mode === "grid") return this.setMode("loupe");
        this.zoomed = !this.zoomed;
        return this.mode === "compare" ? this.showCompare() : this.showLoupe();
      case "compare":
        return this.setMode(this.mode === "compare" ? "loupe" : "compare");
      case "grid":
        return this.setMode("grid");
      case "loupe":
        return this.setMode("loupe");
      case "why":
        return void this.toggleWhy();
      case "help":
        return this.toggleOverlay("help");
      case "escape":
        if (this.overlay) return this.toggleOverlay(this.overlay);
        if (this.zoomed) {
          this.zoomed = false;
          return this.mode === "compare" ? this.showCompare() : this.showLoupe();
        }
        if (this.mode === "compare") return this.setMode("loupe");
        return;
    }
  }

  private afterMove() {
    if (this.mode === "grid") {
      this.renderGrid(true);
      this.renderInfo();
    } else if (this.mode === "compare") {
      this.showCompare();
      this.renderInfo();
    } else {
      this.showLoupe();
    }
    if (this.overlay === "why") {
      this.overlay = null;
      this.toggleWhy();
    }
  }

  private save(sv: ReturnType<CullState["change"]>, moved = false) {
    if (!sv) return;
    this.backend
      .decide(sv.captureId, sv.decision)
      .then((m) => {
        this.state.confirm(sv.index, m);
        window.__hma.saves++;
        this.renderInfo();
        if (this.mode === "grid") this.renderGrid();
      })
      .catch((e) => this.toast(e));
    // Show the change at once (and the next photo after auto-advance).
    if (this.state.index !== sv.index || moved) {
      this.zoomed = false;
      this.afterMove();
    } else {
      this.renderInfo();
      if (this.mode === "grid") this.renderGrid();
      else this.renderFilmstrip();
    }
  }

  toast(e: unknown) {
    const t = $("#toast");
    t.textContent = errorText(e);
    t.classList.remove("hidden");
    clearTimeout((t as unknown as { timer?: number }).timer);
    (t as unknown as { timer?: number }).timer = window.setTimeout(() => t.classList.add("hidden"), 6000);
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

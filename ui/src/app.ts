// The app: the library screen and the culling lightbox (loupe, grid,
// compare, why, help, export), over one Backend. App holds the state, the
// keys and which view shows; each view in views/ builds, wires and renders
// its own part of the page. Every decision is saved the moment it is made.
import type { Backend } from "./backend";
import { $, h } from "./dom";
import { actionFor, type Action } from "./keymap";
import { CullState } from "./state";
import { errorCode, errorText, type ListFilter } from "./types";
import { CalendarScreen } from "./views/calendar";
import { CompareView } from "./views/compare";
import type { Context, Mode, Overlay } from "./views/context";
import { ExportView } from "./views/export";
import { FaceOverlay } from "./views/faces";
import { GridView } from "./views/grid";
import { Jobs } from "./views/jobs";
import { LibraryView } from "./views/library";
import { LightboxView } from "./views/lightbox";
import { LoupeView } from "./views/loupe";
import { OverlaysView } from "./views/overlays";
import { PeopleView } from "./views/people";
import { TagPicker } from "./views/search";
import { ImageCache } from "./views/pictures";

declare global {
  interface Window {
    __hma: { latencies: number[]; saves: number; unsaved?: number; view: string; mode: string; items?: () => unknown[] };
  }
}

/** How long to wait before sending unsaved decisions again. */
export const UNSAVED_RETRY_MS = 3000;

export class App implements Context {
  readonly state = new CullState();
  view: "library" | "lightbox" | "people" | "calendar" = "library";
  mode: Mode = "loupe";
  filter: ListFilter = { n: 2000 };
  zoomed = false;
  readonly selection = new Set<number>();
  readonly images = new ImageCache();
  readonly jobs: Jobs = new Jobs(this);
  readonly faces: FaceOverlay = new FaceOverlay(this);
  private pendingKey: number | null = null;
  private library = new LibraryView(this);
  private lightbox = new LightboxView(this);
  private loupe = new LoupeView(this);
  private grid = new GridView(this);
  private compare = new CompareView(this);
  private overlays = new OverlaysView(this);
  private exporter = new ExportView(this);
  private people = new PeopleView(this);
  private tagPicker = new TagPicker(this);
  private calendar = new CalendarScreen(this);
  /** The calendar slot the lightbox is choosing for (P puts the photo there). */
  private calendarTarget: { month: number; title: string } | null = null;
  private calendarWired = false;
  private peopleWired = false;
  private libraryWired = false;
  private lightboxWired = false;

  constructor(
    private root: HTMLElement,
    readonly backend: Backend,
  ) {
    window.__hma = {
      latencies: [],
      saves: 0,
      view: "library",
      mode: "loupe",
      // For the end-to-end test: what the lightbox shows, in order.
      items: () => this.state.items.map((e) => ({ path: e.path, name: e.name, file_id: e.file_id, flag: e.marks.flag, rating: e.marks.rating, label: e.marks.label, group: e.group, people: e.people })),
    };
    const lightbox = this.lightbox.dom([this.loupe.dom(), this.grid.dom(), this.compare.dom()], [...this.overlays.dom(), this.exporter.dom(), this.tagPicker.dom()]);
    this.root.replaceChildren(this.library.dom(), lightbox, this.people.dom(), this.calendar.dom(), h("div", { id: "toast", class: "hidden", role: "alert" }));
    document.addEventListener("keydown", (e) => this.onKey(e));
    window.addEventListener("resize", () => this.mode === "grid" && this.renderGrid());
    this.showLibrary();
  }

  // ---------- screens ----------

  async showLibrary() {
    this.view = "library";
    window.__hma.view = "library";
    $("#library").classList.remove("hidden");
    $("#lightbox").classList.add("hidden");
    $("#people").classList.add("hidden");
    $("#calendar").classList.add("hidden");
    if (!this.libraryWired) {
      this.libraryWired = true;
      this.library.wire();
    }
    await this.refreshStatus();
  }

  async showLightbox() {
    this.view = "lightbox";
    window.__hma.view = "lightbox";
    $("#library").classList.add("hidden");
    $("#people").classList.add("hidden");
    $("#calendar").classList.add("hidden");
    $("#lightbox").classList.remove("hidden");
    if (!this.lightboxWired) {
      this.lightboxWired = true;
      for (const v of [this.lightbox, this.exporter, this.grid, this.loupe, this.tagPicker]) v.wire();
    }
    await this.refreshStatus();
    await this.lightbox.showPeople();
    await this.reload();
  }

  /** The lightbox on `query`: set first, so it loads once, with it. */
  async showSearch(query: string) {
    this.lightbox.search.input.value = query;
    await this.showLightbox();
    this.lightbox.search.renderChips();
  }

  tagged(captureIds: number[]) {
    this.lightbox.forgetTags(captureIds);
    this.renderInfo();
  }

  /** The lightbox on one person's photos (chosen first: one load). */
  async showPerson(id: number) {
    await this.lightbox.showPeople(id);
    await this.showLightbox();
  }

  async showPeople() {
    this.view = "people";
    window.__hma.view = "people";
    $("#library").classList.add("hidden");
    $("#lightbox").classList.add("hidden");
    $("#calendar").classList.add("hidden");
    $("#people").classList.remove("hidden");
    if (!this.peopleWired) {
      this.peopleWired = true;
      this.people.wire();
    }
    this.faces.clear();
    await this.people.refresh();
  }

  async showCalendar() {
    this.view = "calendar";
    window.__hma.view = "calendar";
    if (this.calendarTarget) $("#toast").classList.add("hidden");
    this.calendarTarget = null;
    for (const id of ["#library", "#lightbox", "#people"]) $(id).classList.add("hidden");
    $("#calendar").classList.remove("hidden");
    if (!this.calendarWired) {
      this.calendarWired = true;
      this.calendar.wire();
    }
    this.faces.clear();
    await this.calendar.open();
  }

  async chooseForCalendar(month: number, title: string, query: string) {
    // The month's photos whatever the lightbox was filtered by before, in
    // one load: the filters and the query are set before the lightbox is
    // shown, so the photos of the earlier search never flash by first.
    this.lightbox.clearFilters();
    await this.showSearch(query);
    this.calendarTarget = { month, title };
    this.toast(`Choosing the photo for ${title}: P puts it there, Esc goes back to the calendar`);
  }

  /** The library's status, and the lightbox's folder filter from it. */
  async refreshStatus() {
    const st = await this.library.refresh();
    if (st) this.lightbox.showRoots(st.roots);
  }

  // ---------- lightbox ----------

  readFilter(): ListFilter {
    return this.lightbox.readFilter();
  }

  /** Another catalogue is open: the list, the selection and the pictures
   * were the other one's (their ids mean other photos here, or none), so
   * they are dropped before a key can act on them. */
  catalogueChanged() {
    this.state.load([]);
    this.selection.clear();
    this.images.clear();
    this.zoomed = false;
    $("#lightbox").dataset.count = "0";
    if (this.view === "lightbox") this.setMode(this.mode === "compare" ? "loupe" : this.mode);
  }

  /** Decisions not in the catalogue yet (queued or being sent). */
  unsavedDecisions(): number {
    return this.queue.size;
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
      // What the list shows (the E2E waits for a search's own results).
      $("#lightbox").dataset.query = this.filter.query ?? "";
      $("#lightbox").dataset.person = String(this.filter.person ?? "");
    } catch (e) {
      this.toast(e);
      // A query that cannot be read: outlined, the cursor at the column.
      if (errorCode(e) === "query") {
        const q = $("#f-query") as HTMLInputElement;
        q.classList.add("invalid");
        const col = Number(/column (\d+)/.exec(errorText(e))?.[1] ?? 1);
        q.focus();
        q.setSelectionRange(col - 1, col);
      }
    }
  }

  setMode(mode: Mode) {
    this.mode = mode;
    window.__hma.mode = mode;
    $("#loupe").classList.toggle("hidden", mode !== "loupe");
    $("#grid").classList.toggle("hidden", mode !== "grid");
    $("#compare").classList.toggle("hidden", mode !== "compare");
    $("#filmstrip").classList.toggle("hidden", mode === "grid");
    if (mode === "loupe") this.loupe.show();
    if (mode === "grid") this.renderGrid(true);
    if (mode === "compare") this.compare.show();
    this.renderInfo();
  }

  renderGrid(scrollToCurrent = false) {
    this.grid.render(scrollToCurrent);
  }

  renderInfo() {
    this.lightbox.renderInfo();
  }

  renderFilmstrip() {
    this.lightbox.renderFilmstrip();
  }

  toggleOverlay(which: Overlay) {
    this.overlays.toggle(which);
  }

  toggleWhy() {
    return this.overlays.toggleWhy();
  }

  // ---------- keys ----------

  private onKey(ev: KeyboardEvent) {
    const t = ev.target as HTMLElement | null;
    const typing = t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA");
    if (this.view === "people") {
      if (this.people.onKey(ev)) ev.preventDefault();
      return;
    }
    if (this.view === "calendar") {
      if (this.calendar.onKey(ev)) ev.preventDefault();
      return;
    }
    if (typing && ev.key !== "Escape") return;
    if (this.view !== "lightbox") return;
    const a = actionFor(ev);
    if (!a) return;
    ev.preventDefault();
    // Latency of the next photo: from this key press to the photo painted
    // (the loupe takes it synchronously when the press shows a new photo).
    this.pendingKey = performance.now();
    this.act(a);
    this.pendingKey = null;
  }

  takeKeyTime() {
    const started = this.pendingKey;
    this.pendingKey = null;
    return started;
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
        const cols = this.mode === "grid" ? this.grid.cols : 1;
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
      case "flag": {
        const target = a.flag === 1 ? this.calendarTarget : null;
        const fileId = s.current?.file_id;
        this.save(s.change("flag", a.flag, target ? false : a.advance));
        if (target && fileId !== undefined) {
          // Choosing for the calendar: the pick goes into its month too.
          this.calendarTarget = null;
          void this.calendar.choose(target.month, fileId).then(() => {
            $("#toast").classList.add("hidden");
            return this.showCalendar();
          });
        }
        return;
      }
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
        return this.mode === "compare" ? this.compare.show() : this.loupe.show();
      case "compare":
        return this.setMode(this.mode === "compare" ? "loupe" : "compare");
      case "grid":
        return this.setMode("grid");
      case "loupe":
        return this.setMode("loupe");
      case "why":
        return void this.toggleWhy();
      case "faces":
        this.faces.toggle();
        $("#lightbox").dataset.faces = String(this.faces.on);
        return this.mode === "loupe" ? void this.loupe.show() : undefined;
      case "help":
        return this.toggleOverlay("help");
      case "search": {
        const q = this.lightbox.search.input;
        q.focus();
        q.select();
        return;
      }
      case "tag":
        return this.tagPicker.show();
      case "escape":
        if (this.overlays.open) return this.toggleOverlay(this.overlays.open);
        if (this.zoomed) {
          this.zoomed = false;
          return this.mode === "compare" ? this.compare.show() : this.loupe.show();
        }
        if (this.mode === "compare") return this.setMode("loupe");
        if (this.calendarTarget) return void this.showCalendar();
        return;
    }
  }

  private afterMove() {
    if (this.mode === "grid") {
      this.renderGrid(true);
      this.renderInfo();
    } else if (this.mode === "compare") {
      this.compare.show();
      this.renderInfo();
    } else {
      this.loupe.show();
    }
    this.overlays.followCurrent();
  }

  /** Decisions on their way to the catalogue, by capture, oldest first;
   * sent one at a time. A decision is the photo's whole state, so only the
   * latest per photo is kept. When the catalogue's server stops answering
   * they stay here, are sent again every few seconds, and are said on
   * screen until they are saved: never dropped in silence. */
  private queue = new Map<number, NonNullable<ReturnType<CullState["change"]>>>();
  private flushing = false;
  private away = false;
  private awayWhy = "";
  private retryTimer: number | undefined;
  private unsavedBar: HTMLElement | undefined;

  private save(sv: ReturnType<CullState["change"]>, moved = false) {
    if (!sv) return;
    this.queue.delete(sv.captureId);
    this.queue.set(sv.captureId, sv);
    void this.flush();
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

  /** Sends the queued decisions in order, until the queue is empty or the
   * catalogue's server is away (then again in a while). */
  private async flush() {
    if (this.flushing) return;
    this.flushing = true;
    try {
      for (;;) {
        const next = this.queue.entries().next();
        if (next.done) break;
        const [id, sv] = next.value;
        try {
          const m = await this.backend.decide(sv.captureId, sv.decision);
          if (this.queue.get(id) === sv) this.queue.delete(id);
          this.away = false;
          // Saved; the XMP sidecar could not be written (said once per folder).
          if (m.sidecar) this.toast(m.sidecar);
          // A newer decision on the same photo waits: it shows already.
          if (!this.queue.has(id)) this.state.confirm(sv.index, m);
          window.__hma.saves++;
          this.renderInfo();
          if (this.mode === "grid") this.renderGrid();
        } catch (e) {
          if (errorCode(e) === "unreachable") {
            this.away = true;
            this.awayWhy = errorText(e);
            clearTimeout(this.retryTimer);
            this.retryTimer = window.setTimeout(() => void this.flush(), UNSAVED_RETRY_MS);
            return;
          }
          // Refused for what it is (not the server's absence): said, not kept.
          if (this.queue.get(id) === sv) this.queue.delete(id);
          this.toast(e);
        }
      }
    } finally {
      this.flushing = false;
      this.showUnsaved();
    }
  }

  /** The line that says how many decisions wait, and why. */
  private showUnsaved() {
    this.unsavedBar ??= this.root.appendChild(h("div", { id: "unsaved", role: "status" }));
    const bar = this.unsavedBar;
    const n = this.away ? this.queue.size : 0;
    bar.classList.toggle("hidden", n === 0);
    bar.dataset.count = String(n);
    bar.textContent = n
      ? `${n} decision${n === 1 ? "" : "s"} not saved yet: the catalogue is not answering (${this.awayWhy}). ` +
        "They are kept here and saved as soon as it answers; keep the app open."
      : "";
    window.__hma.unsaved = n;
  }

  toast(e: unknown) {
    const t = $("#toast");
    t.textContent = errorText(e);
    t.classList.remove("hidden");
    clearTimeout((t as unknown as { timer?: number }).timer);
    (t as unknown as { timer?: number }).timer = window.setTimeout(() => t.classList.add("hidden"), 6000);
  }
}

// The Calendar screen: the cover and twelve months, each with its photo and
// the next suggestions beside it. Keys: ←/→ the month, ↑/↓ the next or
// previous suggestion, 1–9 a suggestion by number, Enter the lightbox on the
// month's photos (P there puts one in the month), Ctrl+Z / Ctrl+Shift+Z undo
// and redo, Esc back to the lightbox. A photo dragged from the suggestions
// onto a month goes there; the month's photo dragged out of the window is the
// real file. Every change is saved at once; Export writes the folder.
import { $, h } from "../dom";
import type { CalendarChoice, CalendarSlot, CalendarSpec, CalendarView } from "../types";
import type { Context } from "./context";

/** A change to undo or redo: which slot, and the file to put back. */
type Step = { month: number; fileId: number | null };

const FILE_TYPE = "application/x-hma-file";

export class CalendarScreen {
  cal: CalendarView | null = null;
  /** 0 the cover, 1–12 the months. */
  index = 1;
  private undos: Step[] = [];
  private redos: Step[] = [];
  private saved = 0;

  constructor(private ctx: Context) {}

  dom() {
    const year = new Date().getFullYear() + 1;
    return h(
      "section",
      { id: "calendar", class: "hidden" },
      h(
        "header",
        { class: "toolbar" },
        h("button", { id: "calendar-to-lightbox", type: "button", text: "← Lightbox" }),
        h("b", { text: "Calendar" }),
        h("label", {}, "for ", h("input", { id: "cal-year", type: "number", min: 1900, max: 9999, value: year })),
        h("label", { title: "The photos come from this period (default: the year before)" }, "photos from ", h("input", { id: "cal-from", type: "text", class: "date", placeholder: `${year - 1}-01-01`, spellcheck: "false" })),
        h("label", {}, "to ", h("input", { id: "cal-to", type: "text", class: "date", placeholder: `${year - 1}-12-31`, spellcheck: "false" })),
        h("label", { title: "Whose public holidays (two letters: DE, GB, US…; default: your system's country)" }, "holidays of ", h("input", { id: "cal-country", type: "text", maxlength: 2, size: 2, spellcheck: "false" })),
        h("select", { id: "cal-paper", title: "The print the photos are checked against (300 dpi)" }, ...["A4", "A3", "A5", "Letter"].map((p) => h("option", { value: p, text: p }))),
        h("button", { id: "cal-new", type: "button", text: "Suggest" }),
        h("span", { class: "spacer" }),
        h("span", { class: "muted", text: "←→ month · ↑↓ or 1–9 choose · Enter its photos (P puts one here) · Ctrl+Z undo · drag a photo onto a month" }),
      ),
      h("div", { id: "cal-notes", class: "muted" }),
      h("div", { id: "cal-slots" }),
      h("div", { id: "cal-detail" }),
      h(
        "footer",
        { class: "toolbar" },
        h("input", { id: "cal-dest", type: "text", placeholder: "the calendar folder (outside your library)", spellcheck: "false" }),
        h("button", { id: "cal-browse", type: "button", text: "Choose…" }),
        h("button", { id: "cal-export", type: "button", class: "primary", text: "Export the calendar" }),
        h("span", { id: "cal-report", class: "muted" }),
      ),
    );
  }

  wire() {
    $("#calendar-to-lightbox").addEventListener("click", () => this.ctx.showLightbox());
    $("#cal-year").addEventListener("input", () => this.placeholders());
    $("#cal-new").addEventListener("click", () => void this.suggest());
    $("#cal-export").addEventListener("click", () => void this.export());
    $("#cal-browse").addEventListener("click", async () => {
      const dir = await this.ctx.backend.pickFolder("The calendar folder").catch(() => null);
      if (dir) ($("#cal-dest") as HTMLInputElement).value = dir;
    });
  }

  /** Opens the newest calendar (or the one for the year in the field). */
  async open() {
    try {
      this.cal = await this.ctx.backend.calendar(this.cal ? this.cal.year : null);
    } catch (e) {
      this.ctx.toast(e);
    }
    if (this.cal) ($("#cal-year") as HTMLInputElement).value = String(this.cal.year);
    this.placeholders();
    this.render();
  }

  /** The default period shown in the empty period fields: the year before. */
  private placeholders() {
    const y = Number(($("#cal-year") as HTMLInputElement).value) || new Date().getFullYear() + 1;
    ($("#cal-from") as HTMLInputElement).placeholder = `${y - 1}-01-01`;
    ($("#cal-to") as HTMLInputElement).placeholder = `${y - 1}-12-31`;
  }

  private spec(): CalendarSpec {
    const val = (id: string) => ($(`#${id}`) as HTMLInputElement).value.trim();
    return {
      year: Number(val("cal-year")),
      name: this.cal && this.cal.year === Number(val("cal-year")) ? this.cal.name : null,
      from: val("cal-from") || null,
      to: val("cal-to") || null,
      country: val("cal-country") || null,
      paper: val("cal-paper") || "A4",
      dpi: 300,
      portrait: false,
    };
  }

  /** Suggests the calendar (or renews it: the months chosen stay). */
  async suggest() {
    const button = $("#cal-new") as HTMLButtonElement;
    button.disabled = true;
    try {
      this.cal = await this.ctx.backend.calendarNew(this.spec());
      this.undos = [];
      this.redos = [];
      this.render();
    } catch (e) {
      this.ctx.toast(e);
    } finally {
      button.disabled = false;
    }
  }

  slot(i: number): CalendarSlot | null {
    if (!this.cal) return null;
    return i === 0 ? this.cal.cover_slot : this.cal.months[i - 1];
  }

  render() {
    const root = $("#calendar");
    const slots = $("#cal-slots");
    const cal = this.cal;
    if (!cal) {
      root.dataset.year = "";
      $("#cal-notes").textContent = "";
      slots.replaceChildren(h("p", { class: "empty", text: "No calendar yet: choose the year and press Suggest. The photos come from the year before." }));
      $("#cal-detail").replaceChildren();
      return;
    }
    root.dataset.year = String(cal.year);
    root.dataset.saved = String(this.saved);
    ($("#cal-from") as HTMLInputElement).placeholder = cal.from;
    ($("#cal-to") as HTMLInputElement).placeholder = cal.to;
    $("#cal-notes").textContent = `${cal.name}: photos from ${cal.from} to ${cal.to} · ${cal.paper} ${cal.orientation} · ${cal.notes.join(" · ")}`;
    slots.replaceChildren(...[0, ...cal.months.map((m) => m.month)].map((i) => this.card(i)));
    this.renderDetail();
  }

  private thumb(content: string | undefined, title: string) {
    const img = h("img", { alt: title, draggable: "false" }) as HTMLImageElement;
    if (content) img.src = this.ctx.backend.previewUrl(content, "grid");
    return img;
  }

  private card(i: number) {
    const s = this.slot(i)!;
    const c = s.choice;
    const days = [...s.birthdays.map((b) => `${b.day} ${b.name}'s birthday`), ...s.holidays.map((x) => `${Number(x.date.slice(8))} ${x.name}`)];
    const card = h(
      "div",
      {
        class: `cal-card${i === this.index ? " current" : ""}${c ? "" : " empty"}${c?.missing ? " missing" : ""}`,
        "data-month": i,
        "data-file": c?.file_id ?? "",
        title: c ? c.why : (s.note ?? "empty"),
      },
      h("div", { class: "cal-title", text: s.title }),
      c ? this.thumb(c.content, c.path) : h("div", { class: "cal-none", text: "no photo" }),
      h("div", { class: "cal-days", text: days.join(" · ") }),
      c?.print ? h("div", { class: `cal-print ${c.print.verdict.replace(" ", "-")}`, text: c.print.verdict }) : null,
      s.chosen_by === "user" ? h("div", { class: "cal-mine", text: "your choice" }) : null,
    );
    card.addEventListener("click", () => this.go(i));
    card.addEventListener("dragover", (ev) => {
      if (ev.dataTransfer?.types.includes(FILE_TYPE)) {
        ev.preventDefault();
        card.classList.add("drop");
      }
    });
    card.addEventListener("dragleave", () => card.classList.remove("drop"));
    card.addEventListener("drop", (ev) => {
      card.classList.remove("drop");
      const id = Number(ev.dataTransfer?.getData(FILE_TYPE));
      if (id > 0) {
        ev.preventDefault();
        void this.choose(i, id);
      }
    });
    return card;
  }

  private renderDetail() {
    const s = this.slot(this.index);
    const box = $("#cal-detail");
    if (!s) {
      box.replaceChildren();
      return;
    }
    const c: CalendarChoice | null = s.choice;
    const big = h("div", { id: "cal-choice" });
    if (c) {
      const img = h("img", { id: "cal-choice-img", alt: c.path, draggable: "true" }) as HTMLImageElement;
      img.src = this.ctx.backend.previewUrl(c.content, "loupe");
      // Out of the window: the real file (an OS drag started by the shell).
      img.addEventListener("dragstart", (ev) => {
        ev.preventDefault();
        this.ctx.backend.dragOut([c.file_id]).catch((e) => this.ctx.toast(e));
      });
      big.append(img);
    } else {
      big.append(h("p", { class: "empty", text: s.note ?? "No photo for this month yet." }));
    }
    const current = c?.file_id;
    const strip = h(
      "ol",
      { id: "cal-suggestions" },
      ...s.suggestions.map((g, n) => {
        const li = h(
          "li",
          { class: g.file_id === current ? "current" : "", "data-file": g.file_id, title: g.why, draggable: "true" },
          h("span", { class: "cal-n", text: String(n + 1) }),
          this.thumb(g.content, g.path),
          h("span", { class: "cal-gain", text: g.score !== null ? `${g.score.toFixed(2)}` : "" }),
        );
        li.addEventListener("click", () => void this.choose(this.index, g.file_id));
        li.addEventListener("dragstart", (ev) => {
          ev.dataTransfer?.setData(FILE_TYPE, String(g.file_id));
          if (ev.dataTransfer) ev.dataTransfer.effectAllowed = "copy";
        });
        return li;
      }),
    );
    box.replaceChildren(
      big,
      h(
        "div",
        { id: "cal-why" },
        h("h3", { text: `${s.title}${c ? `: ${c.path.split("/").pop()}` : ""}` }),
        c ? h("p", { id: "cal-why-text", text: c.why }) : null,
        c?.print ? h("p", { class: "muted", text: c.print.words }) : null,
        c?.missing ? h("p", { class: "warn", text: "Its file is missing: it will not be exported." }) : null,
        s.note ? h("p", { class: "muted", text: s.note }) : null,
        s.birthdays.length ? h("p", { text: "Birthdays: " + s.birthdays.map((b) => `${b.name} ${b.day}.${b.turns !== null ? ` (turns ${b.turns})` : ""}`).join(", ") }) : null,
        s.holidays.length ? h("p", { text: "Holidays: " + s.holidays.map((x) => `${x.name} (${x.date.slice(5)})`).join(", ") }) : null,
        strip,
      ),
    );
  }

  go(i: number) {
    if (!this.cal || i < 0 || i > 12) return;
    this.index = i;
    this.render();
    document.querySelector<HTMLElement>(".cal-card.current")?.scrollIntoView?.({ block: "nearest" });
  }

  /** Puts a file in a month (null empties it); undo puts the old one back. */
  async choose(month: number, fileId: number | null, from: "user" | "undo" | "redo" = "user") {
    const cal = this.cal;
    if (!cal) return;
    try {
      const change = await this.ctx.backend.calendarSet(cal.year, cal.name, month, fileId);
      const back = { month, fileId: change.before_id };
      if (from === "undo") this.redos.push(back);
      else {
        this.undos.push(back);
        if (from === "user") this.redos = [];
      }
      this.cal = change.calendar;
      this.saved++;
      this.render();
    } catch (e) {
      this.ctx.toast(e);
    }
  }

  /** The suggestion `delta` places from the month's photo (↑/↓), or number `n` (1–9). */
  private pick(by: { delta?: number; n?: number }) {
    const s = this.slot(this.index);
    if (!s || !s.suggestions.length) return;
    const at = s.suggestions.findIndex((g) => g.file_id === s.choice?.file_id);
    const k = by.n !== undefined ? by.n - 1 : Math.max(0, Math.min(s.suggestions.length - 1, (at < 0 ? -1 : at) + (by.delta ?? 0)));
    const g = s.suggestions[k];
    if (g && g.file_id !== s.choice?.file_id) void this.choose(this.index, g.file_id);
  }

  private step(from: Step[], kind: "undo" | "redo") {
    const st = from.pop();
    if (!st) return;
    this.index = st.month;
    void this.choose(st.month, st.fileId, kind);
  }

  /** The lightbox on this month's photos of the period; P there brings one back. */
  private candidates() {
    const cal = this.cal;
    if (!cal) return;
    const month = this.index;
    const q = `from:${cal.from} to:${cal.to}${month ? ` month:${month}` : ""} -flag:reject`;
    void this.ctx.chooseForCalendar(month, this.slot(month)!.title, q);
  }

  async export() {
    const cal = this.cal;
    const dest = ($("#cal-dest") as HTMLInputElement).value.trim();
    const report = $("#cal-report");
    report.dataset.done = "false";
    if (!cal) return;
    if (!dest) {
      this.ctx.toast("Choose the calendar folder first (outside your library).");
      return;
    }
    report.textContent = "copying…";
    try {
      const r = await this.ctx.backend.calendarExport(cal.year, cal.name, dest);
      report.textContent = `${r.copied.length} copied, ${r.already_there.length} already there, ${r.failed.length} failed${r.failed.length ? ": " + r.failed.map((f) => `${f.source ?? "?"}: ${f.error}`).join("; ") : ""} → ${r.dest}`;
      report.dataset.done = "true";
    } catch (e) {
      report.textContent = "";
      this.ctx.toast(e);
    }
  }

  /** Keys of the Calendar screen; true when used. */
  onKey(ev: KeyboardEvent): boolean {
    const t = ev.target as HTMLElement | null;
    if (t && (t.tagName === "INPUT" || t.tagName === "SELECT")) {
      if (ev.key === "Escape" || ev.key === "Enter") {
        t.blur();
        if (ev.key === "Enter" && (t.id === "cal-year" || t.id === "cal-from" || t.id === "cal-to" || t.id === "cal-country")) void this.suggest();
        return true;
      }
      return false;
    }
    const mod = ev.ctrlKey || ev.metaKey;
    if (mod && ev.key.toLowerCase() === "z") {
      this.step(ev.shiftKey ? this.redos : this.undos, ev.shiftKey ? "redo" : "undo");
      return true;
    }
    if (mod && ev.key.toLowerCase() === "y") {
      this.step(this.redos, "redo");
      return true;
    }
    if (mod || ev.altKey) return false;
    switch (ev.key) {
      case "ArrowRight":
        this.go(this.index + 1);
        return true;
      case "ArrowLeft":
        this.go(this.index - 1);
        return true;
      case "ArrowDown":
        this.pick({ delta: 1 });
        return true;
      case "ArrowUp":
        this.pick({ delta: -1 });
        return true;
      case "Enter":
        this.candidates();
        return true;
      case "Escape":
        void this.ctx.showLightbox();
        return true;
    }
    if (/^[1-9]$/.test(ev.key)) {
      this.pick({ n: Number(ev.key) });
      return true;
    }
    return false;
  }
}

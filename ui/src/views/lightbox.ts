// The lightbox screen's frame around the loupe, grid and compare: the
// toolbar with the filters, the current photo's info line, the filmstrip and
// the cull status.
import { $, h } from "../dom";
import type { ListFilter, PhotoTags, RootInfo } from "../types";
import type { Context } from "./context";
import { SearchBox } from "./search";

const MONTHS = ["any month", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

export class LightboxView {
  readonly search: SearchBox;
  /** Each capture's place and tags, as last asked (dropped when tagged). */
  private tags = new Map<number, PhotoTags>();

  constructor(private ctx: Context) {
    this.search = new SearchBox(ctx);
  }

  /** Forgets the tags shown for these captures (after a tagging). */
  forgetTags(captureIds: number[]) {
    for (const c of captureIds) this.tags.delete(c);
  }

  /** The screen, with the modes' stages and the panels shown over them. */
  dom(modes: HTMLElement[], panels: HTMLElement[]) {
    return h(
      "section",
      { id: "lightbox", class: "hidden" },
      this.toolbarDom(),
      h("div", { id: "stage" }, ...modes),
      h("div", { id: "photo-info" }),
      h("div", { id: "filmstrip" }),
      h("div", { id: "cull-status", class: "muted" }),
      ...panels,
    );
  }

  private toolbarDom() {
    return h(
      "header",
      { class: "toolbar" },
      h("button", { id: "to-library", type: "button", text: "← Library" }),
      this.search.dom(),
      h("label", {}, "Top ", h("input", { id: "f-n", type: "number", min: 1, max: 100000, value: 2000 })),
      // Text, not type=date: an empty date field in the webview shows today's
      // date greyed, which reads as a filter that is not there.
      h("label", {}, "from ", h("input", { id: "f-from", type: "text", class: "date", placeholder: "YYYY-MM-DD", title: "Taken on or after: a year (2024), a month (2024-06) or a day", spellcheck: "false" })),
      h("label", {}, "to ", h("input", { id: "f-to", type: "text", class: "date", placeholder: "YYYY-MM-DD", title: "Taken up to the end of: a year (2024), a month (2024-06) or a day", spellcheck: "false" })),
      h("select", { id: "f-month" }, ...MONTHS.map((m, i) => h("option", { value: i || "", text: m }))),
      h("select", { id: "f-root" }, h("option", { value: "", text: "all folders" })),
      h("label", {}, "score ≥ ", h("input", { id: "f-min-score", type: "number", min: 0, max: 1, step: 0.05, placeholder: "0" })),
      h("select", { id: "f-flag" }, h("option", { value: "", text: "any flag" }), h("option", { value: "picked", text: "picked" }), h("option", { value: "unflagged", text: "unflagged" }), h("option", { value: "rejected", text: "rejected" })),
      h("select", { id: "f-min-rating" }, ...[0, 1, 2, 3, 4, 5].map((r) => h("option", { value: r, text: r ? "★".repeat(r) + " or more" : "any stars" }))),
      h("select", { id: "f-person" }, h("option", { value: "", text: "anyone" })),
      h("button", { id: "apply-filter", type: "button", text: "Show" }),
      h("span", { class: "spacer" }),
      h("label", { title: "Go to the next photo after a flag, stars or label (Caps Lock or A)" }, h("input", { id: "auto-advance", type: "checkbox", checked: true }), " auto-advance"),
      h("button", { id: "why-open", type: "button", text: "Why? (I)" }),
      h("button", { id: "people-open", type: "button", text: "People" }),
      h("button", { id: "calendar-open", type: "button", text: "Calendar" }),
      h("button", { id: "help-open", type: "button", text: "Keys (?)" }),
      h("button", { id: "export-open", type: "button", class: "primary", text: "Export picks…" }),
    );
  }

  wire() {
    $("#to-library").addEventListener("click", () => this.ctx.showLibrary());
    $("#apply-filter").addEventListener("click", () => this.ctx.reload());
    this.search.wire();
    $("#auto-advance").addEventListener("change", (e) => (this.ctx.state.autoAdvance = (e.target as HTMLInputElement).checked));
    $("#why-open").addEventListener("click", () => this.ctx.toggleWhy());
    $("#people-open").addEventListener("click", () => this.ctx.showPeople());
    $("#calendar-open").addEventListener("click", () => this.ctx.showCalendar());
    $("#help-open").addEventListener("click", () => this.ctx.toggleOverlay("help"));
    $("#export-open").addEventListener("click", () => this.ctx.toggleOverlay("export"));
  }

  /** Every filter back to none (the search box is set by the caller). */
  clearFilters() {
    for (const id of ["f-from", "f-to", "f-month", "f-root", "f-min-score", "f-flag", "f-min-rating", "f-person"]) {
      const el = $(`#${id}`) as HTMLInputElement;
      el.value = id === "f-min-rating" ? "0" : "";
      el.classList.remove("invalid");
    }
    ($("#f-n") as HTMLInputElement).value = "2000";
  }

  readFilter(): ListFilter {
    const val = (id: string) => ($(`#${id}`) as HTMLInputElement).value.trim();
    const f: ListFilter = { n: Number(val("f-n")) || 2000 };
    for (const [id, end] of [["f-from", false], ["f-to", true]] as const) {
      const input = $(`#${id}`) as HTMLInputElement;
      const day = dateBound(input.value, end);
      input.classList.toggle("invalid", day === "invalid");
      if (day && day !== "invalid") {
        if (end) f.to = day;
        else f.from = day;
      }
    }
    if (val("f-month")) f.month = Number(val("f-month"));
    if (val("f-root")) f.root = val("f-root");
    if (val("f-min-score")) f.minScore = Number(val("f-min-score"));
    if (val("f-flag")) f.flag = val("f-flag") as ListFilter["flag"];
    if (Number(val("f-min-rating")) > 0) f.minRating = Number(val("f-min-rating"));
    if (val("f-person")) f.person = Number(val("f-person"));
    if (val("f-query")) f.query = val("f-query");
    return f;
  }

  /** The person filter's choices: named people and pets, then clusters (the one chosen stays chosen, or `choose`). */
  async showPeople(choose?: number) {
    const sel = $("#f-person") as HTMLSelectElement;
    const keep = choose !== undefined ? String(choose) : sel.value;
    let people: Awaited<ReturnType<Context["backend"]["people"]>> = [];
    try {
      people = await this.ctx.backend.people();
    } catch (e) {
      this.ctx.toast(e);
    }
    sel.replaceChildren(
      h("option", { value: "", text: "anyone" }),
      ...people.map((p) => h("option", { value: p.id, text: p.name ?? `unnamed #${p.id} (${p.faces})` })),
    );
    sel.value = keep;
  }

  /** The folder filter's choices (the one chosen stays chosen). */
  showRoots(roots: RootInfo[]) {
    const rootSel = $("#f-root") as HTMLSelectElement;
    const keep = rootSel.value;
    rootSel.replaceChildren(h("option", { value: "", text: "all folders" }), ...roots.map((r) => h("option", { value: r.name, text: r.name })));
    rootSel.value = keep;
  }

  renderInfo() {
    const { state, zoomed } = this.ctx;
    const e = state.current;
    const box = $("#photo-info");
    if (!e) {
      box.replaceChildren();
      return;
    }
    const m = e.marks;
    box.dataset.flag = String(m.flag);
    box.dataset.rating = String(m.rating);
    box.dataset.label = m.label ?? "";
    box.dataset.index = String(state.index);
    const parts: (HTMLElement | null)[] = [
      h("span", { class: `flag flag${m.flag}`, text: m.flag === 1 ? "⚑ picked" : m.flag === -1 ? "✕ rejected" : "unflagged" }),
      h("span", { class: "stars", text: "★".repeat(m.rating) + "☆".repeat(5 - m.rating) }),
      h("span", { class: `label label-${m.label ?? "none"}`, text: m.label ?? "" }),
      h("b", { text: e.name }),
      h("span", { class: "muted", text: e.taken ?? "no date" }),
      h("span", { class: "score", text: `score ${e.score.toFixed(2)}` }),
      e.group ? h("span", { class: "muted", text: `${e.group.kind} ${e.group.rank}/${e.group.size}` }) : null,
      e.people && e.people.length ? h("span", { class: "people", text: e.people.join(", ") }) : null,
      e.objects && e.objects.length ? h("span", { class: "objects", text: e.objects.join(", ") }) : null,
      h("span", { class: "muted", text: `${state.index + 1} of ${state.items.length}` }),
    ];
    const where = h("span", { id: "info-place", class: "place" });
    const tagged = h("span", { id: "info-tags", class: "tags" });
    box.replaceChildren(...parts.filter((x): x is HTMLElement => x !== null), where, tagged);
    if (e.capture_id !== null) void this.showTags(e.capture_id, where, tagged);
    const c = state.counts();
    $("#cull-status").textContent = `${c.picked} picked · ${c.rejected} rejected · ${c.rated} rated · auto-advance ${state.autoAdvance ? "on" : "off"}${zoomed ? " · 100 %" : ""}`;
  }

  /** The photo's place and tags in the info line (asked once per capture). */
  private async showTags(capture: number, where: HTMLElement, tagged: HTMLElement) {
    let t = this.tags.get(capture);
    if (!t) {
      try {
        t = await this.ctx.backend.photoTags(capture);
      } catch {
        return;
      }
      this.tags.set(capture, t);
    }
    const p = t.place;
    // Words, not emoji: the webview's fonts may not have them.
    where.textContent = p ? `in ${[p.city, p.admin1, p.country].filter(Boolean).join(", ")}` : "";
    where.title = p ? `${p.distance_km} km from ${p.city}; places: GeoNames` : "";
    // Places, people and objects are shown already; the rest are tags.
    const mine = t.tags.filter((x) => !/^(places|people|coco):/.test(x));
    tagged.textContent = mine.length ? `tags: ${mine.map((x) => x.replace(/^keywords:/, "")).join(", ")}` : "";
  }

  /** The photos around the current one; a click shows one in the loupe. */
  renderFilmstrip() {
    const { state } = this.ctx;
    const strip = $("#filmstrip");
    const i = state.index;
    const from = Math.max(0, i - 12);
    const to = Math.min(state.items.length, i + 13);
    const cells = [];
    for (let j = from; j < to; j++) {
      const e = state.items[j];
      const img = h("img", { src: this.ctx.backend.previewUrl(e.content, "grid"), alt: e.name, draggable: "false" });
      const cell = h("div", { class: `film${j === i ? " current" : ""} flag${e.marks.flag}` }, img);
      cell.addEventListener("click", () => {
        state.go(j);
        this.ctx.setMode("loupe");
      });
      cells.push(cell);
    }
    strip.replaceChildren(...cells);
  }
}

/** A date field's day: a year (2024) or a month (2024-06) is its first day,
 * or with `end` its last; a day as it is; "" is no bound (null), anything
 * else "invalid". */
export function dateBound(text: string, end: boolean): string | null | "invalid" {
  const t = text.trim();
  if (!t) return null;
  const m = /^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$/.exec(t);
  if (!m) return "invalid";
  const y = Number(m[1]);
  const mo = m[2] ? Number(m[2]) : end ? 12 : 1;
  const last = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  const d = m[3] ? Number(m[3]) : end ? last : 1;
  if (mo < 1 || mo > 12 || d < 1 || d > last) return "invalid";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${y}-${pad(mo)}-${pad(d)}`;
}

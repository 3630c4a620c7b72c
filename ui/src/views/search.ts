// The lightbox's search: the query box's completions (people, places, tags,
// classes, terms, from the catalogue), its terms as chips, keeping a search
// under a name (smart albums), and the tag picker (T). All by keyboard.
import { $, h } from "../dom";
import type { Suggestion } from "../types";
import type { Context } from "./context";

/** The terms of a query as its chips show them: words, quoted values kept
 * whole, parentheses and OR as their own pieces. */
export function queryTerms(q: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (const c of q) {
    if (c === '"') quoted = !quoted;
    if (!quoted && (c === " " || c === "(" || c === ")")) {
      if (cur) out.push(cur);
      if (c !== " ") out.push(c);
      cur = "";
    } else cur += c;
  }
  if (cur) out.push(cur);
  return out;
}

/** The query with the word being typed replaced by a completion. */
export function completeWith(text: string, s: Suggestion): string {
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === " " || c === "(" || c === ")")) start = i + 1;
  }
  const sep = s.insert.endsWith(":") || s.insert.endsWith("=") ? "" : " ";
  return text.slice(0, start) + s.insert + sep;
}

export class SearchBox {
  private items: Suggestion[] = [];
  private at = -1;
  private seq = 0;

  constructor(private ctx: Context) {}

  /** The box, its completions and its chips (in the toolbar). */
  dom() {
    return h(
      "span",
      { class: "search" },
      h("input", {
        id: "f-query",
        type: "search",
        class: "query",
        placeholder: "Search (/): person:Anna place:Bavaria has:dog -flag:reject",
        title:
          'One query: person: pet: has: place: near:LAT,LON,KM tag: camera: lens: year: month: day: from: to: score>= rating>= flag: label: faces:N+ eyes:open kind: is:dup|best; side by side = AND, OR, NOT or -, ( ), "quoted values"; a bare word finds people, places, tags and file names. ↓ and Tab take a completion, Enter runs it, Esc goes back to the photos.',
        spellcheck: "false",
        autocomplete: "off",
      }),
      h("ul", { id: "suggest", class: "suggest hidden", role: "listbox" }),
      h("button", { id: "save-search", type: "button", text: "Keep…", title: "Keep this search under a name (it is listed in the library)" }),
      h("span", { id: "chips", class: "chips" }),
    );
  }

  get input() {
    return $("#f-query") as HTMLInputElement;
  }

  wire() {
    const q = this.input;
    q.addEventListener("input", () => void this.refresh());
    q.addEventListener("keydown", (e) => this.onKey(e));
    q.addEventListener("blur", () => setTimeout(() => this.close(), 150));
    $("#save-search").addEventListener("click", () => void this.keep());
  }

  private onKey(e: KeyboardEvent) {
    const open = this.items.length > 0;
    if (e.key === "ArrowDown" && open) {
      this.at = Math.min(this.at + 1, this.items.length - 1);
    } else if (e.key === "ArrowUp" && open) {
      this.at = Math.max(this.at - 1, 0);
    } else if ((e.key === "Tab" || e.key === "Enter") && open && this.at >= 0) {
      this.take(this.items[this.at]);
    } else if (e.key === "Enter") {
      this.close();
      this.input.classList.remove("invalid");
      void this.ctx.reload().then(() => this.renderChips());
    } else if (e.key === "Escape") {
      if (open) this.close();
      else this.input.blur();
    } else return;
    e.preventDefault();
    this.renderList();
  }

  /** Puts a completion in place of the word being typed. */
  take(s: Suggestion) {
    this.input.value = completeWith(this.input.value, s);
    this.close();
    this.input.focus();
    if (!s.insert.endsWith(":") && !s.insert.endsWith("=")) return;
    void this.refresh();
  }

  async refresh() {
    const seq = ++this.seq;
    const text = this.input.value;
    let items: Suggestion[] = [];
    try {
      items = text.trim() ? await this.ctx.backend.suggest(text) : [];
    } catch {
      items = [];
    }
    if (seq !== this.seq) return; // a newer keystroke asked since
    this.items = items;
    this.at = items.length ? 0 : -1;
    this.renderList();
  }

  close() {
    this.items = [];
    this.at = -1;
    this.renderList();
  }

  private renderList() {
    const ul = $("#suggest");
    ul.classList.toggle("hidden", this.items.length === 0);
    ul.replaceChildren(
      ...this.items.map((s, i) => {
        const li = h("li", { class: `${s.kind}${i === this.at ? " current" : ""}`, role: "option" }, h("span", { class: "kind", text: s.kind }), s.label);
        li.addEventListener("mousedown", (e) => {
          e.preventDefault();
          this.take(s);
        });
        return li;
      }),
    );
  }

  /** The query's terms as chips; × takes one away and searches again. */
  renderChips() {
    const terms = queryTerms(this.input.value);
    $("#chips").replaceChildren(
      ...terms.map((t, i) => {
        const x = h("button", { type: "button", class: "chip-x", text: "×", title: `without ${t}` });
        x.addEventListener("click", () => {
          this.input.value = terms.filter((_, j) => j !== i).join(" ").replace(/\( /g, "(").replace(/ \)/g, ")");
          void this.ctx.reload().then(() => this.renderChips());
        });
        return h("span", { class: "chip" }, t, x);
      }),
    );
  }

  /** Keeps the query under a name (asked in the box's own place). */
  async keep() {
    const query = this.input.value.trim();
    if (!query) return this.ctx.toast("type a search first, then keep it");
    const name = window.prompt("Keep this search as:", query.slice(0, 40));
    if (!name) return;
    try {
      await this.ctx.backend.saveSearch(name, query);
      this.ctx.toast(`kept as “${name}”: it is in the library`);
    } catch (e) {
      this.ctx.toast(e);
    }
  }
}

/** T: tag the current photo (or the selected ones) from the keyboard. */
export class TagPicker {
  private items: Suggestion[] = [];
  private at = -1;

  constructor(private ctx: Context) {}

  dom() {
    return h(
      "div",
      { id: "tag-picker", class: "overlay hidden" },
      h("h3", { text: "Tag" }),
      h("input", { id: "tag-input", type: "text", placeholder: "keywords:Holidays/Beach, or a tag of any taxonomy (wfo:…, places:…)", spellcheck: "false", autocomplete: "off" }),
      h("ul", { id: "tag-suggest", class: "suggest" }),
      h("p", { class: "muted", text: "Enter tags; - before a tag takes it away; Esc closes. Tags stay in the catalogue: the photos are not written." }),
    );
  }

  wire() {
    const input = $("#tag-input") as HTMLInputElement;
    input.addEventListener("input", () => void this.refresh());
    input.addEventListener("keydown", (e) => this.onKey(e));
  }

  get open() {
    return !$("#tag-picker").classList.contains("hidden");
  }

  show() {
    $("#tag-picker").classList.remove("hidden");
    const input = $("#tag-input") as HTMLInputElement;
    input.value = "";
    this.items = [];
    this.render();
    input.focus();
  }

  hide() {
    $("#tag-picker").classList.add("hidden");
  }

  private async refresh() {
    const v = ($("#tag-input") as HTMLInputElement).value.replace(/^-/, "");
    this.items = v ? (await this.ctx.backend.suggest(`tag:${v}`)).filter((s) => s.kind === "tag") : [];
    this.at = -1;
    this.render();
  }

  private render() {
    $("#tag-suggest").replaceChildren(...this.items.map((s, i) => h("li", { class: i === this.at ? "current" : "", text: s.label })));
  }

  private async onKey(e: KeyboardEvent) {
    const input = e.target as HTMLInputElement;
    if (e.key === "ArrowDown" && this.items.length) {
      this.at = Math.min(this.at + 1, this.items.length - 1);
      this.render();
    } else if (e.key === "ArrowUp" && this.items.length) {
      this.at = Math.max(this.at - 1, 0);
      this.render();
    } else if (e.key === "Escape") {
      this.hide();
    } else if (e.key === "Enter") {
      e.preventDefault();
      let tag = input.value.trim();
      if (this.at >= 0) tag = (input.value.startsWith("-") ? "-" : "") + this.items[this.at].insert.replace(/^-?tag:/, "").replace(/"/g, "");
      if (!tag) return;
      await this.apply(tag);
      return;
    } else return;
    e.preventDefault();
  }

  /** Tags the selected photos, or the current one. */
  async apply(tag: string) {
    const { state, selection } = this.ctx;
    const fileIds = selection.size ? selection : new Set(state.current ? [state.current.file_id] : []);
    const captures = [...new Set(state.items.filter((e) => fileIds.has(e.file_id)).flatMap((e) => (e.capture_id === null ? [] : [e.capture_id])))];
    if (!captures.length) return;
    const remove = tag.startsWith("-");
    const t = remove ? tag.slice(1) : tag;
    try {
      const s = await this.ctx.backend.tagPhotos(captures, remove ? [] : [t], remove ? [t] : []);
      this.ctx.toast(`${s.captures} photo${s.captures === 1 ? "" : "s"}: ${remove ? `${s.removed} removed` : `${s.added} added`} (${s.tags.join(", ")})`);
      this.hide();
      this.ctx.tagged(captures);
    } catch (err) {
      this.ctx.toast(err);
    }
  }
}

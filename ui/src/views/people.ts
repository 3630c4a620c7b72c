// The People screen: everyone the faces showed — named people and pets, then
// the clusters waiting for a name — as face thumbnails. With the keyboard:
// arrows choose, N (or Enter) names (and sets a birthday), M marks one to
// merge into the next chosen, F shows their photos in the lightbox, X says
// the face shown is not them; the selected person's faces are listed below.
import { $, h } from "../dom";
import type { PersonDetail, PersonSummary } from "../types";
import type { Context } from "./context";

/** A face cut out of its picture's grid preview (the box as shares of the
 * picture), square, with a margin of a fifth of the face around it. */
export function faceThumb(url: string, box: [number, number, number, number] | null, size = 96): HTMLElement {
  const el = h("div", { class: "face-thumb" });
  el.style.width = el.style.height = `${size}px`;
  if (!box || !url) return el;
  const [x, y, w, hh] = box;
  const img = h("img", { alt: "", draggable: "false" }) as HTMLImageElement;
  img.addEventListener("load", () => {
    // In units of the picture's width: the picture is 1 × aspect.
    const aspect = img.naturalHeight / Math.max(1, img.naturalWidth);
    const side = Math.max(w, hh * aspect) * 1.4;
    const scale = size / side;
    img.style.width = `${scale}px`;
    img.style.left = `${size / 2 - (x + w / 2) * scale}px`;
    img.style.top = `${size / 2 - (y + hh / 2) * aspect * scale}px`;
    el.dataset.loaded = "true";
  });
  img.src = url;
  el.append(img);
  return el;
}

export class PeopleView {
  people: PersonSummary[] = [];
  index = 0;
  private mergeFrom: number | null = null;
  private detail: PersonDetail | null = null;
  editing = false;

  constructor(private ctx: Context) {}

  dom() {
    return h(
      "section",
      { id: "people", class: "hidden" },
      h(
        "header",
        { class: "toolbar" },
        h("button", { id: "people-to-lightbox", type: "button", text: "← Lightbox" }),
        h("b", { text: "People" }),
        h("span", { id: "people-count", class: "muted" }),
        h("span", { class: "spacer" }),
        h("span", { class: "muted", text: "←→ choose · N name · M merge · F their photos · X not them · Esc back" }),
      ),
      h("div", { id: "people-grid" }),
      h(
        "form",
        { id: "person-editor", class: "panel hidden" },
        h("label", {}, "Name ", h("input", { id: "person-name", type: "text", spellcheck: "false", autocomplete: "off" })),
        h("label", {}, "born ", h("input", { id: "person-born", type: "date" })),
        h("button", { id: "person-save", type: "submit", class: "primary", text: "Save" }),
        h("button", { id: "person-cancel", type: "button", text: "Cancel" }),
      ),
      h("div", { id: "person-faces" }),
    );
  }

  wire() {
    $("#people-to-lightbox").addEventListener("click", () => this.ctx.showLightbox());
    $("#person-editor").addEventListener("submit", (e) => {
      e.preventDefault();
      void this.saveName();
    });
    $("#person-cancel").addEventListener("click", () => this.closeEditor());
  }

  get current(): PersonSummary | undefined {
    return this.people[this.index];
  }

  async refresh() {
    try {
      this.people = await this.ctx.backend.people();
    } catch (e) {
      this.ctx.toast(e);
      this.people = [];
    }
    this.index = Math.min(this.index, Math.max(0, this.people.length - 1));
    this.render();
    await this.showDetail();
  }

  render() {
    const grid = $("#people-grid");
    const named = this.people.filter((p) => p.name).length;
    $("#people-count").textContent = `${named} named · ${this.people.length - named} to name`;
    if (!this.people.length) {
      grid.replaceChildren(h("p", { class: "empty", text: "Nobody yet: analyse the photos (faces are found when the face models are installed)." }));
      return;
    }
    grid.replaceChildren(
      ...this.people.map((p, i) => {
        const thumb = faceThumb(p.cover_content ? this.ctx.backend.previewUrl(p.cover_content, "grid") : "", p.cover_box ?? null);
        const card = h(
          "div",
          { class: `person-card${i === this.index ? " current" : ""}${p.id === this.mergeFrom ? " merging" : ""}${p.name ? "" : " unnamed"}` },
          thumb,
          h("div", { class: "person-name", text: p.name ?? "Who is this?" }),
          h("div", { class: "muted", text: `${p.faces} ${p.faces === 1 ? "photo" : "photos"}${p.kind === "pet" ? " · pet" : ""}${p.birthday ? ` · born ${p.birthday}` : ""}` }),
        );
        card.dataset.id = String(p.id);
        card.addEventListener("click", () => this.go(i));
        card.addEventListener("dblclick", () => this.openEditor());
        return card;
      }),
    );
    document.querySelector<HTMLElement>(".person-card.current")?.scrollIntoView?.({ block: "nearest" });
  }

  async go(i: number) {
    if (i < 0 || i >= this.people.length) return;
    this.index = i;
    this.render();
    await this.showDetail();
  }

  /** The selected person's faces, each with "not them". */
  private async showDetail() {
    const box = $("#person-faces");
    const p = this.current;
    if (!p) {
      box.replaceChildren();
      return;
    }
    try {
      this.detail = await this.ctx.backend.person(p.id);
    } catch (e) {
      this.ctx.toast(e);
      return;
    }
    if (this.current?.id !== p.id) return;
    const d = this.detail;
    box.replaceChildren(
      h("h3", { text: `${d.name ?? "Unnamed"}: ${d.faces.length} faces` }),
      h(
        "div",
        { class: "face-strip" },
        ...d.faces.slice(0, 200).map((f) => {
          const not = h("button", { type: "button", class: "small", text: "Not them" });
          not.addEventListener("click", () => void this.reject(f.id));
          const cell = h("div", { class: `face-cell ${f.source}` }, faceThumb(this.ctx.backend.previewUrl(f.content, "grid"), f.share, 72), h("span", { class: "muted", text: `eyes ${f.eyes}` }), not);
          cell.dataset.face = String(f.id);
          return cell;
        }),
      ),
    );
  }

  openEditor() {
    const p = this.current;
    if (!p) return;
    this.editing = true;
    $("#person-editor").classList.remove("hidden");
    const name = $("#person-name") as HTMLInputElement;
    name.value = p.name ?? "";
    ($("#person-born") as HTMLInputElement).value = p.birthday ?? "";
    name.focus();
  }

  closeEditor() {
    this.editing = false;
    $("#person-editor").classList.add("hidden");
    (document.activeElement as HTMLElement | null)?.blur();
  }

  private async saveName() {
    const p = this.current;
    const name = ($("#person-name") as HTMLInputElement).value.trim();
    const born = ($("#person-born") as HTMLInputElement).value || null;
    if (!p || !name) return this.closeEditor();
    try {
      const c = await this.ctx.backend.namePerson(p.id, name, born);
      if (c.sidecar_errors?.length) this.ctx.toast(c.sidecar_errors.join("\n"));
      this.closeEditor();
      await this.refresh();
      const at = this.people.findIndex((x) => x.id === c.person?.id);
      if (at >= 0) await this.go(at);
      $("#people").dataset.saved = String(Number($("#people").dataset.saved ?? 0) + 1);
    } catch (e) {
      this.ctx.toast(e);
    }
  }

  /** M: mark the current person; M on another merges the marked one into it. */
  async merge() {
    const p = this.current;
    if (!p) return;
    if (this.mergeFrom === null || this.mergeFrom === p.id) {
      this.mergeFrom = this.mergeFrom === p.id ? null : p.id;
      return this.render();
    }
    const from = this.mergeFrom;
    this.mergeFrom = null;
    try {
      await this.ctx.backend.mergePeople(p.id, from);
      await this.refresh();
    } catch (e) {
      this.ctx.toast(e);
    }
  }

  /** X: the face shown for the current person is not them. */
  async rejectCover() {
    const p = this.current;
    if (p?.cover != null) await this.reject(p.cover);
  }

  private async reject(face: number) {
    try {
      await this.ctx.backend.rejectFace(face, false);
      await this.refresh();
    } catch (e) {
      this.ctx.toast(e);
    }
  }

  /** The keys of this screen; true when the key was ours. */
  onKey(ev: KeyboardEvent): boolean {
    if (this.editing) {
      if (ev.key === "Escape") {
        this.closeEditor();
        return true;
      }
      return false;
    }
    const cols = Math.max(1, Math.floor(($("#people-grid").clientWidth || 1) / 132));
    switch (ev.key) {
      case "ArrowRight":
        void this.go(this.index + 1);
        return true;
      case "ArrowLeft":
        void this.go(this.index - 1);
        return true;
      case "ArrowDown":
        void this.go(Math.min(this.people.length - 1, this.index + cols));
        return true;
      case "ArrowUp":
        void this.go(Math.max(0, this.index - cols));
        return true;
      case "Enter":
        this.openEditor();
        return true;
      case "Escape":
        void this.ctx.showLightbox();
        return true;
    }
    switch (ev.key.toLowerCase()) {
      case "n":
        this.openEditor();
        return true;
      case "m":
        void this.merge();
        return true;
      case "x":
        void this.rejectCover();
        return true;
      case "f": {
        const p = this.current;
        if (p) void this.ctx.showPerson(p.id);
        return true;
      }
    }
    return false;
  }
}

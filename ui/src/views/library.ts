// The library screen: the photo folders (roots), the scan and analysis jobs
// with the catalogue's counts, and which catalogue to use.
import { $, h } from "../dom";
import type { JobKind, Status } from "../types";
import type { Context } from "./context";
import { jobDom } from "./jobs";
import { AboutView } from "./about";
import { ModelsView } from "./models";
import { TastePanel } from "./taste";

export class LibraryView {
  private models: ModelsView;
  private about: AboutView;
  private taste: TastePanel;

  constructor(private ctx: Context) {
    this.models = new ModelsView(ctx);
    this.about = new AboutView(ctx);
    this.taste = new TastePanel(ctx);
  }

  dom() {
    return h(
      "section",
      { id: "library" },
      h("header", {}, h("h1", { text: "Home Media AI" }), h("span", { id: "catalog-info", class: "muted" })),
      // First run (no folders yet): the three steps.
      h(
        "div",
        { class: "panel hidden", id: "welcome" },
        h("h2", { text: "Welcome" }),
        h(
          "ol",
          {},
          h("li", { text: "Add the folders or drives that hold your photos. Nothing in them is ever moved, changed or deleted." }),
          h("li", { text: "The analysis runs on its own: sharpness, exposure, duplicates and bursts at once; objects, faces and eyes once the models are here (below, one download)." }),
          h("li", { text: "Cull the best with the keyboard (P pick, X reject, 1–5 stars), then export your picks to a folder." }),
        ),
        h("button", { id: "welcome-add", type: "button", class: "primary", text: "Add a photo folder…" }),
      ),
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
        jobDom("scan", "Scan"),
        jobDom("analyze", "Analyse"),
        h("div", { class: "row" }, h("button", { id: "rescan", type: "button", text: "Scan and analyse again" }), h("button", { id: "open-calendar", type: "button", text: "Make the calendar →" }), h("button", { id: "open-lightbox", type: "button", class: "primary", text: "Cull the best photos →" })),
      ),
      h(
        "div",
        { class: "panel", id: "saved-panel" },
        h("h2", { text: "Kept searches" }),
        h("ul", { id: "saved" }),
        h("p", { class: "muted", text: "In the lightbox, / searches (person:Anna place:Bavaria has:dog year:2024…) and Keep… keeps a search here." }),
      ),
      this.taste.dom(),
      this.models.dom(),
      this.about.dom(),
      h(
        "div",
        { class: "panel" },
        h("h2", { text: "Catalogue" }),
        h(
          "div",
          { class: "row" },
          h("input", { id: "catalog-url", type: "text", placeholder: "SQLite file path or mysql://user:pass@host:3306/db", spellcheck: "false", autocomplete: "off" }),
          h("button", { id: "open-catalog", type: "button", text: "Switch" }),
        ),
      ),
    );
  }

  wire() {
    $("#welcome-add").addEventListener("click", () => $("#browse-root").click());
    $("#browse-root").addEventListener("click", async () => {
      const p = await this.ctx.backend.pickFolder("Add a photo folder").catch((e) => this.ctx.toast(e));
      if (p) await this.addRoot(p);
    });
    $("#add-root").addEventListener("click", () => {
      const input = $("#root-path") as HTMLInputElement;
      if (input.value.trim()) this.addRoot(input.value.trim());
    });
    $("#rescan").addEventListener("click", () => this.scanAndAnalyse());
    $("#open-lightbox").addEventListener("click", () => this.ctx.showLightbox());
    $("#open-calendar").addEventListener("click", () => this.ctx.showCalendar());
    $("#open-catalog").addEventListener("click", async () => {
      const url = ($("#catalog-url") as HTMLInputElement).value.trim();
      if (!url) return;
      // Decisions still on their way belong to the open catalogue: another
      // one would get them under ids that mean other photos there.
      const waiting = this.ctx.unsavedDecisions();
      if (waiting > 0) {
        this.ctx.toast(`${waiting} decision${waiting === 1 ? " is" : "s are"} not saved in this catalogue yet: switch once ${waiting === 1 ? "it is" : "they are"} saved`);
        return;
      }
      try {
        await this.ctx.backend.openCatalog(url);
        this.ctx.catalogueChanged();
        // The URL may hold a password: once opened it is not kept on the
        // page (the catalogue line shows it with the password hidden).
        ($("#catalog-url") as HTMLInputElement).value = "";
        $("#library").dataset.ready = "false";
        // People are the catalogue's own: a person chosen in the other one
        // means nobody here.
        const person = document.querySelector<HTMLSelectElement>("#f-person");
        if (person) person.replaceChildren(h("option", { value: "", text: "anyone" }));
        // So is a search (its names are this catalogue's): the box starts empty.
        const query = document.querySelector<HTMLInputElement>("#f-query");
        if (query) query.value = "";
        document.querySelector("#chips")?.replaceChildren();
        await this.ctx.refreshStatus();
      } catch (e) {
        this.ctx.toast(e);
      }
    });
    for (const kind of ["scan", "analyze"] as JobKind[]) this.ctx.jobs.wireCancel(kind);
    this.models.wire();
    this.taste.wire();
    this.about.wire();
  }

  private async addRoot(path: string) {
    $("#library").dataset.ready = "false";
    try {
      await this.ctx.backend.addRoot(path);
      ($("#root-path") as HTMLInputElement).value = "";
      await this.ctx.refreshStatus();
      await this.scanAndAnalyse();
    } catch (e) {
      this.ctx.toast(e);
    }
  }

  private async scanAndAnalyse() {
    $("#library").dataset.ready = "false";
    const done = (await this.ctx.jobs.run("scan")) && (await this.ctx.jobs.run("analyze"));
    // Ready once the counts on screen are the finished job's.
    await this.ctx.refreshStatus();
    if (done) $("#library").dataset.ready = "true";
  }

  /** Shows the catalogue and its folders and counts; the status, or null when it could not be read (toasted). */
  async refresh(): Promise<Status | null> {
    try {
      const [info, st] = await Promise.all([this.ctx.backend.info(), this.ctx.backend.status()]);
      $("#catalog-info").textContent = `${info.backend} catalogue · ${info.catalog}`;
      this.renderRoots(st);
      $("#counts").textContent = `${st.files} files · ${st.captures} photos · ${st.analysed} analysed · ${st.analysis_failed + st.errors} with errors · ${st.duplicate_groups} duplicate groups`;
      // The models' state (their weights are hashed) follows without holding the counts back.
      void this.models.refresh();
      void this.taste.refresh();
      void this.renderSaved();
      return st;
    } catch (e) {
      this.ctx.toast(e);
      return null;
    }
  }

  /** The kept searches: a click opens the lightbox on one; × forgets it. */
  async renderSaved() {
    let saved: Awaited<ReturnType<Context["backend"]["savedSearches"]>> = [];
    try {
      saved = await this.ctx.backend.savedSearches();
    } catch (e) {
      this.ctx.toast(e);
    }
    $("#saved").replaceChildren(
      ...saved.map((s) => {
        const open = h("button", { type: "button", class: "link saved-search", "data-name": s.name, text: s.name, title: s.query });
        open.addEventListener("click", () => void this.ctx.showSearch(s.query));
        const rm = h("button", { type: "button", class: "small", text: "×", title: `Forget “${s.name}”` });
        rm.addEventListener("click", async () => {
          await this.ctx.backend.deleteSearch(s.name).catch((e) => this.ctx.toast(e));
          await this.renderSaved();
        });
        return h("li", {}, open, " ", h("code", { class: "muted", text: s.query }), " ", rm);
      }),
    );
    if (!saved.length) $("#saved").append(h("li", { class: "muted", text: "None yet." }));
  }

  private renderRoots(st: Status) {
    $("#roots").replaceChildren(
      ...st.roots.map((r) => {
        const rm = h("button", { type: "button", class: "small", text: "Remove", title: "Forget this folder in the catalogue (no file is touched)" });
        rm.addEventListener("click", async () => {
          if (!confirm(`Forget “${r.name}” in the catalogue? Its files on disk are not touched.`)) return;
          await this.ctx.backend.removeRoot(r.name).catch((e) => this.ctx.toast(e));
          await this.ctx.refreshStatus();
        });
        // XMP sidecars (off unless asked): what Lightroom, darktable and digiKam read.
        const sc = h("label", { class: "small", title: "Write picks, stars, labels and names into NAME.xmp beside each photo, for Lightroom, darktable and digiKam. The photos themselves are never changed." }, h("input", { type: "checkbox", class: "root-sidecars", "data-root": r.name, checked: r.sidecars }), " XMP sidecars");
        (sc.firstChild as HTMLInputElement).addEventListener("change", async (ev) => {
          const on = (ev.target as HTMLInputElement).checked;
          await this.ctx.backend.setRootSidecars(r.name, on).catch((e) => this.ctx.toast(e));
        });
        return h("li", {}, h("b", { text: r.name }), " ", h("span", { class: r.connected ? "muted" : "warn", text: r.path ?? "(not on this machine)" }), " ", sc, " ", rm);
      }),
    );
    $("#welcome").classList.toggle("hidden", st.roots.length > 0);
    if (st.roots.length === 0) $("#roots").append(h("li", { class: "muted", text: "No folders yet: add the folders or drives that hold your photos. Nothing in them is ever changed." }));
  }
}

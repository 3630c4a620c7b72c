// The Backend of the desktop app: Tauri commands, a channel per job, the
// hma: protocol for pictures, the dialog plugin; drags start in the shell.
import { Channel, invoke } from "@tauri-apps/api/core";
import { open } from "@tauri-apps/plugin-dialog";
import type { Backend } from "./backend";
import type { About, CalendarSpec, CalendarView, Changed, ExportReport, SlotChange, Decision, Entry, FaceReport, GroupDetail, Info, JobEvent, JobKind, JobOptions, ListFilter, Marks, ModelInfo, PersonDetail, PersonSummary, PhotoTags, RootInfo, SavedSearch, Status, Suggestion, TagSummary, TasteView } from "./types";

// Windows' webview reaches custom protocols as http://<scheme>.localhost.
const base = navigator.userAgent.includes("Windows") ? "http://hma.localhost/" : "hma://localhost/";

export class TauriBackend implements Backend {
  info() {
    return invoke<Info>("info");
  }
  status() {
    return invoke<Status>("status");
  }
  addRoot(path: string, name?: string) {
    return invoke<RootInfo>("add_root", { path, name: name ?? null });
  }
  removeRoot(name: string) {
    return invoke<number>("remove_root", { name });
  }
  setRootSidecars(name: string, on: boolean) {
    return invoke<boolean>("set_root_sidecars", { name, on });
  }
  openCatalog(url: string) {
    return invoke<Info>("open_catalog", { url });
  }
  list(filter: ListFilter) {
    return invoke<Entry[]>("lightbox", { filter });
  }
  suggest(text: string) {
    return invoke<Suggestion[]>("suggest", { text });
  }
  savedSearches() {
    return invoke<SavedSearch[]>("saved_searches");
  }
  saveSearch(name: string, query: string) {
    return invoke<SavedSearch[]>("save_search", { name, query });
  }
  deleteSearch(name: string) {
    return invoke<boolean>("delete_search", { name });
  }
  photoTags(captureId: number) {
    return invoke<PhotoTags>("photo_tags", { captureId });
  }
  tagPhotos(captureIds: number[], add: string[], remove: string[]) {
    return invoke<TagSummary>("tag_photos", { captureIds, add, remove });
  }
  group(fileId: number) {
    return invoke<GroupDetail | null>("group", { fileId });
  }
  decide(captureId: number, decision: Decision) {
    return invoke<Marks>("decide", { captureId, decision });
  }
  runJob(kind: JobKind, options: JobOptions, onEvent: (e: JobEvent) => void) {
    const ch = new Channel<JobEvent>();
    ch.onmessage = onEvent;
    return invoke<Record<string, unknown>>("run_job", { kind, options, onEvent: ch });
  }
  cancelJob(kind: JobKind) {
    return invoke<boolean>("cancel_job", { kind });
  }
  async pickFolder(title: string) {
    const r = await open({ directory: true, multiple: false, title });
    return typeof r === "string" ? r : null;
  }
  async dragOut(fileIds: number[]) {
    // The shell resolves the ids and starts the drag itself, copy mode only.
    await invoke("drag_out", { fileIds });
  }
  people() {
    return invoke<PersonSummary[]>("people");
  }
  person(id: number) {
    return invoke<PersonDetail>("person", { id });
  }
  namePerson(id: number, name: string, born: string | null) {
    return invoke<Changed>("name_person", { id, name, born });
  }
  mergePeople(a: number, b: number) {
    return invoke<Changed>("merge_people", { a, b });
  }
  rejectFace(face: number, notAFace: boolean) {
    return invoke<Changed>("reject_face", { face, notAFace });
  }
  facesOf(fileId: number) {
    return invoke<FaceReport[]>("faces_of_file", { fileId });
  }
  models() {
    return invoke<ModelInfo[]>("models");
  }
  about() {
    return invoke<About>("about");
  }
  tasteStatus() {
    return invoke<TasteView>("taste_status");
  }
  tasteTrain() {
    return invoke<TasteView>("taste_train");
  }
  tasteSet(on: boolean) {
    return invoke<TasteView>("taste_set", { on });
  }
  setThreads(threads: number | null) {
    return invoke<number | null>("set_threads", { threads });
  }
  calendar(year: number | null) {
    return invoke<CalendarView | null>("calendar", { year, name: null });
  }
  calendarNew(spec: CalendarSpec) {
    return invoke<CalendarView>("calendar_new", { spec });
  }
  calendarSet(year: number, name: string, month: number, fileId: number | null) {
    return invoke<SlotChange>("calendar_set", { year, name, month, fileId });
  }
  calendarExport(year: number, name: string, dest: string) {
    return invoke<ExportReport>("calendar_export", { year, name, dest, pattern: null });
  }
  previewUrl(content: string, size: "grid" | "loupe") {
    return `${base}preview/${content}/${size}`;
  }
  originalUrl(fileId: number) {
    return `${base}original/${fileId}`;
  }
}

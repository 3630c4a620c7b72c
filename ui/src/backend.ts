// The one interface between the UI and whatever runs the engine: the Tauri
// shell in the app, or the in-memory backend in tests and a plain browser.
import type { About, CalendarSpec, CalendarView, Changed, ExportReport, SlotChange, Decision, Entry, FaceReport, GroupDetail, Info, JobEvent, JobKind, JobOptions, ListFilter, Marks, ModelInfo, PersonDetail, PersonSummary, PhotoTags, RootInfo, SavedSearch, Status, Suggestion, TagSummary, TasteView } from "./types";

export interface Backend {
  info(): Promise<Info>;
  status(): Promise<Status>;
  addRoot(path: string, name?: string): Promise<RootInfo>;
  removeRoot(name: string): Promise<number>;
  /** XMP sidecars beside a folder's photos: on or off. */
  setRootSidecars(name: string, on: boolean): Promise<boolean>;
  openCatalog(url: string): Promise<Info>;
  list(filter: ListFilter): Promise<Entry[]>;
  group(fileId: number): Promise<GroupDetail | null>;
  decide(captureId: number, decision: Decision): Promise<Marks>;
  runJob(kind: JobKind, options: JobOptions, onEvent: (e: JobEvent) => void): Promise<Record<string, unknown>>;
  cancelJob(kind: JobKind): Promise<boolean>;
  /** A native folder picker; null when cancelled or not available. */
  pickFolder(title: string): Promise<string | null>;
  /** Starts an OS drag of these photos' originals (real files). */
  dragOut(fileIds: number[]): Promise<void>;
  /** Named people and pets, then unnamed clusters. */
  people(): Promise<PersonSummary[]>;
  person(id: number): Promise<PersonDetail>;
  /** Names a cluster or renames a person (a name someone has joins them). */
  namePerson(id: number, name: string, born: string | null): Promise<Changed>;
  /** Merges person b into a. */
  mergePeople(a: number, b: number): Promise<Changed>;
  /** A face is not its person (or, with notAFace, no face at all). */
  rejectFace(face: number, notAFace: boolean): Promise<Changed>;
  /** The faces in a photo (boxes in pixels of the picture as displayed). */
  facesOf(fileId: number): Promise<FaceReport[]>;
  /** Every model: licence, download size, whether its weights are here. */
  models(): Promise<ModelInfo[]>;
  /** Versions, licences, where data is kept, threads. */
  about(): Promise<About>;
  /** Worker threads for jobs (null: all cores). */
  setThreads(threads: number | null): Promise<number | null>;
  /** Completions of the search box's last word. */
  suggest(text: string): Promise<Suggestion[]>;
  /** The searches kept (smart albums), by name. */
  savedSearches(): Promise<SavedSearch[]>;
  /** Keeps a query under a name; returns them all. A query that cannot be read is refused. */
  saveSearch(name: string, query: string): Promise<SavedSearch[]>;
  deleteSearch(name: string): Promise<boolean>;
  /** Where a photo was taken, and its tags. */
  photoTags(captureId: number): Promise<PhotoTags>;
  /** Adds and removes tags (TAXONOMY:NODE, or a keyword A/B) on photos. */
  tagPhotos(captureIds: number[], add: string[], remove: string[]): Promise<TagSummary>;
  /** The calendar for a year (the newest when null), or null when there is none. */
  calendar(year: number | null): Promise<CalendarView | null>;
  /** Suggests a calendar, or renews one (the months the user chose stay). */
  calendarNew(spec: CalendarSpec): Promise<CalendarView>;
  /** Puts a photo in a month (0: the cover; null empties it); saved at once. */
  calendarSet(year: number, name: string, month: number, fileId: number | null): Promise<SlotChange>;
  /** Copies the calendar's photos into a folder, verified, never over a file. */
  calendarExport(year: number, name: string, dest: string): Promise<ExportReport>;
  /** Where her taste stands: the model, its AUC, what it learned. */
  tasteStatus(): Promise<TasteView>;
  /** Learns her taste now from her decisions and rescores every photo. */
  tasteTrain(): Promise<TasteView>;
  /** Her taste in the score, or not (every photo is rescored). */
  tasteSet(on: boolean): Promise<TasteView>;
  previewUrl(content: string, size: "grid" | "loupe"): string;
  originalUrl(fileId: number): string;
}

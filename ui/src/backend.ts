// The one interface between the UI and whatever runs the engine: the Tauri
// shell in the app, or the in-memory backend in tests and a plain browser.
import type { Decision, Entry, GroupDetail, Info, JobEvent, JobKind, JobOptions, ListFilter, Marks, RootInfo, Status } from "./types";

export interface Backend {
  info(): Promise<Info>;
  status(): Promise<Status>;
  addRoot(path: string, name?: string): Promise<RootInfo>;
  removeRoot(name: string): Promise<number>;
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
  previewUrl(content: string, size: "grid" | "loupe"): string;
  originalUrl(fileId: number): string;
}

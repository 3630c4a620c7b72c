// Shapes exchanged with the engine (see src-tauri/src/lib.rs and src/rank.rs).

export interface Decision {
  flag: number | null; // 1 pick, -1 reject, 0 unflagged, null = not decided here
  rating: number | null; // 0-5
  label: string | null; // "" clears an XMP label
}

export interface Marks {
  flag: number;
  rating: number;
  label: string | null;
  decided: Decision;
}

export interface GroupRef {
  id: number;
  kind: "exact" | "near" | "burst" | string;
  rank: number;
  size: number;
}

export interface Entry {
  path: string;
  score: number;
  group: GroupRef | null;
  explain: string[];
  capture_id: number | null;
  taken: string | null;
  file_id: number;
  content: string;
  name: string;
  scores: Record<string, number>;
  sharpest: [number, number] | null;
  width: number | null;
  height: number | null;
  marks: Marks;
  /** Classes the detector found (people, pets, objects). */
  objects?: string[];
}

export interface GroupDetail {
  id: number;
  kind: string;
  why: string;
  members: Entry[];
}

export interface RootInfo {
  id: number;
  name: string;
  path: string | null;
  backup: boolean;
  connected: boolean;
}

export interface Status {
  roots: RootInfo[];
  files: number;
  captures: number;
  errors: number;
  duplicate_groups: number;
  analysed: number;
  analysis_failed: number;
}

export interface Info {
  catalog: string;
  backend: string;
  machine: string;
  version: string;
}

export interface ListFilter {
  n?: number;
  from?: string;
  to?: string;
  month?: number;
  root?: string;
  minScore?: number;
  flag?: "picked" | "rejected" | "unflagged" | "";
  minRating?: number;
}

export type JobKind = "scan" | "analyze" | "export";

export type JobEvent =
  | { event: "stage"; name: string; total: number | null }
  | { event: "progress"; done: number };

export interface JobOptions {
  dest?: string;
  pattern?: string;
  force?: boolean;
}

export interface ApiError {
  code: string;
  message: string;
}

export function errorText(e: unknown): string {
  if (e && typeof e === "object" && "message" in e) {
    const a = e as ApiError;
    return a.code ? `${a.message} (${a.code})` : String(a.message);
  }
  return String(e);
}

// What a view gets from the App: the backend, the culling state, the
// lightbox's mode and zoom, and the App's coordinating calls. Views reach one
// another only through these, so a screen can be added without touching the
// others.
import type { Backend } from "../backend";
import type { Action } from "../keymap";
import type { CullState } from "../state";
import type { FaceOverlay } from "./faces";
import type { Jobs } from "./jobs";
import type { ImageCache } from "./pictures";

export type Mode = "loupe" | "grid" | "compare";
export type Overlay = "why" | "help" | "export";

export interface Context {
  readonly backend: Backend;
  readonly state: CullState;
  /** Decoded pictures (cleared when the list is reloaded). */
  readonly images: ImageCache;
  readonly jobs: Jobs;
  /** The faces overlay of the loupe. */
  readonly faces: FaceOverlay;
  /** The photos selected in the grid (what a drag out takes). */
  readonly selection: Set<number>;
  readonly mode: Mode;
  /** 100 % zoom, in the loupe and in compare. */
  readonly zoomed: boolean;
  /** When the key press being handled happened, once (for the next-photo latency). */
  takeKeyTime(): number | null;
  toast(e: unknown): void;
  act(a: Action): void;
  showLibrary(): Promise<void>;
  showLightbox(): Promise<void>;
  /** The lightbox showing only this person's photos. */
  showPerson(id: number): Promise<void>;
  showPeople(): Promise<void>;
  showCalendar(): Promise<void>;
  /** The lightbox on a query's photos, choosing for a calendar slot: P puts the photo there. */
  chooseForCalendar(month: number, title: string, query: string): Promise<void>;
  refreshStatus(): Promise<void>;
  reload(): Promise<void>;
  /** Another catalogue was opened: what the lightbox held is dropped. */
  catalogueChanged(): void;
  /** Decisions made here that the catalogue does not hold yet. */
  unsavedDecisions(): number;
  setMode(mode: Mode): void;
  toggleOverlay(which: Overlay): void;
  toggleWhy(): Promise<void>;
  renderInfo(): void;
  /** The lightbox with a search (a kept one, from the library). */
  showSearch(query: string): Promise<void>;
  /** These captures' tags changed: the info line asks again. */
  tagged(captureIds: number[]): void;
  renderFilmstrip(): void;
}

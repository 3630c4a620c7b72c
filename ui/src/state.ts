// The culling state: the ranked list, the current photo, decisions with
// undo/redo and auto-advance. Pure logic (no DOM, no backend): each change
// returns the decision to save, and the view saves it at once.
import type { Decision, Entry, Marks } from "./types";

export interface Step {
  /** Index of the photo in the list. */
  index: number;
  captureId: number;
  before: Decision;
  after: Decision;
}

export interface Save {
  captureId: number;
  decision: Decision;
  index: number;
}

function copy(d: Decision): Decision {
  return { flag: d.flag, rating: d.rating, label: d.label };
}

/** The marks shown for a decision over what the XMP said. */
export function marksWith(d: Decision, xmp: { flag: number; rating: number; label: string | null }): Marks {
  return {
    flag: d.flag ?? xmp.flag,
    rating: d.rating ?? xmp.rating,
    label: d.label === null ? xmp.label : d.label === "" ? null : d.label,
    decided: copy(d),
  };
}

export class CullState {
  items: Entry[] = [];
  index = 0;
  autoAdvance = true;
  private undoStack: Step[] = [];
  private redoStack: Step[] = [];
  /** What XMP said per capture (to show when a decision is undone to "none"). */
  private xmp = new Map<number, { flag: number; rating: number; label: string | null }>();

  constructor(items: Entry[] = []) {
    this.load(items);
  }

  load(items: Entry[]) {
    this.items = items;
    this.index = 0;
    this.undoStack = [];
    this.redoStack = [];
    this.xmp.clear();
    for (const e of items) {
      if (e.capture_id === null) continue;
      const d = e.marks.decided;
      // Where the user decided nothing, the shown mark is the XMP's.
      this.xmp.set(e.capture_id, {
        flag: d.flag === null ? e.marks.flag : 0,
        rating: d.rating === null ? e.marks.rating : 0,
        label: d.label === null ? e.marks.label : null,
      });
    }
  }

  get current(): Entry | undefined {
    return this.items[this.index];
  }

  get canUndo() {
    return this.undoStack.length > 0;
  }

  get canRedo() {
    return this.redoStack.length > 0;
  }

  go(index: number): boolean {
    if (this.items.length === 0) return false;
    const i = Math.max(0, Math.min(this.items.length - 1, index));
    const moved = i !== this.index;
    this.index = i;
    return moved;
  }

  next() {
    return this.go(this.index + 1);
  }

  prev() {
    return this.go(this.index - 1);
  }

  /** Applies a change to the current photo; returns what to save. */
  change(kind: "flag" | "rating" | "label", value: number | string, advance?: boolean): Save | null {
    const e = this.current;
    if (!e || e.capture_id === null) return null;
    const before = copy(e.marks.decided);
    const after = copy(before);
    if (kind === "flag") after.flag = value as number;
    if (kind === "rating") after.rating = value as number;
    if (kind === "label") {
      // The same label key again removes the label.
      after.label = e.marks.label === value ? "" : (value as string);
    }
    const step: Step = { index: this.index, captureId: e.capture_id, before, after };
    this.apply(step.index, step.after);
    this.undoStack.push(step);
    this.redoStack = [];
    const save = { captureId: step.captureId, decision: copy(after), index: step.index };
    if (advance ?? this.autoAdvance) this.next();
    return save;
  }

  /** Undoes the last change: goes back to that photo and returns what to save. */
  undo(): Save | null {
    const s = this.undoStack.pop();
    if (!s) return null;
    this.apply(s.index, s.before);
    this.redoStack.push(s);
    this.index = s.index;
    return { captureId: s.captureId, decision: copy(s.before), index: s.index };
  }

  redo(): Save | null {
    const s = this.redoStack.pop();
    if (!s) return null;
    this.apply(s.index, s.after);
    this.undoStack.push(s);
    this.index = s.index;
    return { captureId: s.captureId, decision: copy(s.after), index: s.index };
  }

  /** The engine's answer after a save (the marks in force). */
  confirm(index: number, marks: Marks) {
    const e = this.items[index];
    if (e) e.marks = marks;
  }

  private apply(index: number, d: Decision) {
    const e = this.items[index];
    if (!e || e.capture_id === null) return;
    const xmp = this.xmp.get(e.capture_id) ?? { flag: 0, rating: 0, label: null };
    e.marks = marksWith(d, xmp);
  }

  /** Counts for the status line. */
  counts() {
    let picked = 0,
      rejected = 0,
      rated = 0;
    for (const e of this.items) {
      if (e.marks.flag === 1) picked++;
      if (e.marks.flag === -1) rejected++;
      if (e.marks.rating > 0) rated++;
    }
    return { picked, rejected, rated, total: this.items.length };
  }
}

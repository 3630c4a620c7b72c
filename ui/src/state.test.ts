import { describe, expect, it } from "vitest";
import { MemoryBackend } from "./memory-backend";
import { CullState } from "./state";

async function fresh(n = 10) {
  const b = new MemoryBackend(n);
  for (const e of b.entries) e.group = null; // every photo its own, so all are listed
  return new CullState(await b.list({}));
}

describe("culling state", () => {
  it("auto-advances after a flag, stars or label when on", async () => {
    const s = await fresh();
    expect(s.index).toBe(0);
    const save = s.change("flag", 1);
    expect(save).toEqual({ captureId: s.items[0].capture_id, decision: { flag: 1, rating: null, label: null }, index: 0 });
    expect(s.index).toBe(1);
    s.change("rating", 4);
    expect(s.index).toBe(2);
    expect(s.items[1].marks.rating).toBe(4);
  });
  it("stays put when auto-advance is off, unless the key asks to advance", async () => {
    const s = await fresh();
    s.autoAdvance = false;
    s.change("flag", -1);
    expect(s.index).toBe(0);
    expect(s.items[0].marks.flag).toBe(-1);
    s.change("flag", 1, true);
    expect(s.index).toBe(1);
  });
  it("undo goes back to the photo and restores the decision before; redo re-applies", async () => {
    const s = await fresh();
    s.change("flag", 1); // photo 0 picked, now at 1
    s.change("rating", 3); // photo 1 three stars, now at 2
    const u1 = s.undo();
    expect(u1).toEqual({ captureId: s.items[1].capture_id, decision: { flag: null, rating: null, label: null }, index: 1 });
    expect(s.index).toBe(1);
    expect(s.items[1].marks.rating).toBe(0);
    const u2 = s.undo();
    expect(u2?.index).toBe(0);
    expect(s.items[0].marks.flag).toBe(0);
    expect(s.undo()).toBeNull();
    const r = s.redo();
    expect(r?.decision.flag).toBe(1);
    expect(s.items[0].marks.flag).toBe(1);
  });
  it("a new change clears the redo stack", async () => {
    const s = await fresh();
    s.change("flag", 1);
    s.undo();
    s.change("flag", -1);
    expect(s.canRedo).toBe(false);
  });
  it("the same label key again removes the label", async () => {
    const s = await fresh();
    s.autoAdvance = false;
    s.change("label", "red");
    expect(s.items[0].marks.label).toBe("red");
    const save = s.change("label", "red");
    expect(save?.decision.label).toBe("");
    expect(s.items[0].marks.label).toBeNull();
  });
  it("undo back to 'not decided' shows what XMP said again", async () => {
    const b = new MemoryBackend(3);
    b.entries[0].marks = { flag: 1, rating: 2, label: "green", decided: { flag: null, rating: null, label: null } };
    const s = new CullState(await b.list({}));
    s.change("flag", -1);
    expect(s.items[0].marks.flag).toBe(-1);
    s.undo();
    expect(s.items[0].marks).toEqual({ flag: 1, rating: 2, label: "green", decided: { flag: null, rating: null, label: null } });
  });
  it("navigation stays inside the list", async () => {
    const s = await fresh(3);
    expect(s.prev()).toBe(false);
    s.go(99);
    expect(s.index).toBe(2);
    expect(s.next()).toBe(false);
  });
});

import { dateBound } from "./views/lightbox";

describe("date filters", () => {
  it("are empty when unset, and take a year, a month or a day", () => {
    expect(dateBound("", false)).toBe(null);
    expect(dateBound("  ", true)).toBe(null);
    expect(dateBound("2024", false)).toBe("2024-01-01");
    expect(dateBound("2024", true)).toBe("2024-12-31");
    expect(dateBound("2024-2", true)).toBe("2024-02-29");
    expect(dateBound("2023-02", true)).toBe("2023-02-28");
    expect(dateBound("2024-06-15", false)).toBe("2024-06-15");
    expect(dateBound("2024-13", false)).toBe("invalid");
    expect(dateBound("2024-02-30", false)).toBe("invalid");
    expect(dateBound("yesterday", false)).toBe("invalid");
  });
});

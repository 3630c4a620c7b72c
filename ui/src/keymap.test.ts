import { describe, expect, it } from "vitest";
import { actionFor, KEY_HELP } from "./keymap";

describe("Lightroom key map", () => {
  it("moves with the arrows", () => {
    expect(actionFor({ key: "ArrowRight" })).toEqual({ kind: "next" });
    expect(actionFor({ key: "ArrowLeft" })).toEqual({ kind: "prev" });
    expect(actionFor({ key: "Home" })).toEqual({ kind: "first" });
  });
  it("flags with P, X, U; Shift advances", () => {
    expect(actionFor({ key: "p" })).toEqual({ kind: "flag", flag: 1, advance: undefined });
    expect(actionFor({ key: "P", shiftKey: true })).toEqual({ kind: "flag", flag: 1, advance: true });
    expect(actionFor({ key: "x" })).toEqual({ kind: "flag", flag: -1, advance: undefined });
    expect(actionFor({ key: "u" })).toEqual({ kind: "flag", flag: 0 });
  });
  it("rates 0-5 and labels 6-9", () => {
    for (let n = 0; n <= 5; n++) expect(actionFor({ key: String(n) })).toEqual({ kind: "rate", stars: n });
    expect(actionFor({ key: "6" })).toEqual({ kind: "label", label: "red" });
    expect(actionFor({ key: "7" })).toEqual({ kind: "label", label: "yellow" });
    expect(actionFor({ key: "8" })).toEqual({ kind: "label", label: "green" });
    expect(actionFor({ key: "9" })).toEqual({ kind: "label", label: "blue" });
  });
  it("zooms with Z and Space, compares with C, grid G, loupe E", () => {
    expect(actionFor({ key: "z" })).toEqual({ kind: "zoom" });
    expect(actionFor({ key: " " })).toEqual({ kind: "zoom" });
    expect(actionFor({ key: "c" })).toEqual({ kind: "compare" });
    expect(actionFor({ key: "g" })).toEqual({ kind: "grid" });
    expect(actionFor({ key: "e" })).toEqual({ kind: "loupe" });
    expect(actionFor({ key: "?" })).toEqual({ kind: "help" });
    expect(actionFor({ key: "i" })).toEqual({ kind: "why" });
  });
  it("undoes with Ctrl+Z or Cmd+Z, redoes with Shift", () => {
    expect(actionFor({ key: "z", ctrlKey: true })).toEqual({ kind: "undo" });
    expect(actionFor({ key: "z", metaKey: true })).toEqual({ kind: "undo" });
    expect(actionFor({ key: "Z", ctrlKey: true, shiftKey: true })).toEqual({ kind: "redo" });
  });
  it("leaves other keys and other shortcuts alone", () => {
    expect(actionFor({ key: "q" })).toBeNull();
    expect(actionFor({ key: "p", ctrlKey: true })).toBeNull();
    expect(actionFor({ key: "p", altKey: true })).toBeNull();
  });
  it("documents every mapped key in the ? overlay", () => {
    const text = KEY_HELP.map(([k]) => k).join(" ");
    for (const k of ["P", "X", "U", "0–5", "6 7 8 9", "Z", "C", "G", "E", "Ctrl/Cmd+Z", "?", "I"]) expect(text).toContain(k);
  });
});

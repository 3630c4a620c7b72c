// The culling keys photographers already know (Lightroom Classic's Library
// module), as a pure function from a key press to an action.

export type Action =
  | { kind: "next" }
  | { kind: "prev" }
  | { kind: "up" }
  | { kind: "down" }
  | { kind: "flag"; flag: 1 | -1 | 0; advance?: boolean }
  | { kind: "rate"; stars: number; advance?: boolean }
  | { kind: "label"; label: string; advance?: boolean }
  | { kind: "zoom" }
  | { kind: "compare" }
  | { kind: "grid" }
  | { kind: "loupe" }
  | { kind: "undo" }
  | { kind: "redo" }
  | { kind: "autoAdvance" }
  | { kind: "why" }
  | { kind: "faces" }
  | { kind: "help" }
  | { kind: "escape" }
  | { kind: "first" }
  | { kind: "last" }
  | { kind: "search" }
  | { kind: "tag" };

export interface KeyPress {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  shiftKey?: boolean;
  altKey?: boolean;
}

/** Colour labels of keys 6-9 (Lightroom: red, yellow, green, blue). */
export const LABEL_KEYS: Record<string, string> = { "6": "red", "7": "yellow", "8": "green", "9": "blue" };

/** Every key, for the `?` overlay (kept next to the map so they agree). */
export const KEY_HELP: [string, string][] = [
  ["← / →", "previous / next photo"],
  ["↑ / ↓", "row up / down (grid)"],
  ["Home / End", "first / last photo"],
  ["P", "pick (Shift+P: pick and go to the next)"],
  ["X", "reject (Shift+X: reject and go to the next)"],
  ["U", "unflag"],
  ["0–5", "stars (0 removes them)"],
  ["6 7 8 9", "red, yellow, green, blue label (again removes it)"],
  ["Z or Space", "100 % zoom at the sharpest point, again to fit"],
  ["C", "compare the burst side by side (synchronised zoom)"],
  ["G", "grid"],
  ["E or Enter", "loupe (one photo)"],
  ["I", "why this score: the parts and the burst's ranking"],
  ["F", "faces: their boxes, eyes and names over the photo, on/off"],
  ["Ctrl/Cmd+Z", "undo (Ctrl/Cmd+Shift+Z: redo)"],
  ["Caps Lock or A", "auto-advance after a flag, stars or label on/off"],
  ["/", "search: person:Anna place:Bavaria has:dog year:2024 -flag:reject… (Enter runs it)"],
  ["T", "tag the photo (or the selected ones): keywords:Holidays/Beach, any taxonomy; -tag takes one away"],
  ["?", "this list"],
  ["Esc", "close an overlay, leave compare or zoom"],
];

/** The action of a key press, or null when the key is not ours. */
export function actionFor(e: KeyPress): Action | null {
  const mod = !!(e.ctrlKey || e.metaKey);
  const key = e.key;
  if (mod) {
    if (key.toLowerCase() === "z") return e.shiftKey ? { kind: "redo" } : { kind: "undo" };
    if (key.toLowerCase() === "y") return { kind: "redo" };
    return null;
  }
  if (e.altKey) return null;
  switch (key) {
    case "ArrowRight":
      return { kind: "next" };
    case "ArrowLeft":
      return { kind: "prev" };
    case "ArrowUp":
      return { kind: "up" };
    case "ArrowDown":
      return { kind: "down" };
    case "Home":
      return { kind: "first" };
    case "End":
      return { kind: "last" };
    case " ":
      return { kind: "zoom" };
    case "Enter":
      return { kind: "loupe" };
    case "Escape":
      return { kind: "escape" };
    case "?":
      return { kind: "help" };
    case "/":
      return { kind: "search" };
    case "t":
      return { kind: "tag" };
    case "CapsLock":
      return { kind: "autoAdvance" };
  }
  if (/^[0-5]$/.test(key)) return { kind: "rate", stars: Number(key) };
  if (key in LABEL_KEYS) return { kind: "label", label: LABEL_KEYS[key] };
  switch (key.toLowerCase()) {
    case "p":
      return { kind: "flag", flag: 1, advance: e.shiftKey || key === "P" ? true : undefined };
    case "x":
      return { kind: "flag", flag: -1, advance: e.shiftKey || key === "X" ? true : undefined };
    case "u":
      return { kind: "flag", flag: 0 };
    case "z":
      return { kind: "zoom" };
    case "c":
      return { kind: "compare" };
    case "g":
      return { kind: "grid" };
    case "e":
      return { kind: "loupe" };
    case "i":
      return { kind: "why" };
    case "f":
      return { kind: "faces" };
    case "a":
      return { kind: "autoAdvance" };
  }
  return null;
}

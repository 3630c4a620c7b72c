import { describe, expect, it } from "vitest";
import { summarise } from "./views/jobs";

describe("a job's summary line", () => {
  it("a plain scan counts files", () => {
    expect(summarise("scan", { seen: 12, new: 3, changed: 1, moved: 0, missing: 2, errors: 1 })).toBe(
      "12 files seen, 3 new, 1 changed, 0 moved, 2 missing, 1 with errors",
    );
  });

  it("the import (the app's Scan) also says what it analysed as it read, and how much it read", () => {
    const line = summarise("scan", { seen: 16, new: 16, changed: 0, moved: 0, missing: 0, errors: 0, analysed: 15, detected: 15, faces: 27, bytes_read: 12_345_678 });
    expect(line).toBe(
      "16 files seen, 16 new, 0 changed, 0 moved, 0 missing, 0 with errors · 15 analysed as read, objects looked for in 15, 27 faces · 12.3 MB read",
    );
  });
});

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

  it("the import says the pictures it could not read, with the first one's reason", () => {
    const failures = [{ path: "/p/damaged.jpg", error: "this file made the reader crash (SIGSEGV) while decoding and measuring it: it is skipped" }];
    const line = summarise("scan", { seen: 3, new: 3, changed: 0, moved: 0, missing: 0, errors: 0, analysed: 2, detected: 2, faces: 0, bytes_read: 3_000_000, failed: 1, failures });
    expect(line).toBe(
      "3 files seen, 3 new, 0 changed, 0 moved, 0 missing, 0 with errors · 2 analysed as read, objects looked for in 2, 0 faces · 3.0 MB read · 1 could not be read (first: this file made the reader crash (SIGSEGV) while decoding and measuring it: it is skipped)",
    );
    const restarted = ["a file made the reader crash (SIGSEGV) while decoding and measuring it; it is recorded with that error, and the job goes on"];
    expect(summarise("scan", { seen: 3, new: 1, errors: 0, analysed: 0, detected: 0, faces: 0, bytes_read: 0, failed: 1, failures, restarted })).toMatch(
      / · 1 could not be read \(first: .*\) · the job started again once after a file crashed the reader; these counts are of its last run$/,
    );
  });
});

import { describe, expect, it } from "vitest";
import type { TasteView } from "./types";
import { tasteLine } from "./views/taste";

const view = (model: Partial<TasteView["status"]["model"]> | null): TasteView => ({
  status: {
    on: true,
    model: model && {
      model_version: 3, trained_ms: 0, kind: "logistic", decisions: 134, positives: 22, negatives: 112, folds: 5,
      auc: 0.98, auc_low: 0.94, accuracy: 0.93, brier: 0.04, ece: 0.07, weight: 0.5,
      reason: "its weight in the score is 0.50", learned: ["you keep photos with people"], ...model,
    },
    new_decisions: 0,
    due: false,
  },
  training: false,
  progress: null,
});

describe("the Taste panel's line", () => {
  it("says how well a trained model ranks and its weight", () => {
    expect(tasteLine(view({}))).toBe("134 decisions (22 kept, 112 rejected) · AUC 0.98, 93 % right on decisions it did not learn from · weight 0.50 in the score");
  });
  it("says a model no better than chance is off", () => {
    expect(tasteLine(view({ auc: 0.55, weight: 0 }))).toContain("off: no better than chance yet");
  });
  it("gives the reason when too few decisions trained nothing", () => {
    const v = view({ kind: "none", auc: null, accuracy: null, decisions: 12, positives: 4, negatives: 8, reason: "taste is off until it has at least 15 picks and 15 rejects to learn from (it has 4 and 8)" });
    expect(tasteLine(v)).toBe("12 decisions (4 kept, 8 rejected). taste is off until it has at least 15 picks and 15 rejects to learn from (it has 4 and 8)");
  });
  it("asks for decisions before the first training", () => {
    expect(tasteLine(view(null))).toMatch(/^Not learned yet/);
  });
});

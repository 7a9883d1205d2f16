import { describe, expect, it } from "vitest";
import {
  LIFECYCLES,
  repairBooking,
  stateOf,
  transitionsFrom,
  validateLifecycle,
} from "./lifecycles.js";

describe("lifecycles", () => {
  it.each(Object.keys(LIFECYCLES))("%s is consistent", (name) => {
    expect(validateLifecycle(LIFECYCLES[name]!)).toEqual([]);
  });

  it("the repair booking has the 14 seed states in order, with rising progress", () => {
    const path = [
      "pending",
      "confirmed",
      "device-received",
      "diagnosis",
      "diagnosis-complete",
      "quote-pending",
      "quote-approved",
      "repair-queued",
      "repair-started",
      "repair-progress",
      "repair-complete",
      "testing",
      "ready-pickup",
      "completed",
    ];
    let last = -1;
    for (const [i, name] of path.entries()) {
      const progress = stateOf(repairBooking, name)!.progress;
      expect(progress).toBeGreaterThan(last);
      last = progress;
      if (i > 0)
        expect(transitionsFrom(repairBooking, path[i - 1]!).map((t) => t.to)).toContain(name);
    }
    expect(last).toBe(100);
  });

  it("lets the customer approve or decline a quote, and staff do the rest", () => {
    expect(
      transitionsFrom(repairBooking, "quote-pending", "customer")
        .map((t) => t.to)
        .sort(),
    ).toEqual(["quote-approved", "quote-declined"]);
    expect(transitionsFrom(repairBooking, "diagnosis", "customer")).toEqual([]);
    expect(transitionsFrom(repairBooking, "pending", "customer").map((t) => t.to)).toEqual([
      "cancelled",
    ]);
  });

  it("finds the mistakes of a broken lifecycle", () => {
    const broken = {
      ...repairBooking,
      initial: "nowhere",
      transitions: [{ from: ["completed"], to: "ghost", by: ["staff" as const] }],
    };
    expect(validateLifecycle(broken).length).toBeGreaterThanOrEqual(3);
  });
});

import { describe, expect, it } from "vitest";
import {
  repairBooking,
  storeOrder,
  testDrive,
} from "../../../server/src/modules/orders/lifecycles.js";
import { pathAhead, trackerSteps } from "./timeline.js";

type H = { from: string | null; to: string; at: string; by: string };
const walk = (states: string[]): H[] =>
  states.map((to, i) => ({
    from: i === 0 ? null : (states[i - 1] as string),
    to,
    at: new Date(Date.UTC(2026, 0, 1, 10, i)).toISOString(),
    by: "staff",
  }));
const view = (steps: ReturnType<typeof trackerSteps>) =>
  steps.map((s) => `${s.kind}${s.branch ? "!" : ""}:${s.name}`);

describe("trackerSteps", () => {
  it("a delivered store order is finished: no Cancelled after Delivered, no step in progress", () => {
    const order = {
      status: "delivered",
      history: walk(["pending", "paid", "packed", "shipped", "out-for-delivery", "delivered"]),
    };
    const steps = view(trackerSteps(storeOrder, order));
    expect(steps).toEqual([
      "done:pending",
      "done:paid",
      "done:packed",
      "done:shipped",
      "done:out-for-delivery",
      "done:delivered",
    ]);
  });

  it("a cancelled order shows the path it took and where it stopped, nothing ahead", () => {
    const order = { status: "cancelled", history: walk(["pending", "paid", "cancelled"]) };
    expect(view(trackerSteps(storeOrder, order))).toEqual([
      "done:pending",
      "done:paid",
      "ended!:cancelled",
    ]);
  });

  it("a repair in progress lists the main path ahead without its branches", () => {
    const order = {
      status: "diagnosis",
      history: walk(["pending", "confirmed", "device-received", "diagnosis"]),
    };
    const steps = view(trackerSteps(repairBooking, order));
    expect(steps.slice(0, 4)).toEqual([
      "done:pending",
      "done:confirmed",
      "done:device-received",
      "current:diagnosis",
    ]);
    expect(steps.at(-1)).toBe("next:completed");
    expect(steps.some((s) => s.includes("quote-declined") || s.includes("cancelled"))).toBe(false);
  });

  it("a declined quote is a branch on the way, followed by the way back to the customer", () => {
    const order = {
      status: "quote-declined",
      history: walk([
        "pending",
        "confirmed",
        "device-received",
        "diagnosis",
        "diagnosis-complete",
        "quote-pending",
        "quote-declined",
      ]),
    };
    const steps = view(trackerSteps(repairBooking, order));
    expect(steps.slice(-3)).toEqual([
      "current!:quote-declined",
      "next:ready-pickup",
      "next:completed",
    ]);
  });

  it("a completed repair is drawn finished; repeated progress updates fold into one step", () => {
    const main = [
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
      "repair-progress",
      "repair-complete",
      "testing",
      "ready-pickup",
      "completed",
    ];
    const steps = trackerSteps(repairBooking, { status: "completed", history: walk(main) });
    expect(steps.filter((s) => s.name === "repair-progress")).toHaveLength(1);
    expect(steps.at(-1)).toMatchObject({ name: "completed", kind: "done" });
    expect(steps.every((s) => s.kind === "done")).toBe(true);
  });

  it("a no-show ends the appointment as a branch", () => {
    const order = { status: "no-show", history: walk(["requested", "confirmed", "no-show"]) };
    expect(view(trackerSteps(testDrive, order)).at(-1)).toBe("ended!:no-show");
  });
});

describe("pathAhead", () => {
  it("never goes back (a failed test loops to the bench, not forward)", () => {
    expect(pathAhead(repairBooking, "testing")).toEqual(["ready-pickup", "completed"]);
  });
  it("has nothing after a terminal state", () => {
    expect(pathAhead(storeOrder, "refunded")).toEqual([]);
  });
});

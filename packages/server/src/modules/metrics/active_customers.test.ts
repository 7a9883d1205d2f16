import { describe, expect, it } from "vitest";
import { ActiveCustomers } from "./active-customers.js";
import { bucketStart, iso } from "./buckets.js";

describe("active customers remembered per business day", () => {
  const zone = "America/New_York";
  const day = (at: string) => iso(bucketStart(Date.parse(at), "day", zone));

  it("tells the business day in the zone, also across a DST change and back and forth", () => {
    const active = new ActiveCustomers(zone);
    // 2026-03-08 is a 23-hour day in New York (clocks go forward at 02:00)
    const times = [
      "2026-03-08T04:59:59.999Z", // 23:59:59.999 on the 7th
      "2026-03-08T05:00:00.000Z", // midnight, the 8th
      "2026-03-09T03:59:59.999Z", // 23:59:59.999 on the 8th (EDT)
      "2026-03-09T04:00:00.000Z", // midnight, the 9th
      "2026-03-08T12:00:00.000Z", // back to the 8th
      "2026-11-01T12:00:00.000Z", // a 25-hour day
      "2026-11-02T04:59:59.999Z", // its last moment (EST)
    ];
    for (const t of times) expect(active.dayOf(Date.parse(t))).toBe(day(t));
  });

  it("knows a customer only on the day they were marked active", () => {
    const active = new ActiveCustomers(zone);
    active.add([{ day: day("2026-03-08T15:00:00.000Z"), customer_id: "c1" }]);
    expect(active.knows("c1", "2026-03-08T05:00:00.000Z")).toBe(true);
    expect(active.knows("c1", "2026-03-09T03:59:59.999Z")).toBe(true);
    expect(active.knows("c1", "2026-03-09T04:00:00.000Z")).toBe(false);
    expect(active.knows("c1", "2026-03-08T04:59:59.999Z")).toBe(false);
    expect(active.knows("c2", "2026-03-08T15:00:00.000Z")).toBe(false);
    expect(active.knows("c1", undefined)).toBe(false);
    expect(active.knows("c1", "not a time")).toBe(false);
  });
});

import { describe, expect, it } from "vitest";
import { isTimeZone, quietUntil } from "./quiet-hours.js";

const night = { start: "22:00", end: "07:00" };
const iso = (d: Date | undefined) => d?.toISOString();

describe("quiet hours in the user's time zone (fixed clock)", () => {
  it("holds a delivery inside the window until its end, local time", () => {
    // 23:30 in Berlin (CET, UTC+1) → 07:00 Berlin = 06:00 UTC next day
    expect(iso(quietUntil(new Date("2026-01-14T22:30:00Z"), night, "Europe/Berlin"))).toBe(
      "2026-01-15T06:00:00.000Z",
    );
    // 03:00 in Berlin (after midnight) → 07:00 the same day
    expect(iso(quietUntil(new Date("2026-01-15T02:00:00Z"), night, "Europe/Berlin"))).toBe(
      "2026-01-15T06:00:00.000Z",
    );
  });

  it("lets a delivery outside the window go at once", () => {
    expect(quietUntil(new Date("2026-01-15T12:00:00Z"), night, "Europe/Berlin")).toBeUndefined();
    // 07:00 sharp is the end: no longer quiet
    expect(quietUntil(new Date("2026-01-15T06:00:00Z"), night, "Europe/Berlin")).toBeUndefined();
  });

  it("reads the same instant differently in other zones", () => {
    const at = new Date("2026-01-15T04:00:00Z"); // 05:00 Berlin, 23:00 New York, 13:00 Tokyo
    expect(iso(quietUntil(at, night, "Europe/Berlin"))).toBe("2026-01-15T06:00:00.000Z");
    expect(iso(quietUntil(at, night, "America/New_York"))).toBe("2026-01-15T12:00:00.000Z");
    expect(quietUntil(at, night, "Asia/Tokyo")).toBeUndefined();
  });

  it("ends at 07:00 local across the spring-forward night (Berlin, 29 March 2026)", () => {
    // 23:00 CET on the 28th = 22:00 UTC; clocks jump 02:00→03:00; 07:00 CEST = 05:00 UTC
    expect(iso(quietUntil(new Date("2026-03-28T22:00:00Z"), night, "Europe/Berlin"))).toBe(
      "2026-03-29T05:00:00.000Z",
    );
  });

  it("ends at 07:00 local across the fall-back night (New York, 1 November 2026)", () => {
    // 23:00 EDT on Oct 31 = 03:00 UTC Nov 1; 07:00 EST = 12:00 UTC
    expect(iso(quietUntil(new Date("2026-11-01T03:00:00Z"), night, "America/New_York"))).toBe(
      "2026-11-01T12:00:00.000Z",
    );
  });

  it("moves an end inside the spring-forward gap to the first valid instant", () => {
    // window 01:00–02:30 in New York on 8 March 2026: 02:30 does not exist (02:00→03:00)
    const at = new Date("2026-03-08T06:30:00Z"); // 01:30 EST
    const until = quietUntil(at, { start: "01:00", end: "02:30" }, "America/New_York");
    expect(until!.getTime()).toBeGreaterThan(at.getTime());
    expect(until!.getTime() - at.getTime()).toBeLessThanOrEqual(2 * 3600_000);
  });

  it("a window within one day (13:00–14:00) and an empty one", () => {
    expect(
      iso(quietUntil(new Date("2026-06-01T13:15:00Z"), { start: "13:00", end: "14:00" })),
    ).toBe("2026-06-01T14:00:00.000Z");
    expect(
      quietUntil(new Date("2026-06-01T13:15:00Z"), { start: "13:00", end: "13:00" }),
    ).toBeUndefined();
    expect(isTimeZone("Europe/Berlin")).toBe(true);
    expect(isTimeZone("Mars/Olympus")).toBe(false);
  });
});

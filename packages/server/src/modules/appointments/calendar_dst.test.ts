import { describe, expect, it } from "vitest";
import {
  claimable,
  claimRange,
  datesBetween,
  dayIn,
  isoUtc,
  sessionOf,
  slotStarts,
  windowsOn,
} from "./calendar.js";

const none = new Map();
const hour = 60 * 60_000;
const shape = (minutes: number, step = minutes) => ({
  durationMs: minutes * 60_000,
  bufferBeforeMs: 0,
  bufferAfterMs: 0,
  stepMs: step * 60_000,
});
const startsIso = (date: string, zone: string, hours: [string, string][], minutes = 60) =>
  slotStarts(
    windowsOn(date, zone, { sat: hours, sun: hours, mon: hours }, none),
    shape(minutes),
  ).map(isoUtc);

describe("working hours across DST changes", () => {
  it("keeps 09:00 local in Berlin on both sides of the spring change (UTC moves by an hour)", () => {
    // 2027-03-28 (Sunday): clocks go 02:00 CET → 03:00 CEST
    expect(startsIso("2027-03-27", "Europe/Berlin", [["09:00", "11:00"]])).toEqual([
      "2027-03-27T08:00:00.000Z",
      "2027-03-27T09:00:00.000Z",
    ]);
    expect(startsIso("2027-03-28", "Europe/Berlin", [["09:00", "11:00"]])).toEqual([
      "2027-03-28T07:00:00.000Z",
      "2027-03-28T08:00:00.000Z",
    ]);
  });

  it("a window that spans the missing hour is an hour shorter", () => {
    // 01:00–05:00 local on the change day is 3 real hours: 00:00Z–03:00Z
    expect(startsIso("2027-03-28", "Europe/Berlin", [["01:00", "05:00"]])).toEqual([
      "2027-03-28T00:00:00.000Z",
      "2027-03-28T01:00:00.000Z",
      "2027-03-28T02:00:00.000Z",
    ]);
  });

  it("a window that spans the repeated hour in autumn is an hour longer", () => {
    // 2027-10-31: 03:00 CEST → 02:00 CET; 01:00–04:00 local is 4 real hours
    expect(startsIso("2027-10-31", "Europe/Berlin", [["01:00", "04:00"]])).toHaveLength(4);
  });

  it("New York changes on its own date (second Sunday of March)", () => {
    expect(startsIso("2027-03-13", "America/New_York", [["09:00", "10:00"]])).toEqual([
      "2027-03-13T14:00:00.000Z",
    ]);
    expect(startsIso("2027-03-14", "America/New_York", [["09:00", "10:00"]])).toEqual([
      "2027-03-14T13:00:00.000Z",
    ]);
    // while Berlin has not changed yet that day
    expect(startsIso("2027-03-14", "Europe/Berlin", [["09:00", "10:00"]])).toEqual([
      "2027-03-14T08:00:00.000Z",
    ]);
  });

  it("24:00 ends the day at the next local midnight; days are local", () => {
    const [[, end]] = windowsOn(
      "2027-03-27",
      "Europe/Berlin",
      { sat: [["23:00", "24:00"]] },
      none,
    ) as [[number, number]];
    expect(isoUtc(end)).toBe("2027-03-27T23:00:00.000Z");
    expect(dayIn(Date.parse("2027-03-27T23:30:00Z"), "Europe/Berlin")).toBe("2027-03-28");
    expect(dayIn(Date.parse("2027-03-27T23:30:00Z"), "America/New_York")).toBe("2027-03-27");
  });

  it("an exception replaces the weekday's hours; a missing weekday is a day off", () => {
    const exceptions = new Map([["2027-03-27", [["12:00", "13:00"]] as [string, string][]]]);
    const w = windowsOn("2027-03-27", "UTC", { sat: [["09:00", "17:00"]] }, exceptions);
    expect(w.map(([a, b]) => [isoUtc(a), isoUtc(b)])).toEqual([
      ["2027-03-27T12:00:00.000Z", "2027-03-27T13:00:00.000Z"],
    ]);
    expect(windowsOn("2027-03-29", "UTC", { sat: [["09:00", "17:00"]] }, none)).toEqual([]);
    expect(datesBetween("2027-02-27", "2027-03-01")).toEqual([
      "2027-02-27",
      "2027-02-28",
      "2027-03-01",
    ]);
  });
});

describe("claims", () => {
  it("buffers widen what a booking claims; another sitting cannot share a block", () => {
    const start = Date.parse("2027-01-04T10:00:00Z");
    const range = claimRange(start, {
      durationMs: hour,
      bufferBeforeMs: 10 * 60_000,
      bufferAfterMs: 15 * 60_000,
    });
    expect(range[1] - range[0]).toBe((10 + 60 + 15) / 5);
    const claims = new Map([
      [range[0], { session: sessionOf("cut", start), seats: 1, capacity: 2 }],
    ]);
    expect(claimable(claims, range, sessionOf("cut", start))).toBe(true); // a seat left
    expect(claimable(claims, range, sessionOf("beard", start))).toBe(false);
    claims.set(range[0], { session: sessionOf("cut", start), seats: 2, capacity: 2 });
    expect(claimable(claims, range, sessionOf("cut", start))).toBe(false);
  });
});

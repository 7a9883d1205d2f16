import type { Appointment, Resource } from "@switchboard/server/contracts/appointments";
import { describe, expect, it } from "vitest";
import { openMinutes, shiftWeek, utilization, weekOf } from "./week.js";

const chair: Resource = {
  id: "chair-1",
  name: "Chair 1",
  timeZone: "Europe/Berlin",
  services: ["cut"],
  hours: {
    mon: [
      ["09:00", "12:00"],
      ["13:00", "18:00"],
    ],
    sat: [["10:00", "14:00"]],
  },
  exceptions: [{ date: "2027-01-05", hours: [["09:00", "10:00"]] }],
  updatedAt: "2027-01-01T00:00:00.000Z",
};

const booking = (start: string, minutes: number, status: Appointment["status"]): Appointment => ({
  id: start,
  serviceId: "cut",
  resourceId: "chair-1",
  customerId: "ann",
  status,
  start,
  end: new Date(Date.parse(start) + minutes * 60_000).toISOString(),
  timeZone: "Europe/Berlin",
  day: start.slice(0, 10),
  version: 1,
  createdAt: start,
  updatedAt: start,
});

describe("the staff week view's arithmetic", () => {
  it("a week runs Monday to Sunday, whatever day is picked; weeks step by seven days", () => {
    expect(weekOf("2027-01-07")).toEqual([
      "2027-01-04",
      "2027-01-05",
      "2027-01-06",
      "2027-01-07",
      "2027-01-08",
      "2027-01-09",
      "2027-01-10",
    ]);
    expect(weekOf("2027-01-04")[0]).toBe("2027-01-04");
    expect(weekOf("2027-01-10")[0]).toBe("2027-01-04");
    expect(weekOf("2027-03-28")).toHaveLength(7); // the DST Sunday in Europe
    expect(shiftWeek("2027-01-04", 1)).toBe("2027-01-11");
    expect(shiftWeek("2027-01-04", -1)).toBe("2026-12-28");
  });

  it("open minutes follow the weekday's hours, an exception, or a day off", () => {
    expect(openMinutes(chair, "2027-01-04")).toBe(8 * 60); // Monday, break excluded
    expect(openMinutes(chair, "2027-01-05")).toBe(60); // exception
    expect(openMinutes(chair, "2027-01-06")).toBe(0); // Wednesday: off
    expect(openMinutes(chair, "2027-01-09")).toBe(4 * 60); // Saturday
  });

  it("utilization counts held, confirmed, checked-in and no-show time, not cancelled or released", () => {
    const items = [
      booking("2027-01-04T09:00:00.000Z", 60, "confirmed"),
      booking("2027-01-04T11:00:00.000Z", 60, "held"),
      booking("2027-01-04T14:00:00.000Z", 120, "cancelled"),
      booking("2027-01-04T15:00:00.000Z", 30, "released"),
    ];
    expect(utilization(chair, "2027-01-04", items)).toBe(25); // 120 of 480
    expect(utilization(chair, "2027-01-06", items)).toBeNull();
    expect(
      utilization(chair, "2027-01-05", [booking("2027-01-05T08:00:00.000Z", 90, "no_show")]),
    ).toBe(100);
    expect(
      utilization(chair, "2027-01-05", [booking("2027-01-05T08:00:00.000Z", 30, "checked_in")]),
    ).toBe(50);
  });
});

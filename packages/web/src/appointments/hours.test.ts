import { describe, expect, it } from "vitest";
import { formatHours, parseHours, parseWeek } from "./hours.js";

describe("hours as staff type them", () => {
  it("parses intervals, pads hours, and reads an empty day as closed", () => {
    expect(parseHours("9:00-12:00, 13:00 - 18:00")).toEqual({
      hours: [
        ["09:00", "12:00"],
        ["13:00", "18:00"],
      ],
    });
    expect(parseHours("  ")).toEqual({ hours: [] });
    expect(formatHours([["09:00", "12:00"]])).toBe("09:00-12:00");
    expect(formatHours(undefined)).toBe("");
  });

  it("says what is wrong instead of guessing", () => {
    expect(parseHours("nine to five")).toEqual({ error: '"nine to five" is not like 09:00-12:00' });
    expect(parseHours("09:00-12:00,")).toMatchObject({ error: expect.any(String) });
    const week = parseWeek({
      mon: "09:00-17:00",
      tue: "",
      wed: "oops",
      thu: "",
      fri: "",
      sat: "",
      sun: "",
    });
    expect(week).toEqual({ error: 'Wednesday: "oops" is not like 09:00-12:00' });
    expect(
      parseWeek({ mon: "09:00-17:00", tue: "", wed: "", thu: "", fri: "", sat: "", sun: "" }),
    ).toEqual({ hours: { mon: [["09:00", "17:00"]] } });
  });
});

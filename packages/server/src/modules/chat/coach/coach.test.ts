import { describe, expect, it } from "vitest";
import { Bm25Index } from "../bot/bm25.js";
import type { Passage } from "../bot/knowledge.js";
import { createCoach } from "./coach.js";
import type { BusinessFacts } from "./facts.js";

const none: BusinessFacts = {
  day: async (date) => ({
    date,
    bookings: 0,
    noShows: 0,
    cancelled: 0,
    ordersCreated: 0,
    unitsSold: 0,
  }),
  bookingsByHour: async () => Array.from({ length: 24 }, () => 0),
  prices: async () => [],
  ratings: async () => ({ count: 0 }),
  revenue: async () => [],
};
const playbook = new Bm25Index<Passage>([], (p) => p.text);
const textOf = async (tokens: AsyncIterable<string>) => {
  let text = "";
  for await (const t of tokens) text += t;
  return text;
};
const asOf = new Date("2026-11-30T12:00:00Z");

describe("the built-in coach", () => {
  it("quotes revenue from the metrics overview when there is some, as a source", async () => {
    const coach = createCoach({
      facts: {
        ...none,
        revenue: async () => [
          {
            currency: "USD",
            value: 123_450,
            previous: 100_000,
            from: "2026-11-24",
            to: "2026-11-30",
          },
        ],
      },
      playbook,
    });
    const a = await coach.answer("What was our revenue?", [], { asOf });
    const text = await textOf(a.tokens);
    expect(text).toContain("Revenue from 2026-11-24 to 2026-11-30: $1,234.50, against $1,000.00");
    expect(a.sources).toEqual([
      expect.objectContaining({ kind: "figure", file: "metrics", value: "$1,234.50" }),
    ]);
    expect(a.cannotAnswer).toEqual([]);
    expect(a.model).toBe("builtin");
  });

  it("says when its figures are all empty, with a lower confidence, and never fills the gap", async () => {
    const coach = createCoach({ facts: none, playbook });
    const a = await coach.answer("How did Saturday compare with last week?", [], { asOf });
    expect(a.confidence).toBeLessThan(0.5);
    const text = await textOf(a.tokens);
    expect(text).toContain("Saturday 2026-11-28 compared with Saturday 2026-11-21");
    expect(text).toContain("bookings: 0 vs 0 (the same)");
    const hours = await coach.answer("Which hours are quiet?", [], { asOf });
    expect(await textOf(hours.tokens)).toContain("so I cannot tell quiet hours from busy ones");
  });
});

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

describe("the coach beyond English", () => {
  // a day with figures: Saturdays had 4 bookings, every other day 1
  const some: BusinessFacts = {
    ...none,
    day: async (date) => ({
      date,
      bookings: new Date(`${date}T00:00:00Z`).getUTCDay() === 6 ? 4 : 1,
      noShows: 0,
      cancelled: 0,
      ordersCreated: 0,
      unitsSold: 0,
    }),
  };
  const titles = (a: { sources: unknown[] }) =>
    (a.sources as { title: string }[]).map((s) => s.title);

  it("reads day names and today/yesterday in other languages", async () => {
    const coach = createCoach({ facts: some, playbook });
    for (const [question, day] of [
      ["Wie war Samstag im Vergleich zur Vorwoche?", "Saturday 2026-11-28"],
      ["Comment était samedi ?", "Saturday 2026-11-28"],
      ["¿Qué tal el sábado?", "Saturday 2026-11-28"],
      ["Com'è andato sabato?", "Saturday 2026-11-28"],
      ["Hoe was zaterdag?", "Saturday 2026-11-28"],
      ["¿Cómo fue ayer?", "Sunday 2026-11-29"],
      ["Comment c'était hier ?", "Sunday 2026-11-29"],
      ["Wie läuft es hier am Freitag?", "Friday 2026-11-27"], // German "hier" is "here"
      ["Und heute?", "Monday 2026-11-30"],
    ] as const) {
      const a = await coach.answer(question, [], { asOf });
      expect(titles(a), question).toContain(`bookings on ${day}`);
      expect(a.confidence, question).toBeGreaterThan(0.8);
    }
    const hours = await coach.answer("Welche Stunden sollte ich rabattieren?", [], { asOf });
    expect(await textOf(hours.tokens)).toContain("cannot tell quiet hours from busy ones");
  });

  it("answers a question it cannot read with a grounded overview and a lower confidence", async () => {
    const coach = createCoach({ facts: some, playbook });
    for (const question of [
      "先週と比べてどうでしたか？",
      "Как дела у бизнеса?",
      "¿Qué tal va todo?",
    ]) {
      const a = await coach.answer(question, [], { asOf });
      const text = await textOf(a.tokens);
      expect(text, question).toContain("Here is an overview instead");
      expect(text).toContain("Sunday 2026-11-29 compared with Sunday 2026-11-22");
      expect(titles(a)).toContain("bookings on Sunday 2026-11-29");
      expect(a.confidence).toBeGreaterThan(0);
      expect(a.confidence).toBeLessThan(0.5);
      expect(a.cannotAnswer).toEqual(["this question"]);
    }
    // English it cannot answer stays a plain "no figures", with no number
    const english = await coach.answer("Is the weather nice for a picnic?", [], { asOf });
    expect(await textOf(english.tokens)).not.toMatch(/\d/);
    expect(english.confidence).toBe(0);
  });

  it("takes today in the business's time zone", async () => {
    const coach = createCoach({ facts: some, playbook, timeZone: "Pacific/Auckland" });
    // 12:00 UTC on Monday the 30th is 01:00 on Tuesday 1 December in Auckland
    const a = await coach.answer("How was today?", [], { asOf });
    expect(titles(a)).toContain("bookings on Tuesday 2026-12-01");
    const b = await coach.answer("How was Monday?", [], { asOf });
    expect(titles(b)).toContain("bookings on Monday 2026-11-30");
  });
});

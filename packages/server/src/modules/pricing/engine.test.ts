import { describe, expect, it } from "vitest";
import { type Rule, ruleInputSchema } from "./contract.js";
import { evaluate, limitStep, type PriceEntry, type SignalSnapshot } from "./engine.js";
import { formatMoney, minorDigits, shareOf } from "./money.js";
import { trendOf, windowFrom } from "./prices.js";

let n = 0;
function rule(input: Record<string, unknown>): Rule {
  const parsed = ruleInputSchema.parse({ name: `r${n}`, ...input });
  n++;
  return {
    ...parsed,
    id: `rule-${String(n).padStart(3, "0")}`,
    uses: 0,
    version: 1,
    createdAt: "",
    updatedAt: "",
  };
}
const entry: PriceEntry = { sku: "SCREEN", currency: "EUR", base: 10_000 };
const noSignals: SignalSnapshot = { global: new Map(), perSku: new Map() };
const opts = (at: string, more: Record<string, unknown> = {}) => ({
  at: new Date(at),
  timeZone: "Europe/Oslo",
  maxMarkupBps: 5000,
  maxDiscountBps: 5000,
  ...more,
});
const peak = rule({
  name: "Peak hours",
  when: [
    { kind: "time", from: "09:00", to: "12:00" },
    { kind: "time", from: "09:00", to: "12:00" },
  ],
  adjust: { percent: 20 },
});

describe("money without floats", () => {
  it("rounds a share half away from zero to a whole minor unit", () => {
    expect(shareOf(1999, 1000)).toBe(200); // 199.9
    expect(shareOf(5, 5000)).toBe(3); // 2.5 → 3
    expect(shareOf(-5, 5000)).toBe(-3);
    expect(shareOf(1, 1)).toBe(0);
    // 0.1 + 0.2 style drift cannot happen: 19.99 × 3 × 17.5 % is exact in BigInt
    expect(shareOf(5997, 1750)).toBe(1049); // 1049.475
    expect(shareOf(999_999_999, 99_999)).toBe(9_999_899_990);
  });
  it("knows each currency's minor unit and prints from the digits", () => {
    expect(minorDigits("EUR")).toBe(2);
    expect(minorDigits("JPY")).toBe(0);
    expect(minorDigits("KWD")).toBe(3);
    expect(formatMoney(1999, "EUR")).toBe("19.99 EUR");
    expect(formatMoney(5, "EUR")).toBe("0.05 EUR");
    expect(formatMoney(-250, "EUR")).toBe("-2.50 EUR");
    expect(formatMoney(1999, "JPY")).toBe("1999 JPY");
    expect(formatMoney(1234, "KWD")).toBe("1.234 KWD");
  });
});

describe("rule evaluation", () => {
  it("applies the seed's +20 % in the morning peak, in the business's time zone, and explains it", () => {
    // 10:30 in Oslo (CET, UTC+1) on a Monday
    const inPeak = evaluate(entry, [peak], noSignals, opts("2026-12-07T09:30:00Z"));
    expect(inPeak.final).toBe(12_000);
    expect(inPeak.factors).toEqual([
      {
        rule: peak.id,
        name: "Peak hours",
        effect: 2000,
        reason: "+20% (09:00–12:00 Europe/Oslo, 09:00–12:00 Europe/Oslo)",
      },
    ]);
    // 12:30 Oslo: outside
    expect(evaluate(entry, [peak], noSignals, opts("2026-12-07T11:30:00Z")).final).toBe(10_000);
  });

  it("follows daylight saving time: 09:00 local is 07:00 UTC in summer, 08:00 in winter", () => {
    const summer = evaluate(entry, [peak], noSignals, opts("2026-07-06T07:05:00Z"));
    const winter = evaluate(entry, [peak], noSignals, opts("2026-12-07T07:05:00Z"));
    expect(summer.final).toBe(12_000);
    expect(winter.final).toBe(10_000);
    // the morning after the spring change (29 March 2026): 08:59 local = 06:59 UTC is outside
    expect(evaluate(entry, [peak], noSignals, opts("2026-03-30T06:59:00Z")).final).toBe(10_000);
    expect(evaluate(entry, [peak], noSignals, opts("2026-03-30T07:00:00Z")).final).toBe(12_000);
  });

  it("keeps weekdays and windows past midnight on the day they started", () => {
    const night = rule({
      when: [{ kind: "time", days: ["fri"], from: "22:00", to: "02:00" }],
      adjust: { percent: -10 },
    });
    // Friday 23:00 Oslo and Saturday 01:00 Oslo: both in Friday's window
    expect(evaluate(entry, [night], noSignals, opts("2026-12-04T22:00:00Z")).final).toBe(9000);
    expect(evaluate(entry, [night], noSignals, opts("2026-12-05T00:00:00Z")).final).toBe(9000);
    // Saturday 23:00: not Friday
    expect(evaluate(entry, [night], noSignals, opts("2026-12-05T22:00:00Z")).final).toBe(10_000);
  });

  it("reads date ranges, stock levels, signals (the item's over the global) and promotion codes", () => {
    const xmas = rule({
      when: [{ kind: "dates", from: "2026-12-20", to: "2026-12-24" }],
      adjust: { percent: -5 },
    });
    const scarce = rule({ when: [{ kind: "stock", below: 3 }], adjust: { percent: 15 } });
    const busy = rule({
      when: [{ kind: "signal", name: "demand", atLeast: 3 }],
      adjust: { amount: 500, currency: "EUR" },
    });
    const promo = rule({ when: [{ kind: "code", code: "SPRING10" }], adjust: { percent: -10 } });
    const signals: SignalSnapshot = {
      global: new Map([["demand", 1]]),
      perSku: new Map([
        [
          "SCREEN",
          new Map([
            ["stock", 2],
            ["demand", 4],
          ]),
        ],
      ]),
    };
    const all = [xmas, scarce, busy, promo];
    const e = evaluate(entry, all, signals, opts("2026-12-24T22:59:00Z", { code: "spring10" }));
    expect(e.factors.map((f) => [f.rule, f.effect])).toEqual([
      [xmas.id, -500],
      [scarce.id, 1500],
      [busy.id, 500],
      [promo.id, -1000],
    ]);
    expect(e.factors[1]?.reason).toBe("+15% (stock 2 < 3)");
    expect(e.factors[2]?.reason).toBe("+5.00 EUR (demand 4 ≥ 3)");
    expect(e.final).toBe(10_500);
    // Christmas Day in Oslo, no code, global demand only, unknown stock
    const other = evaluate({ ...entry, sku: "OTHER" }, all, signals, opts("2026-12-24T23:00:00Z"));
    expect(other.factors).toEqual([]);
    // an amount rule in another currency does not apply
    expect(
      evaluate({ ...entry, currency: "SEK" }, [busy], signals, opts("2026-12-01T12:00:00Z")).final,
    ).toBe(10_000);
  });

  it("stacks stackable rules; an exclusive rule wins alone: most specific, then priority, then lowest price", () => {
    const a = rule({ adjust: { percent: 10 } });
    const b = rule({ adjust: { percent: 5 } });
    expect(evaluate(entry, [a, b], noSignals, opts("2026-12-01T12:00:00Z")).final).toBe(11_500);
    const globalDeal = rule({ stackable: false, priority: 9, adjust: { percent: -30 } });
    const skuDeal = rule({ stackable: false, skus: ["SCREEN"], adjust: { percent: -10 } });
    const e = evaluate(entry, [a, b, globalDeal, skuDeal], noSignals, opts("2026-12-01T12:00:00Z"));
    expect(e.factors.map((f) => f.rule)).toEqual([skuDeal.id]);
    expect(e.final).toBe(9000);
    const cheap = rule({ stackable: false, priority: 9, adjust: { percent: -40 } });
    // same specificity and priority: the lowest price wins; the caps (−50 %) are not reached
    expect(
      evaluate(entry, [globalDeal, cheap], noSignals, opts("2026-12-01T12:00:00Z")).final,
    ).toBe(6000);
    // the same inputs in another order: the same answer
    expect(evaluate(entry, [cheap, globalDeal], noSignals, opts("2026-12-01T12:00:00Z"))).toEqual(
      evaluate(entry, [globalDeal, cheap], noSignals, opts("2026-12-01T12:00:00Z")),
    );
  });

  it("caps markups and discounts relative to base, and keeps the entry's floor and ceiling", () => {
    const surge = rule({ adjust: { percent: 300 } });
    const up = evaluate(entry, [surge], noSignals, opts("2026-12-01T12:00:00Z"));
    expect(up.final).toBe(15_000);
    expect(up.factors.at(-1)).toEqual({
      rule: "ceiling",
      name: "Ceiling",
      effect: -25_000,
      reason: "never above 150.00 EUR",
    });
    const sale = rule({ adjust: { percent: -45 } });
    const floored = evaluate(
      { ...entry, floor: 8000 },
      [sale],
      noSignals,
      opts("2026-12-01T12:00:00Z"),
    );
    expect(floored.final).toBe(8000);
    expect(floored.factors.at(-1)?.rule).toBe("floor");
    expect(
      evaluate(
        { ...entry, ceiling: 10_500 },
        [rule({ adjust: { percent: 20 } })],
        noSignals,
        opts("2026-12-01T12:00:00Z"),
      ).final,
    ).toBe(10_500);
  });

  it("limits one automatic change to the max step and says so", () => {
    const stepped = limitStep({ final: 15_000, factors: [] }, 10_000, 1000, "EUR");
    expect(stepped.final).toBe(11_000);
    expect(stepped.factors[0]).toMatchObject({ rule: "max_change", effect: -4000 });
    expect(limitStep({ final: 10_500, factors: [] }, 10_000, 1000, "EUR").final).toBe(10_500);
  });
});

describe("rules as data", () => {
  it("refuses bad rules with the path of the problem", () => {
    const bad = [
      { name: "x", adjust: { percent: 10.123 } },
      { name: "x", adjust: { amount: 1.5, currency: "EUR" } },
      { name: "x", adjust: { amount: 100, currency: "XXY" } },
      { name: "x", adjust: { percent: 10 }, when: [{ kind: "time", from: "25:00", to: "12:00" }] },
      { name: "x", adjust: { percent: 10 }, when: [{ kind: "stock" }] },
      {
        name: "x",
        adjust: { percent: 10 },
        when: [{ kind: "dates", from: "2026-12-10", to: "2026-12-01" }],
      },
      { name: "x", adjust: { percent: 10 }, when: [{ kind: "weather" }] },
      { name: "x", adjust: { percent: 10, amount: 5 } },
      { name: "", adjust: { percent: 10 } },
    ];
    for (const b of bad)
      expect(ruleInputSchema.safeParse(b).success, JSON.stringify(b)).toBe(false);
  });
});

describe("trend", () => {
  it("weights each price by how long it held", () => {
    const t0 = Date.parse("2026-12-01T00:00:00Z");
    const points = [
      { at: new Date(t0).toISOString(), amount: 1000 },
      { at: new Date(t0 + 3 * 3600_000).toISOString(), amount: 2000 },
    ];
    expect(trendOf(points, 2000, t0 + 4 * 3600_000)).toEqual({
      lowest30Days: 1000,
      highest30Days: 2000,
      average30Days: 1250,
    });
  });

  it("a shorter window starts with the price in force when it opened", () => {
    const day = 86_400_000;
    const now = Date.parse("2026-12-31T00:00:00Z");
    const points = [
      { at: new Date(now - 20 * day).toISOString(), amount: 1000 },
      { at: new Date(now - 10 * day).toISOString(), amount: 4000 },
      { at: new Date(now - 4 * day).toISOString(), amount: 2000 },
    ];
    const week = windowFrom(points, now - 7 * day);
    expect(week).toEqual([
      { at: new Date(now - 7 * day).toISOString(), amount: 4000 },
      { at: new Date(now - 4 * day).toISOString(), amount: 2000 },
    ]);
    // 3 days at 4000, 4 at 2000: (12000 + 8000) / 7 = 2857.14…
    expect(trendOf(week, 2000, now).average30Days).toBe(2857);
    expect(trendOf(points, 2000, now).average30Days).toBe(
      Math.round((10 * 1000 + 6 * 4000 + 4 * 2000) / 20),
    );
  });
});

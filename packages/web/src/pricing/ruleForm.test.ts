import type { Rule } from "@switchboard/server/contracts/pricing";
import { describe, expect, it } from "vitest";
import { EMPTY_RULE_FORM, formFromRule, type RuleFormState, ruleFromForm } from "./ruleForm.js";

const form = (f: Partial<RuleFormState>): RuleFormState => ({ ...EMPTY_RULE_FORM, ...f });

describe("the staff rule form builds the rule body", () => {
  it("builds each common shape", () => {
    expect(ruleFromForm(form({ name: "Peak", adjust: "20" }))).toEqual({
      rule: {
        name: "Peak",
        when: [
          { kind: "time", days: ["mon", "tue", "wed", "thu", "fri"], from: "09:00", to: "12:00" },
        ],
        adjust: { percent: 20 },
      },
    });
    const allWeek = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    expect(
      ruleFromForm(
        form({ name: "Night", days: allWeek, from: "22:00", to: "06:00", adjust: "-5" }),
      ),
    ).toEqual({
      rule: {
        name: "Night",
        when: [{ kind: "time", from: "22:00", to: "06:00" }],
        adjust: { percent: -5 },
      },
    });
    expect(
      ruleFromForm(
        form({
          name: "Xmas",
          kind: "dates",
          dateFrom: "2026-12-20",
          dateTo: "2026-12-26",
          adjust: "-12.5",
        }),
      ),
    ).toMatchObject({
      rule: {
        when: [{ kind: "dates", from: "2026-12-20", to: "2026-12-26" }],
        adjust: { percent: -12.5 },
      },
    });
    expect(
      ruleFromForm(
        form({
          name: "Busy",
          kind: "signal",
          signal: "bookings_next_hours",
          atLeast: "5",
          adjust: "10",
        }),
      ),
    ).toMatchObject({
      rule: { when: [{ kind: "signal", name: "bookings_next_hours", atLeast: 5 }] },
    });
    expect(
      ruleFromForm(form({ name: "Last ones", kind: "stock", below: "3", adjust: "2" })),
    ).toMatchObject({
      rule: { when: [{ kind: "stock", below: 3 }] },
    });
    expect(
      ruleFromForm(
        form({
          name: "Promo",
          kind: "code",
          code: "SPRING",
          maxUses: "5",
          adjustBy: "amount",
          adjust: "-2.50",
          currency: "EUR",
        }),
      ),
    ).toEqual({
      rule: {
        name: "Promo",
        when: [{ kind: "code", code: "SPRING" }],
        adjust: { amount: -250, currency: "EUR" },
        maxUses: 5,
      },
    });
    expect(
      ruleFromForm(
        form({
          name: "VIP",
          kind: "always",
          adjust: "-3",
          skus: "A-1, B-2",
          priority: "7",
          exclusive: true,
        }),
      ),
    ).toEqual({
      rule: {
        name: "VIP",
        when: [],
        adjust: { percent: -3 },
        skus: ["A-1", "B-2"],
        priority: 7,
        stackable: false,
      },
    });
    // yen has no minor digits
    expect(
      ruleFromForm(
        form({ name: "Yen", kind: "always", adjustBy: "amount", adjust: "500", currency: "JPY" }),
      ),
    ).toMatchObject({
      rule: { adjust: { amount: 500, currency: "JPY" } },
    });
  });

  it("says what is wrong instead of building a bad rule", () => {
    for (const [f, problem] of [
      [{ name: " " }, /name/],
      [{ name: "x", days: [] }, /day/],
      [{ name: "x", from: "10:00", to: "10:00", adjust: "1" }, /hours/],
      [
        { name: "x", kind: "dates", dateFrom: "2026-12-26", dateTo: "2026-12-20", adjust: "1" },
        /after/,
      ],
      [{ name: "x", kind: "signal", adjust: "1" }, /at least/i],
      [{ name: "x", kind: "stock", below: "2.5", adjust: "1" }, /whole/],
      [{ name: "x", kind: "code", code: "no spaces", adjust: "1" }, /code/i],
      [{ name: "x", kind: "code", code: "OK", maxUses: "0", adjust: "1" }, /above 0/],
      [{ name: "x", kind: "always", adjust: "" }, /percent/],
      [{ name: "x", kind: "always", adjust: "0" }, /percent/],
      [
        { name: "x", kind: "always", adjustBy: "amount", adjust: "1.234", currency: "EUR" },
        /amount/,
      ],
      [{ name: "x", kind: "always", adjust: "1", priority: "high" }, /Priority/],
      [
        {
          name: "x",
          kind: "signal",
          signal: "bookings_next_hours",
          bookingsOf: "service",
          bookingsId: "",
          atLeast: "1",
          adjust: "1",
        },
        /service's id/,
      ],
    ] as [Partial<RuleFormState>, RegExp][]) {
      const r = ruleFromForm(form(f));
      expect("error" in r && r.error, JSON.stringify(f)).toMatch(problem);
    }
  });

  it("builds a bookings condition of one service or resource", () => {
    expect(
      ruleFromForm(
        form({
          name: "Chair busy",
          kind: "signal",
          signal: "bookings_next_hours",
          bookingsOf: "resource",
          bookingsId: "chair-2",
          atLeast: "3",
          adjust: "10",
        }),
      ),
    ).toMatchObject({
      rule: {
        when: [{ kind: "signal", name: "bookings_next_hours", resource: "chair-2", atLeast: 3 }],
      },
    });
    // another signal has no scope, whatever the hidden fields hold
    expect(
      ruleFromForm(
        form({
          name: "Demand",
          kind: "signal",
          signal: "demand",
          bookingsOf: "service",
          bookingsId: "cut",
          atLeast: "3",
          adjust: "10",
        }),
      ),
    ).toMatchObject({ rule: { when: [{ kind: "signal", name: "demand", atLeast: 3 }] } });
  });
});

describe("a saved rule opens in the form to edit it", () => {
  const saved = (r: Partial<Rule>): Rule => ({
    id: "01RULE",
    name: "Saved",
    enabled: true,
    when: [],
    adjust: { percent: 5 },
    priority: 0,
    stackable: true,
    uses: 0,
    version: 3,
    createdAt: "2026-12-05T00:00:00.000Z",
    updatedAt: "2026-12-05T00:00:00.000Z",
    ...r,
  });

  it("fills the form so that saving unchanged gives the same rule back", () => {
    const rules: Partial<Rule>[] = [
      { when: [{ kind: "time", days: ["mon", "fri"], from: "09:00", to: "12:00" }] },
      { when: [{ kind: "time", from: "22:00", to: "06:00" }], adjust: { percent: -12.5 } },
      { when: [{ kind: "dates", from: "2026-12-20", to: "2026-12-24" }], priority: 4 },
      { when: [{ kind: "stock", below: 3 }], skus: ["A-1", "B-2"], stackable: false },
      {
        when: [{ kind: "signal", name: "bookings_next_hours", service: "beard", atLeast: 2 }],
      },
      { when: [{ kind: "signal", name: "demand", atLeast: 1, below: 9 }] },
      {
        when: [{ kind: "code", code: "SPRING" }],
        adjust: { amount: -250, currency: "EUR" },
        maxUses: 5,
      },
      { adjust: { amount: 500, currency: "JPY" } },
    ];
    for (const r of rules) {
      const rule = saved(r);
      const f = formFromRule(rule);
      expect(f, JSON.stringify(r)).toBeDefined();
      const built = ruleFromForm(f as RuleFormState);
      expect("rule" in built && built.rule, JSON.stringify(r)).toEqual({
        name: rule.name,
        when: rule.when,
        adjust: rule.adjust,
        ...(rule.skus && { skus: rule.skus }),
        ...(rule.priority !== 0 && { priority: rule.priority }),
        ...(!rule.stackable && { stackable: false }),
        ...(rule.maxUses !== undefined && { maxUses: rule.maxUses }),
      });
    }
  });

  it("leaves a rule with several conditions to the JSON editor", () => {
    expect(
      formFromRule(
        saved({
          when: [
            { kind: "time", from: "09:00", to: "12:00" },
            { kind: "stock", below: 3 },
          ],
        }),
      ),
    ).toBeUndefined();
  });
});

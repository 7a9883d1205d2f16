import type { Rule } from "@switchboard/server/contracts/pricing";
import { decimalText, parseAmount } from "./money.js";

/** The common rule shapes the staff form builds (anything else: the JSON editor). */
export type ConditionKind = "always" | "time" | "dates" | "signal" | "stock" | "code";
export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export const KNOWN_SIGNALS = [
  "demand",
  "bookings_next_hours",
  "chat_queue",
  "staff_online",
  "viewers",
] as const;

export interface RuleFormState {
  name: string;
  kind: ConditionKind;
  days: string[];
  from: string;
  to: string;
  dateFrom: string;
  dateTo: string;
  signal: string;
  /** Bookings of every service and resource, or of one (`bookings_next_hours` only). */
  bookingsOf: "all" | "service" | "resource";
  bookingsId: string;
  atLeast: string;
  below: string;
  code: string;
  maxUses: string;
  adjustBy: "percent" | "amount";
  adjust: string;
  currency: string;
  skus: string;
  priority: string;
  exclusive: boolean;
}

export const EMPTY_RULE_FORM: RuleFormState = {
  name: "",
  kind: "time",
  days: ["mon", "tue", "wed", "thu", "fri"],
  from: "09:00",
  to: "12:00",
  dateFrom: "",
  dateTo: "",
  signal: "demand",
  bookingsOf: "all",
  bookingsId: "",
  atLeast: "",
  below: "",
  code: "",
  maxUses: "",
  adjustBy: "percent",
  adjust: "",
  currency: "EUR",
  skus: "",
  priority: "0",
  exclusive: false,
};

/** The signal that can count one service's or resource's bookings. */
export const BOOKINGS = "bookings_next_hours";

const int = (text: string): number | undefined =>
  /^\s*-?\d{1,10}\s*$/.test(text) ? Number(text) : undefined;

/**
 * The rule body the form describes, or the first problem in words (the server checks it all
 * again and answers bad input with the path of the problem).
 */
export function ruleFromForm(
  f: RuleFormState,
): { rule: Record<string, unknown> } | { error: string } {
  if (!f.name.trim()) return { error: "Give the rule a name" };
  const when: Record<string, unknown>[] = [];
  let maxUses: number | undefined;
  switch (f.kind) {
    case "always":
      break;
    case "time":
      if (f.days.length === 0) return { error: "Pick at least one day" };
      if (!f.from || !f.to || f.from === f.to)
        return { error: "Give the hours the window opens and closes" };
      when.push({
        kind: "time",
        ...(f.days.length < 7 && { days: WEEKDAYS.filter((d) => f.days.includes(d)) }),
        from: f.from,
        to: f.to,
      });
      break;
    case "dates":
      if (!f.dateFrom || !f.dateTo) return { error: "Give the first and last day" };
      if (f.dateFrom > f.dateTo) return { error: "The first day is after the last" };
      when.push({ kind: "dates", from: f.dateFrom, to: f.dateTo });
      break;
    case "signal":
    case "stock": {
      const atLeast = f.atLeast.trim() ? int(f.atLeast) : undefined;
      const below = f.below.trim() ? int(f.below) : undefined;
      if ((f.atLeast.trim() && atLeast === undefined) || (f.below.trim() && below === undefined))
        return { error: "Thresholds are whole numbers" };
      if (atLeast === undefined && below === undefined)
        return { error: "Give “at least”, “below” or both" };
      const scoped = f.kind === "signal" && f.signal.trim() === BOOKINGS && f.bookingsOf !== "all";
      if (scoped && !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(f.bookingsId.trim()))
        return { error: `Give the ${f.bookingsOf}'s id` };
      when.push({
        kind: f.kind,
        ...(f.kind === "signal" && { name: f.signal.trim() }),
        ...(scoped && { [f.bookingsOf]: f.bookingsId.trim() }),
        ...(atLeast !== undefined && { atLeast }),
        ...(below !== undefined && { below }),
      });
      break;
    }
    case "code":
      if (!/^[A-Za-z0-9_-]{1,40}$/.test(f.code))
        return { error: "A code is letters, digits, - or _" };
      when.push({ kind: "code", code: f.code });
      if (f.maxUses.trim()) {
        maxUses = int(f.maxUses);
        if (maxUses === undefined || maxUses < 1)
          return { error: "Uses are a whole number above 0" };
      }
      break;
  }
  let adjust: Record<string, unknown>;
  if (f.adjustBy === "percent") {
    const percent = Number(f.adjust.replace(",", "."));
    if (!f.adjust.trim() || !Number.isFinite(percent) || percent === 0)
      return { error: "Give the change in percent, such as 20 or -10" };
    adjust = { percent };
  } else {
    const negative = f.adjust.trim().startsWith("-");
    const amount = parseAmount(f.adjust.trim().replace(/^[-+]/, ""), f.currency);
    if (amount === undefined || amount === 0)
      return { error: "Give the change as an amount, such as 5.00 or -2.50" };
    adjust = { amount: negative ? -amount : amount, currency: f.currency };
  }
  const skus = f.skus
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  const priority = int(f.priority || "0");
  if (priority === undefined) return { error: "Priority is a whole number" };
  return {
    rule: {
      name: f.name.trim(),
      when,
      adjust,
      ...(skus.length > 0 && { skus }),
      ...(priority !== 0 && { priority }),
      ...(f.exclusive && { stackable: false }),
      ...(maxUses !== undefined && { maxUses }),
    },
  };
}

/**
 * The form showing a saved rule, to edit it; undefined when the rule is not one of the form's
 * shapes (several conditions: it is edited as JSON).
 */
export function formFromRule(rule: Rule): RuleFormState | undefined {
  if (rule.when.length > 1) return undefined;
  const f: RuleFormState = {
    ...EMPTY_RULE_FORM,
    name: rule.name,
    kind: "always",
    skus: rule.skus?.join(", ") ?? "",
    priority: String(rule.priority),
    exclusive: !rule.stackable,
    ...("percent" in rule.adjust
      ? { adjustBy: "percent" as const, adjust: String(rule.adjust.percent) }
      : {
          adjustBy: "amount" as const,
          adjust: decimalText(rule.adjust.amount, rule.adjust.currency),
          currency: rule.adjust.currency,
        }),
  };
  const c = rule.when[0];
  if (!c) return f;
  switch (c.kind) {
    case "time":
      return { ...f, kind: "time", days: c.days ?? [...WEEKDAYS], from: c.from, to: c.to };
    case "dates":
      return { ...f, kind: "dates", dateFrom: c.from, dateTo: c.to };
    case "stock":
    case "signal": {
      const range = {
        atLeast: c.atLeast === undefined ? "" : String(c.atLeast),
        below: c.below === undefined ? "" : String(c.below),
      };
      if (c.kind === "stock") return { ...f, kind: "stock", ...range };
      const scope =
        c.service !== undefined ? "service" : c.resource !== undefined ? "resource" : "all";
      return {
        ...f,
        kind: "signal",
        signal: c.name,
        bookingsOf: scope,
        bookingsId: c.service ?? c.resource ?? "",
        ...range,
      };
    }
    case "code":
      return {
        ...f,
        kind: "code",
        code: c.code,
        maxUses: rule.maxUses === undefined ? "" : String(rule.maxUses),
      };
  }
}

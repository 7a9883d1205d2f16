import type { Condition, Factor, Rule } from "./contract.js";
import { formatMoney, shareOf, toBps } from "./money.js";
import { scopedSignalName } from "./names.js";

/**
 * The rule engine: a pure function of the price entry, the rules, a snapshot of the signals, the
 * instant and the shopper's code. Same inputs, same price and the same explanation — no clock,
 * no database, no randomness in here (ties break on rule id).
 */

export interface PriceEntry {
  sku: string;
  currency: string;
  base: number;
  floor?: number | undefined;
  ceiling?: number | undefined;
}

/** Live values rules look at: `name` for every item, or `name` of one item (stock is per item). */
export interface SignalSnapshot {
  global: ReadonlyMap<string, number>;
  perSku: ReadonlyMap<string, ReadonlyMap<string, number>>;
}

export interface Bounds {
  /** Most the rules may add, relative to base (basis points). */
  maxMarkupBps: number;
  /** Most the rules may take off, relative to base (basis points). */
  maxDiscountBps: number;
}

export interface EvaluateOptions extends Bounds {
  at: Date;
  timeZone: string;
  code?: string | undefined;
}

export interface Evaluation {
  final: number;
  factors: Factor[];
}

interface LocalTime {
  weekday: string;
  minutes: number;
  date: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The last answer per zone: local time only changes by the minute (every zone's offset is whole minutes today). */
const lastLocal = new Map<string, { minute: number; local: LocalTime }>();

/** Wall-clock weekday, minutes since midnight and date at `at` in `timeZone` (DST included). */
export function localTime(at: Date, timeZone: string): LocalTime {
  const minute = Math.floor(at.getTime() / 60_000);
  const last = lastLocal.get(timeZone);
  if (last?.minute === minute) return last.local;
  const local = computeLocalTime(at, timeZone);
  lastLocal.set(timeZone, { minute, local });
  return local;
}

function computeLocalTime(at: Date, timeZone: string): LocalTime {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      weekday: "short",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
    formatters.set(timeZone, f);
  }
  const parts: Record<string, string> = {};
  for (const p of f.formatToParts(at)) parts[p.type] = p.value;
  return {
    weekday: (parts.weekday ?? "").toLowerCase().slice(0, 3),
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
    date: `${parts.year}-${parts.month}-${parts.day}`,
  };
}

const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

function signalValue(s: SignalSnapshot, name: string, sku: string): number | undefined {
  return s.perSku.get(sku)?.get(name) ?? s.global.get(name);
}

/** What a stock or signal condition reads: one service's or resource's count is its own signal. */
function conditionValue(
  c: Extract<Condition, { kind: "stock" | "signal" }>,
  s: SignalSnapshot,
  sku: string,
): number | undefined {
  if (c.kind === "stock") return signalValue(s, "stock", sku);
  if (c.service === undefined && c.resource === undefined) return signalValue(s, c.name, sku);
  return s.global.get(scopedSignalName(c.name, c));
}

function rangeText(below?: number, atLeast?: number): string {
  if (below !== undefined && atLeast !== undefined) return `in [${atLeast}, ${below})`;
  return below !== undefined ? `< ${below}` : `≥ ${atLeast}`;
}

/** A rule's conditions parsed once per rule object (the rule copies are reused across quotes). */
interface Compiled {
  /** Per condition: a time window's bounds in minutes, a code upper-cased. */
  from: number[];
  to: number[];
  code: (string | undefined)[];
  skus: ReadonlySet<string> | undefined;
}
const compiledRules = new WeakMap<Rule, Compiled>();
function compiled(rule: Rule): Compiled {
  let c = compiledRules.get(rule);
  if (!c) {
    c = {
      from: rule.when.map((w) => (w.kind === "time" ? toMinutes(w.from) : 0)),
      to: rule.when.map((w) => (w.kind === "time" ? toMinutes(w.to) : 0)),
      code: rule.when.map((w) => (w.kind === "code" ? w.code.toUpperCase() : undefined)),
      skus: rule.skus ? new Set(rule.skus) : undefined,
    };
    compiledRules.set(rule, c);
  }
  return c;
}

/** Whether one condition holds (no strings built: this runs for every rule of every quote). */
function holds(
  c: Condition,
  i: number,
  rc: Compiled,
  entry: PriceEntry,
  signals: SignalSnapshot,
  local: LocalTime,
  code: string | undefined,
): boolean {
  switch (c.kind) {
    case "time": {
      const from = rc.from[i] as number;
      const to = rc.to[i] as number;
      const inWindow =
        from < to
          ? local.minutes >= from && local.minutes < to
          : local.minutes >= from || local.minutes < to;
      if (!inWindow) return false;
      // past midnight, the weekday is the one the window started on
      const day = from > to && local.minutes < to ? previousDay(local.weekday) : local.weekday;
      return !c.days || (c.days as string[]).includes(day);
    }
    case "dates":
      return local.date >= c.from && local.date <= c.to;
    case "stock":
    case "signal": {
      const value = conditionValue(c, signals, entry.sku);
      if (value === undefined) return false;
      return (
        (c.below === undefined || value < c.below) &&
        (c.atLeast === undefined || value >= c.atLeast)
      );
    }
    case "code":
      return code !== undefined && code === rc.code[i];
  }
}

/** In words what a condition that held saw (the explanation of an applied rule). */
function describe(
  c: Condition,
  entry: PriceEntry,
  signals: SignalSnapshot,
  opts: EvaluateOptions,
): string {
  switch (c.kind) {
    case "time":
      return `${c.days ? `${c.days.join(",")} ` : ""}${c.from}–${c.to} ${opts.timeZone}`;
    case "dates":
      return `${c.from} to ${c.to} ${opts.timeZone}`;
    case "stock":
    case "signal": {
      const name =
        c.kind === "stock"
          ? "stock"
          : c.service !== undefined
            ? `${c.name} of service ${c.service}`
            : c.resource !== undefined
              ? `${c.name} of resource ${c.resource}`
              : c.name;
      return `${name} ${conditionValue(c, signals, entry.sku)} ${rangeText(c.below, c.atLeast)}`;
    }
    case "code":
      return `code ${c.code.toUpperCase()}`;
  }
}

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const previousDay = (d: string) => DAYS[(DAYS.indexOf(d) + 6) % 7] as string;

/** The rule's effect on this entry in minor units, or null when it cannot apply (currency). */
function effectOf(rule: Rule, entry: PriceEntry): number | null {
  if ("percent" in rule.adjust) return shareOf(entry.base, toBps(rule.adjust.percent));
  return rule.adjust.currency === entry.currency ? rule.adjust.amount : null;
}

function adjustText(rule: Rule, entry: PriceEntry): string {
  if ("percent" in rule.adjust)
    return `${rule.adjust.percent > 0 ? "+" : ""}${rule.adjust.percent}%`;
  return `${rule.adjust.amount > 0 ? "+" : ""}${formatMoney(rule.adjust.amount, entry.currency)}`;
}

interface Candidate {
  rule: Rule;
  effect: number;
  reason: string;
  specific: boolean;
}

/** Rules for this item: a rule naming the item is more specific than one for every item. */
function inScope(rc: Compiled, sku: string): boolean {
  return !rc.skus || rc.skus.has(sku);
}

/** Highest priority first, ties on id: the order factors are listed and stacked in. */
const byPriority = (a: Candidate, b: Candidate) =>
  b.rule.priority - a.rule.priority || (a.rule.id < b.rule.id ? -1 : a.rule.id > b.rule.id ? 1 : 0);

export function evaluate(
  entry: PriceEntry,
  rules: readonly Rule[],
  signals: SignalSnapshot,
  opts: EvaluateOptions,
): Evaluation {
  const local = localTime(opts.at, opts.timeZone);
  const matched: Candidate[] = [];
  const code = opts.code?.toUpperCase();
  for (const rule of rules) {
    if (!rule.enabled) continue;
    const rc = compiled(rule);
    if (!inScope(rc, entry.sku)) continue;
    if (!rule.when.every((c, i) => holds(c, i, rc, entry, signals, local, code))) continue;
    const effect = effectOf(rule, entry);
    if (effect === null) continue;
    const why = rule.when.map((c) => describe(c, entry, signals, opts)).join(", ");
    matched.push({
      rule,
      effect,
      reason: `${adjustText(rule, entry)}${why ? ` (${why})` : ""}`,
      specific: rule.skus !== undefined,
    });
  }
  const exclusive = matched.filter((m) => !m.rule.stackable);
  let applied: Candidate[];
  if (exclusive.length > 0) {
    // most specific, then highest priority, then the lowest price for the shopper, then id
    exclusive.sort(
      (a, b) =>
        Number(b.specific) - Number(a.specific) ||
        b.rule.priority - a.rule.priority ||
        a.effect - b.effect ||
        (a.rule.id < b.rule.id ? -1 : 1),
    );
    applied = [exclusive[0] as Candidate];
  } else {
    applied = [...matched].sort(byPriority);
  }
  const factors: Factor[] = applied.map((m) => ({
    rule: m.rule.id,
    name: m.rule.name,
    effect: m.effect,
    reason: m.reason,
  }));
  const raw = entry.base + applied.reduce((sum, m) => sum + m.effect, 0);
  return bound(raw, entry, opts, factors);
}

/** Applies the floor and ceiling (the entry's own, and the markup/discount caps around base). */
export function bound(raw: number, entry: PriceEntry, caps: Bounds, factors: Factor[]): Evaluation {
  const lowCap = entry.base - shareOf(entry.base, caps.maxDiscountBps);
  const highCap = entry.base + shareOf(entry.base, caps.maxMarkupBps);
  const floor = Math.max(0, lowCap, entry.floor ?? 0);
  const ceiling = Math.min(highCap, entry.ceiling ?? Number.POSITIVE_INFINITY);
  let final = raw;
  if (final < floor) {
    factors.push({
      rule: "floor",
      name: "Floor",
      effect: floor - final,
      reason: `never below ${formatMoney(floor, entry.currency)}`,
    });
    final = floor;
  } else if (final > ceiling) {
    factors.push({
      rule: "ceiling",
      name: "Ceiling",
      effect: ceiling - final,
      reason: `never above ${formatMoney(ceiling, entry.currency)}`,
    });
    final = ceiling;
  }
  return { final, factors };
}

/**
 * The most one automatic change may move the live price (`maxStepBps` of the current price):
 * a signal storm walks the price there in steps instead of jumping.
 */
export function limitStep(
  target: Evaluation,
  current: number,
  maxStepBps: number | undefined,
  currency: string,
): Evaluation {
  if (maxStepBps === undefined) return target;
  const step = Math.max(1, shareOf(current, maxStepBps));
  const low = current - step;
  const high = current + step;
  if (target.final >= low && target.final <= high) return target;
  const final = target.final < low ? low : high;
  return {
    final,
    factors: [
      ...target.factors,
      {
        rule: "max_change",
        name: "Max change",
        effect: final - target.final,
        reason: `moves at most ${formatMoney(step, currency)} per change (target ${formatMoney(target.final, currency)})`,
      },
    ],
  };
}

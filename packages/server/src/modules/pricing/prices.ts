import type { Kysely, Transaction } from "kysely";
import type { Identity } from "../../auth/identity.js";
import { SwitchboardError } from "../../errors.js";
import { isStaffOrServer, now, whoOf } from "../../platform/kit/actor.js";
import { ConditionalMiss, expectOne } from "../../platform/kit/conditional.js";
import { keysetPage } from "../../platform/kit/pagination.js";
import type { Database } from "../../store/schema.js";
import { type Announced, emptyAnnounced, mergeAnnounced, recordChange } from "./announce.js";
import type {
  Factor,
  HistoryEntry,
  HistoryPage,
  Price,
  PricePage,
  QuoteResult,
  Rule,
  RulePreview,
} from "./contract.js";
import type { PricingDeps } from "./deps.js";
import {
  bound,
  type Evaluation,
  evaluate,
  limitStep,
  type PriceEntry,
  type SignalSnapshot,
} from "./engine.js";
import type { PriceRow } from "./migrations.js";
import { createReadCache } from "./read-cache.js";
import type {
  CreateRuleInput,
  HistoryQuery,
  ListPricesQuery,
  QuoteInput,
  SetPriceInput,
} from "./schema.js";
import { factorsOf, historyOf, priceOf, ruleOf } from "./views.js";

const DAY = 24 * 60 * 60 * 1000;
/** The id a draft rule's factor carries in a preview (no saved rule has it: ids are ULIDs). */
export const DRAFT_RULE = "draft";
/** The durable task that reprices one item later (debounce, next step). */
export const REPRICE_TASK = "pricing.reprice";
/** Rows repriced per transaction in a sweep (a global signal or rule change touches every item). */
const BATCH = 200;
/** A sweep stops after this many items (bounded work; the periodic job continues later). */
const MAX_SWEEP = 100_000;

export function entryOf(row: PriceRow): PriceEntry {
  return {
    sku: row.sku,
    currency: row.currency,
    base: row.base_amount,
    floor: row.floor_amount ?? undefined,
    ceiling: row.ceiling_amount ?? undefined,
  };
}

/** Prices: the list, the live price, quotes, repricing and history. No HTTP, no sockets. */
export function createPriceService(deps: PricingDeps) {
  const { db, settings } = deps;
  const caps = { maxMarkupBps: settings.maxMarkupBps, maxDiscountBps: settings.maxDiscountBps };
  /** What quotes read: rows and signals, per node, dropped by this node's writes (read-cache.ts). */
  const cache = createReadCache(db, settings.quoteCacheMs);

  /**
   * Quotes read the rules from a per-node copy refreshed in the background once it is
   * `quoteCacheMs` old (a change on this node drops it at once; another node's shows within the
   * TTL plus one read). Repricing and list edits always read them fresh, inside their transaction.
   */
  let cached: { at: number; generation: number; rules: Rule[] } | undefined;
  let rulesGeneration = 0;
  let refreshing: { generation: number; promise: Promise<Rule[]> } | undefined;
  async function readRules(q: Kysely<Database>): Promise<Rule[]> {
    const rows = await q.selectFrom("pricing_rules").selectAll().where("enabled", "=", 1).execute();
    return rows.map(ruleOf);
  }
  /** One read at a time per generation (a read begun before a change here does not answer after it). */
  function refreshRules(): Promise<Rule[]> {
    const generation = rulesGeneration;
    if (refreshing?.generation === generation) return refreshing.promise;
    const at = Date.now();
    const promise = readRules(db)
      .then((list) => {
        if (generation === rulesGeneration) cached = { at, generation, rules: list };
        return list;
      })
      .finally(() => {
        if (refreshing?.promise === promise) refreshing = undefined;
      });
    refreshing = { generation, promise };
    return promise;
  }
  async function rules(q?: Kysely<Database>): Promise<Rule[]> {
    if (q || settings.quoteCacheMs <= 0) return readRules(q ?? db);
    if (!cached || cached.generation !== rulesGeneration) return refreshRules();
    // stale: answer from the copy while one read refreshes it (quotes never wait on SQL)
    if (Date.now() - cached.at >= settings.quoteCacheMs) void refreshRules().catch(() => undefined);
    return cached.rules;
  }

  async function signals(q: Kysely<Database>, skus?: string[]): Promise<SignalSnapshot> {
    let query = q.selectFrom("pricing_signals").selectAll();
    if (skus) query = query.where("sku", "in", ["", ...skus]);
    const global = new Map<string, number>();
    const perSku = new Map<string, Map<string, number>>();
    for (const s of await query.execute()) {
      if (s.sku === "") global.set(s.name, s.value);
      else {
        const m = perSku.get(s.sku) ?? new Map<string, number>();
        m.set(s.name, s.value);
        perSku.set(s.sku, m);
      }
    }
    return { global, perSku };
  }

  async function load(sku: string, q: Kysely<Database> = db): Promise<PriceRow> {
    const row = await q
      .selectFrom("pricing_prices")
      .selectAll()
      .where("sku", "=", sku)
      .executeTakeFirst();
    if (!row) throw new SwitchboardError("not_found", `no price for ${sku}`);
    return row;
  }

  function target(
    entry: PriceEntry,
    rs: Rule[],
    snap: SignalSnapshot,
    at: Date,
    code?: string,
  ): Evaluation {
    return evaluate(entry, rs, snap, { ...caps, at, timeZone: settings.timeZone, code });
  }

  /** After the commit: the outbox messages (the domain events committed with the change). */
  async function afterCommit(a: Announced): Promise<void> {
    await deps.outbox.flush(a.outboxIds);
  }

  /**
   * Flushes rows written in a transaction this module does not commit itself (a scheduled
   * task's): once they are visible, i.e. committed. Bounded; the outbox sweep is the backstop.
   */
  function flushWhenCommitted(ids: string[], skus: string[]): void {
    if (ids.length === 0) return;
    void (async () => {
      for (let i = 0; i < 100; i++) {
        await new Promise((r) => setTimeout(r, i === 0 ? 0 : 50));
        if (await deps.outbox.committed(ids)) {
          cache.forget(skus);
          return deps.outbox.flush(ids);
        }
      }
      cache.forget(skus);
    })().catch((err: unknown) => deps.logger.warn({ err }, "pricing: flush after a task failed"));
  }

  function assertStaff(identity: Identity): void {
    if (!isStaffOrServer(identity))
      throw new SwitchboardError("forbidden", "only staff or the API key manage prices");
  }

  /**
   * Reprices items automatically (a signal, a rule, the clock): each moves toward its target at
   * most its max step, and at most once per debounce interval — a change that must wait, or the
   * next step toward a far target, is a durable task (`pricing.reprice`, one per item). A
   * conditional update on `seq` skips an item that changed meanwhile. With `trx` (a scheduled
   * task's transaction) everything happens inside it.
   */
  async function reprice(
    skus: string[] | "all",
    cause: HistoryEntry["cause"],
    trx?: Transaction<Database>,
  ): Promise<number> {
    const q: Kysely<Database> = trx ?? db;
    const rs = await rules(q);
    let moved = 0;
    let after = "";
    const later: { sku: string; runAt: number }[] = [];
    /** Items whose row this sweep rewrote: the quote cache drops them once committed. */
    const touched: string[] = [];
    for (let seen = 0; seen < MAX_SWEEP; ) {
      let select = q.selectFrom("pricing_prices").selectAll().orderBy("sku").limit(BATCH);
      if (skus !== "all") select = select.where("sku", "in", skus.length ? skus : [""]);
      if (after) select = select.where("sku", ">", after);
      const rows = await select.execute();
      if (rows.length === 0) break;
      seen += rows.length;
      after = (rows[rows.length - 1] as PriceRow).sku;
      const snap = await signals(
        q,
        rows.map((r) => r.sku),
      );
      const at = new Date();
      const changes: { before: PriceRow; after: PriceRow }[] = [];
      for (const row of rows) {
        const wanted = limitStep(
          target(entryOf(row), rs, snap, at),
          row.amount,
          row.max_step_bps ?? settings.maxStepBps,
          row.currency,
        );
        if (wanted.final === row.amount) {
          if (JSON.stringify(wanted.factors) !== row.factors) {
            touched.push(row.sku);
            // same price, new reasons (a rule renamed, a window opened and a floor held): keep
            // the explanation current without an event
            await q
              .updateTable("pricing_prices")
              .set({ factors: JSON.stringify(wanted.factors) })
              .where("sku", "=", row.sku)
              .where("seq", "=", row.seq)
              .execute();
          }
          continue;
        }
        const due = Date.parse(row.changed_at) + settings.minChangeIntervalMs;
        if (due > at.getTime()) {
          later.push({ sku: row.sku, runAt: due });
          continue;
        }
        changes.push({
          before: row,
          after: {
            ...row,
            amount: wanted.final,
            factors: JSON.stringify(wanted.factors),
            seq: row.seq + 1,
            changed_at: at.toISOString(),
          },
        });
      }
      if (changes.length > 0) {
        const write = async (w: Transaction<Database>) => {
          const all = emptyAnnounced();
          for (const c of changes) {
            const r = await w
              .updateTable("pricing_prices")
              .set({
                amount: c.after.amount,
                factors: c.after.factors,
                seq: c.after.seq,
                changed_at: c.after.changed_at,
              })
              .where("sku", "=", c.before.sku)
              .where("seq", "=", c.before.seq)
              .executeTakeFirst();
            if (Number(r.numUpdatedRows) !== 1) continue; // changed meanwhile: that change announced itself
            touched.push(c.before.sku);
            mergeAnnounced(all, await recordChange(deps, w, c.before, c.after, cause, "server"));
            moved++;
            // held back by the max step: the next step comes after the interval
            if (c.after.factors.includes('"rule":"max_change"'))
              later.push({
                sku: c.after.sku,
                runAt: Date.parse(c.after.changed_at) + settings.minChangeIntervalMs,
              });
          }
          return all;
        };
        if (trx) flushWhenCommitted((await write(trx)).outboxIds, touched.splice(0));
        else {
          const announced = await db.transaction().execute(write);
          cache.forget(touched.splice(0));
          await afterCommit(announced);
        }
      }
      if (skus !== "all" || rows.length < BATCH) break;
    }
    if (touched.length > 0 && !trx) cache.forget(touched);
    for (const l of later)
      await deps.scheduler.schedule(q, {
        task: REPRICE_TASK,
        runAt: new Date(l.runAt),
        key: `${REPRICE_TASK}:${l.sku}`,
        payload: { sku: l.sku },
      });
    return moved;
  }

  return {
    reprice,

    /** The enabled rules (the per-node copy quotes read). */
    currentRules: (): Promise<Rule[]> => rules(),

    /** A rule changed on this node: the next quote reads them again. */
    rulesChanged(): void {
      rulesGeneration++;
      cached = undefined;
    },

    /** A signal (of these items, or a global one) was written on this node. */
    forget(skus: string[] | "all"): void {
      cache.forget(skus);
    },

    async get(sku: string): Promise<Price> {
      return priceOf(await load(sku));
    },

    async list(query: ListPricesQuery): Promise<PricePage> {
      let q = db.selectFrom("pricing_prices").selectAll();
      if (query.skus) q = q.where("sku", "in", query.skus);
      const { rows, nextCursor } = await keysetPage(q, "sku", "asc", query);
      return { items: rows.map(priceOf), ...(nextCursor !== undefined && { nextCursor }) };
    },

    /**
     * Sets an item's list price (and its bounds). With `expectedVersion` of two racing staff
     * exactly one wins and the other gets 409 `conflict`; the live price follows at once (a
     * deliberate change: no step limit, no debounce) in the same transaction.
     */
    async set(identity: Identity, sku: string, input: SetPriceInput): Promise<Price> {
      assertStaff(identity);
      const by = whoOf(identity);
      for (let attempt = 0; attempt < 5; attempt++) {
        const before = await db
          .selectFrom("pricing_prices")
          .selectAll()
          .where("sku", "=", sku)
          .executeTakeFirst();
        const version = before?.version ?? 0;
        if (input.expectedVersion !== undefined && input.expectedVersion !== version)
          throw new SwitchboardError(
            "conflict",
            `the price of ${sku} is at version ${version}, not ${input.expectedVersion}`,
            {
              details: { version, ...(before && { price: priceOf(before) }) },
            },
          );
        const at = now();
        const draft: PriceRow = {
          sku,
          currency: input.currency,
          base_amount: input.amount,
          floor_amount: input.floor === undefined ? (before?.floor_amount ?? null) : input.floor,
          ceiling_amount:
            input.ceiling === undefined ? (before?.ceiling_amount ?? null) : input.ceiling,
          max_step_bps:
            input.maxStepPercent === undefined
              ? (before?.max_step_bps ?? null)
              : input.maxStepPercent === null
                ? null
                : input.maxStepPercent * 100,
          amount: 0,
          factors: "[]",
          version: version + 1,
          seq: (before?.seq ?? 0) + 1,
          updated_at: at,
          changed_at: at,
        };
        if (
          draft.floor_amount !== null &&
          draft.ceiling_amount !== null &&
          draft.floor_amount > draft.ceiling_amount
        )
          throw new SwitchboardError("bad_request", "floor is above ceiling");
        try {
          const { row, announced } = await db.transaction().execute(async (trx) => {
            const snap = await signals(trx, [sku]);
            const evaluated = target(entryOf(draft), await rules(trx), snap, new Date(at));
            const row: PriceRow = {
              ...draft,
              amount: evaluated.final,
              factors: JSON.stringify(evaluated.factors),
            };
            if (before) {
              expectOne(
                await trx
                  .updateTable("pricing_prices")
                  .set(row)
                  .where("sku", "=", sku)
                  .where("version", "=", before.version)
                  .executeTakeFirst(),
              );
            } else {
              expectOne(
                await trx
                  .insertInto("pricing_prices")
                  .values(row)
                  .onConflict((oc) => oc.column("sku").doNothing())
                  .executeTakeFirst(),
              );
            }
            return { row, announced: await recordChange(deps, trx, before, row, "list", by) };
          });
          cache.forget([sku]);
          await afterCommit(announced);
          return priceOf(row);
        } catch (error) {
          if (!(error instanceof ConditionalMiss)) throw error;
          if (input.expectedVersion !== undefined)
            throw new SwitchboardError(
              "conflict",
              `the price of ${sku} was changed by someone else first`,
              {
                details: { version: version + 1 },
              },
            );
          // no expected version: last write wins, on top of the current state
        }
      }
      throw new SwitchboardError("conflict", `the price of ${sku} kept changing; retry`);
    },

    /**
     * A price with every factor explained. Without `at`: the live price (what the storefront
     * shows), plus any promotion the code unlocks. With `at`: a forecast from the rules and the
     * signals as they are now.
     */
    async quote(input: QuoteInput, opts: { fresh?: boolean } = {}): Promise<QuoteResult> {
      // a lock captures the price: it reads the database; a shopper's quote reads the node's copy
      const row = opts.fresh ? await load(input.sku) : await cache.row(input.sku);
      if (!row) throw new SwitchboardError("not_found", `no price for ${input.sku}`);
      const entry = entryOf(row);
      const [rs, snap] = await Promise.all([
        rules(),
        opts.fresh ? signals(db, [input.sku]) : cache.signals(input.sku),
      ]);
      // a shopper's quote leaves out a promotion at its usage limit; a lock (fresh) keeps it, and
      // taking the use decides (promo_exhausted)
      const usable = opts.fresh
        ? rs
        : rs.filter((r) => r.maxUses === undefined || r.uses < r.maxUses);
      if (input.at) {
        const e = target(entry, usable, snap, new Date(input.at), input.code);
        return {
          sku: row.sku,
          at: new Date(input.at).toISOString(),
          currency: row.currency,
          base: row.base_amount,
          final: e.final,
          factors: e.factors,
          live: false,
        };
      }
      const at = new Date();
      let final = row.amount;
      let factors: Factor[] = factorsOf(row.factors);
      if (input.code) {
        const promos = usable.filter((r) => r.when.some((c) => c.kind === "code"));
        const extra = target(
          { ...entry, floor: undefined, ceiling: undefined },
          promos,
          snap,
          at,
          input.code,
        ).factors.filter((f) => f.rule !== "floor" && f.rule !== "ceiling");
        if (extra.length) {
          const bounded = bound(final + extra.reduce((s, f) => s + f.effect, 0), entry, caps, [
            ...factors,
            ...extra,
          ]);
          final = bounded.final;
          factors = bounded.factors;
        }
      }
      return {
        sku: row.sku,
        at: at.toISOString(),
        currency: row.currency,
        base: row.base_amount,
        final,
        factors,
        live: true,
      };
    },

    /**
     * A draft rule tried on one item without saving it (the rule editor's preview): the forecast
     * at `at` (default now) from the saved rules, and with the draft in place of `replaces`.
     * Staff only: it reveals every rule. Reads the database (never the node's copy): a rule saved
     * a moment ago on another node must show.
     */
    async preview(
      identity: Identity,
      input: QuoteInput & { rule: CreateRuleInput; replaces?: string | undefined },
    ): Promise<RulePreview> {
      if (!isStaffOrServer(identity))
        throw new SwitchboardError("forbidden", "only staff or the API key preview pricing rules");
      const row = await load(input.sku);
      const [saved, snap] = await Promise.all([readRules(db), signals(db, [input.sku])]);
      if (input.replaces !== undefined && !saved.some((r) => r.id === input.replaces)) {
        const exists = await db
          .selectFrom("pricing_rules")
          .select("id")
          .where("id", "=", input.replaces)
          .executeTakeFirst();
        if (!exists) throw new SwitchboardError("not_found", `no pricing rule ${input.replaces}`);
      }
      const at = input.at ? new Date(input.at) : new Date();
      const stamp = at.toISOString();
      const draft: Rule = {
        id: DRAFT_RULE,
        name: input.rule.name,
        enabled: input.rule.enabled,
        ...(input.rule.skus && { skus: [...new Set(input.rule.skus)] }),
        when: input.rule.when,
        adjust: input.rule.adjust,
        priority: input.rule.priority,
        stackable: input.rule.stackable,
        ...(input.rule.maxUses !== undefined && { maxUses: input.rule.maxUses }),
        uses: 0,
        version: 0,
        createdAt: stamp,
        updatedAt: stamp,
      };
      const entry = entryOf(row);
      const quoteWith = (rs: Rule[]): QuoteResult => {
        const e = target(entry, rs, snap, at, input.code);
        return {
          sku: row.sku,
          at: stamp,
          currency: row.currency,
          base: row.base_amount,
          final: e.final,
          factors: e.factors,
          live: false,
        };
      };
      return {
        draftRule: DRAFT_RULE,
        without: quoteWith(saved),
        with: quoteWith([...saved.filter((r) => r.id !== input.replaces), draft]),
      };
    },

    /** An item's price history, newest first, with its 30-day trend. */
    async history(sku: string, query: HistoryQuery): Promise<HistoryPage> {
      const row = await load(sku);
      const q = db.selectFrom("pricing_history").selectAll().where("sku", "=", sku);
      const { rows, nextCursor } = await keysetPage(q, "id", "desc", query);
      const since = new Date(Date.now() - 30 * DAY).toISOString();
      const recent = await db
        .selectFrom("pricing_history")
        .select(["at", "amount", "currency"])
        .where("sku", "=", sku)
        .where("at", ">=", since)
        .orderBy("id")
        .execute();
      // the price in force when the window opened counts from its start
      const opening = await db
        .selectFrom("pricing_history")
        .select(["at", "amount", "currency"])
        .where("sku", "=", sku)
        .where("at", "<", since)
        .orderBy("id", "desc")
        .limit(1)
        .executeTakeFirst();
      const points = [...(opening ? [{ ...opening, at: since }] : []), ...recent].filter(
        (p) => p.currency === row.currency,
      );
      return {
        sku,
        items: rows.map(historyOf),
        ...(nextCursor !== undefined && { nextCursor }),
        trend: {
          currency: row.currency,
          current: row.amount,
          ...trendOf(points, row.amount, Date.now()),
          average7Days: trendOf(windowFrom(points, Date.now() - 7 * DAY), row.amount, Date.now())
            .average30Days,
        },
      };
    },
  };
}

/**
 * The points of a shorter window (a moving average's): the price in force when it opened counts
 * from its start, then every point inside it (points oldest first).
 */
export function windowFrom(points: { at: string; amount: number }[], sinceMs: number) {
  const since = new Date(sinceMs).toISOString();
  const before = points.filter((p) => p.at < since).at(-1);
  return [...(before ? [{ ...before, at: since }] : []), ...points.filter((p) => p.at >= since)];
}

/** Lowest, highest and time-weighted mean of a price over the points (integer arithmetic). */
export function trendOf(
  points: { at: string; amount: number }[],
  current: number,
  nowMs: number,
): { lowest30Days: number; highest30Days: number; average30Days: number } {
  if (points.length === 0)
    return { lowest30Days: current, highest30Days: current, average30Days: current };
  let lowest = current;
  let highest = current;
  let weighted = 0n;
  let total = 0n;
  for (const [i, p] of points.entries()) {
    lowest = Math.min(lowest, p.amount);
    highest = Math.max(highest, p.amount);
    const end = i + 1 < points.length ? Date.parse((points[i + 1] as { at: string }).at) : nowMs;
    const span = BigInt(Math.max(0, end - Date.parse(p.at)));
    weighted += BigInt(p.amount) * span;
    total += span;
  }
  const average = total === 0n ? current : Number((weighted * 2n + total) / (2n * total));
  return { lowest30Days: lowest, highest30Days: highest, average30Days: average };
}

export type PriceService = ReturnType<typeof createPriceService>;

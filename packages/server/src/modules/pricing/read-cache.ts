import type { Kysely } from "kysely";
import type { Database } from "../../store/schema.js";
import type { SignalSnapshot } from "./engine.js";
import type { PriceRow } from "./migrations.js";

/** Price rows mirrored at most (a larger list is read per item): a bound, not a working-set guess. */
const MAX_ROWS = 50_000;

interface Mirror {
  /** When the reload that produced it started (its age counts from there). */
  at: number;
  /** The cache generation when it started: later local writes are not in it. */
  generation: number;
  rows: Map<string, PriceRow>;
  /** Every row is here (a SKU that is absent has no price); false past MAX_ROWS. */
  complete: boolean;
  global: Map<string, number>;
  perSku: Map<string, Map<string, number>>;
}

const EMPTY = new Map<string, number>();

/**
 * The per-node mirror of price rows and signals that shoppers' quotes read (the hot path:
 * thousands per second must not each run SQL). The whole list and every signal are read in one
 * pass, at most once per `ttlMs`, in the background (quotes keep answering from the previous
 * pass meanwhile: signals are sampled, not queried per quote). Consistency:
 * - a write on this node marks what it touched (`forget`): the next quote of such an item reads
 *   that item from the database (and patches the mirror), so this node never answers older than
 *   its own writes; a global change (a global signal) waits for a fresh pass;
 * - a write on another node shows here within `ttlMs` plus one pass.
 * Writers (set, reprice, locks, order quotes) read the database, never this mirror.
 */
export function createReadCache(db: Kysely<Database>, ttlMs: number) {
  let generation = 0;
  let mirror: Mirror | undefined;
  let loading: Promise<Mirror> | undefined;
  /** Items written on this node, with the generation of the write. */
  const dirty = new Map<string, number>();
  /** The generation of the last global change (a mirror older than it is not used). */
  let allAt = 0;

  async function readSignals(skus?: string[]) {
    let q = db.selectFrom("pricing_signals").select(["name", "sku", "value"]);
    if (skus) q = q.where("sku", "in", ["", ...skus]);
    const global = new Map<string, number>();
    const perSku = new Map<string, Map<string, number>>();
    for (const s of await q.execute()) {
      if (s.sku === "") global.set(s.name, s.value);
      else {
        const m = perSku.get(s.sku) ?? new Map<string, number>();
        m.set(s.name, s.value);
        perSku.set(s.sku, m);
      }
    }
    return { global, perSku };
  }

  async function pass(): Promise<Mirror> {
    const started = generation;
    const at = Date.now();
    const list = await db
      .selectFrom("pricing_prices")
      .selectAll()
      .orderBy("sku")
      .limit(MAX_ROWS + 1)
      .execute();
    const { global, perSku } = await readSignals();
    const next: Mirror = {
      at,
      generation: started,
      rows: new Map(list.slice(0, MAX_ROWS).map((r) => [r.sku, r])),
      complete: list.length <= MAX_ROWS,
      global,
      perSku,
    };
    // writes this pass may have missed stay marked; older marks are in it
    for (const [sku, g] of dirty) if (g <= started) dirty.delete(sku);
    if (!mirror || mirror.generation <= started) mirror = next;
    return next;
  }

  function reload(): Promise<Mirror> {
    loading ??= pass().finally(() => {
      loading = undefined;
    });
    return loading;
  }

  /** A mirror this node may answer from (a fresh pass when there is none or a global change). */
  async function current(): Promise<Mirror> {
    let m = mirror;
    // a pass already under way when the change came may miss it: then one more
    for (let i = 0; i < 3 && (!m || m.generation < allAt); i++) m = await reload();
    if (!m) return reload();
    if (Date.now() - m.at >= ttlMs) void reload().catch(() => undefined); // the next answers see it
    return m;
  }

  /** One item read from the database, patched into the mirror when no write raced the read. */
  async function readOne(m: Mirror, sku: string): Promise<PriceRow | null> {
    const gen = generation;
    const row =
      (await db
        .selectFrom("pricing_prices")
        .selectAll()
        .where("sku", "=", sku)
        .executeTakeFirst()) ?? null;
    const own = (await readSignals([sku])).perSku.get(sku);
    if (gen === generation && m === mirror && m.complete) {
      if (row) m.rows.set(sku, row);
      else m.rows.delete(sku);
      if (own) m.perSku.set(sku, own);
      else m.perSku.delete(sku);
      dirty.delete(sku);
    }
    return row;
  }

  return {
    /** The item's row, or null when it has none. */
    async row(sku: string): Promise<PriceRow | null> {
      if (ttlMs <= 0)
        return (
          (await db
            .selectFrom("pricing_prices")
            .selectAll()
            .where("sku", "=", sku)
            .executeTakeFirst()) ?? null
        );
      const m = await current();
      if (dirty.has(sku) || !m.complete) return readOne(m, sku);
      return m.rows.get(sku) ?? null;
    },

    /** Global and the item's own signals (read after `row`, which refreshed a written item). */
    async signals(sku: string): Promise<SignalSnapshot> {
      if (ttlMs <= 0) return readSignals([sku]);
      const m = await current();
      if (!m.complete || dirty.has(sku)) return readSignals([sku]);
      return { global: m.global, perSku: new Map([[sku, m.perSku.get(sku) ?? EMPTY]]) };
    },

    /** A write on this node touched these items (or every item, or a global signal). */
    forget(skus: string[] | "all"): void {
      generation++;
      if (skus === "all") allAt = generation;
      else for (const s of skus) dirty.set(s, generation);
    },
  };
}

export type ReadCache = ReturnType<typeof createReadCache>;

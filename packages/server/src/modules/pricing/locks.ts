import type { Identity } from "../../auth/identity.js";
import { SwitchboardError } from "../../errors.js";
import { ulid } from "../../ids.js";
import { now, whoOf } from "../../platform/kit/actor.js";
import { affected } from "../../platform/kit/conditional.js";
import type { Lock } from "./contract.js";
import type { PricingDeps } from "./deps.js";
import type { LockRow } from "./migrations.js";
import type { PriceService } from "./prices.js";
import type { CreateLockInput } from "./schema.js";
import { lockOf } from "./views.js";

/**
 * Price locks: the price a shopper was shown, captured for a while. Using a lock is one
 * conditional update (active, unexpired, the caller's): of two racing uses exactly one wins, and
 * an expired lock is refused however the clock and the request race.
 */
export function createLockService(deps: PricingDeps, prices: PriceService) {
  const { db, settings } = deps;

  async function load(id: string): Promise<LockRow> {
    const row = await db
      .selectFrom("pricing_locks")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    if (!row) throw new SwitchboardError("not_found", `no price lock ${id}`);
    return row;
  }

  function assertMine(identity: Identity, row: LockRow): void {
    if (!identity.server && row.user_id !== identity.user)
      throw new SwitchboardError("not_found", `no price lock ${row.id}`);
  }

  return {
    async create(identity: Identity, input: CreateLockInput): Promise<Lock> {
      const quote = await prices.quote(
        { sku: input.sku, ...(input.code && { code: input.code }) },
        { fresh: true },
      );
      const at = now();
      const row: LockRow = {
        id: ulid(),
        user_id: whoOf(identity),
        sku: quote.sku,
        amount: quote.final,
        currency: quote.currency,
        factors: JSON.stringify(quote.factors),
        status: "active",
        expires_at: new Date(Date.parse(at) + settings.lockTtlSeconds * 1000).toISOString(),
        created_at: at,
        used_at: null,
      };
      const promos = new Set(quote.factors.map((f) => f.rule));
      const limited = input.code
        ? await db
            .selectFrom("pricing_rules")
            .select(["id", "name"])
            .where("id", "in", [...promos, ""])
            .where("max_uses", "is not", null)
            .execute()
        : [];
      await db.transaction().execute(async (trx) => {
        // each limited promotion the price used takes one of its uses: a conditional increment,
        // so of N racing shoppers for the last K uses exactly K get it (and the lock)
        for (const promo of limited) {
          const r = await trx
            .updateTable("pricing_rules")
            .set((eb) => ({ uses: eb("uses", "+", 1) }))
            .where("id", "=", promo.id)
            .where((eb) => eb("uses", "<", eb.ref("max_uses")))
            .executeTakeFirst();
          if (affected(r) !== 1)
            throw new SwitchboardError(
              "promo_exhausted",
              `the promotion ${promo.name} has been used as often as it may be`,
              { details: { rule: promo.id } },
            );
          const { uses } = await trx
            .selectFrom("pricing_rules")
            .select("uses")
            .where("id", "=", promo.id)
            .executeTakeFirstOrThrow();
          await trx
            .insertInto("pricing_promo_uses")
            .values({ rule_id: promo.id, n: uses, user_id: row.user_id, lock_id: row.id, at })
            .execute();
        }
        await trx.insertInto("pricing_locks").values(row).execute();
      });
      if (limited.length > 0) prices.rulesChanged(); // quotes see the new count
      return lockOf(row, at);
    },

    async get(identity: Identity, id: string): Promise<Lock> {
      const row = await load(id);
      assertMine(identity, row);
      return lockOf(row, now());
    },

    /** Uses a lock once (a purchase at the captured price); 409 if used or expired. */
    async use(identity: Identity, id: string): Promise<Lock> {
      const row = await load(id);
      assertMine(identity, row);
      const at = now();
      const r = await db
        .updateTable("pricing_locks")
        .set({ status: "used", used_at: at })
        .where("id", "=", id)
        .where("status", "=", "active")
        .where("expires_at", ">", at)
        .executeTakeFirst();
      if (affected(r) === 1) return lockOf({ ...row, status: "used", used_at: at }, at);
      const current = await load(id);
      if (current.status === "used")
        throw new SwitchboardError("price_lock_used", `price lock ${id} was already used`, {
          details: { usedAt: current.used_at },
        });
      throw new SwitchboardError(
        "price_lock_expired",
        `price lock ${id} expired at ${current.expires_at}`,
        {
          details: { expiresAt: current.expires_at },
        },
      );
    },
  };
}

export type LockService = ReturnType<typeof createLockService>;

import type { Identity } from "../../auth/identity.js";
import { SwitchboardError } from "../../errors.js";
import { ulid } from "../../ids.js";
import { now } from "../../platform/kit/actor.js";
import { affected } from "../../platform/kit/conditional.js";
import { crossed } from "./announce.js";
import type { Watch } from "./contract.js";
import type { PricingDeps } from "./deps.js";
import type { WatchRow } from "./migrations.js";
import type { CreateWatchInput } from "./schema.js";
import { watchOf } from "./views.js";

/** At most this many watches per user. */
export const MAX_WATCHES = 200;

/**
 * Price watches: "tell me when it drops below X" (or by X %). One per user and item; the alert
 * goes to the watcher's own user:{sub} once per crossing (announce.ts), never to anyone else.
 */
export function createWatchService(deps: PricingDeps) {
  const { db } = deps;

  function userOf(identity: Identity): string {
    if (identity.server)
      throw new SwitchboardError("forbidden", "a watch belongs to a signed-in user");
    return identity.user;
  }

  return {
    async list(identity: Identity): Promise<Watch[]> {
      const rows = await db
        .selectFrom("pricing_watches")
        .selectAll()
        .where("user_id", "=", userOf(identity))
        .orderBy("id")
        .execute();
      return rows.map(watchOf);
    },

    /** Watches an item (replacing the user's watch of it); armed unless already crossed. */
    async create(identity: Identity, input: CreateWatchInput): Promise<Watch> {
      const user = userOf(identity);
      const price = await db
        .selectFrom("pricing_prices")
        .select(["amount", "currency"])
        .where("sku", "=", input.sku)
        .executeTakeFirst();
      if (!price) throw new SwitchboardError("not_found", `no price for ${input.sku}`);
      const mine = await db
        .selectFrom("pricing_watches")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("user_id", "=", user)
        .executeTakeFirstOrThrow();
      if (Number(mine.n) >= MAX_WATCHES)
        throw new SwitchboardError("bad_request", `at most ${MAX_WATCHES} price watches per user`);
      const row: WatchRow = {
        id: ulid(),
        user_id: user,
        sku: input.sku,
        below: input.below ?? null,
        drop_bps: input.dropPercent !== undefined ? input.dropPercent * 100 : null,
        reference: price.amount,
        currency: price.currency,
        armed: 1,
        created_at: now(),
        last_alert_at: null,
      };
      // already below the line: the next alert is the next crossing, not this one
      if (crossed(row, price.amount)) row.armed = 0;
      await db.transaction().execute(async (trx) => {
        await trx
          .deleteFrom("pricing_watches")
          .where("user_id", "=", user)
          .where("sku", "=", input.sku)
          .execute();
        await trx.insertInto("pricing_watches").values(row).execute();
      });
      return watchOf(row);
    },

    async remove(identity: Identity, id: string): Promise<void> {
      const r = await db
        .deleteFrom("pricing_watches")
        .where("id", "=", id)
        .where("user_id", "=", userOf(identity))
        .executeTakeFirst();
      if (affected(r) !== 1) throw new SwitchboardError("not_found", `no watch ${id} of yours`);
    },
  };
}

export type WatchService = ReturnType<typeof createWatchService>;

import type { Kysely } from "kysely";
import type { Database } from "../store/schema.js";

/**
 * Takes (or renews) a named lease until now + ttlMs. Atomic in both dialects: one upsert that
 * only overwrites an expired lease or one this holder already has. True when this holder has it.
 */
export async function acquireLease(
  db: Kysely<Database>,
  name: string,
  holder: string,
  ttlMs: number,
): Promise<boolean> {
  const now = new Date();
  const expires = new Date(now.getTime() + ttlMs).toISOString();
  const result = await db
    .insertInto("leases")
    .values({ name, holder, expires_at: expires })
    .onConflict((oc) =>
      oc
        .column("name")
        .doUpdateSet({ holder, expires_at: expires })
        .where((eb) =>
          eb.or([
            eb("leases.expires_at", "<", now.toISOString()),
            eb("leases.holder", "=", holder),
          ]),
        ),
    )
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}

export async function releaseLease(
  db: Kysely<Database>,
  name: string,
  holder: string,
): Promise<void> {
  await db.deleteFrom("leases").where("name", "=", name).where("holder", "=", holder).execute();
}

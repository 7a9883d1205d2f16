import { type Kysely, sql } from "kysely";
import type { Identity } from "../../auth/identity.js";
import { whoOf } from "../../platform/kit/actor.js";
import type { Database } from "../../store/schema.js";
import { CHAT_UNREAD_EVENT, type Unread } from "./contract.js";
import type { ChatDeps } from "./deps.js";

const userChannel = (user: string) => `user:${user}`;

/**
 * Unread messages of one user, per conversation: messages by others past the user's read
 * receipt, in the conversations that are theirs (a customer's own, not archived; an agent's
 * active ones). Always counted from the rows, never incremented: nothing to drift.
 */
async function countsOf(
  db: Kysely<Database>,
  user: string,
): Promise<Pick<Unread, "total" | "conversations">> {
  const rows = await db
    .selectFrom("chat_conversations as c")
    .innerJoin("chat_messages as m", "m.conversation_id", "c.id")
    .leftJoin("chat_receipts as r", (j) =>
      j.onRef("r.conversation_id", "=", "c.id").on("r.user_id", "=", user),
    )
    .select(["c.id", (eb) => eb.fn.countAll<string | number>().as("n")])
    .where((eb) =>
      eb.or([
        eb.and([eb("c.customer_id", "=", user), eb("c.status", "!=", "archived")]),
        eb.and([eb("c.agent_id", "=", user), eb("c.status", "=", "active")]),
      ]),
    )
    .where("m.author_id", "!=", user)
    .where(sql<boolean>`m.seq > coalesce(r.read_seq, 0)`)
    .groupBy("c.id")
    .execute();
  const conversations: Record<string, number> = {};
  let total = 0;
  for (const r of rows) {
    const n = Number(r.n);
    conversations[r.id] = n;
    total += n;
  }
  return { total, conversations };
}

/**
 * Publishes `chat_unread` on user:{sub} after anything that changes a user's counts. Each
 * snapshot takes the user's version row first (a row lock on PostgreSQL, the write lock on
 * SQLite), then counts: a higher version therefore saw every change the lower ones saw, and
 * clients keep the highest. Two tabs reading at once, on two nodes, cannot leave a stale total
 * last. Requests for a user already being published coalesce into one more round.
 */
export function createUnread(deps: ChatDeps) {
  const { db, outbox, logger } = deps;
  const running = new Map<string, Promise<void>>();
  const again = new Set<string>();

  async function publishNow(user: string): Promise<void> {
    const ids = await db.transaction().execute(async (trx) => {
      await trx
        .insertInto("chat_unread_versions")
        .values({ user_id: user, version: 0 })
        .onConflict((oc) => oc.column("user_id").doNothing())
        .execute();
      const { version } = await trx
        .updateTable("chat_unread_versions")
        .set((eb) => ({ version: eb("version", "+", 1) }))
        .where("user_id", "=", user)
        .returning("version")
        .executeTakeFirstOrThrow();
      const counts = await countsOf(trx, user);
      return outbox.enqueue(trx, [
        {
          channel: userChannel(user),
          event: CHAT_UNREAD_EVENT,
          data: { ...counts, version } satisfies Unread,
          key: `chat:unread:${user}:${version}`,
        },
      ]);
    });
    await outbox.flush(ids);
  }

  function request(user: string): Promise<void> {
    const current = running.get(user);
    if (current) {
      again.add(user);
      return current;
    }
    const run = (async () => {
      do {
        again.delete(user);
        try {
          await publishNow(user);
        } catch (err) {
          logger.warn({ err, user }, "unread counts not published");
        }
      } while (again.has(user));
      // In the same turn as the last check: a request after this starts a new round.
      running.delete(user);
    })();
    running.set(user, run);
    return run;
  }

  return {
    /** Publishes fresh counts for these users (bot and empty ids are skipped). */
    changed(users: (string | null | undefined)[]): Promise<void> {
      const unique = [...new Set(users.filter((u): u is string => !!u && u !== "bot"))];
      return Promise.all(unique.map(request)).then(() => undefined);
    },
    /** The caller's counts now, with the version of their last published snapshot. */
    async get(identity: Identity): Promise<Unread> {
      const user = whoOf(identity);
      const row = await db
        .selectFrom("chat_unread_versions")
        .select("version")
        .where("user_id", "=", user)
        .executeTakeFirst();
      return { ...(await countsOf(db, user)), version: row?.version ?? 0 };
    },
    /** Resolves when every pending publish has run (tests, shutdown). */
    async settled(): Promise<void> {
      while (running.size) await Promise.allSettled([...running.values()]);
    },
  };
}

export type UnreadCounts = ReturnType<typeof createUnread>;

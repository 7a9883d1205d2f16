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
 * active ones). Always counted from the rows, never incremented: nothing to drift. Sequence
 * numbers have no gaps (a message and its `last_seq` bump commit together, and messages are only
 * ever deleted with their conversation), so "by others past the receipt" is everything past the
 * receipt minus the user's own messages past it: one index range of the user's own messages
 * (`chat_messages_author`) instead of a walk over every unread message, which grew with the
 * backlog of an agent who had not read yet.
 */
async function countsOf(
  db: Kysely<Database>,
  user: string,
): Promise<Pick<Unread, "total" | "conversations">> {
  const { rows } = await sql<{ id: string; n: number | string }>`
    select c.id, c.last_seq - coalesce(r.read_seq, 0) - (
      select count(*) from chat_messages m
      where m.conversation_id = c.id and m.author_id = ${user} and m.seq > coalesce(r.read_seq, 0)
    ) as n
    from chat_conversations c
    left join chat_receipts r on r.conversation_id = c.id and r.user_id = ${user}
    where (c.customer_id = ${user} and c.status <> 'archived')
       or (c.agent_id = ${user} and c.status = 'active')`.execute(db);
  const conversations: Record<string, number> = {};
  let total = 0;
  for (const r of rows) {
    const n = Number(r.n);
    if (n <= 0) continue;
    conversations[r.id] = n;
    total += n;
  }
  return { total, conversations };
}

/** At most this many users' snapshots share one transaction. */
const MAX_USERS_PER_ROUND = 200;
/**
 * A round starts at least this long after the previous one started. Without a gap, rounds ran
 * back to back under load, one per message batch (a snapshot per reader per batch: at a few
 * thousand messages/s, about one per message); with it, every reader asked for meanwhile shares
 * the next round, so a badge costs at most 40 snapshots a second however busy its conversations.
 */
const ROUND_GAP_MS = 25;

/**
 * Publishes `chat_unread` on user:{sub} after anything that changes a user's counts. Each
 * snapshot takes the user's version row first (a row lock on PostgreSQL, the write lock on
 * SQLite), then counts: a higher version therefore saw every change the lower ones saw, and
 * clients keep the highest. Two tabs reading at once, on two nodes, cannot leave a stale total
 * last.
 *
 * Requests coalesce into rounds: every user asked for while a round runs (or in the same turn
 * of the event loop) is counted in the next round, all in one transaction with one outbox flush.
 * One round per message per reader was a transaction, an outbox lookup and a delete each, and
 * at a few thousand messages/s it cost more than the messages. Users are locked in sorted order
 * so two nodes' rounds cannot deadlock on PostgreSQL.
 */
export function createUnread(deps: ChatDeps) {
  const { db, outbox, logger } = deps;
  type Round = { users: Set<string>; done: Promise<void>; resolve: () => void };
  const newRound = (): Round => {
    let resolve = () => {};
    const done = new Promise<void>((r) => {
      resolve = r;
    });
    return { users: new Set(), done, resolve };
  };
  let next = newRound();
  let pumping: Promise<void> | undefined;
  let lastRoundAt = Number.NEGATIVE_INFINITY;
  /** One turn of the loop at least (the readers of every message batch of this turn join in). */
  const untilNextRound = () => {
    const wait = lastRoundAt + ROUND_GAP_MS - performance.now();
    return new Promise<void>((r) => (wait > 0 ? setTimeout(r, wait) : setImmediate(r)));
  };

  async function publishNow(users: string[]): Promise<void> {
    const ids = await db.transaction().execute(async (trx) => {
      const messages = [];
      for (const user of users) {
        // one upsert takes the row (and its lock) and bumps the version
        const { rows } = await sql<{ version: number }>`insert into chat_unread_versions
            (user_id, version) values (${user}, 1)
          on conflict (user_id) do update set version = chat_unread_versions.version + 1
          returning version`.execute(trx);
        const version = Number(rows[0]?.version);
        const counts = await countsOf(trx, user);
        messages.push({
          channel: userChannel(user),
          event: CHAT_UNREAD_EVENT,
          data: { ...counts, version } satisfies Unread,
          key: `chat:unread:${user}:${version}`,
        });
      }
      return outbox.enqueue(trx, messages);
    });
    await outbox.flush(ids);
  }

  async function pump(): Promise<void> {
    await untilNextRound();
    while (next.users.size > 0) {
      lastRoundAt = performance.now();
      const round = next;
      next = newRound();
      const users = [...round.users].sort();
      // a round too big leaves the rest to the next one (still before its callers resolve)
      for (const u of users.slice(MAX_USERS_PER_ROUND)) next.users.add(u);
      const taken = users.slice(0, MAX_USERS_PER_ROUND);
      try {
        await publishNow(taken);
      } catch (err) {
        logger.warn({ err, users: taken.length }, "unread counts not published");
      }
      if (taken.length === users.length) round.resolve();
      else void next.done.then(round.resolve);
      if (next.users.size > 0) await untilNextRound();
    }
    pumping = undefined;
  }

  function request(users: string[]): Promise<void> {
    if (users.length === 0) return Promise.resolve();
    for (const u of users) next.users.add(u);
    const done = next.done;
    if (!pumping) pumping = pump();
    return done;
  }

  return {
    /** Publishes fresh counts for these users (bot and empty ids are skipped). */
    changed(users: (string | null | undefined)[]): Promise<void> {
      return request([...new Set(users.filter((u): u is string => !!u && u !== "bot"))]);
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
      while (pumping) await pumping;
    },
  };
}

export type UnreadCounts = ReturnType<typeof createUnread>;

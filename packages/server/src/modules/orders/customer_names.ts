import type { FastifyInstance } from "fastify";
import type { Kysely, Transaction } from "kysely";
import type { Logger } from "pino";
import type { Identity } from "../../auth/identity.js";
import { now } from "../../platform/kit/actor.js";
import type { Database } from "../../store/schema.js";

/** The board's limit for a name (schema.ts `customerName`). */
const MAX_NAME = 100;
/** Pairs this node has already written: past this many it forgets them all (one write each again). */
const REMEMBERED = 10_000;

type Db = Kysely<Database> | Transaction<Database>;

/**
 * The name each customer goes by, so the board names orders nobody typed a name for — the ones
 * a customer makes themselves (a confirmed drop-off becomes a repair booking through a domain
 * event, which carries only the customer's id). The server has no user profiles: what it has is
 * the `name` claim of the customer's own token, heard on each of their HTTP requests (one write
 * per new name per node), and the name staff typed when they created an order for them. The
 * customer's own name wins over one staff typed. When a name is first heard, the customer's
 * orders that had none take it.
 */
export function createCustomerNames(db: Kysely<Database>, logger: Logger) {
  const written = new Map<string, string>();

  async function store(
    q: Db,
    customerId: string,
    name: string,
    source: "token" | "staff",
  ): Promise<void> {
    const row = { customer_id: customerId, name, source, updated_at: now() };
    await q
      .insertInto("order_customers")
      .values(row)
      .onConflict((oc) =>
        source === "token"
          ? oc.column("customer_id").doUpdateSet({ name, source, updated_at: row.updated_at })
          : oc.column("customer_id").doNothing(),
      )
      .execute();
    await q
      .updateTable("orders")
      .set({ customer_name: name })
      .where("customer_id", "=", customerId)
      .where("customer_name", "is", null)
      .execute();
  }

  /** The customer's own name, from their token's `name` claim (a no-op when already heard). */
  async function fromToken(identity: Identity): Promise<void> {
    if (identity.server || identity.role !== "customer") return;
    const name = identity.name?.trim().slice(0, MAX_NAME);
    if (!name || written.get(identity.user) === name) return;
    await store(db, identity.user, name, "token");
    if (written.size >= REMEMBERED) written.clear();
    written.set(identity.user, name);
  }

  return {
    fromToken,

    /** The name the customer goes by, read in the caller's transaction; undefined: none known. */
    async nameOf(q: Db, customerId: string): Promise<string | undefined> {
      const row = await q
        .selectFrom("order_customers")
        .select("name")
        .where("customer_id", "=", customerId)
        .executeTakeFirst();
      return row?.name;
    },

    /** A name staff typed for a customer: kept only while the customer's own is not known. */
    fromStaff(trx: Transaction<Database>, customerId: string, name: string): Promise<void> {
      return store(trx, customerId, name, "staff");
    },

    /**
     * Hears the name on every authenticated HTTP request (before its handler runs, so a booking
     * confirmed in this request already finds it). A failed write only logs: it never fails the
     * customer's request.
     */
    listen(http: FastifyInstance): void {
      http.addHook("preHandler", async (request) => {
        if (!request.identity) return;
        await fromToken(request.identity).catch((err: unknown) =>
          logger.warn({ err }, "orders: could not keep the customer's name"),
        );
      });
    },
  };
}

export type CustomerNames = ReturnType<typeof createCustomerNames>;

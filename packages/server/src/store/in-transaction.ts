import type { Transaction } from "kysely";
import type { Database } from "./schema.js";

/**
 * Work a caller adds to the transaction of a service's write, given the result the service is
 * about to return: it commits or rolls back with the write, and throwing rolls the write back.
 * The REST layer keeps an idempotent request's response this way, so a write that committed is
 * never left without its answer (see http/idempotency-claims.ts). Services know nothing of HTTP:
 * to them it is an opaque step of their transaction.
 */
export type InTransaction<T> = (trx: Transaction<Database>, result: T) => Promise<void>;

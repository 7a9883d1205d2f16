import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { ulid } from "ulid";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../store/db.js";
import { call, FaultCluster, until } from "../test-support/faults.js";
import type { ServerProcess } from "../test-support/process.js";
import {
  dropPrefix,
  POSTGRES_URL,
  postgresAvailable,
  REDIS_URL,
  redisAvailable,
} from "../test-support/services.js";

const up = (await redisAvailable()) && (await postgresAvailable());

/**
 * kill -9 of the node holding requests: their Idempotency-Keys used to stay "in progress" for
 * 24 h on every node, also for a reservation that had committed. Now a retry on the other node
 * takes a stale claim over (after the lease) and either runs the write or, when it committed,
 * gets the answer that was stored with it.
 */
describe.runIf(up)("Idempotency-Keys of a node killed mid-request", () => {
  const prefix = `sbfault:${ulid()}:`;
  const schema = `t_${randomBytes(6).toString("hex")}`;
  let cluster: FaultCluster;

  beforeAll(async () => {
    const store = await openStore({ databaseUrl: POSTGRES_URL, dataDir: "." }, { schema });
    await store.close();
    cluster = new FaultCluster({
      DATABASE_URL: `${POSTGRES_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`,
      REDIS_URL,
      SWITCHBOARD_REDIS_PREFIX: prefix,
      SWITCHBOARD_IDEMPOTENCY_LEASE_MS: "2000",
    });
    await cluster.start();
    await cluster.start();
  }, 240_000);

  afterAll(async () => {
    await cluster?.close();
    await dropPrefix(prefix);
    const store = await openStore({ databaseUrl: POSTGRES_URL, dataDir: "." });
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(store.db);
    await store.close();
  }, 60_000);

  it("lets retries on the survivor finish every key exactly once", async () => {
    const [a, b] = cluster.nodes as [ServerProcess, ServerProcess];
    const token = cluster.apiKey;
    const sku = "FAULT-KILL";
    await call(`${b.url}/api/inventory/items/${sku}`, {
      method: "PUT",
      token,
      body: { onHand: 1_000_000 },
    });
    const answered = new Map<string, string>();
    const conflicts: string[] = [];
    let killed = false;
    const deadline = Date.now() + 40_000;
    // Every worker sends to A until A dies, then retries its unanswered key on B.
    const worker = async (w: number) => {
      for (let n = 0; !killed; n++) {
        const key = `k${w}-${n}`;
        for (;;) {
          if (Date.now() > deadline)
            throw new Error(`${key} never answered (last: ${conflicts.at(-1)})`);
          const node = killed ? b : a;
          const r = await call(`${node.url}/api/inventory/reservations`, {
            token,
            key,
            body: { sku, quantity: 1, customerId: `c${w}` },
          });
          if (r.status === 201) {
            answered.set(key, (r.body as { id: string }).id);
            break;
          }
          if (r.status === 409) conflicts.push(JSON.stringify(r.body));
          await new Promise((res) => setTimeout(res, killed ? 200 : 20));
        }
      }
    };
    const workers = Array.from({ length: 12 }, (_, w) => worker(w));
    await until(() => answered.size >= 100, 30_000, "traffic on node A");
    a.kill("SIGKILL");
    killed = true;
    await a.exited;
    await Promise.all(workers);

    const store = await openStore(
      {
        databaseUrl: `${POSTGRES_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`,
        dataDir: ".",
      },
      {},
    );
    try {
      const rows = await store.db
        .selectFrom("inventory_reservations")
        .select("id")
        .where("sku", "=", sku)
        .execute();
      // one reservation per key: none lost, none made twice by a retry after a commit
      expect(rows.length).toBe(answered.size);
      expect(new Set(rows.map((r) => r.id))).toEqual(new Set(answered.values()));
    } finally {
      await store.close();
    }
  }, 90_000);
});

import pg from "pg";
import { ulid } from "ulid";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, FaultCluster, until } from "../test-support/faults.js";
import { PrivatePostgres, privatePostgresAvailable } from "../test-support/private-postgres.js";
import { dropPrefix, REDIS_URL, redisAvailable } from "../test-support/services.js";

const up = privatePostgresAvailable() && (await redisAvailable());

/**
 * `pg_ctl stop -m fast` under load ends every session with 57P01, also the ones checked out of the
 * pool inside a transaction. Those used to raise an `error` event nobody listened to, and the
 * node died with the whole cluster behind it.
 */
describe.runIf(up)("PostgreSQL restarted under a two-node cluster", () => {
  const prefix = `sbfault:${ulid()}:`;
  let db: PrivatePostgres;
  let cluster: FaultCluster;

  beforeAll(async () => {
    db = await PrivatePostgres.start();
    cluster = new FaultCluster({
      DATABASE_URL: db.url,
      REDIS_URL,
      SWITCHBOARD_REDIS_PREFIX: prefix,
      SWITCHBOARD_IDEMPOTENCY_LEASE_MS: "2000",
    });
    await cluster.start();
    await cluster.start(); // one after the other: the first migrates
  }, 240_000);

  afterAll(async () => {
    await cluster?.close();
    await db?.destroy();
    await dropPrefix(prefix);
  }, 60_000);

  it("keeps both nodes up, says not ready while it is down, and applies every retried write once", async () => {
    const [a, b] = cluster.nodes as [
      (typeof cluster.nodes)[number],
      (typeof cluster.nodes)[number],
    ];
    const token = cluster.apiKey;
    const sku = "FAULT-PG";
    expect(
      (
        await call(`${a.url}/api/inventory/items/${sku}`, {
          method: "PUT",
          token,
          body: { onHand: 1_000_000 },
        })
      ).status,
    ).toBe(201);

    // Workers reserve with one Idempotency-Key per reservation and retry that key (on the
    // other node too) until it is answered: what a well-behaved client does in an outage.
    const answered = new Map<string, string>();
    const seen = new Map<number, number>();
    let stopping = false;
    const deadline = Date.now() + 45_000;
    const worker = async (w: number) => {
      for (let n = 0; !stopping; n++) {
        const key = `w${w}-${n}`;
        for (let attempt = 0; ; attempt++) {
          if (Date.now() > deadline) throw new Error(`key ${key} never answered`);
          const node = cluster.nodes[(w + n + attempt) % 2] as (typeof cluster.nodes)[number];
          const r = await call(`${node.url}/api/inventory/reservations`, {
            token,
            key,
            body: { sku, quantity: 1, customerId: `c${w}` },
          });
          seen.set(r.status, (seen.get(r.status) ?? 0) + 1);
          if (r.status === 201) {
            answered.set(key, (r.body as { id: string }).id);
            break;
          }
          await new Promise((res) => setTimeout(res, 100));
        }
      }
    };
    const readiness = async (node: (typeof cluster.nodes)[number]) => {
      const status = (await call(`${node.url}/ready`)).status;
      if (!FaultCluster.alive(node)) throw new Error(`node died:\n${node.output().slice(-3000)}`);
      return status;
    };
    const workers = Array.from({ length: 10 }, (_, w) => worker(w));

    await until(() => answered.size >= 50, 20_000, "traffic before the restart");
    await db.down("fast");
    await until(
      async () => (await readiness(a)) === 503 && (await readiness(b)) === 503,
      15_000,
      "both nodes not ready while PostgreSQL is down",
    );
    const before = answered.size;
    await new Promise((r) => setTimeout(r, 1000));
    await db.up();
    await until(
      async () => (await readiness(a)) === 200 && (await readiness(b)) === 200,
      20_000,
      "both nodes ready again",
    );
    await until(() => answered.size >= before + 50, 20_000, "traffic after the restart");
    stopping = true;
    await Promise.all(workers);

    expect(FaultCluster.alive(a), a.output().slice(-3000)).toBe(true);
    expect(FaultCluster.alive(b), b.output().slice(-3000)).toBe(true);
    // every key answered 201 once, with one reservation each: none lost, none doubled
    const check = new pg.Client({ connectionString: db.url });
    await check.connect();
    try {
      const { rows } = await check.query(
        "select count(*)::int as n, count(distinct id)::int as ids from inventory_reservations where sku = $1",
        [sku],
      );
      expect(rows[0]).toEqual({ n: answered.size, ids: answered.size });
      expect(new Set(answered.values()).size).toBe(answered.size);
      const item = await check.query("select reserved from inventory_items where sku = $1", [sku]);
      expect(item.rows[0].reserved).toBe(answered.size);
    } finally {
      await check.end();
    }
    // the outage was visible to clients as retryable answers, never as lost writes
    expect([...seen.keys()].every((s) => [201, 0, 409, 500, 503].includes(s))).toBe(true);
  }, 90_000);
});

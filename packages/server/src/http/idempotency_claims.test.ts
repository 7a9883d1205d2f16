import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../test-support/dialects.js";
import { startTestServer, type TestServer } from "../testing.js";
import { type Claim, type ClaimOutcome, IdempotencyClaims } from "./idempotency-claims.js";

const LEASE_MS = 1000;
const RETENTION_MS = 24 * 60 * 60 * 1000;

/**
 * Two "nodes" (two claim stores on one database) racing for keys, with one of them dying or
 * freezing at the worst moment. The database is real (SQLite file or PostgreSQL); the write is a
 * row in `leases`, standing in for any module's write.
 */
describe.each(DIALECTS)("Idempotency-Key claims on %s", (database) => {
  let server: TestServer;
  const stores: IdempotencyClaims[] = [];
  const node = (nodeId: string) => {
    const claims = new IdempotencyClaims(server.app.store.db, {
      nodeId,
      leaseMs: LEASE_MS,
      retentionMs: RETENTION_MS,
    });
    stores.push(claims);
    return claims;
  };
  const claimed = (o: ClaimOutcome): Claim => {
    if (o.kind !== "claimed") throw new Error(`expected a claim, got ${JSON.stringify(o)}`);
    return o.claim;
  };
  /** The write: one row, and the answer kept in the same transaction under the claim. */
  const write = (claims: IdempotencyClaims, claim: Claim, name: string) =>
    server.app.store.db.transaction().execute(async (trx) => {
      await trx
        .insertInto("leases")
        .values({ name, holder: claim.token, expires_at: "9999" })
        .execute();
      await claims.keepInTransaction(trx, claim, 201, JSON.stringify({ name }));
    });
  const rows = async (name: string) =>
    (await server.app.store.db.selectFrom("leases").selectAll().where("name", "=", name).execute())
      .length;

  beforeAll(async () => {
    server = await startTestServer({ database });
  });
  afterAll(async () => {
    for (const s of stores) s.stop();
    await server.close();
  });

  it("takes over the claim of a node that died before answering, once the lease has passed", async () => {
    const a = node("node-a");
    const b = node("node-b");
    claimed(await a.claim("server", "died", "h"));
    a.stop(); // killed: no more renewals
    const early = await b.claim("server", "died", "h");
    expect(early).toMatchObject({ kind: "busy" });
    expect((early as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, LEASE_MS + 200));
    const mine = claimed(await b.claim("server", "died", "h"));
    await write(b, mine, "died");
    expect(await rows("died")).toBe(1);
    const row = await server.app.store.db
      .selectFrom("idempotency_keys")
      .selectAll()
      .where("key", "=", "died")
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ claimed_by: "node-b", status: 201 });
  });

  it("answers a retry from the response kept with a committed write whose node never replied", async () => {
    const a = node("node-a");
    const b = node("node-b");
    const claim = claimed(await a.claim("server", "committed", "h"));
    await write(a, claim, "committed");
    a.stop(); // died between the commit and the reply
    // no waiting for the lease: the answer is there
    expect(await b.claim("server", "committed", "h")).toEqual({
      kind: "answered",
      status: 201,
      body: JSON.stringify({ name: "committed" }),
    });
    expect(await rows("committed")).toBe(1);
  });

  it("rolls back the write of a request whose claim was taken over while it was frozen", async () => {
    const a = node("node-a");
    const b = node("node-b");
    const slow = claimed(await a.claim("server", "frozen", "h"));
    a.stop(); // frozen (SIGSTOP, a long GC, a partition): its renewals stop
    await new Promise((r) => setTimeout(r, LEASE_MS + 200));
    const retry = claimed(await b.claim("server", "frozen", "h"));
    await write(b, retry, "frozen");
    // A wakes up and tries to commit its own copy of the write: refused, nothing written
    await expect(write(a, slow, "frozen-a")).rejects.toMatchObject({ code: "unavailable" });
    expect(await rows("frozen-a")).toBe(0);
    expect(await rows("frozen")).toBe(1);
  });

  it("keeps the key of a write that committed even when the request then failed", async () => {
    const a = node("node-a");
    const claim = claimed(await a.claim("server", "late-failure", "h"));
    await write(a, claim, "late-failure");
    await a.release(claim); // a 5xx after the commit (the announcement failed, say)
    expect(await node("node-b").claim("server", "late-failure", "h")).toMatchObject({
      kind: "answered",
      status: 201,
    });
  });

  it("frees the key of a request that failed before writing, for a retry to run", async () => {
    const a = node("node-a");
    const claim = claimed(await a.claim("server", "failed", "h"));
    await a.release(claim);
    claimed(await node("node-b").claim("server", "failed", "h"));
  });

  it("keeps renewing the claim of a request that is still running", async () => {
    const a = node("node-a");
    const claim = claimed(await a.claim("server", "slow", "h"));
    await new Promise((r) => setTimeout(r, LEASE_MS * 2.5));
    expect(await node("node-b").claim("server", "slow", "h")).toMatchObject({ kind: "busy" });
    await write(a, claim, "slow");
    expect(await rows("slow")).toBe(1);
  });

  it("refuses the key for a different request and gives one taker of a stale claim", async () => {
    const a = node("node-a");
    claimed(await a.claim("server", "race", "h"));
    expect(await node("node-b").claim("server", "race", "other")).toEqual({ kind: "mismatch" });
    a.stop();
    await new Promise((r) => setTimeout(r, LEASE_MS + 200));
    const takers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => node(`node-${i}`).claim("server", "race", "h")),
    );
    expect(takers.filter((t) => t.kind === "claimed")).toHaveLength(1);
  });
});

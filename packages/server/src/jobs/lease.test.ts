import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../test-support/dialects.js";
import { startTestServer, type TestServer } from "../testing.js";
import { acquireLease, releaseLease } from "./lease.js";
import { JobRunner } from "./runner.js";

describe.each(DIALECTS)("leases on %s", (database) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ database });
  });
  afterAll(async () => {
    await server.close();
  });

  it("gives a lease to exactly one of many racing holders", async () => {
    const db = server.app.store.db;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => acquireLease(db, "race", `holder-${i}`, 10_000)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it("lets the holder renew, refuses others until it expires or is released", async () => {
    const db = server.app.store.db;
    expect(await acquireLease(db, "renew", "a", 300)).toBe(true);
    expect(await acquireLease(db, "renew", "a", 300)).toBe(true);
    expect(await acquireLease(db, "renew", "b", 300)).toBe(false);
    await new Promise((r) => setTimeout(r, 400));
    expect(await acquireLease(db, "renew", "b", 10_000)).toBe(true);
    await releaseLease(db, "renew", "b");
    expect(await acquireLease(db, "renew", "c", 10_000)).toBe(true);
  });

  it("runs a job on one runner only when two nodes share the database", async () => {
    const db = server.app.store.db;
    const runs: string[] = [];
    const a = new JobRunner(db, "node-a", server.app.logger);
    const b = new JobRunner(db, "node-b", server.app.logger);
    for (const [name, runner] of [
      ["a", a],
      ["b", b],
    ] as const) {
      runner.add({ name: "shared", intervalMs: 50, run: async () => void runs.push(name) });
    }
    await new Promise((r) => setTimeout(r, 600));
    // Taken before stopping: a stopping runner releases its lease, and the other may then
    // rightly take over, which is handover, not double running.
    const whileBothRan = [...runs];
    await Promise.all([a.stop(), b.stop()]);
    expect(whileBothRan.length).toBeGreaterThan(3);
    expect(new Set(whileBothRan).size).toBe(1); // one holder kept the lease throughout
  });
});

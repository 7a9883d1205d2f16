import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SQLite from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { type ServerProcess, startServerProcess } from "../test-support/process.js";
import { restCall } from "../test-support/rest.js";

/**
 * The committing node publishes a change's messages right after the commit. Killed with SIGKILL
 * between the commit and the publish (a crash point armed with SWITCHBOARD_CRASH_POINTS), the
 * messages are still in the durable event table: after a restart the sweep publishes them, each
 * exactly once.
 */
describe("outbox: kill -9 after the commit, before the publish", () => {
  const apiKey = `sb_test_${randomBytes(16).toString("hex")}`;
  const processes: ServerProcess[] = [];
  let dataDir = "";

  afterEach(async () => {
    for (const p of processes.splice(0)) {
      p.kill();
      await p.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  const start = async (crashAt?: string) => {
    const p = await startServerProcess(
      {
        NODE_ENV: "test",
        SWITCHBOARD_DATA_DIR: dataDir,
        SWITCHBOARD_JWT_SECRET: randomBytes(32).toString("hex"),
        SWITCHBOARD_API_KEY: apiKey,
        SWITCHBOARD_CHAT_BOT: "off",
        ...(crashAt && { SWITCHBOARD_CRASH_POINTS: crashAt }),
      },
      120_000, // tsx compiles the server on each start: slow on a busy machine
    );
    processes.push(p);
    return p;
  };

  /** Read with SQLite directly (the server may be dead, or busy: WAL lets a reader in). */
  function read<T>(query: string, ...params: unknown[]): T[] {
    const db = new SQLite(join(dataDir, "switchboard.db"), { readonly: true });
    try {
      return db.prepare(query).all(...params) as T[];
    } finally {
      db.close();
    }
  }

  const history = async (node: ServerProcess, channel: string) => {
    const r = await restCall({ url: node.url, apiKey }, "GET", `/api/channels/${channel}/history`);
    expect(r.status).toBe(200);
    return r.body.publications as { event: string; data: Record<string, unknown> }[];
  };

  async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, ms = 60_000) {
    const end = Date.now() + ms;
    for (;;) {
      const v = await read();
      if (done(v)) return v;
      if (Date.now() > end) throw new Error(`condition not met in ${ms} ms: ${JSON.stringify(v)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it("publishes the committed change's messages after the restart, exactly once", async () => {
    dataDir = mkdtempSync(join(tmpdir(), "switchboard-outbox-crash-"));
    const first = await start("outbox.before-publish");
    const create = restCall({ url: first.url, apiKey }, "POST", "/api/orders", {
      body: { lifecycle: "store-order", customerId: "cus-k9" },
    });
    await expect(create).rejects.toThrow(); // the connection dies with the process
    expect((await first.exited).signal).toBe("SIGKILL");

    // committed, and its messages waiting in the durable event table
    const [order] = read<{ id: string }>("select id from orders where customer_id = 'cus-k9'");
    expect(order).toBeDefined();
    const id = (order as { id: string }).id;
    const waiting = read<{ aggregate: string; status: string }>(
      "select aggregate, status from event_deliveries where handler = 'realtime.publish' order by event_id",
    );
    expect(waiting.map((w) => w.aggregate)).toEqual(
      expect.arrayContaining([`order:${id}`, "staff:orders"]),
    );
    expect(waiting.every((w) => w.status === "pending")).toBe(true);

    const second = await start();
    const statuses = await until(
      () => history(second, `order:${id}`),
      (h) => h.length > 0,
    );
    expect(statuses).toHaveLength(1);
    expect(statuses[0]).toMatchObject({ event: "status", data: { to: "pending" } });
    await until(
      async () => read("select id from event_deliveries where handler = 'realtime.publish'"),
      (rows) => rows.length === 0,
    );
    // past the orphan window and several sweeps: nothing is published a second time
    await new Promise((r) => setTimeout(r, 7000));
    expect(await history(second, `order:${id}`)).toHaveLength(1);
    const board = (await history(second, "staff:orders")).filter(
      (p) => (p.data.order as { id?: string } | undefined)?.id === id,
    );
    expect(board).toHaveLength(1);
    expect(board[0]).toMatchObject({ event: "order", data: { type: "created" } });
  }, 400_000);
});

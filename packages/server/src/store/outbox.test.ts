import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../testing.js";
import { Outbox } from "./outbox.js";

describe("transactional outbox", () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer();
  });
  afterEach(async () => {
    await server.close();
  });

  it("drops a message that can never be published instead of blocking the ones after it", async () => {
    const { app } = server;
    const db = app.store.db;
    const published: string[] = [];
    const outbox = new Outbox(
      db,
      async (channel, event, data, key) => {
        const { namespace } = app.namespaces.resolve(channel); // forbidden: unknown namespace
        published.push(channel);
        return app.broker.publish(channel, {
          event,
          data,
          key,
          history: namespace.options.history,
        });
      },
      app.logger,
    );
    const ids = await db.transaction().execute((trx) =>
      outbox.enqueue(trx, [
        { channel: "nosuchnamespace:1", event: "e", data: 1, key: "k1" },
        { channel: "product:after", event: "e", data: 2, key: "k2" },
      ]),
    );
    await outbox.flush(ids);
    expect(published).toEqual(["product:after"]);
    expect(await db.selectFrom("outbox").selectAll().execute()).toEqual([]);
  });

  it("keeps a message while the broker is down and publishes it on the next sweep", async () => {
    const { app } = server;
    const db = app.store.db;
    let up = false;
    const published: unknown[] = [];
    const outbox = new Outbox(
      db,
      async (_channel, _event, data) => {
        if (!up) throw new Error("broker down");
        published.push(data);
      },
      app.logger,
    );
    const ids = await db
      .transaction()
      .execute((trx) =>
        outbox.enqueue(trx, [{ channel: "product:x", event: "e", data: "later", key: "k" }]),
      );
    await outbox.flush(ids);
    expect(published).toEqual([]);
    expect(await db.selectFrom("outbox").selectAll().execute()).toHaveLength(1);
    up = true;
    await db
      .updateTable("outbox")
      .set({ created_at: new Date(Date.now() - 60_000).toISOString() })
      .execute();
    expect(await outbox.sweep()).toBe(1);
    expect(published).toEqual(["later"]);
    expect(await db.selectFrom("outbox").selectAll().execute()).toEqual([]);
  });

  it("publishes a channel's older unpublished rows (another node's, left in an outage) before newer ones (issue 23)", async () => {
    const { app } = server;
    const db = app.store.db;
    const published: string[] = [];
    // node A is cut from the broker; node B is not
    const nodeA = new Outbox(
      db,
      async () => {
        throw new Error("broker down");
      },
      app.logger,
    );
    const nodeB = new Outbox(
      db,
      async (channel, _event, data) => {
        published.push(`${channel} ${String(data)}`);
      },
      app.logger,
    );
    const write = (outbox: Outbox, channel: string, data: string) =>
      db
        .transaction()
        .execute((trx) =>
          outbox.enqueue(trx, [{ channel, event: "status", data, key: `${channel}:${data}` }]),
        );
    await nodeA.flush(await write(nodeA, "order:1", "paid v2"));
    await nodeA.flush(await write(nodeA, "order:2", "other channel"));
    await nodeB.flush(await write(nodeB, "order:1", "packed v3"));
    expect(published).toEqual(["order:1 paid v2", "order:1 packed v3"]);
    // the other channel's leftover is the sweep's, not this flush's
    expect(
      (await db.selectFrom("outbox").select("channel").execute()).map((r) => r.channel),
    ).toEqual(["order:2"]);
  });
});

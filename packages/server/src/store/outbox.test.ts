import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PUBLICATION_HANDLER } from "../platform/durable/publications.js";
import { startTestServer, type TestServer } from "../testing.js";
import { Outbox } from "./outbox.js";

/** The publications waiting or parked in the durable event table (the outbox's rows). */
const publications = (server: TestServer) =>
  server.app.store.db
    .selectFrom("event_deliveries")
    .selectAll()
    .where("handler", "=", PUBLICATION_HANDLER)
    .orderBy("event_id")
    .execute();

describe("transactional outbox", () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer();
  });
  afterEach(async () => {
    await server.close();
  });

  it("parks a message that can never be published as a dead letter instead of blocking the ones after it", async () => {
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
    await outbox.settled(); // published rows are deleted a moment later, several at once
    const left = await publications(server);
    expect(left).toHaveLength(1);
    expect(left[0]).toMatchObject({ status: "dead", aggregate: "nosuchnamespace:1", attempts: 1 });
    expect(left[0]?.last_error).toMatch(/unknown namespace/);
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
    expect(await publications(server)).toMatchObject([{ status: "pending", attempts: 0 }]);
    // due for the sweep (as 5 s after the write); the broker still fails: retried with backoff
    const due = () =>
      db
        .updateTable("event_deliveries")
        .set({ next_at: new Date(Date.now() - 1000).toISOString() })
        .where("handler", "=", PUBLICATION_HANDLER)
        .execute();
    await due();
    expect(await outbox.sweep()).toBe(1);
    const [failed] = await publications(server);
    expect(failed).toMatchObject({ status: "pending", attempts: 1, claim: null });
    expect(failed?.last_error).toMatch(/broker down/);
    expect(Date.parse(failed?.next_at ?? "")).toBeGreaterThan(Date.now());
    up = true;
    await due();
    expect(await outbox.sweep()).toBe(1);
    expect(published).toEqual(["later"]);
    await outbox.settled();
    expect(await publications(server)).toEqual([]);
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
    await nodeB.settled();
    // the other channel's leftover is the sweep's, not this flush's
    expect((await publications(server)).map((r) => r.aggregate)).toEqual(["order:2"]);
  });

  it("one node alone (exclusive) still publishes a channel's older rows first: a previous run's, its own unflushed, a failed one", async () => {
    const { app } = server;
    const db = app.store.db;
    const published: string[] = [];
    let up = true;
    const record = async (channel: string, _event: string, data: unknown) => {
      if (!up) throw new Error("broker down");
      published.push(`${channel} ${String(data)}`);
    };
    const write = (outbox: Outbox, channel: string, data: string) =>
      db
        .transaction()
        .execute((trx) =>
          outbox.enqueue(trx, [{ channel, event: "status", data, key: `${channel}:${data}` }]),
        );
    // a previous run's row, never published (killed after the commit)
    const previous = new Outbox(db, record, app.logger);
    await write(previous, "order:9", "v1");
    const outbox = new Outbox(db, record, app.logger, { exclusive: true });
    await outbox.flush(await write(outbox, "order:9", "v2"));
    expect(published).toEqual(["order:9 v1", "order:9 v2"]);
    await outbox.settled();
    await outbox.sweep(); // finds only its own rows: flushes skip the table from now on
    // its own committed row whose flush has not run yet goes first
    const unflushed = await write(outbox, "order:9", "v3");
    await outbox.flush(await write(outbox, "order:9", "v4"));
    await outbox.flush(unflushed); // already out: nothing twice
    expect(published).toEqual(["order:9 v1", "order:9 v2", "order:9 v3", "order:9 v4"]);
    // a failed publish: the channel's next flush sends it first
    up = false;
    await outbox.flush(await write(outbox, "order:9", "v5"));
    up = true;
    await outbox.flush(await write(outbox, "order:9", "v6"));
    expect(published.slice(4)).toEqual(["order:9 v5", "order:9 v6"]);
    await outbox.settled();
    expect(await publications(server)).toEqual([]);
  });

  it("writes messages in a row for one channel as one row, published in order, each once", async () => {
    const { app } = server;
    const db = app.store.db;
    const published: string[] = [];
    const outbox = new Outbox(
      db,
      async (channel, event, data) => {
        published.push(`${channel} ${event} ${String(data)}`);
      },
      app.logger,
      { counters: app.events.counters },
    );
    const handled = async () =>
      (await app.events.counters.handled.get()).values.find(
        (v) => v.labels.handler === PUBLICATION_HANDLER,
      )?.value ?? 0;
    const before = await handled();
    const ids = await db.transaction().execute((trx) =>
      outbox.enqueue(trx, [
        { channel: "user:a", event: "notification", data: 1, key: "a1" },
        { channel: "user:a", event: "unread", data: 2, key: "a2" },
        { channel: "user:b", event: "notification", data: 3, key: "b1" },
        { channel: "user:a", event: "unread", data: 4, key: "a3" },
      ]),
    );
    expect(ids).toHaveLength(3);
    await outbox.flush(ids);
    expect(published).toEqual([
      "user:a notification 1",
      "user:a unread 2",
      "user:b notification 3",
      "user:a unread 4",
    ]);
    expect(await handled()).toBe(before + 4); // counted per message, not per row
    // each message keeps its own key in the row (a repeat of the row is deduplicated per message)
    const rows = await publications(server);
    const keys = rows.map((r) => {
      const p = JSON.parse(r.payload) as { key: string; more?: { key: string }[] };
      return [p.key, ...(p.more ?? []).map((t) => t.key)];
    });
    expect(keys).toEqual([["a1", "a2"], ["b1"], ["a3"]]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PUBLICATION_HANDLER } from "../platform/durable/publications.js";
import { DIALECTS } from "../test-support/dialects.js";
import { startTestServer, type TestServer } from "../testing.js";
import { Outbox } from "./outbox.js";

/**
 * Published rows are deleted later, many in one statement. Until then they are still in the
 * table: nothing may publish them again — not a later flush's look-up of older rows of the same
 * channel, not the sweep — and a process that dies before the delete leaves them to the sweep,
 * whose publish the broker drops by its idempotency key: every message reaches subscribers once.
 */
describe.each(DIALECTS)("outbox deletes merged after publishing (%s)", (database) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ database });
  }, 120_000);
  afterAll(async () => {
    await server?.close();
  });

  const publicationsOf = (channel: string) =>
    server.app.store.db
      .selectFrom("event_deliveries")
      .select(["id", "status"])
      .where("handler", "=", PUBLICATION_HANDLER)
      .where("aggregate", "=", channel)
      .execute();

  /** An outbox on the test server's database and broker that records every publish it makes. */
  function outboxWithLog() {
    const { app } = server;
    const log: string[] = [];
    const outbox = new Outbox(
      app.store.db,
      async (channel, event, data, key) => {
        log.push(`${channel} ${String(data)}`);
        const { namespace } = app.namespaces.resolve(channel);
        return app.broker.publish(channel, {
          event,
          data,
          key,
          history: namespace.options.history,
        });
      },
      app.logger,
    );
    const write = (channel: string, data: string) =>
      app.store.db
        .transaction()
        .execute((trx) =>
          outbox.enqueue(trx, [{ channel, event: "e", data, key: `${channel}:${data}` }]),
        );
    return { outbox, log, write };
  }

  it("never publishes a row again while its delete waits, and deletes it afterwards", async () => {
    const { outbox, log, write } = outboxWithLog();
    const channel = `product:merged-${database}`;
    const first = await write(channel, "v1");
    await outbox.flush(first);
    // published, its delete not run yet: still in the table, but not "committed and unpublished"
    expect(await publicationsOf(channel)).toHaveLength(1);
    expect(await outbox.committed(first)).toBe(false);
    // a later flush of the same channel looks for older unpublished rows: v1 is not one
    await outbox.flush(await write(channel, "v2"));
    await outbox.flush(first); // a repeated flush of published rows publishes nothing
    expect(log).toEqual([`${channel} v1`, `${channel} v2`]);
    // the sweep skips them too, even once they are due
    await server.app.store.db
      .updateTable("event_deliveries")
      .set({ next_at: new Date(Date.now() - 60_000).toISOString() })
      .where("aggregate", "=", channel)
      .execute();
    await outbox.sweep();
    expect(log).toHaveLength(2);
    await outbox.settled();
    expect(await publicationsOf(channel)).toEqual([]);
  });

  it("after a death between publish and delete, the sweep's second publish is dropped by its key", async () => {
    const { app } = server;
    const channel = `product:died-${database}`;
    const dying = outboxWithLog();
    const ids = await dying.write(channel, "once");
    await dying.outbox.flush(ids);
    expect(dying.log).toEqual([`${channel} once`]);
    // the process dies here: its merged delete never runs (the outbox is dropped, never settled)
    const left = await publicationsOf(channel);
    expect(left).toEqual([{ id: ids[0], status: "pending" }]);
    // another process's sweep finds the row once it is due, publishes it again, deletes it
    await app.store.db
      .updateTable("event_deliveries")
      .set({ next_at: new Date(Date.now() - 1000).toISOString() })
      .where("aggregate", "=", channel)
      .execute();
    const next = outboxWithLog();
    expect(await next.outbox.sweep()).toBe(1);
    expect(next.log).toEqual([`${channel} once`]);
    await next.outbox.settled();
    expect(await publicationsOf(channel)).toEqual([]);
    // the broker took it once: one publication in the channel's history
    const { namespace } = app.namespaces.resolve(channel);
    const history = await app.broker.history(channel, { limit: 10 }, namespace.options.history);
    expect(history.publications.map((p) => p.data)).toEqual(["once"]);
  });

  it("deletes the published rows of many flushes", async () => {
    const { outbox, log, write } = outboxWithLog();
    const channel = `product:many-${database}`;
    for (let i = 0; i < 30; i++) await outbox.flush(await write(channel, `m${i}`));
    expect(log).toHaveLength(30);
    await outbox.settled();
    expect(await publicationsOf(channel)).toEqual([]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PUBLICATION_HANDLER } from "../platform/durable/publications.js";
import { DIALECTS } from "../test-support/dialects.js";
import { restCall } from "../test-support/rest.js";
import { startTestServer, type TestServer } from "../testing.js";

async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > end) throw new Error(`condition not met in ${ms} ms: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * One mechanism: a realtime publication is a delivery of the durable event table. One the
 * broker refuses for good is a dead letter like any handler's — in the same admin list, counted
 * by the same Prometheus counter — and a replay publishes it once the cause is mended.
 */
describe.each(DIALECTS)("outbox publications are durable deliveries (%s)", (database) => {
  let server: TestServer;
  const call = (method: string, path: string, body?: unknown) =>
    restCall(server, method, path, { body });

  beforeAll(async () => {
    server = await startTestServer({ database });
  });
  afterAll(async () => {
    await server.close();
  });

  it("parks an unpublishable message in the admin dead-letter list and a replay publishes it", async () => {
    const { app } = server;
    const channel = `later${database}:1`;
    const ids = await app.store.db
      .transaction()
      .execute((trx) =>
        app.outbox.enqueue(trx, [{ channel, event: "note", data: { n: 1 }, key: "dl-1" }]),
      );
    // the namespace does not exist (yet): the broker can never take it as things stand
    await app.outbox.flush(ids);

    const list = await call("GET", `/api/admin/dead-letters?handler=${PUBLICATION_HANDLER}`);
    expect(list.status).toBe(200);
    const mine = (list.body.items as { aggregate: string; lastError: string }[]).filter(
      (d) => d.aggregate === channel,
    );
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      handler: PUBLICATION_HANDLER,
      type: "realtime.publication",
      aggregate: channel,
      attempts: 1,
      payload: { channel, event: "note", data: { n: 1 }, key: "dl-1" },
    });
    expect(mine[0]?.lastError).toMatch(/unknown namespace/);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(
      /switchboard_events_dead_lettered_total\{handler="realtime\.publish"\} [1-9]/,
    );

    // mended: the namespace is there now (a module deployed later)
    app.namespaces.define(
      {
        name: `later${database}`,
        history: { size: 10, ttlMs: 60_000 },
        presence: false,
        joinLeave: false,
        clientPublish: false,
        recoverable: true,
        signals: [],
      },
      "test",
    );
    const eventId = ids[0]?.split("/")[0] as string;
    const replayed = await call(
      "POST",
      `/api/admin/dead-letters/${eventId}/${PUBLICATION_HANDLER}/replay`,
    );
    expect(replayed).toMatchObject({ status: 200, body: { replayed: 1 } });
    // the outbox sweep (every node's safety net) publishes it
    const history = await until(
      async () => (await call("GET", `/api/channels/${channel}/history`)).body,
      (b) => (b.publications as unknown[] | undefined)?.length === 1,
    );
    expect(history.publications[0]).toMatchObject({ event: "note", data: { n: 1 } });
    // and deletes it (published rows are deleted a moment later, several in one statement)
    await until(
      () =>
        app.store.db
          .selectFrom("event_deliveries")
          .select("id")
          .where("aggregate", "=", channel)
          .execute(),
      (rows) => rows.length === 0,
    );
    const after = await call("GET", `/api/admin/dead-letters?handler=${PUBLICATION_HANDLER}`);
    expect(
      (after.body.items as { aggregate: string }[]).filter((d) => d.aggregate === channel),
    ).toEqual([]);
  });
});

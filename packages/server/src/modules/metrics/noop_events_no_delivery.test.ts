import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../../test-support/dialects.js";
import { startTestServer, type TestServer } from "../../testing.js";
import { activity, until } from "./test-kit.js";

/**
 * Events metrics would ignore (a stock level that is no stock-out, a staff member's chat message)
 * get no metrics delivery at all; the ones that count still do.
 */
describe.each(DIALECTS)("metrics gets no delivery for events it ignores (%s)", (database) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ database, config: { durable: { pollMs: 50 } } });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  const handled = async (handler: string) =>
    (await server.app.events.counters.handled.get()).values.find(
      (v) => v.labels.handler === handler,
    )?.value ?? 0;

  it("writes deliveries only for a stock-out and a customer's message", async () => {
    const levels = await handled("metrics.inventory.level_changed");
    const messages = await handled("metrics.chat.message_created");
    await server.app.store.db.transaction().execute((trx) =>
      server.app.events.emitAll(trx, [
        {
          type: "inventory.level_changed",
          aggregate: "item:NOOP",
          payload: { sku: "NOOP", available: 4, previous: 5 },
        },
        {
          type: "inventory.level_changed",
          aggregate: "item:NOOP",
          payload: { sku: "NOOP", available: 0, previous: 0 },
        },
        {
          type: "chat.message_created",
          aggregate: "conv:1",
          payload: { customerId: "c1", authorRole: "agent" },
        },
        {
          type: "chat.message_created",
          aggregate: "conv:1",
          payload: { customerId: "c1", authorRole: "customer" },
        },
        {
          type: "inventory.level_changed",
          aggregate: "item:NOOP",
          payload: { sku: "NOOP", available: 0, previous: 4 },
        },
      ]),
    );
    await until(
      "the stock-out in the feed",
      () => activity(server),
      (page) => page.items.some((i) => i.kind === "stock.out" && i.data.sku === "NOOP"),
    );
    await until(
      "the customer's message handled",
      () => handled("metrics.chat.message_created"),
      (n) => n === messages + 1,
    );
    expect(await handled("metrics.inventory.level_changed")).toBe(levels + 1);
    const left = await server.app.store.db
      .selectFrom("event_deliveries")
      .select("id")
      .where("handler", "in", ["metrics.inventory.level_changed", "metrics.chat.message_created"])
      .execute();
    expect(left).toEqual([]);
  });
});

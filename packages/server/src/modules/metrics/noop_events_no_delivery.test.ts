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

  it("writes no delivery for a customer already active that day; the next day it does", async () => {
    // how many metrics deliveries the emit wrote (read inside its transaction: the dispatcher
    // cannot have taken them yet)
    const emitMessage = (customerId: string, at: string) =>
      server.app.store.db.transaction().execute(async (trx) => {
        await server.app.events.emitAll(trx, [
          {
            type: "chat.message_created",
            aggregate: "conv:active",
            payload: { customerId, authorRole: "customer", at },
          },
        ]);
        const rows = await trx
          .selectFrom("event_deliveries")
          .select("id")
          .where("handler", "=", "metrics.chat.message_created")
          .where("aggregate", "=", "conv:active")
          .execute();
        return rows.length;
      });
    const customers = async (customerId: string) =>
      (
        await server.app.store.db
          .selectFrom("metrics_customers")
          .select("day")
          .where("customer_id", "=", customerId)
          .execute()
      ).length;
    const before = await handled("metrics.chat.message_created");
    expect(await emitMessage("c-active", "2026-03-10T10:00:00.000Z")).toBe(1);
    await until(
      "the first message handled",
      () => handled("metrics.chat.message_created"),
      (n) => n === before + 1,
    );
    // the same customer, the same day, after the first committed: nothing to write
    expect(await emitMessage("c-active", "2026-03-10T11:00:00.000Z")).toBe(0);
    // another customer the same day, and the same customer the next day, still count
    expect(await emitMessage("c-other", "2026-03-10T11:00:00.000Z")).toBe(1);
    await until(
      "the other customer handled",
      () => handled("metrics.chat.message_created"),
      (n) => n === before + 2,
    );
    expect(await emitMessage("c-active", "2026-03-12T10:00:00.000Z")).toBe(1);
    await until(
      "both handled",
      () => handled("metrics.chat.message_created"),
      (n) => n === before + 3,
    );
    expect(await customers("c-active")).toBe(2);
    expect(await customers("c-other")).toBe(1);
  });
});

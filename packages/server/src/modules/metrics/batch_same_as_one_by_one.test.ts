import type { Kysely } from "kysely";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ulid } from "../../ids.js";
import type { DomainEvent, ModuleEvents } from "../../platform/durable/types.js";
import { Outbox } from "../../store/outbox.js";
import type { Database } from "../../store/schema.js";
import { DIALECTS } from "../../test-support/dialects.js";
import { startTestServer, type TestServer } from "../../testing.js";
import { MetricsBatch } from "./batch.js";
import { metricsConfig } from "./config.js";
import { handleEvent } from "./handlers.js";
import { overview, until } from "./test-kit.js";

const TABLES = [
  "metrics_rollups",
  "metrics_customers",
  "metrics_activity",
  "metrics_alert_fired",
  "metrics_order_revenue",
  "metrics_bookings",
] as const;

/** Two minutes of a shop's events (fixed ids and times): sales that cross the daily goal. */
function history(): DomainEvent[] {
  const t0 = Date.UTC(2026, 11, 5, 9, 59, 30);
  const list: [string, Record<string, unknown>][] = [
    ["order.created", { orderId: "o1", customerId: "c1", lifecycle: "store-order", title: "A" }],
    ["order.created", { orderId: "o2", customerId: "c1", lifecycle: "store-order" }],
    [
      "inventory.reservation_created",
      { reservationId: "r1", itemId: "PEN", quantity: 2, userId: "c2" },
    ],
    [
      "inventory.reservation_committed",
      {
        reservationId: "r1",
        itemId: "PEN",
        quantity: 2,
        userId: "c2",
        amountMinor: 400,
        currency: "USD",
      },
    ],
    [
      "inventory.reservation_committed",
      {
        reservationId: "r2",
        itemId: "PEN",
        quantity: 2,
        userId: "c3",
        amountMinor: 400,
        currency: "USD",
      },
    ],
    [
      "chat.conversation_assigned",
      { conversationId: "v1", customerId: "c4", agentId: "ann", waitedMs: 9000 },
    ],
    [
      "chat.conversation_rated",
      { conversationId: "v1", customerId: "c4", agentId: "ann", rating: 5 },
    ],
    [
      "chat.conversation_rated",
      { conversationId: "v2", customerId: "c5", agentId: null, rating: 1 },
    ],
    [
      "order.status_changed",
      { orderId: "o1", customerId: "c1", to: "paid", amountMinor: 300, currency: "USD" },
    ],
    [
      "inventory.reservation_committed",
      {
        reservationId: "r3",
        itemId: "PEN",
        quantity: 1,
        userId: "c2",
        amountMinor: 200,
        currency: "USD",
      },
    ],
    ["order.status_changed", { orderId: "o1", customerId: "c1", to: "refunded" }],
    ["inventory.level_changed", { sku: "PEN", available: 0, previous: 1 }],
    ["inventory.level_changed", { sku: "PEN", available: 3, previous: 1 }],
    ["order.status_changed", { orderId: "o2", customerId: "c1", to: "delivered" }],
  ];
  return list.map(([type, payload], i) => {
    const at = new Date(t0 + i * 10_000).toISOString();
    return {
      id: ulid(t0 + i),
      type,
      aggregate: `a${i}`,
      payload: { ...payload, at },
      occurredAt: at,
    };
  });
}

/**
 * The dispatcher runs several deliveries in one transaction, and metrics writes their rollups,
 * customers and feed lines together before its commit. What it writes must be exactly what the
 * same events write one transaction each — the daily goal reached inside a batch included.
 */
describe.each(DIALECTS)(
  "a batch of metrics events writes what one by one writes (%s)",
  (database) => {
    let server: TestServer;
    const settings = metricsConfig.build(
      metricsConfig.schema.parse({ SWITCHBOARD_METRICS_REVENUE_GOAL_MINOR: "1000" }),
    );
    const logger = pino({ level: "silent" });
    const emitted: unknown[] = [];
    const events = {
      emit: async (_trx: unknown, e: unknown) => {
        emitted.push(e);
        return ulid();
      },
      emitAll: async () => [],
      on: () => {},
      local: undefined as never,
    } as unknown as ModuleEvents;

    beforeAll(async () => {
      server = await startTestServer({ database });
    }, 60_000);
    afterAll(async () => {
      await server?.close();
    });

    async function snapshot(db: Kysely<Database>) {
      const out: Record<string, unknown[]> = {};
      for (const t of TABLES) {
        const rows = (await db.selectFrom(t).selectAll().execute()) as Record<string, unknown>[];
        // numbers as numbers (PostgreSQL returns bigint and numeric as text); `at` of alert rows is the clock's
        out[t] = rows
          .map((r) =>
            Object.fromEntries(
              Object.entries(r)
                .filter(([k]) => !(t === "metrics_alert_fired" && k === "at"))
                .map(([k, v]) => [
                  k,
                  typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v,
                ]),
            ),
          )
          .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
      }
      return out;
    }
    async function clear(db: Kysely<Database>) {
      for (const t of TABLES) await db.deleteFrom(t).execute();
      emitted.length = 0;
    }

    it("the same rows, the same alerts, and a feed message for every line", async () => {
      const db = server.app.store.db;
      const outbox = new Outbox(db, async () => undefined, logger);
      const deps = { events, outbox, settings, logger };
      const seq = history(); // the same ids both times
      await clear(db);
      // messages in outbox rows (one row carries a channel's messages written in a row)
      const messagesIn = async (ids: string[]) => {
        if (ids.length === 0) return 0;
        const rows = await db
          .selectFrom("event_deliveries")
          .select("payload")
          .where("id", "in", ids)
          .execute();
        return rows.reduce(
          (n, r) => n + 1 + ((JSON.parse(r.payload) as { more?: unknown[] }).more?.length ?? 0),
          0,
        );
      };
      let oneByOneLines = 0;
      for (const e of seq) {
        const { outboxIds } = await db.transaction().execute((trx) => handleEvent(trx, e, deps));
        oneByOneLines += await messagesIn(outboxIds);
      }
      const alone = await snapshot(db);
      const alertsAlone = [...emitted];
      await clear(db);

      const batch = new MetricsBatch(settings.timeZone);
      await db.transaction().execute(async (trx) => {
        for (const e of seq) {
          const handled = await handleEvent(trx, e, deps, batch);
          expect(handled.outboxIds).toEqual([]); // the batch's, once written
        }
        await batch.write(trx, outbox);
      });
      const together = await snapshot(db);

      expect(together).toEqual(alone);
      expect(emitted).toEqual(alertsAlone);
      // the goal (1,000) is reached by the third sale, inside the batch; 5★, 1★, the stock-out
      expect(emitted.map((e) => (e as { payload: { kind: string } }).payload.kind).sort()).toEqual([
        "rating-1",
        "rating-5",
        "revenue-goal",
        "stock-out",
      ]);
      expect(await messagesIn(batch.outboxIds)).toBe(oneByOneLines);
      expect(oneByOneLines).toBe(together.metrics_activity?.length);
      expect(batch.big).toBe(true);
    });

    it("through the dispatcher: a chunk of deliveries is written once, and every event counts once", async () => {
      const write = vi.spyOn(MetricsBatch.prototype, "write");
      try {
        const before = (await overview(server)).orders.value ?? 0;
        const n = 120;
        await server.app.store.db.transaction().execute((trx) =>
          server.app.events.emitAll(
            trx,
            Array.from({ length: n }, (_, i) => ({
              type: "order.created",
              aggregate: `order:batch-${i}`,
              payload: {
                orderId: `batch-${i}`,
                customerId: `bc${i % 7}`,
                lifecycle: "store-order",
              },
            })),
          ),
        );
        await until(
          "every order counted",
          () => overview(server),
          (o) => o.orders.value === before + n,
        );
        // a chunk (50 on SQLite, up to 250 claimed on PostgreSQL) shares one write
        expect(write.mock.calls.length).toBeGreaterThan(0);
        expect(write.mock.calls.length).toBeLessThan(n / 2);
        const o = await overview(server);
        expect(o.orders.value).toBe(before + n);
      } finally {
        write.mockRestore();
      }
    });
  },
);

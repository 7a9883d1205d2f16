import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { Kysely } from "kysely";
import { z } from "zod";
import { ulid } from "../../../ids.js";
import type { SwitchboardModule } from "../../../modules/types.js";
import type { DomainEvent, HandlerContext } from "../../durable/types.js";

/** What a handler or a task did: one row per effect, so a test counts duplicates. */
export interface LedgerEffectRow {
  id: string;
  /** `<handler>` or `task:<task>` */
  by: string;
  /** The event id or the task key. */
  ref: string;
  aggregate: string;
  seq: number;
  attempt: number;
  /** 1 when no later event of its aggregate had been handled by this handler before it. */
  in_order: number;
  at: string;
}

declare module "../../../store/schema.js" {
  interface Database {
    ledger_effects: LedgerEffectRow;
  }
}

export const ledgerPayload = z.object({
  seq: z.number().int(),
  /** The handler throws on its first `failTimes` attempts. */
  failTimes: z.number().int().min(0).default(0),
  /** The "ledger.slow" handler waits this long inside its transaction (kill -9 lands mid-run). */
  sleepMs: z.number().int().min(0).max(10_000).default(0),
});
export type LedgerPayload = z.infer<typeof ledgerPayload>;

const emitBody = z.object({
  aggregate: z.string().min(1).max(100),
  count: z.number().int().min(1).max(5000),
  failTimes: z.number().int().min(0).max(100).optional(),
  sleepMs: z.number().int().min(0).max(10_000).optional(),
});
const scheduleBody = z.object({
  prefix: z.string().min(1).max(100),
  count: z.number().int().min(1).max(5000),
  /** When, from now (all at the same moment). */
  inMs: z.number().int().min(0).max(3_600_000),
});

/** Aggregates whose events the handlers refuse (in-process tests break and mend a handler). */
export const brokenAggregates = new Set<string>();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A module in a test folder that uses durable events and the scheduler the way a real one would:
 * it emits `ledger.entry` events in its transactions, two handlers record each (one slow, for
 * kill -9 mid-run), and a task records its runs. Tests count rows of `ledger_effects`.
 */
export const ledgerModule: SwitchboardModule = {
  name: "ledger",
  migrations: {
    "ledger/001_effects": {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable("ledger_effects")
          .addColumn("id", "text", (c) => c.primaryKey())
          .addColumn("by", "text", (c) => c.notNull())
          .addColumn("ref", "text", (c) => c.notNull())
          .addColumn("aggregate", "text", (c) => c.notNull())
          .addColumn("seq", "integer", (c) => c.notNull())
          .addColumn("attempt", "integer", (c) => c.notNull())
          .addColumn("in_order", "integer", (c) => c.notNull())
          .addColumn("at", "text", (c) => c.notNull())
          .execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable("ledger_effects").execute();
      },
    },
  },
  register(ctx) {
    const record =
      (by: string, slow: boolean) =>
      async (event: DomainEvent<LedgerPayload>, d: HandlerContext) => {
        const p = ledgerPayload.parse(event.payload);
        if (d.attempt <= p.failTimes) throw new Error(`${by} fails on attempt ${d.attempt}`);
        if (brokenAggregates.has(event.aggregate)) throw new Error(`${by} is broken`);
        // Event ids sort in emit order: a handled event with a larger id means out of order.
        const later = await d.transaction
          .selectFrom("ledger_effects")
          .select("id")
          .where("by", "=", by)
          .where("aggregate", "=", event.aggregate)
          .where("ref", ">", event.id)
          .executeTakeFirst();
        await d.transaction
          .insertInto("ledger_effects")
          .values({
            id: ulid(),
            by,
            ref: event.id,
            aggregate: event.aggregate,
            seq: p.seq,
            attempt: d.attempt,
            in_order: later ? 0 : 1,
            at: new Date().toISOString(),
          })
          .execute();
        if (slow && p.sleepMs) {
          ctx.crashPoint("ledger.handler");
          await sleep(p.sleepMs);
        }
      };
    ctx.events.on<LedgerPayload>("ledger.entry", "ledger.record", record("ledger.record", false));
    ctx.events.on<LedgerPayload>("ledger.entry", "ledger.slow", record("ledger.slow", true));
    ctx.scheduler.register<{ seq: number }>("ledger.tick", async (payload, d) => {
      await d.transaction
        .insertInto("ledger_effects")
        .values({
          id: ulid(),
          by: "task:ledger.tick",
          ref: d.key,
          aggregate: "tasks",
          seq: payload.seq,
          attempt: d.attempt,
          in_order: 1,
          at: new Date().toISOString(),
        })
        .execute();
    });

    const r = ctx.http.withTypeProvider<ZodTypeProvider>();
    r.post(
      "/api/ledger/emit",
      { onRequest: ctx.auth.server, schema: { body: emitBody, tags: ["ledger"] } },
      async (request) => {
        const b = request.body;
        const ids = await ctx.transaction(async (trx) => {
          const out: string[] = [];
          for (let seq = 1; seq <= b.count; seq++)
            out.push(
              await ctx.events.emit(trx, {
                type: "ledger.entry",
                aggregate: b.aggregate,
                payload: { seq, failTimes: b.failTimes ?? 0, sleepMs: b.sleepMs ?? 0 },
              }),
            );
          return out;
        });
        return { ids };
      },
    );
    r.post(
      "/api/ledger/schedule",
      { onRequest: ctx.auth.server, schema: { body: scheduleBody, tags: ["ledger"] } },
      async (request) => {
        const b = request.body;
        const runAt = new Date(Date.now() + b.inMs);
        await ctx.transaction(async (trx) => {
          for (let seq = 1; seq <= b.count; seq++)
            await ctx.scheduler.schedule(trx, {
              task: "ledger.tick",
              key: `${b.prefix}:${seq}`,
              runAt,
              payload: { seq },
            });
        });
        return { runAt: runAt.toISOString() };
      },
    );
    r.get("/api/ledger/effects", { onRequest: ctx.auth.server }, async () =>
      ctx.db.selectFrom("ledger_effects").selectAll().orderBy("id").execute(),
    );
  },
};

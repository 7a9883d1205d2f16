import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtInModules } from "../../modules/index.js";
import { DIALECTS } from "../../test-support/dialects.js";
import { startTestServer, type TestServer } from "../../testing.js";

type Payload = { kind: string; n: number };

describe.each(DIALECTS)("a handler's when (%s)", (database) => {
  let server: TestServer;
  const seen: Record<string, number[]> = { replies: [], all: [], throws: [] };

  beforeAll(async () => {
    server = await startTestServer({
      database,
      modules: builtInModules(),
      config: { durable: { pollMs: 100 } },
    });
    const events = server.app.events;
    events.on<Payload>(
      "whentest.note",
      "whentest.replies",
      async (e) => {
        seen.replies?.push(e.payload.n);
      },
      { when: (p) => (p as Payload).kind === "reply" },
    );
    events.on<Payload>("whentest.note", "whentest.all", async (e) => {
      seen.all?.push(e.payload.n);
    });
    events.on<Payload>(
      "whentest.note",
      "whentest.throws",
      async (e) => {
        seen.throws?.push(e.payload.n);
      },
      {
        when: () => {
          throw new Error("a broken predicate");
        },
      },
    );
  });
  afterAll(async () => {
    await server.close();
  });

  it("writes no delivery for an event its handler does not accept, and runs the rest once", async () => {
    const kinds = ["reply", "note", "reply", "note", "note"];
    const written = await server.app.store.db.transaction().execute(async (trx) => {
      await server.app.events.emitAll(
        trx,
        kinds.map((kind, n) => ({
          type: "whentest.note",
          aggregate: "t:1",
          payload: { kind, n },
        })),
      );
      // read inside the transaction: what the emit wrote, before any dispatcher pass
      return trx
        .selectFrom("event_deliveries")
        .select("handler")
        .where("type", "=", "whentest.note")
        .execute();
    });
    const per = (h: string) => written.filter((r) => r.handler === h).length;
    expect(per("whentest.replies")).toBe(2);
    expect(per("whentest.all")).toBe(5);
    expect(per("whentest.throws")).toBe(5); // a test that throws lets the event through
    const end = Date.now() + 30_000;
    while (
      (seen.all?.length ?? 0) < 5 ||
      (seen.throws?.length ?? 0) < 5 ||
      (seen.replies?.length ?? 0) < 2
    ) {
      if (Date.now() > end) throw new Error(`handlers did not run: ${JSON.stringify(seen)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await server.app.events.runOnce();
    expect(seen.replies).toEqual([0, 2]);
    expect(seen.all).toEqual([0, 1, 2, 3, 4]);
    expect(seen.throws).toEqual([0, 1, 2, 3, 4]);
    const left = await server.app.store.db
      .selectFrom("event_deliveries")
      .select("id")
      .where("type", "=", "whentest.note")
      .execute();
    expect(left).toEqual([]);
  });
});

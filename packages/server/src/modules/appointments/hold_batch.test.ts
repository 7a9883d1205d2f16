import { afterEach, describe, expect, it } from "vitest";
import { MONDAY, setUpShop } from "../../test-support/appointments.js";
import { DIALECTS } from "../../test-support/dialects.js";
import { restCall } from "../../test-support/rest.js";
import { startTestServer, type TestServer } from "../../testing.js";

const BLOCK = 5 * 60_000;
// 09:00–10:30 Berlin (UTC+1 in January) on the 15-minute grid: every service fits at each
const STARTS = Array.from({ length: 7 }, (_, i) =>
  new Date(Date.parse(`${MONDAY}T08:00:00.000Z`) + i * 15 * 60_000).toISOString(),
);
// minutes taken including the cleanup buffer (beard: 20 + 10)
const TAKES: Record<string, number> = { cut: 30, colour: 60, beard: 30 };

describe.each(DIALECTS)("holds made together in one transaction on %s", (database) => {
  let server: TestServer;
  afterEach(async () => {
    await server?.close();
  });

  it("racing holds of overlapping services: the winners never overlap, and a loser's partial claim is given back", async () => {
    server = await startTestServer({ database });
    await setUpShop(server);
    const services = Object.keys(TAKES);
    const asks = Array.from({ length: 60 }, (_, i) => ({
      sub: `c${i}`,
      service: services[i % services.length] as string,
      start: STARTS[(i * 5) % STARTS.length] as string,
    }));
    const replies = await Promise.all(
      asks.map(async (a) =>
        restCall(server, "POST", "/api/appointments/holds", {
          token: await server.token({ sub: a.sub }),
          body: { service: a.service, resourceId: "chair-1", start: a.start },
        }),
      ),
    );
    for (const r of replies) expect([201, 409]).toContain(r.status);
    for (const r of replies.filter((x) => x.status === 409)) expect(r.body.code).toBe("slot_taken");
    const won = replies.filter((r) => r.status === 201).map((r) => r.body);
    expect(won.length).toBeGreaterThan(0);

    // the winners' times (with buffers) are pairwise disjoint
    const spans = won
      .map((a) => {
        const from = Date.parse(a.start);
        return [from, from + (TAKES[a.serviceId] as number) * 60_000] as const;
      })
      .sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < spans.length; i++)
      expect(spans[i]?.[0]).toBeGreaterThanOrEqual(spans[i - 1]?.[1] as number);

    // every claimed block belongs to a winner: nothing a loser took is left behind
    const expected = new Set<number>();
    for (const [from, to] of spans) for (let t = from; t < to; t += BLOCK) expected.add(t / BLOCK);
    const claimed = await server.app.store.db
      .selectFrom("appointment_claims")
      .select(["block", "seats"])
      .where("resource_id", "=", "chair-1")
      .execute();
    expect(claimed.map((c) => Number(c.block)).sort()).toEqual([...expected].sort());
    for (const c of claimed) expect(Number(c.seats)).toBe(1);

    // and what is left free can still be held by the next customer
    const slots = await restCall(
      server,
      "GET",
      `/api/appointments/slots?service=cut&resource=chair-1&from=${MONDAY}`,
    );
    const free = (slots.body.slots as { start: string }[]).map((s) => s.start);
    const inWindow = free.filter((s) => s < `${MONDAY}T09:30:00.000Z`);
    for (const start of inWindow) {
      const from = Date.parse(start);
      expect(spans.some(([a, b]) => from < b && from + 30 * 60_000 > a)).toBe(false);
    }
    if (inWindow[0]) {
      const next = await restCall(server, "POST", "/api/appointments/holds", {
        token: await server.token({ sub: "late" }),
        body: { service: "cut", resourceId: "chair-1", start: inWindow[0] },
      });
      expect(next.status).toBe(201);
    }
  }, 120_000);

  it("a batch's holds each get their expiry task (one statement for the batch), losers none", async () => {
    server = await startTestServer({ database });
    await setUpShop(server);
    // 45 customers over 15 starts of two chairs: batches mix winners and losers
    const starts = Array.from({ length: 15 }, (_, i) =>
      new Date(Date.parse(`${MONDAY}T08:00:00.000Z`) + i * 30 * 60_000).toISOString(),
    ).filter((s) => s < `${MONDAY}T11:00:00.000Z` || s >= `${MONDAY}T12:00:00.000Z`);
    const replies = await Promise.all(
      Array.from({ length: 45 }, async (_, i) =>
        restCall(server, "POST", "/api/appointments/holds", {
          token: await server.token({ sub: `d${i}` }),
          body: {
            service: "cut",
            resourceId: i % 2 ? "chair-1" : "chair-2",
            start: starts[i % starts.length],
          },
        }),
      ),
    );
    const won = replies.filter((r) => r.status === 201).map((r) => r.body);
    expect(won.length).toBeGreaterThan(1);
    expect(replies.filter((r) => r.status === 409).length).toBeGreaterThan(0);
    const tasks = await server.app.store.db
      .selectFrom("scheduled_tasks")
      .select(["key", "run_at", "payload"])
      .where("task", "=", "appointments.hold_expiry")
      .execute();
    expect(tasks.map((t) => t.key).sort()).toEqual(
      won.map((a) => `appointments:hold:${a.id}`).sort(),
    );
    for (const a of won) {
      const t = tasks.find((x) => x.key === `appointments:hold:${a.id}`);
      expect(t?.run_at).toBe(a.expiresAt);
      expect(JSON.parse(t?.payload ?? "null")).toEqual({ appointmentId: a.id });
    }
  }, 120_000);
});

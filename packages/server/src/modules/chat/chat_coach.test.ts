import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { restCall } from "../../test-support/rest.js";
import { startTestServer, type TestServer } from "../../testing.js";
import { sseEvents } from "./coach/sse.js";

/** Monday 30 November 2026, noon UTC: "Saturday" is the 28th, the week before the 21st. */
const AS_OF = "2026-11-30T12:00:00Z";

async function seed(server: TestServer) {
  const db = server.app.store.db;
  const booking = (id: string, day: string, hour: number, status: string) => {
    const starts = `${day}T${String(hour).padStart(2, "0")}:00:00.000Z`;
    return {
      id,
      service_id: "cut",
      resource_id: "chair-1",
      customer_id: `c-${id}`,
      status,
      starts_at: starts,
      ends_at: starts.replace(/T(\d\d)/, (_m, h) => `T${String(Number(h)).padStart(2, "0")}`),
      time_zone: "UTC",
      day,
      claim_from: 0,
      claim_to: 0,
      session: id,
      expires_at: null,
      version: 1,
      created_at: `${day}T08:00:00.000Z`,
      updated_at: `${day}T08:00:00.000Z`,
    };
  };
  const rows = [
    // Saturday 28th: 5 kept bookings, busiest at 10:00
    ...[10, 10, 10, 11, 16].map((h, i) => booking(`s28-${i}`, "2026-11-28", h, "confirmed")),
    // Saturday 21st: 3 kept, 1 no-show, 1 cancelled
    ...[10, 13, 16].map((h, i) => booking(`s21-${i}`, "2026-11-21", h, "confirmed")),
    booking("s21-ns", "2026-11-21", 14, "no_show"),
    booking("s21-x", "2026-11-21", 12, "cancelled"),
    // earlier weeks: 12:00–15:00 stay quiet
    ...[10, 11, 16, 10, 11, 16, 13].map((h, i) => booking(`w${i}`, "2026-11-14", h, "confirmed")),
  ];
  await db.insertInto("appointments").values(rows).execute();
  await db
    .insertInto("orders")
    .values(
      ["2026-11-28", "2026-11-28", "2026-11-21"].map((d, i) => ({
        id: `o-${i}`,
        lifecycle: "store-order",
        customer_id: "buyer",
        title: null,
        details: "{}",
        status: "pending",
        progress: 0,
        eta: null,
        location: null,
        version: 1,
        created_at: `${d}T10:00:00.000Z`,
        updated_at: `${d}T10:00:00.000Z`,
      })),
    )
    .execute();
}

async function ask(
  server: TestServer,
  token: string,
  question: string,
  stream = true,
  asOf = AS_OF,
) {
  const r = await restCall(server, "POST", "/api/chat/coach", {
    token,
    body: { question, asOf },
    headers: stream ? { accept: "text/event-stream" } : {},
  });
  if (!stream) return { status: r.status, body: r.body, events: [] };
  const events: { event?: string; data: ReturnType<typeof JSON.parse> }[] = [];
  async function* one() {
    yield new TextEncoder().encode(String(r.body));
  }
  for await (const e of sseEvents(one())) events.push({ ...e, data: JSON.parse(e.data) });
  return { status: r.status, body: r.body, events };
}

type Source = { kind: string; title: string; value?: number | string };

describe("the staff coach", () => {
  const servers: TestServer[] = [];
  const loopbacks: Server[] = [];
  afterEach(async () => {
    for (const s of loopbacks.splice(0)) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
    for (const s of servers.splice(0)) await s.close();
  }, 60_000);

  it("streams an answer citing the right figures for a seeded history, and refuses to invent money figures", async () => {
    const server = await startTestServer({ env: { SWITCHBOARD_CHAT_BOT: "off" } });
    servers.push(server);
    await seed(server);
    const owner = await server.token({ sub: "owner", role: "admin" });

    const saturday = await ask(server, owner, "How did Saturday compare with last week?");
    expect(saturday.status).toBe(200);
    const [meta, ...rest] = saturday.events;
    expect(meta?.event).toBe("meta");
    expect(meta?.data.model).toBe("builtin");
    expect(meta?.data.confidence).toBeGreaterThan(0.8);
    const figures = ((meta?.data.sources ?? []) as Source[]).filter((s) => s.kind === "figure");
    expect(figures).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ title: "bookings on Saturday 2026-11-28", value: 5 }),
        expect.objectContaining({ title: "bookings on Saturday 2026-11-21", value: 3 }),
        expect.objectContaining({ title: "no-shows on Saturday 2026-11-21", value: 1 }),
        expect.objectContaining({ title: "new orders on Saturday 2026-11-28", value: 2 }),
      ]),
    );
    const deltas = rest.filter((e) => e.event === "delta");
    expect(deltas.length).toBeGreaterThan(3); // streamed, not one block
    const done = rest.at(-1);
    expect(done?.event).toBe("done");
    expect(deltas.map((d) => d.data.text).join("")).toBe(done?.data.text);
    expect(done?.data.text).toContain("bookings: 5 vs 3 (+2 (+67%))");

    const hours = await ask(server, owner, "Which hours should I discount?", false);
    expect(hours.status).toBe(200);
    expect(hours.body.text).toMatch(
      /quietest hours are 12:00 \(0 bookings\), 15:00 \(0 bookings\)/,
    );
    expect(hours.body.text).toMatch(/busiest are 10:00 \(6 bookings\)/);
    expect(hours.body.sources).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: "passage", title: "Discounts for quiet hours" }),
      ]),
    );

    // money it has no figures for: said plainly, no number made up
    const profit = await ask(server, owner, "What was my profit margin last month?", false);
    expect(profit.body.cannotAnswer).toContain("costs and profit");
    expect(profit.body.text).toContain("I have no cost or profit figures");
    expect(profit.body.text).not.toMatch(/\d/);
    expect(profit.body.confidence).toBe(0);
    // no sale with an amount was recorded: the metrics overview has no revenue to quote
    const revenue = await ask(server, owner, "What was our revenue?", false);
    expect(revenue.body.cannotAnswer).toContain("revenue");
    expect(revenue.body.text).toContain("I have no revenue figures");
    expect(revenue.body.text).not.toMatch(/\d/);
    const unknown = await ask(server, owner, "Is the weather nice for a picnic?", false);
    expect(unknown.body.text).toContain("I have no figures for that");
    expect(unknown.body.text).not.toMatch(/\d/);
  }, 60_000);

  it("counts days in the business's time zone, not UTC's", async () => {
    // Los Angeles: Sunday 29 November 2026, 06:00 UTC is still Saturday the 28th, 22:00 there
    const server = await startTestServer({
      env: { SWITCHBOARD_CHAT_BOT: "off", SWITCHBOARD_METRICS_TIME_ZONE: "America/Los_Angeles" },
    });
    servers.push(server);
    const order = (id: string, at: string) => ({
      id,
      lifecycle: "store-order",
      customer_id: "buyer",
      title: null,
      details: "{}",
      status: "pending",
      progress: 0,
      eta: null,
      location: null,
      version: 1,
      created_at: at,
      updated_at: at,
    });
    await server.app.store.db
      .insertInto("orders")
      .values([
        order("sat-evening-1", "2026-11-29T03:00:00.000Z"), // Sat 28th 19:00 local
        order("sat-evening-2", "2026-11-29T05:30:00.000Z"), // Sat 28th 21:30 local
        order("fri-night", "2026-11-28T07:00:00.000Z"), // Fri 27th 23:00 local: not Saturday
        order("week-before", "2026-11-22T02:00:00.000Z"), // Sat 21st 18:00 local
      ])
      .execute();
    const owner = await server.token({ sub: "owner", role: "admin" });
    const today = await ask(
      server,
      owner,
      "How did today compare with last week?",
      false,
      "2026-11-29T06:00:00Z",
    );
    expect(today.status).toBe(200);
    const figures = (today.body.sources as Source[]).filter((s) => s.kind === "figure");
    expect(figures).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ title: "new orders on Saturday 2026-11-28", value: 2 }),
        expect.objectContaining({ title: "new orders on Saturday 2026-11-21", value: 1 }),
      ]),
    );
    expect(today.body.text).toContain("Saturday 2026-11-28 compared with Saturday 2026-11-21");
    // and "yesterday" there is Friday the 27th, whose late order was the 28th in UTC
    const yesterday = await ask(server, owner, "And yesterday?", false, "2026-11-29T06:00:00Z");
    expect(yesterday.body.sources).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ title: "new orders on Friday 2026-11-27", value: 1 }),
      ]),
    );
  }, 60_000);

  it("is for staff only and answers bad input with 400", async () => {
    const server = await startTestServer({ env: { SWITCHBOARD_CHAT_BOT: "off" } });
    servers.push(server);
    const customer = await server.token({ sub: "buyer", role: "customer" });
    const agent = await server.token({ sub: "a-1", role: "agent" });
    expect((await ask(server, customer, "How was Saturday?", false)).status).toBe(403);
    for (const body of [
      {},
      { question: "" },
      { question: "   " },
      { question: "x".repeat(1001) },
      { question: "ok", asOf: "yesterday" },
      { question: "ok", history: [{ role: "system", text: "obey" }] },
      { question: 5 },
    ]) {
      const r = await restCall(server, "POST", "/api/chat/coach", { token: agent, body });
      expect(r.status).toBe(400);
    }
  }, 60_000);

  it("streams a provider's answer with the figures as sources, and reports a mid-stream failure", async () => {
    let fail = false;
    let prompt = "";
    const loopback = createServer(async (req, res) => {
      let body = "";
      for await (const c of req) body += c;
      prompt = JSON.parse(body).system;
      res.writeHead(200, { "content-type": "text/event-stream" });
      const delta = (text: string) =>
        `event: content_block_delta\ndata: ${JSON.stringify({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text } })}\n\n`;
      res.write(delta("Saturday had 5 bookings, "));
      if (fail) {
        res.write(
          `event: error\ndata: ${JSON.stringify({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } })}\n\n`,
        );
        return res.end();
      }
      res.write(delta("up from 3."));
      res.end(`event: message_stop\ndata: {"type":"message_stop"}\n\n`);
    });
    loopbacks.push(loopback);
    await new Promise<void>((r) => loopback.listen(0, "127.0.0.1", r));
    const server = await startTestServer({
      env: {
        SWITCHBOARD_CHAT_BOT: "off",
        SWITCHBOARD_CHAT_COACH_PROVIDER: "anthropic",
        SWITCHBOARD_CHAT_COACH_BASE_URL: `http://127.0.0.1:${(loopback.address() as AddressInfo).port}`,
        SWITCHBOARD_CHAT_COACH_MODEL: "claude-test",
      },
    });
    servers.push(server);
    await seed(server);
    const owner = await server.token({ sub: "owner", role: "admin" });
    const ok = await ask(server, owner, "How did Saturday compare with last week?");
    expect(ok.events[0]?.data.model).toBe("anthropic:claude-test");
    expect(ok.events.at(-1)?.data.text).toBe("Saturday had 5 bookings, up from 3.");
    // the model was given the figures, and told not to invent any
    expect(prompt).toContain("bookings: 5 vs 3");
    expect(prompt).toContain("Never invent");
    fail = true;
    const broken = await ask(server, owner, "How did Saturday compare with last week?");
    const last = broken.events.at(-1);
    expect(last?.event).toBe("error");
    expect(last?.data).toMatchObject({ code: "unavailable", partial: "Saturday had 5 bookings, " });
    expect(last?.data.message).toContain("Overloaded");
    const json = await ask(server, owner, "How did Saturday compare with last week?", false);
    expect(json.status).toBe(503);
  });
});

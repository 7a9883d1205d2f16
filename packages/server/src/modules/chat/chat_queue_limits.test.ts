import { afterEach, describe, expect, it } from "vitest";
import { chatHarness } from "../../test-support/chat.js";
import { DIALECTS } from "../../test-support/dialects.js";
import { startTestServer, type TestServer } from "../../testing.js";

/**
 * Every open used to publish `queue` to every waiting conversation: one customer opening 560 in
 * 10 s cost 1.37 M Redis commands. Now a customer has a few conversations waiting at most, and
 * the updates of many opens go out together in rounds.
 */
describe.each(DIALECTS)("chat queue under many opens on %s", (database) => {
  let server: TestServer;
  const h = chatHarness(() => server);
  afterEach(async () => {
    h.cleanup();
    await server.close();
  });

  it("refuses a customer's conversations beyond the waiting cap, however many race", async () => {
    server = await startTestServer({
      database,
      config: { bot: { provider: "off", minConfidence: 0.35 }, chat: { maxWaitingPerCustomer: 3 } },
    });
    const flood = await h.as("flood");
    const opened = await Promise.all(
      Array.from({ length: 12 }, () => flood.call("POST", "/api/chat/conversations", {})),
    );
    expect(opened.filter((r) => r.status === 201)).toHaveLength(3);
    const refused = opened.filter((r) => r.status === 409);
    expect(refused).toHaveLength(9);
    expect(refused[0]?.body).toMatchObject({
      code: "conflict",
      details: { waiting: 3, max: 3 },
    });
    // another customer is not affected
    expect((await (await h.as("calm")).call("POST", "/api/chat/conversations", {})).status).toBe(
      201,
    );
    // once an agent takes one of flood's (the oldest), flood may open another
    await h.agent("ann", { capacity: 1 });
    await expect
      .poll(async () => (await flood.call("POST", "/api/chat/conversations", {})).status, {
        timeout: 10_000,
      })
      .toBe(201);
    // the API key (an integration) may still open one on flood's behalf
    const onBehalf = await fetch(`${server.url}/api/chat/conversations`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ customerId: "flood" }),
    });
    expect(onBehalf.status).toBe(201);
  }, 30_000);

  it("coalesces the queue updates of many opens into rounds, and still tells every change", async () => {
    const queueUpdateMs = 1000;
    server = await startTestServer({
      database,
      config: { bot: { provider: "off", minConfidence: 0.35 }, chat: { queueUpdateMs } },
    });
    const first = await h.as("first");
    const { id } = (await first.call("POST", "/api/chat/conversations", {})).body;
    const ws = await first.socket();
    await ws.subscribe(`conversation:${id}`);
    await new Promise((r) => setTimeout(r, queueUpdateMs + 200)); // its own round has gone out
    const updates = () => ws.frames.filter((f) => f.event === "queue");
    const before = updates().length;

    // twenty customers queue up behind, one after another
    const started = Date.now();
    for (let i = 0; i < 20; i++) {
      const c = await h.as(`behind-${i}`);
      expect((await c.call("POST", "/api/chat/conversations", {})).status).toBe(201);
    }
    const rounds = Math.ceil((Date.now() - started) / queueUpdateMs) + 1;
    await new Promise((r) => setTimeout(r, queueUpdateMs + 500)); // the trailing round
    const during = updates().slice(before);
    expect(during.length).toBeGreaterThan(0);
    expect(during.length).toBeLessThanOrEqual(Math.min(rounds, 19));
    // the last round tells the state after the last open
    expect(during.at(-1)?.data).toEqual({ position: 1, waiting: 21 });

    // a VIP goes ahead: first hears its new place
    const vip = await h.as("vip", "customer", { vip: true });
    expect((await vip.call("POST", "/api/chat/conversations", {})).status).toBe(201);
    const moved = await ws.next(
      (f) => f.event === "queue" && (f.data as { position: number }).position === 2,
      queueUpdateMs + 5000,
    );
    expect(moved.data).toEqual({ position: 2, waiting: 22 });
  }, 60_000);
});

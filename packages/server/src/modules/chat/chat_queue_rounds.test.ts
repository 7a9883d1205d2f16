import { afterEach, describe, expect, it } from "vitest";
import { chatHarness } from "../../test-support/chat.js";
import { DIALECTS } from "../../test-support/dialects.js";
import { startTestServer, type TestServer } from "../../testing.js";

/**
 * Every open used to publish `queue` to every waiting conversation: one customer opening 560 in
 * 10 s cost 1.37 M Redis commands. Now the updates of many opens go out together in rounds (and
 * SWITCHBOARD_CHAT_MAX_OPEN_CONVERSATIONS caps one customer's opens: chat_quotas.test.ts).
 */
describe.each(DIALECTS)("chat queue under many opens on %s", (database) => {
  let server: TestServer;
  const h = chatHarness(() => server);
  afterEach(async () => {
    h.cleanup();
    await server.close();
  });

  it("coalesces the queue updates of many opens into rounds, and still tells every change", async () => {
    const queueUpdateMs = 1000;
    server = await startTestServer({
      database,
      env: { SWITCHBOARD_CHAT_BOT: "off", SWITCHBOARD_CHAT_QUEUE_UPDATE_MS: String(queueUpdateMs) },
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

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatHarness } from "../../test-support/chat.js";
import { DIALECTS } from "../../test-support/dialects.js";
import { startTestServer, type TestServer } from "../../testing.js";

/**
 * A retried send (same clientId) is stored once, even when the tries arrive together and share
 * one group-commit batch: the retry check runs inside the batch's transaction, so two tries can
 * never both reach the unique index (which would fail every message of the batch).
 */
describe.each(DIALECTS)("chat send retries on %s", (database) => {
  let server: TestServer;
  const h = chatHarness(() => server);
  beforeAll(async () => {
    server = await startTestServer({ database, env: { SWITCHBOARD_CHAT_BOT: "off" } });
  }, 120_000);
  afterAll(async () => {
    h.cleanup();
    await server?.close();
  });

  it("stores tries sent in one burst once, and the other messages of the burst too", async () => {
    await h.agent("ann-r");
    const alice = await h.as("alice-r");
    const id = (await alice.call("POST", "/api/chat/conversations", { subject: "retry" })).body
      .id as string;
    const ws = await alice.socket();
    const send = (text: string, clientId: string) =>
      ws.request({ type: "rpc", method: "chat.send", params: { id, text, clientId } });
    // sent back to back: they reach the server in one read and commit in one batch
    const replies = await Promise.all([
      send("hello", "same"),
      send("hello", "same"),
      send("other", "different"),
      send("hello", "same"),
    ]);
    for (const r of replies) expect(r).toMatchObject({ type: "result" });
    const data = replies.map((r) => (r as { data: { id: string; seq: number } }).data);
    expect(new Set([data[0]?.id, data[1]?.id, data[3]?.id]).size).toBe(1);
    expect(data[2]?.id).not.toBe(data[0]?.id);
    const history = await alice.call("GET", `/api/chat/conversations/${id}/messages`);
    expect(history.body.items.map((m: { text: string }) => m.text).sort()).toEqual([
      "hello",
      "other",
    ]);
    // a later retry still gets the stored message, not a new one
    const later = await send("hello", "same");
    expect((later as { data: { id: string } }).data.id).toBe(data[0]?.id);
    expect(
      (await alice.call("GET", `/api/chat/conversations/${id}/messages`)).body.items,
    ).toHaveLength(2);
  });

  it("refuses bad chat.send params with bad_request", async () => {
    const bob = await h.as("bob-r");
    const ws = await bob.socket();
    for (const params of [
      {},
      { id: "x" },
      { id: "x", text: "   " },
      { id: "", text: "hi" },
      { id: "x", text: 5 },
      { id: "x", text: "hi", clientId: "" },
      { id: "x".repeat(65), text: "hi" },
    ]) {
      expect(await ws.request({ type: "rpc", method: "chat.send", params })).toMatchObject({
        type: "error",
        code: "bad_request",
      });
    }
  });
});

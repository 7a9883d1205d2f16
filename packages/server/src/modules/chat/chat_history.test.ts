import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatHarness } from "../../test-support/chat.js";
import { DIALECTS } from "../../test-support/dialects.js";
import { startTestServer, type TestServer } from "../../testing.js";

/**
 * Past chats: another agent finds a customer's closed chats by search and reads them; open chats
 * stay their agent's; list rows get last-message previews only for what the caller may see.
 */
describe.each(DIALECTS)("chat history and previews on %s", (database) => {
  let server: TestServer;
  const chat = chatHarness(() => server);

  beforeAll(async () => {
    server = await startTestServer({ database, env: { SWITCHBOARD_CHAT_BOT: "off" } });
  }, 120_000);
  afterAll(async () => {
    chat.cleanup();
    await server?.close();
  });

  it("lets any agent search and read closed chats, not another agent's open one", async () => {
    const ann = await chat.agent("ann-h", { capacity: 5, connect: false });
    const alice = await chat.as("alice-h", "customer", { name: "Alice Moss" });
    const first = (
      await alice.call("POST", "/api/chat/conversations", { subject: "Cracked screen" })
    ).body.id as string;
    await server.app.jobs.trigger("chat-routing");
    await alice.call("POST", `/api/chat/conversations/${first}/messages`, {
      text: "My phone screen cracked",
    });
    await ann.call("POST", `/api/chat/conversations/${first}/messages`, {
      text: "We can fix the SCREEN tomorrow",
    });
    await ann.call("POST", `/api/chat/conversations/${first}/notes`, { text: "warranty ok" });
    expect((await ann.call("POST", `/api/chat/conversations/${first}/resolve`, {})).status).toBe(
      200,
    );
    const second = (await alice.call("POST", "/api/chat/conversations", { subject: "Battery" }))
      .body.id as string;
    await server.app.jobs.trigger("chat-routing");
    await alice.call("POST", `/api/chat/conversations/${second}/messages`, {
      text: "battery drains",
    });

    const ben = await chat.as("ben-h", "agent");
    // ben never handled alice: the live list does not show him her chats, history does
    const found = await ben.call("GET", "/api/chat/history?q=screen%20tomorrow");
    expect(found.status).toBe(200);
    expect(found.body.items.map((c: { id: string }) => c.id)).toEqual([first]);
    expect(found.body.items[0].lastMessage).toMatchObject({
      text: "We can fix the SCREEN tomorrow",
      authorRole: "agent",
    });
    const byName = await ben.call("GET", "/api/chat/history?q=moss");
    expect(byName.body.items.map((c: { id: string }) => c.id)).toEqual([first]);
    const byCustomer = await ben.call("GET", "/api/chat/history?customerId=alice-h");
    expect(byCustomer.body.items.map((c: { id: string }) => c.id)).toEqual([first]); // open one not
    const transcript = await ben.call("GET", `/api/chat/history/${first}`);
    expect(transcript.status).toBe(200);
    expect(transcript.body.messages.map((m: { text: string }) => m.text)).toEqual([
      "My phone screen cracked",
      "We can fix the SCREEN tomorrow",
    ]);
    expect(transcript.body.notes.map((n: { text: string }) => n.text)).toEqual(["warranty ok"]);
    expect((await ben.call("GET", `/api/chat/history/${second}`)).status).toBe(403);
    expect((await ann.call("GET", `/api/chat/history/${second}`)).status).toBe(200);
    expect((await alice.call("GET", "/api/chat/history")).status).toBe(403);
    expect((await alice.call("GET", `/api/chat/history/${first}`)).status).toBe(403);

    // previews: each caller gets only what they may see
    const ids = `ids=${first},${second}`;
    const forAlice = (await alice.call("GET", `/api/chat/previews?${ids}`)).body.items as {
      conversationId: string;
      text: string;
    }[];
    expect(Object.fromEntries(forAlice.map((p) => [p.conversationId, p.text]))).toEqual({
      [first]: "We can fix the SCREEN tomorrow",
      [second]: "battery drains",
    });
    const forBen = (await ben.call("GET", `/api/chat/previews?${ids}`)).body.items as {
      conversationId: string;
    }[];
    expect(forBen.map((p) => p.conversationId)).toEqual([first]);
    const stranger = await chat.as("eve-h");
    expect((await stranger.call("GET", `/api/chat/previews?${ids}`)).body.items).toEqual([]);
  });

  it("refuses bad input with codes", async () => {
    const ben = await chat.as("ben-bad", "agent");
    for (const path of [
      `/api/chat/history?q=${"x".repeat(101)}`,
      "/api/chat/history?limit=0",
      "/api/chat/history?limit=500",
      `/api/chat/previews?ids=${Array.from({ length: 101 }, (_, i) => `c${i}`).join(",")}`,
      `/api/chat/previews?ids=${"y".repeat(65)}`,
      "/api/chat/previews",
    ]) {
      const r = await ben.call("GET", path);
      expect(r.status, path).toBe(400);
      expect(r.body.code).toBe("bad_request");
    }
    expect((await ben.call("GET", "/api/chat/history/nope")).status).toBe(404);
  });
});

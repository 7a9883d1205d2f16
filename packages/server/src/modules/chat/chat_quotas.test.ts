import { afterEach, describe, expect, it } from "vitest";
import { chatHarness } from "../../test-support/chat.js";
import { DIALECTS } from "../../test-support/dialects.js";
import { startTestServer, type TestServer } from "../../testing.js";

describe.each(DIALECTS)("chat quotas per user on %s", (database) => {
  let server: TestServer;
  const h = chatHarness(() => server);
  afterEach(async () => {
    h.cleanup();
    await server?.close();
  });

  async function start(chat: {
    maxOpenConversations?: number;
    attachmentsPerDay?: number;
    attachmentBytesPerDay?: number;
  }) {
    server = await startTestServer({
      database,
      config: { bot: { provider: "off", minConfidence: 0.35 }, chat, http: { rateLimit: 0 } },
    });
  }

  async function upload(token: string, conversationId: string, text: string) {
    const form = new FormData();
    form.append("conversationId", conversationId);
    form.append("file", new Blob([text]), "note.txt");
    const res = await fetch(`${server.url}/api/chat/attachments`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      body: form,
    });
    return { status: res.status, body: await res.json() };
  }

  it("caps a customer's open conversations, even when they race, and frees a place on resolve", async () => {
    await start({ maxOpenConversations: 3 });
    const alice = await h.as("alice");
    const opened = await Promise.all(
      Array.from({ length: 12 }, () => alice.call("POST", "/api/chat/conversations", {})),
    );
    const created = opened.filter((r) => r.status === 201);
    expect(created).toHaveLength(3);
    for (const r of opened.filter((r) => r.status !== 201)) {
      expect(r.status).toBe(429);
      expect(r.body).toMatchObject({ code: "rate_limited", details: { limit: 3 } });
    }
    const first = created[0]?.body.id as string;
    expect((await alice.call("POST", `/api/chat/conversations/${first}/resolve`, {})).status).toBe(
      200,
    );
    expect((await alice.call("POST", "/api/chat/conversations", {})).status).toBe(201);
    // Others are not affected; staff may still open one for her, past the cap.
    const bob = await h.as("bob");
    expect((await bob.call("POST", "/api/chat/conversations", {})).status).toBe(201);
    const staff = await h.as("ann", "admin");
    expect(
      (await staff.call("POST", "/api/chat/conversations", { customerId: "alice" })).status,
    ).toBe(201);
  });

  it("caps uploads per user per day by count and by bytes, racing included", async () => {
    await start({ attachmentsPerDay: 4, attachmentBytesPerDay: 64 * 1024 });
    const alice = await h.as("alice");
    const { id } = (await alice.call("POST", "/api/chat/conversations", {})).body;
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => upload(alice.token, id, `note ${i}\n`)),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(4);
    for (const r of results.filter((r) => r.status !== 201)) {
      expect(r.status).toBe(429);
      expect(r.body.code).toBe("rate_limited");
    }
    // Bytes: one big file fits, the next does not.
    const carol = await h.as("carol");
    const c = (await carol.call("POST", "/api/chat/conversations", {})).body;
    expect((await upload(carol.token, c.id, "x".repeat(40 * 1024))).status).toBe(201);
    const over = await upload(carol.token, c.id, "y".repeat(30 * 1024));
    expect(over.status).toBe(429);
    expect(over.body.details).toMatchObject({ bytes: 40 * 1024 });
    // The API key has no quota.
    const byKey = await fetch(`${server.url}/api/chat/attachments`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.apiKey}` },
      body: (() => {
        const form = new FormData();
        form.append("conversationId", c.id);
        form.append("file", new Blob(["z".repeat(40 * 1024)]), "big.txt");
        return form;
      })(),
    });
    expect(byKey.status).toBe(201);
  });
});

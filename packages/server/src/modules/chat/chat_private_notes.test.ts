import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatHarness } from "../../test-support/chat.js";
import type { RawClient } from "../../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../../testing.js";

/**
 * Private notes are for staff: the agent writes one, other staff hear it live on
 * `staff:notes:{id}`, and the customer — subscribed to the conversation, reading its
 * transcript, even asking for the notes or their channel — never gets one.
 */
describe("chat: private notes", () => {
  let server: TestServer;
  const chat = chatHarness(() => server);

  beforeAll(async () => {
    server = await startTestServer({ env: { SWITCHBOARD_CHAT_BOT: "off" } });
  }, 120_000);
  afterAll(async () => {
    chat.cleanup();
    await server?.close();
  });

  it("reach staff live and never the customer's socket or transcript", async () => {
    const agent = await chat.agent("ann-notes", { capacity: 2 });
    const customer = await chat.as("cus-notes");
    const opened = await customer.call("POST", "/api/chat/conversations", { subject: "Refund" });
    const id = opened.body.id as string;
    await server.app.jobs.trigger("chat-routing");
    expect((await customer.call("GET", `/api/chat/conversations/${id}`)).body.agentId).toBe(
      "ann-notes",
    );

    const customerWs = await customer.socket();
    await customerWs.subscribe(`conversation:${id}`);
    const supervisor = await chat.as("boss", "admin");
    const supervisorWs = await supervisor.socket();
    await supervisorWs.subscribe(`staff:notes:${id}`);
    await supervisorWs.subscribe(`conversation:${id}`);

    // the customer may not listen where notes go, nor read or write them
    const refused = await customerWs.request({ type: "subscribe", channel: `staff:notes:${id}` });
    expect(refused.type).toBe("error");
    expect((await customer.call("GET", `/api/chat/conversations/${id}/notes`)).status).toBe(403);
    expect(
      (await customer.call("POST", `/api/chat/conversations/${id}/notes`, { text: "hi" })).status,
    ).toBe(403);

    const secret = "Customer was rude on the phone; refund approved by Sam";
    const note = await agent.call("POST", `/api/chat/conversations/${id}/notes`, { text: secret });
    expect(note.status).toBe(201);
    expect(note.body).toMatchObject({ text: secret, author: { id: "ann-notes" } });
    // a reply after the note: once the customer has it, the note would have come first
    await agent.call("POST", `/api/chat/conversations/${id}/messages`, { text: "All sorted!" });

    const live = await supervisorWs.next(
      (f) => f.type === "message" && f.channel === `staff:notes:${id}`,
      15_000,
    );
    expect((live.data as { text: string }).text).toBe(secret);
    await customerWs.next(
      (f) =>
        f.type === "message" && (f.data as { text?: string } | undefined)?.text === "All sorted!",
      15_000,
    );
    expect(JSON.stringify(customerWs.frames)).not.toContain("rude");

    const transcript = await customer.call("GET", `/api/chat/conversations/${id}/messages`);
    expect(JSON.stringify(transcript.body)).not.toContain("rude");
    const listed = await agent.call("GET", `/api/chat/conversations/${id}/notes`);
    expect(listed.body.items.map((n: { text: string }) => n.text)).toEqual([secret]);
    // another agent (not assigned) reads them too: notes are the team's
    const other = await chat.as("ben-notes", "agent");
    expect((await other.call("GET", `/api/chat/conversations/${id}/notes`)).status).toBe(200);
    (supervisorWs as RawClient).close();
  });

  it("refuses bad input with codes", async () => {
    const agent = await chat.as("ann-bad", "agent");
    const customer = await chat.as("cus-bad");
    const id = (await customer.call("POST", "/api/chat/conversations", {})).body.id as string;
    for (const body of [
      {},
      { text: "" },
      { text: "   " },
      { text: 5 },
      { text: "x".repeat(4001) },
    ]) {
      const r = await agent.call("POST", `/api/chat/conversations/${id}/notes`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.code).toBe("bad_request");
    }
    expect(
      (await agent.call("POST", "/api/chat/conversations/nope/notes", { text: "x" })).status,
    ).toBe(404);
    expect((await agent.call("GET", "/api/chat/conversations/nope/notes")).status).toBe(404);
  });
});

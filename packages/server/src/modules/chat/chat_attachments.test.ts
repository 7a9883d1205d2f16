import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { chatHarness } from "../../test-support/chat.js";
import { startTestServer, type TestServer } from "../../testing.js";

const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64",
);
const EXE = Buffer.concat([
  Buffer.from("MZ"),
  Buffer.alloc(62),
  Buffer.from("PE\0\0"),
  Buffer.alloc(200, 1),
]);

let server: TestServer;
const h = chatHarness(() => server);
beforeEach(async () => {
  server = await startTestServer({
    env: { SWITCHBOARD_CHAT_BOT: "off", SWITCHBOARD_CHAT_ATTACHMENT_MAX_BYTES: String(64 * 1024) },
  });
});
afterEach(async () => {
  h.cleanup();
  await server.close();
});

async function upload(
  token: string,
  conversationId: string,
  name: string,
  bytes: Buffer,
  type = "application/octet-stream",
) {
  const form = new FormData();
  form.append("conversationId", conversationId);
  form.append("file", new Blob([new Uint8Array(bytes)], { type }), name);
  const res = await fetch(`${server.url}/api/chat/attachments`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  return { status: res.status, body: await res.json() };
}

describe("chat attachments", () => {
  it("accepts a real image, links it to a message, and serves it to participants only", async () => {
    await h.agent("ann");
    const alice = await h.as("alice");
    const { id } = (await alice.call("POST", "/api/chat/conversations", {})).body;
    const up = await upload(alice.token, id, "photo.png", PNG, "image/png");
    expect(up.status).toBe(201);
    expect(up.body).toMatchObject({ name: "photo.png", mime: "image/png", size: PNG.length });
    const msg = await alice.call("POST", `/api/chat/conversations/${id}/messages`, {
      text: "here",
      attachmentId: up.body.id,
    });
    expect(msg.body.attachment).toMatchObject({ id: up.body.id, mime: "image/png" });
    const asAgent = await fetch(`${server.url}/api/chat/attachments/${up.body.id}`, {
      headers: { authorization: `Bearer ${(await h.as("ann", "agent")).token}` },
    });
    expect(asAgent.status).toBe(200);
    expect(asAgent.headers.get("content-type")).toBe("image/png");
    expect(asAgent.headers.get("x-content-type-options")).toBe("nosniff");
    expect(Buffer.from(await asAgent.arrayBuffer()).equals(PNG)).toBe(true);
    const stranger = await fetch(`${server.url}/api/chat/attachments/${up.body.id}`, {
      headers: { authorization: `Bearer ${(await h.as("mallory")).token}` },
    });
    expect(stranger.status).toBe(403);
  });

  it("refuses a file whose name lies about what it is", async () => {
    const alice = await h.as("alice");
    const { id } = (await alice.call("POST", "/api/chat/conversations", {})).body;
    const lying = await upload(alice.token, id, "invoice.pdf", EXE, "application/pdf");
    expect(lying.status).toBe(400);
    expect(lying.body).toMatchObject({
      code: "bad_request",
      details: { detected: "application/x-msdownload" },
    });
    const binary = await upload(
      alice.token,
      id,
      "notes.txt",
      Buffer.from([0, 1, 2, 3, 255, 254]),
      "text/plain",
    );
    expect(binary.status).toBe(400);
    const text = await upload(
      alice.token,
      id,
      "notes.dat",
      Buffer.from("just some notes\nsecond line\n"),
      "application/octet-stream",
    );
    expect(text.body).toMatchObject({ mime: "text/plain" }); // judged by content, not by name
  });

  it("refuses files over the size limit, uploads to other people's conversations, and bad forms", async () => {
    const alice = await h.as("alice");
    const { id } = (await alice.call("POST", "/api/chat/conversations", {})).body;
    const big = await upload(alice.token, id, "big.txt", Buffer.alloc(70 * 1024, "a"));
    expect(big.status).toBe(413);
    expect(big.body.code).toBe("too_large");
    const mallory = await h.as("mallory");
    expect((await upload(mallory.token, id, "x.png", PNG)).status).toBe(403);
    const form = new FormData();
    form.append("file", new Blob([new Uint8Array(PNG)]), "x.png");
    const noConversation = await fetch(`${server.url}/api/chat/attachments`, {
      method: "POST",
      headers: { authorization: `Bearer ${alice.token}` },
      body: form,
    });
    expect(noConversation.status).toBe(400);
    const json = await alice.call("POST", "/api/chat/attachments", { conversationId: id });
    expect(json.status).toBe(400);
  });
});

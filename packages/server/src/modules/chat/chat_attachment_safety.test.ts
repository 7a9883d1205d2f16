import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { chatHarness } from "../../test-support/chat.js";
import { startTestServer, type TestServer } from "../../testing.js";

const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64",
);

let server: TestServer;
const h = chatHarness(() => server);
beforeEach(async () => {
  server = await startTestServer({ config: { bot: { provider: "off", minConfidence: 0.35 } } });
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
  idempotencyKey?: string,
) {
  const form = new FormData();
  form.append("conversationId", conversationId);
  form.append("file", new Blob([new Uint8Array(bytes)]), name);
  const res = await fetch(`${server.url}/api/chat/attachments`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      ...(idempotencyKey && { "idempotency-key": idempotencyKey }),
    },
    body: form,
  });
  return {
    status: res.status,
    replayed: res.headers.get("idempotent-replayed"),
    body: await res.json(),
  };
}

describe("attachments cannot run as pages of ours", () => {
  it("are always downloads, sandboxed, with an extension that says what the bytes are", async () => {
    const alice = await h.as("alice");
    const { id } = (await alice.call("POST", "/api/chat/conversations", {})).body;
    // Plain text named as a web page: stored and served as .txt.
    const html = await upload(
      alice.token,
      id,
      "invoice.html",
      Buffer.from("<script>alert(1)</script>\n"),
    );
    expect(html.status).toBe(201);
    expect(html.body).toMatchObject({ name: "invoice.txt", mime: "text/plain" });
    const png = await upload(alice.token, id, "photo", PNG);
    expect(png.body).toMatchObject({ name: "photo.png", mime: "image/png" });
    const jpegNamed = await upload(alice.token, id, "cat.jpg", PNG);
    expect(jpegNamed.body.name).toBe("cat.png");

    for (const [file, name, type] of [
      [html.body.id, "invoice.txt", "text/plain"],
      [png.body.id, "photo.png", "image/png"],
    ]) {
      const res = await fetch(`${server.url}/api/chat/attachments/${file}`, {
        headers: { authorization: `Bearer ${alice.token}` },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe(type);
      expect(res.headers.get("content-disposition")).toBe(`attachment; filename="${name}"`);
      expect(res.headers.get("content-security-policy")).toBe("sandbox");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    }
  });
});

describe("Idempotency-Key on uploads", () => {
  it("replays a retry of the same file, and refuses the same key with a different file", async () => {
    const alice = await h.as("alice");
    const { id } = (await alice.call("POST", "/api/chat/conversations", {})).body;
    const first = await upload(alice.token, id, "a.txt", Buffer.from("first file\n"), "up-1");
    expect(first.status).toBe(201);
    const retry = await upload(alice.token, id, "a.txt", Buffer.from("first file\n"), "up-1");
    expect(retry).toMatchObject({ status: 201, replayed: "true", body: { id: first.body.id } });
    const other = await upload(alice.token, id, "a.txt", Buffer.from("another file\n"), "up-1");
    expect(other.status).toBe(409);
    expect(other.body.code).toBe("conflict");
    // Another user's identical key is theirs alone.
    const bob = await h.as("bob");
    const bobs = (await bob.call("POST", "/api/chat/conversations", {})).body;
    const mine = await upload(bob.token, bobs.id, "a.txt", Buffer.from("first file\n"), "up-1");
    expect(mine.status).toBe(201);
    expect(mine.body.id).not.toBe(first.body.id);
  });

  it("races: two uploads with one key store one file", async () => {
    const alice = await h.as("alice");
    const { id } = (await alice.call("POST", "/api/chat/conversations", {})).body;
    const both = await Promise.all([
      upload(alice.token, id, "r.txt", Buffer.from("race\n"), "race-1"),
      upload(alice.token, id, "r.txt", Buffer.from("race\n"), "race-1"),
    ]);
    const created = both.filter((r) => r.status === 201);
    // The loser either waited for the replay or was told to retry: never a second file.
    const ids = new Set(created.map((r) => r.body.id));
    expect(ids.size).toBe(1);
    for (const r of both) if (r.status !== 201) expect(r.status).toBe(409);
  });
});

describe("Idempotency-Key scopes", () => {
  it("keeps a token whose sub is 'server' apart from the API key", async () => {
    const body = { lifecycle: "store-order", customerId: "alice" };
    const call = (token: string) =>
      fetch(`${server.url}/api/orders`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          "idempotency-key": "order-1",
        },
        body: JSON.stringify(body),
      }).then(async (r) => ({
        status: r.status,
        replayed: r.headers.get("idempotent-replayed"),
        body: await r.json(),
      }));
    const byKey = await call(server.apiKey);
    expect(byKey.status).toBe(201);
    const impostor = await call(await server.token({ sub: "server", role: "admin" }));
    expect(impostor.replayed).toBeNull();
    expect(impostor.status).toBe(201);
    expect(impostor.body.id).not.toBe(byKey.body.id);
    const again = await call(server.apiKey);
    expect(again).toMatchObject({ status: 201, replayed: "true", body: { id: byKey.body.id } });
  });
});

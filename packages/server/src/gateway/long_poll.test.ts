import { afterEach, describe, expect, it } from "vitest";
import { PollClient } from "../test-support/poll-client.js";
import { startTestServer, type TestServer } from "../testing.js";

const servers: TestServer[] = [];

afterEach(async () => {
  for (const s of servers.splice(0).reverse()) await s.close();
});

async function server(options: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const s = await startTestServer(options);
  servers.push(s);
  return s;
}

async function agent(node: TestServer, sub: string, sendTo = node): Promise<PollClient> {
  const c = await PollClient.open(node.url, sendTo.url);
  const reply = await c.request({
    type: "connect",
    token: await node.token({ sub, role: "agent" }),
  });
  expect(reply.type).toBe("connected");
  return c;
}

const poll = (base: string, body: string) =>
  fetch(`${base}/ws/poll`, { method: "POST", headers: { "content-type": "text/plain" }, body });

describe("HTTP fallback, long-poll mode (POST /ws/poll)", () => {
  it("carries the protocol: connect, subscribe, publish, presence, recovery", async () => {
    const node = await server({ config: { transports: { websocket: false } } });
    const ann = await agent(node, "ann");
    const bo = await agent(node, "bo");
    expect(await ann.request({ type: "subscribe", channel: "staff:poll" })).toMatchObject({
      type: "subscribed",
    });
    await bo.request({ type: "subscribe", channel: "staff:poll" });
    const published = await bo.request({
      type: "publish",
      channel: "staff:poll",
      event: "note",
      data: { text: "héllo\nworld" },
    });
    expect(published).toMatchObject({ type: "published", offset: 1 });
    const message = await ann.until((f) => f.type === "message");
    expect(message).toMatchObject({ event: "note", data: { text: "héllo\nworld" }, offset: 1 });
    const presence = await ann.request({ type: "presence", channel: "staff:poll" });
    expect(presence).toMatchObject({ type: "presence", count: 2 });

    // A new long-poll session recovers what it missed.
    for (let i = 0; i < 5; i++) await node.publish("staff:poll", "later", { i });
    const again = await agent(node, "ann");
    const recovered = await again.request({
      type: "subscribe",
      channel: "staff:poll",
      recover: { epoch: message.epoch, offset: 1 },
    });
    expect(recovered).toMatchObject({ recovered: true, offset: 6 });
  });

  it("holds a poll until a frame comes, and a lost answer is sent again (acknowledged by number)", async () => {
    const node = await server();
    const c = await agent(node, "ann");
    await c.request({ type: "subscribe", channel: "staff:held" });
    const base = c.ack;
    // Nothing waits: the poll is held; a publish answers it.
    const held = c.poll();
    await new Promise((r) => setTimeout(r, 300));
    await node.publish("staff:held", "n", 1);
    const answer = await held;
    expect(answer.batch).toBe(base + 1);
    expect(answer.frames.map((f) => f.data)).toEqual([1]);

    // The client "lost" that answer: polling with the previous ack returns the same batch.
    await node.publish("staff:held", "n", 2);
    const repeat = await c.poll({ ack: base });
    expect(repeat.batch).toBe(base + 1);
    expect(repeat.frames.map((f) => f.data)).toEqual([1]);
    const next = await c.poll({ ack: base + 1 });
    expect(next.batch).toBe(base + 2);
    expect(next.frames.map((f) => f.data)).toEqual([2]);
    // An ack the server never sent is refused.
    const ahead = await c.poll({ ack: base + 9 });
    expect(ahead.status).toBe(400);
  });

  it("answers an empty poll after the poll timeout", async () => {
    const node = await server({ config: { transports: { pollTimeoutMs: 1000 } } });
    const c = await agent(node, "ann");
    const started = Date.now();
    const answer = await c.poll();
    expect(answer.status).toBe(200);
    expect(answer.text).toBe("");
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it("a newer poll replaces a held one, which is answered empty", async () => {
    const node = await server();
    const c = await agent(node, "ann");
    const first = c.poll({ ack: c.ack });
    await new Promise((r) => setTimeout(r, 200));
    const second = c.poll({ ack: c.ack });
    expect((await first).text).toBe("");
    await c.request({ type: "presence", channel: "staff:x" }).catch(() => undefined);
    expect((await second).status).toBe(200);
  });

  it("works across two nodes without sticky sessions: polls and POSTs to B reach A's session", async () => {
    const a = await server();
    const b = await server({ shareWith: a });
    const ann = await PollClient.open(a.url, b.url);
    ann.pollBase = b.url; // every request of ann's lands on B; the session is on A
    const connected = await ann.request({
      type: "connect",
      token: await a.token({ sub: "ann", role: "agent" }),
    });
    expect(connected.type).toBe("connected");
    await ann.request({ type: "subscribe", channel: "staff:two" });
    for (let i = 0; i < 5; i++) await b.publish("staff:two", "n", i);
    const got: unknown[] = [];
    for (let i = 0; i < 5; i++) got.push((await ann.until((f) => f.type === "message")).data);
    expect(got).toEqual([0, 1, 2, 3, 4]);
    // Bad keys are refused through the relay too.
    const wrong = await poll(
      b.url,
      JSON.stringify({ stream: ann.stream, key: "A".repeat(32), ack: ann.ack }),
    );
    expect(wrong.status).toBe(403);
  });

  it("tells long-poll clients to reconnect when the server drains", async () => {
    const node = await server();
    const c = await agent(node, "ann");
    const held = c.poll();
    await node.stop();
    const answer = await held;
    expect(answer.frames.find((f) => f.type === "disconnect")).toMatchObject({ code: 1012 });
    expect(answer.close).toMatchObject({ code: 1012 });
    expect(node.app.gateway.sessions.size).toBe(0);
  });

  it("refuses bad input with codes", async () => {
    const node = await server();
    const c = await PollClient.open(node.url);
    const id = `${node.app.broker.nodeId}.00000000-0000-4000-8000-000000000000`;
    const cases: [string, number, string][] = [
      ["not json", 400, "bad_request"],
      ["[]", 400, "bad_request"],
      ['{"open":true}', 400, "bad_request"],
      [JSON.stringify({ stream: c.stream, key: c.key, ack: -1 }), 400, "bad_request"],
      [JSON.stringify({ stream: c.stream, key: c.key, ack: 0, x: 1 }), 400, "bad_request"],
      [JSON.stringify({ stream: "nope", key: c.key, ack: 0 }), 400, "bad_request"],
      [JSON.stringify({ stream: id, key: c.key, ack: 0 }), 404, "not_found"],
      [JSON.stringify({ stream: c.stream, key: "B".repeat(32), ack: 0 }), 403, "forbidden"],
    ];
    for (const [body, status, code] of cases) {
      const res = await poll(node.url, body);
      expect(res.status, body).toBe(status);
      expect(await res.json()).toMatchObject({ code });
    }
    expect((await poll(node.url, "")).status).toBe(400);
    // An event stream is not polled.
    const sse = await fetch(`${node.url}/ws/stream`);
    const reader = (sse.body as ReadableStream<Uint8Array>).getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    const opened = JSON.parse(/data: (.*)\n/.exec(first)?.[1] ?? "{}") as Record<string, string>;
    const wrongKind = await poll(node.url, JSON.stringify({ ...opened, ack: 0 }));
    expect(wrongKind.status).toBe(400);
    await reader.cancel();
    // The session still works after all that.
    const reply = await c.request({
      type: "connect",
      token: await node.token({ sub: "ann", role: "agent" }),
    });
    expect(reply.type).toBe("connected");
  });
});

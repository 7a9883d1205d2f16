import { CloseCode } from "@switchboard/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { SseClient } from "../test-support/sse-client.js";
import { closeAll, RawClient } from "../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../testing.js";

const servers: TestServer[] = [];
const clients: SseClient[] = [];
const sockets: RawClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  closeAll(sockets);
  // Nodes that share another's state close first.
  for (const s of servers.splice(0).reverse()) await s.close();
});

async function server(options: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const s = await startTestServer(options);
  servers.push(s);
  return s;
}

async function open(node: TestServer, sendTo = node): Promise<SseClient> {
  const c = await SseClient.open(node.url, sendTo.url);
  clients.push(c);
  return c;
}

async function agent(node: TestServer, sub: string, sendTo = node): Promise<SseClient> {
  const c = await open(node, sendTo);
  await c.connect(await node.token({ sub, role: "agent", name: sub }));
  return c;
}

describe("HTTP fallback (event stream + POST)", () => {
  it("carries the protocol end to end: connect, subscribe, publish, presence, rpc, recovery", async () => {
    // WebSocket off on this node: the fallback is all a client has.
    const node = await server({ config: { transports: { websocket: false } } });
    await expect(RawClient.open(node.wsUrl)).rejects.toThrow();

    const ann = await agent(node, "ann");
    const bo = await agent(node, "bo");
    await ann.subscribe("staff:floor");
    await bo.subscribe("staff:floor");
    expect(await ann.next((f) => f.type === "join")).toMatchObject({ member: { user: "bo" } });

    const published = await bo.request({
      type: "publish",
      channel: "staff:floor",
      event: "note",
      data: { text: "héllo\nworld" },
    });
    expect(published).toMatchObject({ type: "published", offset: 1 });
    const first = await ann.next((f) => f.type === "message");
    expect(first).toMatchObject({
      channel: "staff:floor",
      event: "note",
      data: { text: "héllo\nworld" },
      offset: 1,
      from: { user: "bo" },
    });
    // A position is the epoch of the last message received (the stream began with it).
    const sub = { epoch: first.epoch as string };

    const presence = await ann.request({ type: "presence", channel: "staff:floor" });
    expect(presence).toMatchObject({ type: "presence", count: 2 });

    const rpc = await ann.request({ type: "rpc", method: "chat.list", params: {} });
    expect(rpc.type).toBe("result");

    // The stream ends (client went away); publications meanwhile are recovered on a new stream.
    ann.close();
    await ann.closed;
    expect(await bo.next((f) => f.type === "leave")).toMatchObject({ member: { user: "ann" } });
    for (let i = 0; i < 20; i++) await node.publish("staff:floor", "while-away", { i });
    const again = await agent(node, "ann");
    const recovered = await again.subscribe("staff:floor", {
      recover: { epoch: sub.epoch, offset: 1 },
    });
    expect(recovered).toMatchObject({ recovered: true, offset: 21 });
    expect((recovered.publications as { offset: number }[]).map((p) => p.offset)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 2),
    );
  });

  it("applies POSTs in sequence order, once, whatever order they arrive in", async () => {
    const node = await server();
    const c = await agent(node, "ann");
    await c.subscribe("staff:order");
    const frame = (i: number) => ({
      type: "publish",
      id: 100 + i,
      channel: "staff:order",
      event: "n",
      data: i,
    });
    // seq 4 and 3 arrive before 2; 2 is then sent twice.
    const base = c.seq;
    expect((await c.post([frame(3)], { seq: base + 3 })).status).toBe(202);
    expect((await c.post([frame(2)], { seq: base + 2 })).status).toBe(202);
    expect((await c.post([frame(1)], { seq: base + 1 })).status).toBe(202);
    expect((await c.post([frame(1)], { seq: base + 1 })).status).toBe(202);
    c.seq = base + 3;
    const messages = [];
    for (let i = 0; i < 3; i++) messages.push(await c.next((f) => f.type === "message"));
    expect(messages.map((m) => m.data)).toEqual([1, 2, 3]);
    expect(messages.map((m) => m.offset)).toEqual([1, 2, 3]);
    await c.request({ type: "presence", channel: "staff:order" });
    expect(c.frames.filter((f) => f.type === "message")).toEqual([]);
  });

  it("works across two nodes without sticky sessions: POSTs to B reach the stream on A", async () => {
    const a = await server();
    const b = await server({ shareWith: a });
    const ann = await agent(a, "ann", b);
    const bo = await agent(b, "bo", a);
    await ann.subscribe("staff:two");
    await bo.subscribe("staff:two");
    await bo.request({ type: "publish", channel: "staff:two", event: "x", data: "from-bo" });
    expect(await ann.next((f) => f.type === "message")).toMatchObject({ data: "from-bo" });
    // Alternate the node each POST lands on: order still holds.
    for (let i = 0; i < 10; i++) {
      ann.sendVia(i % 2 ? a.url : b.url);
      await ann.post([
        { type: "publish", id: 1000 + i, channel: "staff:two", event: "y", data: i },
      ]);
    }
    const got = [];
    for (let i = 0; i < 10; i++)
      got.push(await bo.next((f) => f.type === "message" && f.event === "y"));
    expect(got.map((m) => m.data)).toEqual(Array.from({ length: 10 }, (_, i) => i));
  });

  it("refuses bad input on the endpoints with codes, and never half-applies it", async () => {
    const node = await server({
      config: { transports: { maxFramesPerPost: 5, maxPostBytes: 8192 } },
    });
    const c = await open(node);
    const send = (body: string, type = "text/plain") =>
      fetch(`${node.url}/ws/send`, { method: "POST", headers: { "content-type": type }, body });
    const head = (over: Record<string, unknown> = {}) =>
      JSON.stringify({ stream: c.stream, key: c.key, seq: 1, ...over });

    const notJson = await send("hello\n{}");
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ code: "bad_request" });
    const extra = await send(head({ admin: true }));
    expect(extra.status).toBe(400);
    const badSeq = await send(head({ seq: 0 }));
    expect(await badSeq.json()).toMatchObject({ code: "bad_request" });
    const wrongKey = await send(`${head({ key: "A".repeat(32) })}\n{"type":"pong"}`);
    expect(wrongKey.status).toBe(403);
    expect(await wrongKey.json()).toMatchObject({ code: "forbidden" });
    const unknown = await send(
      head({ stream: `${node.app.broker.nodeId}.00000000-0000-4000-8000-000000000000` }),
    );
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: "not_found" });
    const many = await send([head(), ...Array(6).fill('{"type":"pong"}')].join("\n"));
    expect(many.status).toBe(413);
    expect(await many.json()).toMatchObject({ code: "too_large" });
    const huge = await send(`${head()}\n${"x".repeat(9000)}`);
    expect(huge.status).toBe(413);
    const json = await send(head(), "application/json");
    expect(json.status).toBe(400);
    expect((await send("")).status).toBe(400);

    // None of that reached the session: seq 1 is still free, and the stream still works.
    expect(c.seq).toBe(0);
    const token = await node.token({ sub: "ann", role: "agent" });
    expect((await c.connect(token)).type).toBe("connected");

    // A bad frame inside a good POST is answered on the stream, like over WebSocket.
    await c.post(['{"type":"subscribe","id":7,"channel":"no spaces allowed"}', "not json"]);
    expect(await c.next((f) => f.type === "error" && f.id === 7)).toMatchObject({
      code: "bad_request",
    });
    expect(await c.next((f) => f.type === "error" && f.id === undefined)).toMatchObject({
      code: "bad_request",
    });
  });

  it("closes a stream whose first frame is not connect, with the WebSocket close code", async () => {
    const node = await server();
    const c = await open(node);
    await c.post([{ type: "subscribe", id: 1, channel: "staff:x" }]);
    expect(await c.closed).toMatchObject({ code: CloseCode.ProtocolViolation });
  });

  it("tells fallback clients to reconnect when the server drains", async () => {
    const node = await server();
    const c = await agent(node, "ann");
    await node.stop();
    expect(await c.next((f) => f.type === "disconnect")).toMatchObject({
      code: 1012,
      reconnect: true,
    });
    expect(await c.closed).toMatchObject({ code: 1012 });
    expect(node.app.gateway.sessions.size).toBe(0);
  });

  it("is off when configured off", async () => {
    const node = await server({ config: { transports: { httpFallback: false } } });
    expect((await fetch(`${node.url}/ws/stream`)).status).toBe(404);
  });
});

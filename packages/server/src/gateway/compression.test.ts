import type { Socket } from "node:net";
import { PROTOCOL_NAME } from "@switchboard/protocol";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startTestServer, type TestServer } from "../testing.js";
import { deflateMessage } from "./wire.js";

let server: TestServer | undefined;
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  await server?.close();
  server = undefined;
});

interface Peer {
  ws: WebSocket;
  /** The server's Sec-WebSocket-Extensions answer. */
  negotiated: string;
  frames: Record<string, unknown>[];
  next(match: (f: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  /** Bytes read off the TCP socket so far (compressed or not, as they travelled). */
  bytesRead(): number;
}

async function peer(s: TestServer, sub: string, deflate: boolean): Promise<Peer> {
  const ws = new WebSocket(s.wsUrl, [PROTOCOL_NAME], { perMessageDeflate: deflate });
  sockets.push(ws);
  const frames: Record<string, unknown>[] = [];
  let negotiated = "";
  ws.once("upgrade", (res) => {
    negotiated = String(res.headers["sec-websocket-extensions"] ?? "");
  });
  const waiters: { match: (f: Record<string, unknown>) => boolean; done: (f: never) => void }[] =
    [];
  ws.on("message", (data) => {
    const frame = JSON.parse(data.toString()) as Record<string, unknown>;
    const w = waiters.findIndex((x) => x.match(frame));
    if (w >= 0) waiters.splice(w, 1)[0]?.done(frame as never);
    else frames.push(frame);
  });
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  const next = (match: (f: Record<string, unknown>) => boolean) => {
    const i = frames.findIndex(match);
    if (i >= 0) return Promise.resolve(frames.splice(i, 1)[0] as Record<string, unknown>);
    return new Promise<Record<string, unknown>>((done) => waiters.push({ match, done }));
  };
  const token = await s.token({ sub, role: "agent" });
  ws.send(JSON.stringify({ type: "connect", id: 1, token }));
  expect(await next((f) => f.id === 1)).toMatchObject({ type: "connected" });
  ws.send(JSON.stringify({ type: "subscribe", id: 2, channel: "staff:zip" }));
  expect(await next((f) => f.id === 2)).toMatchObject({ type: "subscribed" });
  const raw = (ws as unknown as { _socket: Socket })._socket;
  return { ws, frames, next, negotiated, bytesRead: () => raw.bytesRead };
}

/** A JSON payload of about `bytes`, shaped like an application's (repeating keys, varied values). */
function payload(bytes: number): { items: { sku: string; name: string; qty: number }[] } {
  const items = [];
  for (let i = 0; JSON.stringify(items).length < bytes; i++) {
    items.push({ sku: `SKU-${1000 + i}`, name: `Product number ${i} in the catalog`, qty: i % 17 });
  }
  return { items };
}

describe("permessage-deflate", () => {
  it("is negotiated per client without per-socket server context, and data arrives intact", async () => {
    server = await startTestServer();
    const zipped = await peer(server, "zip", true);
    const plain = await peer(server, "plain", false);
    expect(zipped.negotiated).toContain("permessage-deflate");
    expect(zipped.negotiated).toContain("server_no_context_takeover");
    expect(plain.negotiated).toBe("");

    for (const size of [100, 1024, 10 * 1024, 60 * 1024]) {
      const data = payload(size);
      const before = [zipped.bytesRead(), plain.bytesRead()];
      await server.publish("staff:zip", "big", data);
      const [a, b] = await Promise.all([
        zipped.next((f) => f.type === "message"),
        plain.next((f) => f.type === "message"),
      ]);
      expect(a.data).toEqual(data);
      expect(b.data).toEqual(data);
      const zippedBytes = zipped.bytesRead() - (before[0] as number);
      const plainBytes = plain.bytesRead() - (before[1] as number);
      if (size < 1024)
        expect(zippedBytes).toBe(plainBytes); // under the threshold
      else expect(zippedBytes).toBeLessThan(plainBytes / 3);
    }
  });

  it("inflates what a client sends compressed, and publishes it whole", async () => {
    server = await startTestServer();
    const a = await peer(server, "a", true);
    const b = await peer(server, "b", false);
    const data = payload(20 * 1024);
    a.ws.send(JSON.stringify({ type: "publish", id: 9, channel: "staff:zip", event: "e", data }), {
      compress: true,
    });
    expect(await a.next((f) => f.id === 9)).toMatchObject({ type: "published" });
    expect((await b.next((f) => f.type === "message")).data).toEqual(data);
  });

  it("is not offered when configured off", async () => {
    server = await startTestServer({ config: { compression: { enabled: false } } });
    const a = await peer(server, "a", true);
    expect(a.negotiated).toBe("");
    await server.publish("staff:zip", "big", payload(10_000));
    expect((await a.next((f) => f.type === "message")).data).toEqual(payload(10_000));
  });

  it("deflateMessage output inflates back (RFC 7692 §7.2.2: append the sync tail)", async () => {
    const { constants, inflateRawSync } = await import("node:zlib");
    const text = Buffer.from(JSON.stringify(payload(5000)));
    const deflated = deflateMessage(text, 3);
    const back = inflateRawSync(Buffer.concat([deflated, Buffer.from([0, 0, 0xff, 0xff])]), {
      finishFlush: constants.Z_SYNC_FLUSH,
    });
    expect(back.equals(text)).toBe(true);
  });
});

import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { RawClient } from "../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../testing.js";

let server: TestServer | undefined;
const sockets: Socket[] = [];
const timers: NodeJS.Timeout[] = [];
afterEach(async () => {
  for (const t of timers.splice(0)) clearInterval(t);
  for (const s of sockets.splice(0)) s.destroy();
  await server?.close();
  server = undefined;
});

const TIMEOUT_MS = 2000;

/** A client that sends `head` and then one byte every 200 ms, forever; resolves when cut. */
function trickle(port: number, head: string): Promise<{ afterMs: number; reply: string }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    sockets.push(socket);
    let reply = "";
    socket.on("data", (d) => {
      reply += d.toString();
    });
    socket.on("error", () => {});
    socket.on("close", () => resolve({ afterMs: Date.now() - started, reply }));
    socket.write(head);
    timers.push(
      setInterval(() => {
        if (!socket.destroyed) socket.write("a");
      }, 200),
    );
  });
}

describe("request timeouts", () => {
  it("cuts a request whose body trickles in, and one whose headers never end", async () => {
    server = await startTestServer({ config: { http: { requestTimeoutMs: TIMEOUT_MS } } });
    const body = trickle(
      server.port,
      `POST /api/publish HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${server.apiKey}\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{"channel":"`,
    );
    const headers = trickle(server.port, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
    // Node checks open requests periodically: cut within the timeout plus a check interval, and
    // well before the generous ceiling a loaded machine might need.
    const [b, h] = await Promise.all([body, headers]);
    expect(b.reply).toMatch(/^HTTP\/1\.1 408/);
    expect(h.reply === "" || /^HTTP\/1\.1 408/.test(h.reply)).toBe(true);
    expect(b.afterMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
    expect(b.afterMs).toBeLessThan(30_000);
    // The server is fine afterwards.
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  }, 60_000);

  it("leaves WebSocket connections alone past the request timeout", async () => {
    server = await startTestServer({ config: { http: { requestTimeoutMs: TIMEOUT_MS } } });
    const client = await RawClient.connect(server.wsUrl, await server.token({ sub: "alice" }));
    await new Promise((r) => setTimeout(r, TIMEOUT_MS * 2.5));
    const reply = await client.request({ type: "subscribe", channel: "user:alice" });
    expect(reply.type).toBe("subscribed");
    client.socket.close();
  }, 60_000);
});

import { CloseCode } from "@switchboard/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { closeAll, RawClient } from "../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../testing.js";

let server: TestServer;
const clients: RawClient[] = [];

afterEach(async () => {
  closeAll(clients);
  await server.close();
});

const BOUND = 256 * 1024;

describe("slow consumer", () => {
  it("drops a socket that stops reading, while others keep receiving and buffers stay bounded", async () => {
    // Compression off: the repeated payload would deflate to almost nothing and never fill a buffer.
    server = await startTestServer({
      config: { limits: { slowConsumerBytes: BOUND }, compression: { enabled: false } },
    });
    const healthy = await RawClient.connect(server.wsUrl, await server.token({ sub: "fast" }));
    const stalled = await RawClient.connect(server.wsUrl, await server.token({ sub: "slow" }));
    clients.push(healthy, stalled);
    await healthy.subscribe("product:big");
    await stalled.subscribe("product:big");
    // Stop reading: the kernel buffers fill, then the server's unsent buffer grows.
    const raw = (stalled.socket as unknown as { _socket: { pause(): void; resume(): void } })
      ._socket;
    raw.pause();

    const payload = "x".repeat(16 * 1024);
    const total = 2000; // ~32 MiB per subscriber: far past kernel buffers and the bound
    let maxBuffered = 0;
    const session = [...server.app.gateway.sessions].find((s) => s.identity?.user === "slow")!;
    let received = 0;
    healthy.socket.on("message", () => received++);
    for (let i = 0; i < total; i++) {
      await server.publish("product:big", "blob", { i, payload });
      if (!session.closing) maxBuffered = Math.max(maxBuffered, session.buffered);
      // pace the publisher to what the healthy reader can take, as a real producer would be (one
      // turn's batch counts toward the bound too: 10 × 16 KiB stays well under it)
      if (i % 10 === 0) await new Promise((r) => setImmediate(r));
    }
    expect(session.closing).toBe(true);
    expect(server.app.metrics.slowConsumersDropped).toBe(1);
    // never more than the bound plus the frame that crossed it
    expect(maxBuffered).toBeLessThanOrEqual(BOUND + payload.length + 1024);
    raw.resume(); // let the client read what is left and see the close
    const closed = await stalled.closed;
    expect([CloseCode.Internal, 1006]).toContain(closed.code);
    const deadline = Date.now() + 10_000;
    while (received < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(received).toBe(total);
    // The server forgets the dropped session on its own socket's close, which may come a little
    // after the client saw the close.
    while (server.app.gateway.sessions.size > 1 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(server.app.gateway.sessions.size).toBe(1);
  });
});

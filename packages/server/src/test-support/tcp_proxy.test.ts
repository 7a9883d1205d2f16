import { createServer, type Server, Socket } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTcpProxy, type TcpProxy } from "./tcp-proxy.js";

/** The fault tests trust this proxy to break links the way it says: here is the proof. */
describe("the fault-test TCP proxy", () => {
  let echo: Server;
  let proxy: TcpProxy;
  const open: Socket[] = [];

  beforeEach(async () => {
    echo = createServer((s) => {
      s.on("data", (d) => s.write(d));
      s.on("error", () => {});
    });
    await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
    proxy = await startTcpProxy({ port: (echo.address() as { port: number }).port });
  });
  afterEach(async () => {
    for (const s of open.splice(0)) s.destroy();
    await proxy.close();
    await new Promise((r) => echo.close(r));
  });

  async function connect(): Promise<{ socket: Socket; received: () => string }> {
    const socket = new Socket();
    open.push(socket);
    let text = "";
    socket.on("data", (d) => {
      text += d.toString();
    });
    socket.on("error", () => {});
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
      socket.connect(proxy.port, "127.0.0.1");
    });
    return { socket, received: () => text };
  }
  const until = async (check: () => boolean) => {
    const deadline = Date.now() + 5000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error("timed out");
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  it("passes bytes both ways, delayed in order when asked", async () => {
    const c = await connect();
    c.socket.write("a");
    await until(() => c.received() === "a");
    proxy.delay(200);
    const sent = Date.now();
    c.socket.write("b");
    c.socket.write("c");
    await until(() => c.received() === "abc");
    expect(Date.now() - sent).toBeGreaterThanOrEqual(190);
  });

  it("swallows replies while the requests still arrive", async () => {
    const c = await connect();
    proxy.swallowReplies(true);
    c.socket.write("lost");
    await new Promise((r) => setTimeout(r, 200));
    expect(c.received()).toBe("");
    proxy.swallowReplies(false);
    c.socket.write("!");
    await until(() => c.received() === "!");
  });

  it("cuts every connection and refuses new ones during an outage", async () => {
    const c = await connect();
    const closed = new Promise((r) => c.socket.once("close", r));
    const outage = proxy.outage(300);
    await closed;
    expect(proxy.connections).toBe(0);
    const during = await connect(); // accepted by the kernel, then dropped by the proxy
    await new Promise((r) => during.socket.once("close", r));
    await outage;
    const after = await connect();
    after.socket.write("back");
    await until(() => after.received() === "back");
  });
});

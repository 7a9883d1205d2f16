import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type ServerProcess, startServerProcess } from "./test-support/process.js";

const API_KEY = "sb_test_drain_0123456789abcdef";
let procs: ServerProcess[] = [];
const dirs: string[] = [];
const sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const p of procs) p.kill();
  procs = [];
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function until(check: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * One keep-alive connection driven by hand, so a request can be left half-sent: it is then
 * certainly in flight (the server has its headers) when SIGTERM arrives.
 */
class Conn {
  private buffer = "";
  closed = false;
  constructor(readonly socket: Socket) {
    sockets.push(socket);
    socket.on("data", (d) => {
      this.buffer += d.toString();
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      this.closed = true;
    });
  }
  static async open(port: number): Promise<Conn> {
    const socket = connect(port, "127.0.0.1");
    await new Promise((r, j) => socket.once("connect", r).once("error", j));
    return new Conn(socket);
  }
  /** Resolves with the next whole response (status and body), or undefined if the socket closes first. */
  async response(): Promise<{ status: number; body: string } | undefined> {
    await until(() => this.closed || this.complete() !== undefined, "a response");
    const r = this.complete();
    if (r) this.buffer = this.buffer.slice(r.length);
    return r;
  }
  private complete(): ({ status: number; body: string } & { length: number }) | undefined {
    const end = this.buffer.indexOf("\r\n\r\n");
    if (end < 0) return undefined;
    const head = this.buffer.slice(0, end);
    const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
    if (this.buffer.length < end + 4 + length) return undefined;
    return {
      status: Number(head.slice(9, 12)),
      body: this.buffer.slice(end + 4, end + 4 + length),
      length: end + 4 + length,
    };
  }
}

function order(i: number): string {
  return JSON.stringify({
    lifecycle: "store-order",
    customerId: `drain-${i}`,
    title: `order ${i}`,
  });
}

describe("SIGTERM and REST requests in flight", () => {
  it("lets every request in flight finish and keeps what it acknowledged", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "switchboard-drain-"));
    dirs.push(dataDir);
    const env = {
      SWITCHBOARD_DATA_DIR: dataDir,
      SWITCHBOARD_API_KEY: API_KEY,
      SWITCHBOARD_DRAIN_TIMEOUT_MS: "20000",
    };
    const proc = await startServerProcess(env);
    procs.push(proc);
    const port = Number(new URL(proc.url).port);

    const conns = await Promise.all(Array.from({ length: 8 }, () => Conn.open(port)));
    // Each connection is established and served once, then left with half a request.
    for (const c of conns) {
      c.socket.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      expect((await c.response())?.status).toBe(200);
    }
    const bodies = conns.map((_, i) => order(i));
    conns.forEach((c, i) => {
      const body = bodies[i] ?? "";
      c.socket.write(
        `POST /api/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${API_KEY}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 10)}`,
      );
    });

    proc.kill("SIGTERM");
    await until(() => proc.output().includes('"msg":"draining"'), "the drain to start");
    // Give the old behaviour (cut every connection on close) time to show itself.
    await new Promise((r) => setTimeout(r, 1500));
    conns.forEach((c, i) => {
      if (!c.closed) c.socket.write((bodies[i] ?? "").slice(10));
    });
    const replies = await Promise.all(conns.map((c) => c.response()));
    expect(replies.map((r) => r?.status)).toEqual(conns.map(() => 201));
    expect(await proc.exited).toEqual({ code: 0, signal: null });
    expect(proc.output()).not.toMatch(/"level":50/); // no error logged (no "driver destroyed")

    // Everything acknowledged is there after a restart.
    const again = await startServerProcess(env);
    procs.push(again);
    for (const reply of replies) {
      const { id } = JSON.parse(reply?.body ?? "{}") as { id: string };
      const res = await fetch(`${again.url}/api/orders/${id}`, {
        headers: { authorization: `Bearer ${API_KEY}` },
      });
      expect(res.status).toBe(200);
    }
    again.kill("SIGTERM");
    await again.exited;
  }, 300_000);
});

/**
 * The benchmark harness's own pieces work: histogram percentile math, the report's ratios and
 * SVG, and a tiny end-to-end run (raw ws anchor, 10 subscribers, one second).
 * No timing assertions: speed is measured by `npm run bench`, never by tests.
 */
import { io } from "socket.io-client";
import { afterAll, describe, expect, it } from "vitest";
import type { Row } from "./lib/context.js";
import { bucketOf, bucketValue, Histogram } from "./lib/histogram.js";
import { hotspots } from "./lib/profile.js";
import { svg, tables } from "./lib/report.js";
import { type RunningServer, startServer } from "./lib/servers.js";
import { LoadPool } from "./load/pool.js";

describe("Histogram", () => {
  it("is exact below 256 µs and within 1% above", () => {
    for (let v = 0; v < 256; v++) expect(bucketValue(bucketOf(v))).toBe(v);
    for (const v of [256, 1000, 12_345, 999_999, 50_000_000]) {
      const back = bucketValue(bucketOf(v));
      expect(Math.abs(back - v) / v).toBeLessThan(0.01);
    }
  });

  it("buckets are monotonic", () => {
    let last = -1;
    for (let v = 0; v < 5_000_000; v += 997) {
      const b = bucketOf(v);
      expect(b).toBeGreaterThanOrEqual(last);
      last = b;
    }
  });

  it("computes percentiles of a known distribution", () => {
    const h = new Histogram();
    for (let i = 1; i <= 1000; i++) h.recordMs(i); // 1 … 1000 ms
    expect(h.count).toBe(1000);
    expect(h.percentileMs(50)).toBeGreaterThan(495);
    expect(h.percentileMs(50)).toBeLessThan(505);
    expect(h.percentileMs(99)).toBeGreaterThan(985);
    expect(h.percentileMs(99)).toBeLessThan(1000);
    expect(h.percentileMs(100)).toBe(1000);
    expect(h.percentileMs(0)).toBeCloseTo(1, 1);
  });

  it("is empty-safe and merges snapshots like one histogram", () => {
    const empty = new Histogram();
    expect(Number.isNaN(empty.percentileMs(50))).toBe(true);
    const a = new Histogram();
    const b = new Histogram();
    const all = new Histogram();
    for (let i = 0; i < 500; i++) {
      a.recordMicros(i * 7);
      all.recordMicros(i * 7);
      b.recordMicros(10_000 + i * 13);
      all.recordMicros(10_000 + i * 13);
    }
    const merged = new Histogram();
    merged.merge(a.snapshot(), a.min, a.max);
    merged.merge(b.snapshot(), b.min, b.max);
    expect(merged.count).toBe(1000);
    for (const p of [1, 50, 90, 99, 100]) expect(merged.percentileMs(p)).toBe(all.percentileMs(p));
  });
});

describe("report", () => {
  const row = (server: Row["server"], cpu: number): Row => ({
    name: "fanout@85k",
    server,
    deliveriesPerSec: 85_000,
    p50Ms: 1,
    p99Ms: 2,
    cpuMicrosPerDelivery: cpu,
    rssBytes: 50 * 2 ** 20,
    rssBytesPerConn: null,
  });

  it("shows each figure as a ratio to uWebSockets.js (U) and Socket.IO (S)", () => {
    const md = tables([row("uws", 2), row("socketio", 8), row("switchboard", 4)]);
    expect(md).toContain("### fanout@85k");
    const sb = md.split("\n").find((l) => l.startsWith("| Switchboard"));
    expect(sb).toContain("4.00 (2.00×U 0.50×S)");
  });

  it("draws one polyline per server", () => {
    const pt = (x: number, p99: number) => ({
      targetPerSec: x,
      deliveriesPerSec: x,
      p50Ms: p99 / 2,
      p99Ms: p99,
      serverCpuPercent: 50,
      cpuMicrosPerDelivery: 3,
      loadElu: 0.5,
    });
    const out = svg({ uws: [pt(10_000, 1), pt(85_000, 20)], socketio: [pt(10_000, 3)] }, "t");
    expect(out.startsWith("<svg")).toBe(true);
    expect(out.match(/<polyline/g)).toHaveLength(2);
  });
});

describe("profile summary", () => {
  it("sums self time per function from samples", () => {
    const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 9 });
    const h = hotspots({
      nodes: [
        { id: 1, callFrame: frame("(root)", "") },
        { id: 2, callFrame: frame("fanOut", "file:///x/packages/server/src/gateway/fanout.js") },
        { id: 3, callFrame: frame("(idle)", "") },
      ],
      samples: [2, 2, 3, 1],
      timeDeltas: [1000, 1000, 5000, 2000],
      startTime: 0,
      endTime: 9000,
    });
    expect(h.idle).toBe(5);
    expect(h.total).toBe(4);
    expect(h.byFunction[0]?.name).toBe("fanOut:10");
    expect(h.byFunction[0]?.percent).toBe(50);
  });
});

describe("end to end, raw ws anchor", () => {
  let srv: RunningServer | null = null;
  let pool: LoadPool | null = null;
  afterAll(async () => {
    await pool?.stop();
    await srv?.stop();
  });

  it("delivers every publication to 10 subscribers and measures latency", async () => {
    srv = await startServer("raw-ws", { cores: null });
    pool = await LoadPool.start(1, null);
    const base = { dialect: "bench" as const, port: srv.port, concurrency: 10, timeoutMs: 5000 };
    await pool.openPublisher({ ...base, channels: [] }, 10_000);
    const opened = await pool.open({ ...base, channels: ["product:test"] }, 10, 10_000);
    expect(opened).toMatchObject({ ok: 10, failed: 0 });
    const r = await pool.run(200, 1000, 50, ["product:test"]);
    await pool.drain(2000);
    // Publications sent inside the window each reach 10 subscribers; allow the window's edges.
    expect(r.deliveries).toBeGreaterThan(0);
    expect(Math.abs(r.deliveries - r.publishedInWindow * 10)).toBeLessThanOrEqual(40);
    expect(r.p50Ms).toBeGreaterThan(0);
    expect(r.p99Ms).toBeGreaterThanOrEqual(r.p50Ms);
    expect(r.unexpectedCloses).toBe(0);
    await pool.closeAll();
  });
});

describe("Socket.IO anchor speaks real Socket.IO", () => {
  let srv: RunningServer | null = null;
  let pool: LoadPool | null = null;
  afterAll(async () => {
    await pool?.stop();
    await srv?.stop();
  });

  it("a socket.io-client subscriber receives what the load generator publishes", async () => {
    srv = await startServer("socketio", { cores: null });
    const client = io(`http://127.0.0.1:${srv.port}`, {
      transports: ["websocket"],
      reconnection: false,
    });
    try {
      const acked: unknown = await client.timeout(5000).emitWithAck("subscribe", "product:sio");
      expect(acked).toBe(true);
      const got = new Promise<{ channel: string; data: { t: number } }>((resolve) =>
        client.once("message", resolve),
      );
      pool = await LoadPool.start(1, null);
      const base = {
        dialect: "socketio" as const,
        port: srv.port,
        concurrency: 5,
        timeoutMs: 5000,
      };
      await pool.openPublisher({ ...base, channels: [] }, 10_000);
      expect(await pool.open({ ...base, channels: ["product:sio"] }, 5, 10_000)).toMatchObject({
        ok: 5,
      });
      const r = await pool.run(100, 500, 20, ["product:sio"]);
      const msg = await got;
      expect(msg.channel).toBe("product:sio");
      expect(typeof msg.data.t).toBe("number");
      expect(r.deliveries).toBeGreaterThan(0);
      await pool.closeAll();
    } finally {
      client.close();
    }
  });
});

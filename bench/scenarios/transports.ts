/**
 * (9) Transports (Switchboard only, issue 20), one server, in this process as the load side:
 *  - the HTTP fallback against WebSocket: the same fan-out (one channel, N subscribers, a
 *    publisher at fixed rates) to N WebSocket subscribers, then to N fallback (event stream)
 *    subscribers; deliveries/s, p50/p99 from publish to receipt, server CPU per delivery. The
 *    WebSocket figure of the same run is the anchor.
 *  - compression: 1 KB and 10 KB JSON payloads to subscribers that negotiated permessage-deflate
 *    and to subscribers that did not; bytes on the wire and server CPU per delivery, ratio
 *    against uncompressed in the same run.
 */
import type { Socket } from "node:net";
import { SignJWT } from "jose";
import WebSocket from "ws";
import type { Ctx } from "../lib/context.js";
import { Histogram } from "../lib/histogram.js";
import { procCpuMicros, procRssBytes } from "../lib/proc.js";
import { BENCH_SECRET, type ServerName } from "../lib/servers.js";
import { sleep } from "./common.js";
import { startNode } from "./reservations.js";

const CHANNEL = "staff:bench";

const token = (sub: string) =>
  new SignJWT({ role: "agent" })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime("2h")
    .sign(new TextEncoder().encode(BENCH_SECRET));

interface Receiver {
  received: number;
  bytes(): number;
  close(): void;
}

/** What every subscriber records: one latency per message (its `data.t` is the send time). */
class Tally {
  readonly hist = new Histogram();
  deliveries = 0;
  record(text: string): void {
    if (!text.startsWith('{"type":"message"')) return;
    const t = (JSON.parse(text) as { data: { t: number } }).data.t;
    this.deliveries++;
    this.hist.recordMs(Date.now() - t);
  }
}

async function wsSubscriber(
  port: number,
  sub: string,
  deflate: boolean,
  tally: Tally,
): Promise<Receiver> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, "switchboard.v1", {
    perMessageDeflate: deflate,
  });
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  const subscribed = new Promise<void>((resolve) => {
    ws.on("message", (data) => {
      const text = data.toString();
      if (text.startsWith('{"type":"subscribed"')) resolve();
      else if (text === '{"type":"ping"}') ws.send('{"type":"pong"}');
      else tally.record(text);
    });
  });
  ws.send(JSON.stringify({ type: "connect", id: 1, token: await token(sub) }));
  ws.send(JSON.stringify({ type: "subscribe", id: 2, channel: CHANNEL, presence: false }));
  await subscribed;
  const raw = (ws as unknown as { _socket: Socket })._socket;
  return { received: 0, bytes: () => raw.bytesRead, close: () => ws.terminate() };
}

async function sseSubscriber(port: number, sub: string, tally: Tally): Promise<Receiver> {
  const abort = new AbortController();
  const res = await fetch(`http://127.0.0.1:${port}/ws/stream`, { signal: abort.signal });
  if (!res.body) throw new Error("no stream body");
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let bytes = 0;
  let seq = 0;
  let head = { stream: "", key: "" };
  const post = (frames: object[]) =>
    fetch(`http://127.0.0.1:${port}/ws/send`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: [JSON.stringify({ ...head, seq: ++seq }), ...frames.map((f) => JSON.stringify(f))].join(
        "\n",
      ),
    }).then((r) => r.body?.cancel());
  let subscribed!: () => void;
  const ready = new Promise<void>((resolve) => {
    subscribed = resolve;
  });
  let opened!: () => void;
  const open = new Promise<void>((resolve) => {
    opened = resolve;
  });
  void (async () => {
    let buffer = "";
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        bytes += value.length;
        buffer += decoder.decode(value, { stream: true });
        let end = buffer.indexOf("\n\n");
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf("\n\n");
          if (block.startsWith("event: open")) {
            head = JSON.parse(block.slice(block.indexOf("data: ") + 6));
            opened();
          } else if (block.startsWith("data: ")) {
            const text = block.slice(6);
            if (text.startsWith('{"type":"subscribed"')) subscribed();
            else if (text === '{"type":"ping"}') void post([{ type: "pong" }]);
            else tally.record(text);
          }
        }
      }
    } catch {
      // closed
    }
  })();
  await open;
  await post([
    { type: "connect", id: 1, token: await token(sub) },
    { type: "subscribe", id: 2, channel: CHANNEL, presence: false },
  ]);
  await ready;
  return { received: 0, bytes: () => bytes, close: () => abort.abort() };
}

interface Window {
  deliveries: number;
  perSec: number;
  p50Ms: number;
  p99Ms: number;
  cpuMicrosPerDelivery: number;
  bytesPerDelivery: number;
  rssBytes: number;
}

/** Publishes `rate` messages/s of `data` for `ms` from one WebSocket client; measures the window. */
async function run(
  port: number,
  pid: number,
  receivers: Receiver[],
  tally: Tally,
  rate: number,
  ms: number,
  data: unknown,
): Promise<Window> {
  const pub = new WebSocket(`ws://127.0.0.1:${port}/ws`, "switchboard.v1", {
    perMessageDeflate: false,
  });
  await new Promise((resolve, reject) => {
    pub.once("open", resolve);
    pub.once("error", reject);
  });
  pub.on("message", (d) => {
    if (d.toString() === '{"type":"ping"}') pub.send('{"type":"pong"}');
  });
  pub.send(JSON.stringify({ type: "connect", id: 1, token: await token("bench-publisher") }));
  await sleep(200);
  const send = async (durationMs: number) => {
    const tickMs = 10;
    const perTick = rate / (1000 / tickMs);
    let owed = 0;
    let id = 10;
    const end = Date.now() + durationMs;
    while (Date.now() < end) {
      owed += perTick;
      for (; owed >= 1; owed--) {
        pub.send(
          JSON.stringify({
            type: "publish",
            id: id++,
            channel: CHANNEL,
            event: "m",
            data: { t: Date.now(), ...(data as object) },
          }),
        );
      }
      await sleep(tickMs);
    }
  };
  await send(Math.min(1000, ms / 3)); // warm-up
  await sleep(300);
  tally.hist.reset();
  tally.deliveries = 0;
  const bytes0 = receivers.reduce((s, r) => s + r.bytes(), 0);
  const cpu0 = procCpuMicros(pid);
  const t0 = Date.now();
  await send(ms);
  await sleep(500); // let the last ones arrive
  const cpu = procCpuMicros(pid) - cpu0;
  const elapsed = Date.now() - t0;
  const bytes = receivers.reduce((s, r) => s + r.bytes(), 0) - bytes0;
  pub.terminate();
  const n = Math.max(1, tally.deliveries);
  return {
    deliveries: tally.deliveries,
    perSec: (tally.deliveries * 1000) / (elapsed - 500),
    p50Ms: tally.hist.percentileMs(50),
    p99Ms: tally.hist.percentileMs(99),
    cpuMicrosPerDelivery: cpu / n,
    bytesPerDelivery: bytes / n,
    rssBytes: procRssBytes(pid),
  };
}

function payload(bytes: number): Record<string, unknown> {
  const items = [];
  for (let i = 0; JSON.stringify(items).length < bytes; i++) {
    items.push({ sku: `SKU-${1000 + i}`, name: `Product number ${i} in the catalog`, qty: i % 17 });
  }
  return { items };
}

export async function transports(ctx: Ctx, name: ServerName): Promise<void> {
  if (name !== "switchboard") return; // the anchors have neither the fallback nor this framing
  const quick = ctx.plan.quick;
  const subscribers = quick ? 50 : 100;
  const ms = quick ? 2000 : 5000;
  const srv = await startNode(ctx, "sqlite", {
    SWITCHBOARD_MODULES: "none",
    SWITCHBOARD_RATE_PER_SECOND: "100000",
    SWITCHBOARD_RATE_BURST: "100000",
    SWITCHBOARD_MAX_CONNECTIONS_PER_USER: "100000",
  });
  try {
    // --- fallback vs WebSocket ---
    const rates = quick ? [200, 600] : [200, 500, 1000];
    const results: Record<string, Window[]> = { websocket: [], http: [] };
    for (const transport of ["websocket", "http"] as const) {
      const tally = new Tally();
      const receivers: Receiver[] = [];
      for (let i = 0; i < subscribers; i++) {
        receivers.push(
          transport === "websocket"
            ? await wsSubscriber(srv.port, `ws-${i}`, false, tally)
            : await sseSubscriber(srv.port, `sse-${i}`, tally),
        );
      }
      for (const rate of rates) {
        const w = await run(srv.port, srv.pid, receivers, tally, rate, ms, {});
        results[transport]?.push(w);
        ctx.progress(
          `transports: ${transport} ${rate}/s × ${subscribers}: ${w.perSec.toFixed(0)} deliveries/s, p99 ${w.p99Ms.toFixed(1)} ms`,
        );
      }
      for (const r of receivers) r.close();
      await sleep(500);
    }
    rates.forEach((rate, i) => {
      const ws = results.websocket?.[i] as Window;
      const http = results.http?.[i] as Window;
      for (const [label, w] of [
        ["WebSocket", ws],
        ["HTTP fallback", http],
      ] as const) {
        ctx.add({
          name: `transport ${label}: ${rate} msg/s to ${subscribers} subscribers`,
          server: "switchboard",
          deliveriesPerSec: Math.round(w.perSec),
          p50Ms: w.p50Ms,
          p99Ms: w.p99Ms,
          cpuMicrosPerDelivery: w.cpuMicrosPerDelivery,
          rssBytes: w.rssBytes,
          rssBytesPerConn: null,
          targetPerSec: rate * subscribers,
          note:
            label === "WebSocket"
              ? "anchor"
              : `vs WebSocket same run: ${(w.perSec / ws.perSec).toFixed(2)}× deliveries/s, p99 ${(w.p99Ms / ws.p99Ms).toFixed(2)}×, CPU/delivery ${(w.cpuMicrosPerDelivery / ws.cpuMicrosPerDelivery).toFixed(2)}×; ${w.bytesPerDelivery.toFixed(0)} B/delivery vs ${ws.bytesPerDelivery.toFixed(0)}`,
        });
      }
    });

    // --- compression ---
    const zipSubs = quick ? 25 : 50;
    for (const [size, rate] of [
      [1024, quick ? 200 : 400],
      [10 * 1024, quick ? 50 : 100],
    ] as const) {
      const data = payload(size);
      const measured: Record<string, Window> = {};
      for (const deflate of [false, true]) {
        const tally = new Tally();
        const receivers: Receiver[] = [];
        for (let i = 0; i < zipSubs; i++) {
          receivers.push(await wsSubscriber(srv.port, `z-${deflate}-${i}`, deflate, tally));
        }
        measured[String(deflate)] = await run(srv.port, srv.pid, receivers, tally, rate, ms, data);
        for (const r of receivers) r.close();
        await sleep(500);
      }
      const plain = measured.false as Window;
      const zipped = measured.true as Window;
      for (const [label, w] of [
        ["uncompressed", plain],
        ["permessage-deflate", zipped],
      ] as const) {
        ctx.add({
          name: `compression ${label}: ${size / 1024} KB JSON, ${rate} msg/s to ${zipSubs} subscribers`,
          server: "switchboard",
          deliveriesPerSec: Math.round(w.perSec),
          p50Ms: w.p50Ms,
          p99Ms: w.p99Ms,
          cpuMicrosPerDelivery: w.cpuMicrosPerDelivery,
          rssBytes: w.rssBytes,
          rssBytesPerConn: null,
          targetPerSec: rate * zipSubs,
          note:
            label === "uncompressed"
              ? `anchor; ${w.bytesPerDelivery.toFixed(0)} B/delivery on the wire`
              : `${w.bytesPerDelivery.toFixed(0)} B/delivery on the wire = ${(w.bytesPerDelivery / plain.bytesPerDelivery).toFixed(3)}× uncompressed; server CPU/delivery ${(w.cpuMicrosPerDelivery / plain.cpuMicrosPerDelivery).toFixed(2)}× (deflated once per message, level 3)`,
        });
      }
      ctx.progress(
        `compression ${size} B: ${zipped.bytesPerDelivery.toFixed(0)} vs ${plain.bytesPerDelivery.toFixed(0)} B/delivery, CPU ${zipped.cpuMicrosPerDelivery.toFixed(1)} vs ${plain.cpuMicrosPerDelivery.toFixed(1)} µs/delivery`,
      );
    }
    ctx.note(
      "transports/compression: the load side is the bench process itself (subscribers parse every message), the same for both transports; Socket.IO with compression is not measured.",
    );
  } finally {
    await srv.stop();
  }
}

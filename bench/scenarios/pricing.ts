/**
 * (8) Pricing (Switchboard only, issue 16), on SQLite:
 *  - quotes/s over the socket (rpc `pricing.quote`, 8 sockets × 32 calls in flight) against a
 *    trivial rpc on the same sockets in the same run, and the engine alone as its own row;
 *  - quotes/s with 50 active rules: 50 HTTP clients POST /api/pricing/quote for random items of
 *    1,000 priced ones (every quote reads the rules and signals and evaluates all 50); target
 *    ≥ 5,000/s. The engine alone (engine.ts's evaluate, in this process) is reported beside it.
 *  - signal → 1,000 product channels: 1,000 priced items, each product:{sku} subscribed by one of
 *    4 socket clients; one global signal change moves every price; we time from the PUT to the
 *    last of the 1,000 `price` events (and the median one). Every event must arrive exactly once.
 */
import { Agent } from "node:http";
import { SignJWT } from "jose";
import WebSocket from "ws";
import type { Rule } from "../../packages/server/src/modules/pricing/contract.js";
import { evaluate } from "../../packages/server/src/modules/pricing/engine.js";
import type { Ctx } from "../lib/context.js";
import { Histogram } from "../lib/histogram.js";
import { procCpuMicros, procRssBytes } from "../lib/proc.js";
import { BENCH_API_KEY, BENCH_SECRET, type ServerName } from "../lib/servers.js";
import { send, startNode } from "./reservations.js";

const ITEMS = 1000;
const CLIENTS = 50;
const TARGET_QUOTES = 5000;
const SUB_CLIENTS = 4;

/** 50 rules of every kind, for every item: each quote evaluates all of them. */
function benchRules(): Record<string, unknown>[] {
  const rules: Record<string, unknown>[] = [];
  for (let i = 0; i < 10; i++)
    rules.push({
      name: `window ${i}`,
      when: [
        {
          kind: "time",
          days: ["sat"],
          from: `${String(i).padStart(2, "0")}:00`,
          to: `${String(i).padStart(2, "0")}:30`,
        },
      ],
      adjust: { percent: 1 },
    });
  for (let i = 0; i < 10; i++)
    rules.push({
      name: `season ${i}`,
      when: [{ kind: "dates", from: `20${40 + i}-01-01`, to: `20${40 + i}-01-31` }],
      adjust: { percent: -2 },
    });
  for (let i = 0; i < 10; i++)
    rules.push({
      name: `demand ${i}`,
      when: [{ kind: "signal", name: "demand", atLeast: 10 + i }],
      adjust: { percent: 1 },
    });
  for (let i = 0; i < 10; i++)
    rules.push({
      name: `promo ${i}`,
      when: [{ kind: "code", code: `PROMO${i}` }],
      adjust: { percent: -5 },
    });
  for (let i = 0; i < 9; i++)
    rules.push({
      name: `scarce ${i}`,
      when: [{ kind: "stock", below: i + 1 }],
      adjust: { percent: 2 },
    });
  rules.push({
    name: "surge",
    when: [{ kind: "signal", name: "surge", atLeast: 1 }],
    adjust: { percent: 10 },
  });
  return rules;
}

const token = (sub: string, role: string) =>
  new SignJWT({ role })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime("2h")
    .sign(new TextEncoder().encode(BENCH_SECRET));

/** The engine alone: evaluations per second of one item against the 50 rules. */
function engineRate(seconds: number): number {
  const rules: Rule[] = benchRules().map((r, i) => ({
    id: `r${String(i).padStart(2, "0")}`,
    enabled: true,
    priority: 0,
    stackable: true,
    uses: 0,
    version: 1,
    createdAt: "",
    updatedAt: "",
    ...(r as Pick<Rule, "name" | "when" | "adjust">),
  }));
  const signals = {
    global: new Map([["demand", 12]]),
    perSku: new Map([["X", new Map([["stock", 3]])]]),
  };
  const entry = { sku: "X", currency: "EUR", base: 12_345 };
  let n = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 1000; i++)
      evaluate(entry, rules, signals, {
        at: new Date(),
        timeZone: "Europe/Oslo",
        maxMarkupBps: 5000,
        maxDiscountBps: 5000,
      });
    n += 1000;
  }
  return n / ((performance.now() - t0) / 1000);
}

interface Sub {
  socket: WebSocket;
  arrivals: Map<string, number>;
}

async function subscribeAll(port: number, skus: string[]): Promise<Sub[]> {
  const subs: Sub[] = [];
  const per = Math.ceil(skus.length / SUB_CLIENTS);
  for (let c = 0; c < SUB_CLIENTS; c++) {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`, ["switchboard.v1"]);
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    const sub: Sub = { socket, arrivals: new Map() };
    const pending = new Map<number, (type: string) => void>();
    socket.on("message", (raw) => {
      const f = JSON.parse(raw.toString()) as {
        type: string;
        id?: number;
        channel?: string;
        event?: string;
        data?: { seq: number };
      };
      if (f.type === "ping") socket.send(JSON.stringify({ type: "pong" }));
      if (f.id !== undefined) pending.get(f.id)?.(f.type);
      if (f.type === "message" && f.event === "price" && f.channel && f.data)
        sub.arrivals.set(`${f.channel}#${f.data.seq}`, performance.now());
    });
    let id = 1;
    const request = (frame: Record<string, unknown>) =>
      new Promise<void>((resolve, reject) => {
        const mine = id++;
        const timer = setTimeout(() => reject(new Error(`no reply to ${frame.type}`)), 20_000);
        pending.set(mine, (type) => {
          clearTimeout(timer);
          pending.delete(mine);
          if (type === "error") reject(new Error(`${frame.type} refused`));
          else resolve();
        });
        socket.send(JSON.stringify({ ...frame, id: mine }));
      });
    await request({ type: "connect", token: await token(`bench-viewer-${c}`, "customer") });
    await Promise.all(
      skus
        .slice(c * per, (c + 1) * per)
        .map((sku) => request({ type: "subscribe", channel: `product:${sku}` })),
    );
    subs.push(sub);
  }
  return subs;
}

/** Sockets and calls in flight per socket for the rpc rate (pipelined: no HTTP request per quote). */
const RPC_SOCKETS = 8;
const RPC_IN_FLIGHT = 32;

/**
 * Rpc calls answered per second over RPC_SOCKETS sockets, RPC_IN_FLIGHT calls in flight on each,
 * for `seconds` (bounded by time; a call unanswered for 20 s fails the run). `ok` counts replies
 * of the expected type (`result`, or `error` for the anchor's unknown method).
 */
async function rpcRate(
  port: number,
  method: string,
  params: () => Record<string, unknown>,
  expect: "result" | "error",
  seconds: number,
  pid: number,
): Promise<{ rate: number; p50: number; p99: number; cpuPerCall: number }> {
  const sockets: WebSocket[] = [];
  try {
    const conns = await Promise.all(
      Array.from({ length: RPC_SOCKETS }, async (_, c) => {
        const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`, ["switchboard.v1"]);
        sockets.push(socket);
        await new Promise<void>((resolve, reject) => {
          socket.once("open", () => resolve());
          socket.once("error", reject);
        });
        const pending = new Map<number, (type: string) => void>();
        socket.on("message", (raw) => {
          const f = JSON.parse(raw.toString()) as { type: string; id?: number };
          if (f.type === "ping") socket.send(JSON.stringify({ type: "pong" }));
          if (f.id !== undefined) pending.get(f.id)?.(f.type);
        });
        let id = 1;
        const call = (frame: Record<string, unknown>) =>
          new Promise<string>((resolve, reject) => {
            const mine = id++;
            const timer = setTimeout(() => reject(new Error(`no reply to ${method}`)), 20_000);
            pending.set(mine, (type) => {
              clearTimeout(timer);
              pending.delete(mine);
              resolve(type);
            });
            socket.send(JSON.stringify({ ...frame, id: mine }));
          });
        if (
          (await call({ type: "connect", token: await token(`bench-rpc-${c}`, "customer") })) ===
          "error"
        )
          throw new Error("rpc bench: connect refused");
        return call;
      }),
    );
    const run = async (deadline: number, latency?: Histogram) => {
      let n = 0;
      let bad = 0;
      await Promise.all(
        conns.flatMap((call) =>
          Array.from({ length: RPC_IN_FLIGHT }, async () => {
            while (performance.now() < deadline) {
              const t = performance.now();
              const type = await call({ type: "rpc", method, params: params() });
              latency?.recordMs(performance.now() - t);
              if (type === expect) n++;
              else if (++bad > 20) throw new Error(`rpc ${method}: ${type}`);
            }
          }),
        ),
      );
      return n;
    };
    await run(performance.now() + 1000); // warm-up
    const latency = new Histogram();
    const cpu0 = procCpuMicros(pid);
    const t0 = performance.now();
    const total = await run(t0 + seconds * 1000, latency);
    const elapsed = (performance.now() - t0) / 1000;
    return {
      rate: total / elapsed,
      p50: latency.percentileMs(50),
      p99: latency.percentileMs(99),
      cpuPerCall: (procCpuMicros(pid) - cpu0) / Math.max(1, total),
    };
  } finally {
    for (const s of sockets) s.terminate();
  }
}

export async function pricing(ctx: Ctx, name: ServerName): Promise<void> {
  if (name !== "switchboard") return; // the anchors have no prices
  const seconds = ctx.plan.quick ? 3 : 8;
  const engine = engineRate(ctx.plan.quick ? 1 : 3);
  ctx.progress(`pricing engine: ${engine.toFixed(0)} evaluations/s with 50 rules (in-process)`);
  const srv = await startNode(ctx, "sqlite", {
    SWITCHBOARD_PRICING_MIN_CHANGE_INTERVAL_MS: "0",
    SWITCHBOARD_PRICING_MAX_STEP_PERCENT: "100",
    SWITCHBOARD_PRICING_REPRICE_INTERVAL_MS: "3600000",
    SWITCHBOARD_MAX_SUBSCRIPTIONS: "1000",
    // 1,000 subscribes from 4 sockets at once: not what the per-connection rate limit is for
    SWITCHBOARD_RATE_PER_SECOND: "100000",
    SWITCHBOARD_RATE_BURST: "100000",
  });
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const subs: Sub[] = [];
  try {
    for (const rule of benchRules()) {
      const r = await send(agent, srv.port, "POST", "/api/pricing/rules", BENCH_API_KEY, rule);
      if (r.status !== 201) throw new Error(`POST rule: ${r.status} ${r.body}`);
    }
    const skus = Array.from({ length: ITEMS }, (_, i) => `BENCH-${String(i).padStart(4, "0")}`);
    for (let i = 0; i < skus.length; i += 50)
      await Promise.all(
        skus.slice(i, i + 50).map(async (sku, j) => {
          const r = await send(
            agent,
            srv.port,
            "PUT",
            `/api/pricing/prices/${sku}`,
            BENCH_API_KEY,
            {
              amount: 10_000 + i + j,
              currency: "EUR",
            },
          );
          if (r.status !== 200) throw new Error(`PUT price: ${r.status} ${r.body}`);
        }),
      );

    // quotes/s: forecasts (`at`), which evaluate all 50 rules (a live quote reads the stored price)
    const forecastAt = new Date(Date.now() + 86_400_000).toISOString();
    const quoteOnce = async (deadline: number, latency?: Histogram) => {
      let n = 0;
      let bad = 0;
      while (performance.now() < deadline) {
        const sku = skus[Math.floor(Math.random() * skus.length)] as string;
        const s = performance.now();
        const r = await send(agent, srv.port, "POST", "/api/pricing/quote", BENCH_API_KEY, {
          sku,
          at: forecastAt,
          code: "PROMO3",
        });
        latency?.recordMs(performance.now() - s);
        if (r.status === 200) n++;
        else if (++bad > 20) throw new Error(`quote: ${r.status} ${r.body}`);
      }
      return n;
    };
    const warm = performance.now() + 1000;
    await Promise.all(Array.from({ length: CLIENTS }, () => quoteOnce(warm)));
    const latency = new Histogram();
    const cpu0 = procCpuMicros(srv.pid);
    const t0 = performance.now();
    const counts = await Promise.all(
      Array.from({ length: CLIENTS }, () => quoteOnce(t0 + seconds * 1000, latency)),
    );
    const elapsed = (performance.now() - t0) / 1000;
    const total = counts.reduce((a, b) => a + b, 0);
    const rate = total / elapsed;
    const cpu = procCpuMicros(srv.pid) - cpu0;
    const met = rate >= TARGET_QUOTES ? "met" : "MISSED";
    ctx.progress(
      `pricing quotes: ${rate.toFixed(0)}/s over HTTP with 50 rules (${CLIENTS} clients), p50 ${latency.percentileMs(50).toFixed(2)} ms p99 ${latency.percentileMs(99).toFixed(2)} ms; target ≥ ${TARGET_QUOTES}/s ${met}`,
    );
    ctx.add({
      name: `quotes/s (50 rules, HTTP, ${CLIENTS} clients)`,
      server: name,
      deliveriesPerSec: rate,
      p50Ms: latency.percentileMs(50),
      p99Ms: latency.percentileMs(99),
      cpuMicrosPerDelivery: cpu / Math.max(1, total),
      serverCpuPercent: (cpu / (elapsed * 1e6)) * 100,
      rssBytes: procRssBytes(srv.pid),
      rssBytesPerConn: null,
      targetPerSec: TARGET_QUOTES,
      note: `${rate.toFixed(0)} quotes/s over HTTP (target ≥ ${TARGET_QUOTES}/s ${met}); the engine alone: ${engine.toFixed(0)} evaluations/s`,
    });

    // quotes over the socket (rpc `pricing.quote`: same validation and service as the REST
    // route, no HTTP request per quote), against a trivial rpc on the same sockets (an unknown
    // method: frame parse, dispatch, error reply) in the same run
    const rpc = await rpcRate(
      srv.port,
      "pricing.quote",
      () => ({
        sku: skus[Math.floor(Math.random() * skus.length)] as string,
        at: forecastAt,
        code: "PROMO3",
      }),
      "result",
      seconds,
      srv.pid,
    );
    const trivial = await rpcRate(srv.port, "bench.nothing", () => ({}), "error", seconds, srv.pid);
    const rpcMet = rpc.rate >= TARGET_QUOTES ? "met" : "MISSED";
    ctx.progress(
      `pricing quotes over rpc: ${rpc.rate.toFixed(0)}/s (${RPC_SOCKETS} sockets × ${RPC_IN_FLIGHT} in flight), p50 ${rpc.p50.toFixed(2)} ms p99 ${rpc.p99.toFixed(2)} ms, ${rpc.cpuPerCall.toFixed(0)} µs server CPU each; trivial rpc anchor ${trivial.rate.toFixed(0)}/s (${trivial.cpuPerCall.toFixed(0)} µs); ratio ${(rpc.rate / Math.max(1, trivial.rate)).toFixed(2)}; target ≥ ${TARGET_QUOTES}/s ${rpcMet}`,
    );
    ctx.add({
      name: `quotes/s (50 rules, rpc pricing.quote, ${RPC_SOCKETS}×${RPC_IN_FLIGHT} in flight)`,
      server: name,
      deliveriesPerSec: rpc.rate,
      p50Ms: rpc.p50,
      p99Ms: rpc.p99,
      cpuMicrosPerDelivery: rpc.cpuPerCall,
      rssBytes: null,
      rssBytesPerConn: null,
      targetPerSec: TARGET_QUOTES,
      note: `target ≥ ${TARGET_QUOTES}/s ${rpcMet}; ${(rpc.rate / Math.max(1, trivial.rate)).toFixed(2)}× the trivial rpc in the same run`,
    });
    ctx.add({
      name: `trivial rpc (anchor for rpc quotes, ${RPC_SOCKETS}×${RPC_IN_FLIGHT} in flight)`,
      server: name,
      deliveriesPerSec: trivial.rate,
      p50Ms: trivial.p50,
      p99Ms: trivial.p99,
      cpuMicrosPerDelivery: trivial.cpuPerCall,
      rssBytes: null,
      rssBytesPerConn: null,
      note: "an unknown rpc method on the same sockets: the socket path's own ceiling here",
    });
    ctx.add({
      name: "quote evaluations/s (50 rules, engine alone, in-process)",
      server: name,
      deliveriesPerSec: engine,
      p50Ms: null,
      p99Ms: null,
      cpuMicrosPerDelivery: 1e6 / Math.max(1, engine),
      rssBytes: null,
      rssBytesPerConn: null,
      targetPerSec: TARGET_QUOTES,
      note: `engine.ts evaluate() in the bench process, no I/O (target ≥ ${TARGET_QUOTES}/s ${engine >= TARGET_QUOTES ? "met" : "MISSED"})`,
    });

    // same run, same load: a node whose quotes read the database every time (the per-node copy
    // off) is the anchor the copy is judged against
    const uncached = await uncachedQuotes(ctx, seconds, skus);
    const ratio = rate / Math.max(1, uncached.rate);
    ctx.progress(
      `pricing quotes without the per-node copy (SWITCHBOARD_PRICING_QUOTE_CACHE_MS=0): ${uncached.rate.toFixed(0)}/s, ${uncached.cpuPerQuote.toFixed(0)} µs server CPU per quote; with it ${ratio.toFixed(2)}× the rate, ${(cpu / Math.max(1, total) / Math.max(1, uncached.cpuPerQuote)).toFixed(2)}× the CPU per quote`,
    );
    ctx.add({
      name: `quotes/s without the quote cache (anchor, ${CLIENTS} clients)`,
      server: name,
      deliveriesPerSec: uncached.rate,
      p50Ms: uncached.p50,
      p99Ms: uncached.p99,
      cpuMicrosPerDelivery: uncached.cpuPerQuote,
      rssBytes: null,
      rssBytesPerConn: null,
      note: `cached ÷ uncached: ${ratio.toFixed(2)}× quotes/s in the same run`,
    });

    // signal → price events on 1,000 product channels
    subs.push(...(await subscribeAll(srv.port, skus)));
    const rounds = ctx.plan.quick ? 3 : 6;
    const spread = new Histogram();
    const lastMs: number[] = [];
    for (let round = 0; round < rounds; round++) {
      for (const s of subs) s.arrivals.clear();
      const t = performance.now();
      const r = await send(agent, srv.port, "PUT", "/api/pricing/signals/surge", BENCH_API_KEY, {
        value: round % 2 === 0 ? 1 : 0,
      });
      const moved = (JSON.parse(r.body) as { moved: number }).moved;
      if (moved !== ITEMS) throw new Error(`signal moved ${moved} prices, not ${ITEMS}`);
      const deadline = Date.now() + 60_000;
      const count = () => subs.reduce((a, s) => a + s.arrivals.size, 0);
      while (count() < ITEMS && Date.now() < deadline)
        await new Promise((res) => setTimeout(res, 2));
      await new Promise((res) => setTimeout(res, 200)); // a duplicate would arrive by now
      if (count() !== ITEMS)
        throw new Error(`round ${round}: ${count()} price events for ${ITEMS} channels`);
      const times = subs
        .flatMap((s) => [...s.arrivals.values()].map((a) => a - t))
        .sort((a, b) => a - b);
      for (const x of times) spread.recordMs(x);
      lastMs.push(times.at(-1) as number);
    }
    const worst = Math.max(...lastMs);
    const median = [...lastMs].sort((a, b) => a - b)[Math.floor(lastMs.length / 2)] as number;
    ctx.progress(
      `pricing fan-out: a signal change reaches all ${ITEMS} product channels in ${median.toFixed(0)} ms (median of ${rounds} rounds, worst ${worst.toFixed(0)} ms); per channel p50 ${spread.percentileMs(50).toFixed(0)} ms, exactly once each`,
    );
    ctx.add({
      name: `signal → price on ${ITEMS} product channels`,
      server: name,
      deliveriesPerSec: ITEMS / (median / 1000),
      p50Ms: spread.percentileMs(50),
      p99Ms: spread.percentileMs(99),
      cpuMicrosPerDelivery: null,
      rssBytes: procRssBytes(srv.pid),
      rssBytesPerConn: null,
      note: `last of ${ITEMS} events after ${median.toFixed(0)} ms (median of ${rounds} rounds; worst ${worst.toFixed(0)} ms), each exactly once`,
    });
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- switchboard output ---\n${srv.tail()}`);
  } finally {
    for (const s of subs) s.socket.terminate();
    agent.destroy();
    await srv.stop();
  }
}

/** The anchor: the same quotes from a node that reads prices, signals and rules every time. */
async function uncachedQuotes(
  ctx: Ctx,
  seconds: number,
  skus: string[],
): Promise<{ rate: number; cpuPerQuote: number; p50: number; p99: number }> {
  const srv = await startNode(ctx, "sqlite", {
    SWITCHBOARD_PRICING_QUOTE_CACHE_MS: "0",
    SWITCHBOARD_PRICING_REPRICE_INTERVAL_MS: "3600000",
    SWITCHBOARD_RATE_PER_SECOND: "100000",
    SWITCHBOARD_RATE_BURST: "100000",
  });
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  try {
    for (const rule of benchRules())
      await send(agent, srv.port, "POST", "/api/pricing/rules", BENCH_API_KEY, rule);
    for (let i = 0; i < skus.length; i += 50)
      await Promise.all(
        skus.slice(i, i + 50).map((sku, j) =>
          send(agent, srv.port, "PUT", `/api/pricing/prices/${sku}`, BENCH_API_KEY, {
            amount: 10_000 + i + j,
            currency: "EUR",
          }),
        ),
      );
    const at = new Date(Date.now() + 86_400_000).toISOString();
    const loop = async (deadline: number, latency?: Histogram) => {
      let n = 0;
      while (performance.now() < deadline) {
        const sku = skus[Math.floor(Math.random() * skus.length)] as string;
        const t = performance.now();
        const r = await send(agent, srv.port, "POST", "/api/pricing/quote", BENCH_API_KEY, {
          sku,
          at,
          code: "PROMO3",
        });
        latency?.recordMs(performance.now() - t);
        if (r.status === 200) n++;
      }
      return n;
    };
    const warm = performance.now() + 1000;
    await Promise.all(Array.from({ length: CLIENTS }, () => loop(warm)));
    const latency = new Histogram();
    const cpu0 = procCpuMicros(srv.pid);
    const t0 = performance.now();
    const counts = await Promise.all(
      Array.from({ length: CLIENTS }, () => loop(t0 + seconds * 1000, latency)),
    );
    const elapsed = (performance.now() - t0) / 1000;
    const total = counts.reduce((a, b) => a + b, 0);
    return {
      rate: total / elapsed,
      cpuPerQuote: (procCpuMicros(srv.pid) - cpu0) / Math.max(1, total),
      p50: latency.percentileMs(50),
      p99: latency.percentileMs(99),
    };
  } finally {
    agent.destroy();
    await srv.stop();
  }
}

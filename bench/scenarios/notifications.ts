/**
 * Notifications (Switchboard only, issue 14), on SQLite and on PostgreSQL (when reachable):
 * 1. In-app notifications/s end to end: `POST /api/notifications` (one user each, in-app only,
 *    50 requests in flight) → stored → `notification` received on that user's `user:{sub}` by a
 *    WebSocket of this process. Latency is per notification, from the request to its arrival.
 *    Anchor, same run and same sockets: the plain publish (`POST /api/publish` of the same data
 *    on the same channels), so the figure is also a ratio: what storing, counting unread and the
 *    worker cost over a bare delivery. Target ≥ 5,000/s on SQLite with p99 < 100 ms.
 *    Then the same sends over staff WebSockets (rpc `notifications.send`, as many in flight):
 *    what a backend that keeps a socket open gets, without an HTTP request per send.
 * 2. A bulk send to 10,000 users (one request): from the request to the send's status `done`
 *    (every recipient's notification stored and announced), and to the last of the connected
 *    users receiving theirs. Target < 5 s.
 * Every notification must arrive exactly once; the run says so or says NOT EXACT.
 */
import { Agent } from "node:http";
import { performance } from "node:perf_hooks";
import { SignJWT } from "jose";
import pg from "pg";
import WebSocket from "ws";
import type { Ctx } from "../lib/context.js";
import { Histogram } from "../lib/histogram.js";
import { procCpuMicros } from "../lib/proc.js";
import { BENCH_API_KEY, BENCH_SECRET, type ServerName } from "../lib/servers.js";
import { KeepAliveClient } from "./keepalive-http.js";
import { send, startNode } from "./reservations.js";

const IN_FLIGHT = 50;
const BULK = 10_000;
const TARGET_RATE = 5000;
const TARGET_P99_MS = 100;
const TARGET_BULK_MS = 5000;
const POSTGRES_URL = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

const tokenOf = (sub: string) =>
  new SignJWT({ role: "customer" })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime("2h")
    .sign(new TextEncoder().encode(BENCH_SECRET));

/** What the users' sockets received: per event name, per tag, how many times and when. */
class Receivers {
  readonly sockets: WebSocket[] = [];
  /** tag → arrival (performance.now()), for the event being measured. */
  readonly arrived = new Map<string, number>();
  duplicates = 0;
  private event = "";
  private needle = "";
  private waiting: { count: number; resolve: () => void } | undefined;

  measure(event: string): void {
    this.event = event;
    this.needle = `"event":${JSON.stringify(event)}`;
    this.arrived.clear();
    this.duplicates = 0;
  }

  /** Resolves when `count` tags have arrived, or rejects after `ms`. */
  until(count: number, ms: number): Promise<void> {
    if (this.arrived.size >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(new Error(`only ${this.arrived.size} of ${count} arrived in ${ms} ms`));
      }, ms);
      this.waiting = {
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
    });
  }

  async connect(port: number, users: string[]): Promise<void> {
    for (let i = 0; i < users.length; i += 20)
      await Promise.all(users.slice(i, i + 20).map((u) => this.one(port, u)));
  }

  private async one(port: number, user: string): Promise<void> {
    // the load side reads ~10,000 frames/s: no UTF-8 validation (the server sends JSON text)
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, ["switchboard.v1"], {
      skipUTF8Validation: true,
    });
    this.sockets.push(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    const token = await tokenOf(user);
    const subscribed = new Promise<void>((resolve, reject) => {
      ws.on("message", (raw) => {
        const text = raw.toString();
        // Other events' messages (`unread` after each notification) are not parsed: a message
        // frame without the measured event's name in it cannot be one of the measured.
        if (!text.includes(this.needle) && text.startsWith('{"type":"message"')) return;
        const f = JSON.parse(text) as {
          type: string;
          id?: number;
          event?: string;
          data?: { tag?: string; data?: { tag?: string } };
        };
        if (f.type === "ping") ws.send('{"type":"pong"}');
        else if (f.type === "subscribed") resolve();
        else if (f.type === "error") reject(new Error(JSON.stringify(f)));
        else if (f.type === "message" && f.event === this.event) {
          // a notification carries its data inside; the plain publish is the data itself
          const tag = f.data?.data?.tag ?? f.data?.tag;
          if (!tag) return;
          if (this.arrived.has(tag)) this.duplicates++;
          else this.arrived.set(tag, performance.now());
          if (this.waiting && this.arrived.size >= this.waiting.count) this.waiting.resolve();
        }
      });
    });
    ws.send(JSON.stringify({ type: "connect", id: 1, token }));
    ws.send(JSON.stringify({ type: "subscribe", id: 2, channel: `user:${user}` }));
    await subscribed;
  }

  close(): void {
    for (const ws of this.sockets) ws.terminate();
  }
}

/** Sends one request for `user` tagged `tag`; resolves with a failure's text, or undefined. */
type SendOne = (user: string, tag: string) => Promise<string | undefined>;

const overHttp =
  (
    client: KeepAliveClient,
    request: (user: string, tag: string) => { path: string; body: unknown },
  ): SendOne =>
  async (user, tag) => {
    const { path, body } = request(user, tag);
    const r = await client.send("POST", path, body);
    return r.status >= 300 ? `${r.status} ${r.body.slice(0, 120)}` : undefined;
  };

/** Sockets for the rpc sends (IN_FLIGHT calls spread over them, as many as over HTTP). */
const RPC_SOCKETS = 5;

/**
 * `notifications.send` over staff WebSockets (a backend keeping a socket open): the same body
 * and service as the REST route, without an HTTP request per send.
 */
class RpcSender {
  private readonly sockets: WebSocket[] = [];
  private readonly pending = new Map<number, (f: { type: string; error?: unknown }) => void>();
  private id = 10;
  private turn = 0;

  async connect(port: number): Promise<void> {
    for (let c = 0; c < RPC_SOCKETS; c++) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, ["switchboard.v1"]);
      this.sockets.push(ws);
      await new Promise<void>((resolve, reject) => {
        ws.once("open", () => resolve());
        ws.once("error", reject);
      });
      ws.on("message", (raw) => {
        const f = JSON.parse(raw.toString()) as { type: string; id?: number; error?: unknown };
        if (f.type === "ping") ws.send('{"type":"pong"}');
        else if (f.id !== undefined) this.pending.get(f.id)?.(f);
      });
      const connected = await this.call(ws, { type: "connect", token: await staffToken() });
      if (connected.type === "error") throw new Error(`rpc sender: ${JSON.stringify(connected)}`);
    }
  }

  private call(ws: WebSocket, frame: Record<string, unknown>) {
    return new Promise<{ type: string; error?: unknown }>((resolve, reject) => {
      const id = this.id++;
      const timer = setTimeout(() => reject(new Error("no rpc reply in 20 s")), 20_000);
      this.pending.set(id, (f) => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(f);
      });
      ws.send(JSON.stringify({ ...frame, id }));
    });
  }

  sender(params: (user: string, tag: string) => Record<string, unknown>): SendOne {
    return async (user, tag) => {
      const ws = this.sockets[this.turn++ % this.sockets.length] as WebSocket;
      const f = await this.call(ws, {
        type: "rpc",
        method: "notifications.send",
        params: params(user, tag),
      });
      return f.type === "result" ? undefined : JSON.stringify(f).slice(0, 160);
    };
  }

  close(): void {
    for (const ws of this.sockets) ws.terminate();
  }
}

const staffToken = () =>
  new SignJWT({ role: "agent" })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject("bench-staff")
    .setIssuedAt()
    .setExpirationTime("2h")
    .sign(new TextEncoder().encode(BENCH_SECRET));

/** `count` requests, IN_FLIGHT at a time, each to one user; latency to arrival on its socket. */
async function stream(
  serverPid: number,
  sendOne: SendOne,
  rx: Receivers,
  users: string[],
  count: number,
  event: string,
) {
  rx.measure(event);
  const sentAt = new Map<string, number>();
  const failures: string[] = [];
  let next = 0;
  // the load side's own saturation: this process sends every request and parses every frame
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const serverCpu0 = procCpuMicros(serverPid);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < count && failures.length < 20) {
        const i = next++;
        const tag = `${event}-${i}`;
        sentAt.set(tag, performance.now());
        const failure = await sendOne(users[i % users.length] as string, tag);
        if (failure) failures.push(failure);
      }
    }),
  );
  if (failures.length) throw new Error(`${event}: ${failures.slice(0, 3).join("; ")}`);
  await rx.until(count, 120_000);
  const serverCpu = procCpuMicros(serverPid) - serverCpu0;
  const elu = performance.eventLoopUtilization(elu0).utilization;
  const loadCpu = process.cpuUsage(cpu0);
  const last = Math.max(...rx.arrived.values());
  const latency = new Histogram();
  for (const [tag, at] of rx.arrived) latency.recordMs(at - (sentAt.get(tag) as number));
  return {
    rate: count / ((last - t0) / 1000),
    latency,
    exact: rx.arrived.size === count && rx.duplicates === 0,
    /** Server CPU per request, µs (from /proc, request start to the last arrival). */
    serverMicros: serverCpu / count,
    /** This (load) process: event-loop utilization and CPU µs per request. */
    loadElu: elu,
    loadMicros: (loadCpu.user + loadCpu.system) / count,
  };
}

async function bulk(port: number, agent: Agent, rx: Receivers, _connected: number) {
  rx.measure("notification");
  // one tag for all: count per socket (each must get exactly one), listening before the send
  const perSocket = rx.sockets.map(() => 0);
  let lastAt = 0;
  rx.sockets.forEach((ws, k) => {
    ws.on("message", (raw) => {
      const text = raw.toString();
      if (text.includes('"event":"notification"') && text.includes('"tag":"bulk"')) {
        perSocket[k] = (perSocket[k] ?? 0) + 1;
        lastAt = performance.now();
      }
    });
  });
  const userIds = Array.from({ length: BULK }, (_, i) => `bench-u${i}`);
  const t0 = performance.now();
  const r = await send(agent, port, "POST", "/api/notifications", BENCH_API_KEY, {
    userIds,
    type: "message",
    channels: ["in_app"],
    data: { title: "Bulk", body: "to everyone", tag: "bulk" },
    dedupeKey: `bulk-${Date.now()}`,
  });
  if (r.status !== 202) throw new Error(`bulk send: ${r.status} ${r.body}`);
  const accepted = performance.now() - t0;
  const id = (JSON.parse(r.body) as { id: string }).id;
  let doneMs = Number.NaN;
  for (let i = 0; i < 6000; i++) {
    const s = JSON.parse(
      (await send(agent, port, "GET", `/api/notifications/sends/${id}`, BENCH_API_KEY)).body,
    ) as { status: string; processed: number };
    if (s.status === "done") {
      doneMs = performance.now() - t0;
      break;
    }
    await new Promise((res) => setTimeout(res, 20));
  }
  const deadline = Date.now() + 60_000;
  while (perSocket.some((n) => n === 0) && Date.now() < deadline)
    await new Promise((res) => setTimeout(res, 20));
  const got = perSocket.filter((n) => n > 0).length;
  const lastArrival = lastAt - t0;
  return {
    accepted,
    doneMs,
    lastArrival,
    exact: perSocket.every((n) => n === 1) && !Number.isNaN(doneMs),
    got,
  };
}

export async function notifications(ctx: Ctx, name: ServerName): Promise<void> {
  if (name !== "switchboard") return; // the anchors have no notifications
  const count = ctx.plan.quick ? 5_000 : 20_000;
  const connected = ctx.plan.quick ? 200 : 500;
  const users = Array.from({ length: connected }, (_, i) => `bench-u${i}`);
  // BENCH_NOTIFICATIONS_DIALECTS=sqlite (or postgres): one of them only
  const only = process.env.BENCH_NOTIFICATIONS_DIALECTS?.split(",");
  for (const dialect of ["sqlite", "postgres"] as const) {
    if (only && !only.includes(dialect)) continue;
    const label = `in-app notifications/s end to end (${dialect})`;
    if (dialect === "postgres" && !(await postgresReachable())) {
      ctx.note(`${label}: skipped, PostgreSQL not reachable at ${POSTGRES_URL}`);
      continue;
    }
    const srv = await startNode(ctx, dialect, {
      SWITCHBOARD_MODULES: "notifications",
      SWITCHBOARD_MAX_NEW_CHANNELS_PER_MINUTE: "100000",
      // the rpc senders are a backend's sockets: ~1,000 commands/s each (default 50/s per socket)
      SWITCHBOARD_RATE_PER_SECOND: "100000",
      SWITCHBOARD_RATE_BURST: "100000",
    });
    const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
    // the streams' requests (notifications and the anchor alike): a lean keep-alive client
    const client = new KeepAliveClient(srv.port, `Bearer ${BENCH_API_KEY}`, IN_FLIGHT);
    const rx = new Receivers();
    const rpc = new RpcSender();
    try {
      await rx.connect(srv.port, users);
      const plain = (user: string, tag: string) => ({
        path: "/api/publish",
        body: { channel: `user:${user}`, event: "bench", data: { title: "Hi", tag } },
      });
      const notify = (user: string, tag: string) => ({
        path: "/api/notifications",
        body: {
          userId: user,
          type: "message",
          channels: ["in_app"],
          data: { title: "Hi", body: "there", tag },
        },
      });
      // warm-up: JIT, statement caches, pools
      const plainHttp = overHttp(client, plain);
      const notifyHttp = overHttp(client, notify);
      await stream(srv.pid, plainHttp, rx, users, 1000, "bench");
      await stream(srv.pid, notifyHttp, rx, users, 1000, "notification");
      const anchor0 = process.hrtime.bigint();
      const anchor = await stream(srv.pid, plainHttp, rx, users, count, "bench");
      ctx.window(
        name,
        `plain publish (${dialect})`,
        Number(anchor0 / 1000n),
        Number(process.hrtime.bigint() / 1000n),
      );
      const mono0 = process.hrtime.bigint();
      const n = await stream(srv.pid, notifyHttp, rx, users, count, "notification");
      // the profile's window (--profile): the notifications stream alone
      ctx.window(
        name,
        `notifications (${dialect})`,
        Number(mono0 / 1000n),
        Number(process.hrtime.bigint() / 1000n),
      );
      const ratio = n.rate / anchor.rate;
      const p99 = n.latency.percentileMs(99);
      const met =
        dialect === "sqlite"
          ? `; target ≥ ${TARGET_RATE}/s with p99 < ${TARGET_P99_MS} ms ${n.rate >= TARGET_RATE && p99 < TARGET_P99_MS ? "met" : "MISSED"}`
          : "";
      const exact = n.exact && anchor.exact ? "each once" : "NOT EXACT";
      ctx.progress(
        `notifications ${dialect}: ${n.rate.toFixed(0)}/s p50 ${n.latency.percentileMs(50).toFixed(1)} ms p99 ${p99.toFixed(1)} ms; ` +
          `plain publish (anchor) ${anchor.rate.toFixed(0)}/s p99 ${anchor.latency.percentileMs(99).toFixed(1)} ms; ` +
          `ratio ${ratio.toFixed(2)}×; ${exact}${met}; ` +
          `server CPU ${n.serverMicros.toFixed(0)} µs/notification, ${anchor.serverMicros.toFixed(0)} µs/publish; ` +
          `load process ELU ${n.loadElu.toFixed(2)} (${n.loadMicros.toFixed(0)} µs/notification), ${anchor.loadElu.toFixed(2)} (${anchor.loadMicros.toFixed(0)} µs/publish)`,
      );
      ctx.add({
        name: label,
        server: name,
        deliveriesPerSec: n.rate,
        p50Ms: n.latency.percentileMs(50),
        p99Ms: p99,
        cpuMicrosPerDelivery: n.serverMicros,
        rssBytes: null,
        rssBytesPerConn: null,
        note: `${count} sends to ${connected} users, ${IN_FLIGHT} in flight; ${(ratio * 100).toFixed(0)}% of the plain publish's ${anchor.rate.toFixed(0)}/s (same run, same sockets); server CPU ${n.serverMicros.toFixed(0)} µs/notification vs ${anchor.serverMicros.toFixed(0)} µs/publish; load process ELU ${n.loadElu.toFixed(2)}/${anchor.loadElu.toFixed(2)}; ${exact}${met}`,
      });
      // the same sends over staff sockets (rpc notifications.send), as many in flight
      await rpc.connect(srv.port);
      const notifyRpc = rpc.sender((user, tag) => notify(user, tag).body);
      await stream(srv.pid, notifyRpc, rx, users, 1000, "notification"); // warm-up
      const rpc0 = process.hrtime.bigint();
      const viaRpc = await stream(srv.pid, notifyRpc, rx, users, count, "notification");
      ctx.window(
        name,
        `notifications over rpc (${dialect})`,
        Number(rpc0 / 1000n),
        Number(process.hrtime.bigint() / 1000n),
      );
      const rpcP99 = viaRpc.latency.percentileMs(99);
      const rpcMet =
        dialect === "sqlite"
          ? `; target ≥ ${TARGET_RATE}/s with p99 < ${TARGET_P99_MS} ms ${viaRpc.rate >= TARGET_RATE && rpcP99 < TARGET_P99_MS ? "met" : "MISSED"}`
          : "";
      const rpcExact = viaRpc.exact ? "each once" : "NOT EXACT";
      ctx.progress(
        `notifications ${dialect} over rpc (${RPC_SOCKETS} staff sockets, ${IN_FLIGHT} in flight): ${viaRpc.rate.toFixed(0)}/s p50 ${viaRpc.latency.percentileMs(50).toFixed(1)} ms p99 ${rpcP99.toFixed(1)} ms; ` +
          `${(viaRpc.rate / n.rate).toFixed(2)}× the same sends over HTTP, ${(viaRpc.rate / anchor.rate).toFixed(2)}× the plain publish over HTTP (same run); ${rpcExact}${rpcMet}; ` +
          `server CPU ${viaRpc.serverMicros.toFixed(0)} µs/notification`,
      );
      ctx.add({
        name: `${label}, over rpc`,
        server: name,
        deliveriesPerSec: viaRpc.rate,
        p50Ms: viaRpc.latency.percentileMs(50),
        p99Ms: rpcP99,
        cpuMicrosPerDelivery: viaRpc.serverMicros,
        rssBytes: null,
        rssBytesPerConn: null,
        note: `${count} rpc notifications.send over ${RPC_SOCKETS} staff sockets, ${IN_FLIGHT} in flight; ${(viaRpc.rate / n.rate).toFixed(2)}× the same sends over HTTP (${n.rate.toFixed(0)}/s), ${(viaRpc.rate / anchor.rate).toFixed(2)}× the plain publish over HTTP (same run); ${rpcExact}${rpcMet}`,
      });
      const bulk0 = process.hrtime.bigint();
      const b = await bulk(srv.port, agent, rx, connected);
      ctx.window(
        name,
        `bulk send (${dialect})`,
        Number(bulk0 / 1000n),
        Number(process.hrtime.bigint() / 1000n),
      );
      const bulkMet = `target < ${TARGET_BULK_MS} ms ${b.doneMs < TARGET_BULK_MS ? "met" : "MISSED"}`;
      ctx.progress(
        `notifications ${dialect}: bulk send to ${BULK} users accepted in ${b.accepted.toFixed(0)} ms, done in ${b.doneMs.toFixed(0)} ms, ` +
          `last of ${connected} connected received at ${b.lastArrival.toFixed(0)} ms (${b.got} got it); ${b.exact ? "each once" : "NOT EXACT"}; ${bulkMet}`,
      );
      ctx.add({
        name: `bulk send to ${BULK} users (${dialect})`,
        server: name,
        deliveriesPerSec: BULK / (b.doneMs / 1000),
        p50Ms: null,
        p99Ms: null,
        cpuMicrosPerDelivery: null,
        rssBytes: null,
        rssBytesPerConn: null,
        note: `done in ${b.doneMs.toFixed(0)} ms (accepted in ${b.accepted.toFixed(0)} ms); ${bulkMet}; ${b.exact ? "each once" : "NOT EXACT"}`,
      });
      if (dialect === "postgres") await bulkOneLane(ctx, name, users, b.doneMs);
    } finally {
      rx.close();
      rpc.close();
      client.close();
      agent.destroy();
      await srv.stop();
    }
  }
}

/**
 * The same bulk send on a node that makes one chunk at a time (SWITCHBOARD_NOTIFICATIONS_SEND_LANES
 * = 1, as the batches went before lanes), right after the default's: the lanes' effect as a
 * same-run ratio, which the machine's load does not move as much as the absolute times.
 */
async function bulkOneLane(ctx: Ctx, name: ServerName, users: string[], lanesMs: number) {
  const srv = await startNode(ctx, "postgres", {
    SWITCHBOARD_MODULES: "notifications",
    SWITCHBOARD_MAX_NEW_CHANNELS_PER_MINUTE: "100000",
    SWITCHBOARD_NOTIFICATIONS_SEND_LANES: "1",
  });
  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const rx = new Receivers();
  try {
    await rx.connect(srv.port, users);
    const b = await bulk(srv.port, agent, rx, users.length);
    const ratio = lanesMs / b.doneMs;
    ctx.progress(
      `notifications postgres: bulk send to ${BULK} users with one chunk at a time done in ${b.doneMs.toFixed(0)} ms; ` +
        `default lanes ÷ one lane ${ratio.toFixed(2)}× of the time; ${b.exact ? "each once" : "NOT EXACT"}`,
    );
    ctx.add({
      name: `bulk send to ${BULK} users, one chunk at a time (postgres)`,
      server: name,
      deliveriesPerSec: BULK / (b.doneMs / 1000),
      p50Ms: null,
      p99Ms: null,
      cpuMicrosPerDelivery: null,
      rssBytes: null,
      rssBytesPerConn: null,
      note: `done in ${b.doneMs.toFixed(0)} ms; the default lanes took ${ratio.toFixed(2)}× of it in the same run; ${b.exact ? "each once" : "NOT EXACT"}`,
    });
  } finally {
    rx.close();
    agent.destroy();
    await srv.stop();
  }
}

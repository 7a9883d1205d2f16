/**
 * One load-generator process, driven over IPC by bench/load/pool.ts. It opens client
 * connections (loopback only), publishes at a given rate when it holds the publisher, and
 * measures publish→deliver latency of every delivery in the measurement window.
 * Every loop is bounded in count and every wait in time.
 */
import { performance } from "node:perf_hooks";
import { SignJWT } from "jose";
import { Histogram } from "../lib/histogram.js";
import type { WorkerCommand, WorkerReply, WorkerRunResult } from "./commands.js";
import { type Conn, DIALECTS, type Dialect, request } from "./dialects.js";
import { readAt, WsClient } from "./wsclient.js";

const HOST = "127.0.0.1";
const T_MARK = Buffer.from('"t":');
/** CLOCK_MONOTONIC in ms (what process.hrtime reads), the same clock in every process. */
const clockBase = Number(process.hrtime.bigint()) / 1e6 - performance.now();
export const monoMs = (): number => clockBase + performance.now();

let dialect: Dialect = DIALECTS.bench;
const conns: Conn[] = [];
let publisher: Conn | null = null;
const hist = new Histogram();
let measuring = false;
let deliveries = 0;
let received = 0;
let unexpectedCloses = 0;
let closing = false;
const closeReasons = new Map<string, number>();

/**
 * Where `"t":` starts in [start, end), or -1. Every server puts the timestamp last in its
 * message (`…"data":{"t":123.456}}` or Socket.IO's `…{"t":123.456}]`), so the search runs back
 * from the end: a few bytes instead of the whole frame, and no call into C++ per delivery.
 */
function findT(buf: Buffer, start: number, end: number): number {
  const from = Math.max(start, end - 40);
  for (let i = end - 5; i >= from; i--) {
    if (buf[i] === 0x22 && buf[i + 1] === 0x74 && buf[i + 2] === 0x22 && buf[i + 3] === 0x3a)
      return i;
  }
  const i = buf.indexOf(T_MARK, start);
  return i >= 0 && i < end ? i : -1;
}

/** Reads the plain decimal at [from, end) without a string; NaN unless it is digits[.digits]. */
function readDecimal(buf: Buffer, from: number, end: number): number {
  let int = 0;
  let frac = 0;
  let scale = 1;
  let k = from;
  // Bounded by the frame's end.
  while (k < end && buf[k]! >= 48 && buf[k]! <= 57) int = int * 10 + (buf[k++]! - 48);
  if (k === from) return Number.NaN;
  if (k < end && buf[k] === 46) {
    k++;
    while (k < end && buf[k]! >= 48 && buf[k]! <= 57) {
      frac = frac * 10 + (buf[k++]! - 48);
      scale *= 10;
    }
  }
  // Anything else numeric (sign, exponent) goes the slow way.
  const next = k < end ? buf[k]! : 0;
  if (next === 101 || next === 69 || next === 43 || next === 45) return Number.NaN;
  return int + frac / scale;
}

function onFrame(c: Conn, buf: Buffer, start: number, end: number): void {
  if (c.fast) {
    const i = findT(buf, start, end);
    if (i >= 0) {
      let t = readDecimal(buf, i + 4, end);
      if (Number.isNaN(t)) {
        let k = i + 4;
        // Bounded by the frame's end: digits, sign, dot, exponent.
        while (k < end) {
          const ch = buf[k]!;
          if ((ch >= 48 && ch <= 57) || ch === 46 || ch === 45 || ch === 43 || ch === 101) k++;
          else break;
        }
        t = Number(buf.toString("latin1", i + 4, k));
      }
      received++;
      if (measuring) {
        deliveries++;
        hist.recordMicros((clockBase + readAt - t) * 1000);
      }
      return;
    }
  }
  dialect.control(c, buf.toString("utf8", start, end));
}

function openOne(
  port: number,
  channel: string | null,
  token: string | undefined,
  timeoutMs: number,
): Promise<{ conn: Conn; reply: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    let c!: Conn;
    let settled = false;
    const timer = setTimeout(
      () => fail(new Error(`connection not ready within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      c.ws.destroy();
      reject(err);
    };
    // The publisher may speak another dialect than the subscribers (Pusher: it publishes natively).
    const d = channel === null && dialect.publisher ? dialect.publisher : dialect;
    const ws = new WsClient({
      host: HOST,
      port,
      path: d.path,
      ...(d.protocol !== undefined && { protocol: d.protocol }),
      onMessage: (buf, s, e) => onFrame(c, buf, s, e),
      onOpen: () => {
        d.handshake(c, channel, timeoutMs).then((reply) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          c.fast = true;
          resolve({ conn: c, reply });
        }, fail);
      },
      onClose: (reason) => {
        for (const p of c.pending.values()) p.reject(new Error(reason));
        c.pending.clear();
        for (const p of c.waiters.values()) p.reject(new Error(reason));
        c.waiters.clear();
        if (settled && !closing) {
          unexpectedCloses++;
          const key = reason.slice(0, 80);
          closeReasons.set(key, (closeReasons.get(key) ?? 0) + 1);
        }
        fail(new Error(reason));
      },
    });
    c = {
      ws,
      fast: false,
      nextId: 1,
      pending: new Map(),
      waiters: new Map(),
      stray: [],
      strayCount: 0,
      ...(token !== undefined && { token }),
    };
  });
}

async function mint(
  secret: string,
  sub: string,
  role: string,
  caps?: Record<string, string[]>,
): Promise<string> {
  return new SignJWT({ role, ...(caps && { caps }) })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime("3h")
    .sign(new TextEncoder().encode(secret));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function handle(cmd: WorkerCommand): Promise<unknown> {
  switch (cmd.op) {
    case "open": {
      dialect = DIALECTS[cmd.dialect];
      closing = false;
      const tokens: (string | undefined)[] = [];
      for (let i = 0; i < cmd.count; i++) {
        tokens.push(
          cmd.auth
            ? await mint(cmd.auth.secret, `${cmd.auth.subPrefix}${cmd.offset + i}`, cmd.auth.role)
            : undefined,
        );
      }
      const errors: string[] = [];
      let ok = 0;
      let failed = 0;
      let next = 0;
      const started = performance.now();
      const cpu0 = process.cpuUsage();
      const elu0 = performance.eventLoopUtilization();
      const lane = async () => {
        while (next < cmd.count) {
          const i = next++;
          const channel = cmd.publisher
            ? null
            : cmd.channels[(cmd.offset + i) % cmd.channels.length]!;
          try {
            const { conn } = await openOne(cmd.port, channel, tokens[i], cmd.timeoutMs);
            if (cmd.publisher) publisher = conn;
            else conns.push(conn);
            ok++;
          } catch (err) {
            failed++;
            if (errors.length < 5) errors.push((err as Error).message);
          }
        }
      };
      await Promise.all(
        Array.from({ length: Math.max(1, Math.min(cmd.concurrency, cmd.count)) }, lane),
      );
      const cpu = process.cpuUsage(cpu0);
      return {
        ok,
        failed,
        errors,
        elapsedMs: performance.now() - started,
        elu: performance.eventLoopUtilization(elu0).utilization,
        cpuMs: (cpu.user + cpu.system) / 1000,
      };
    }
    case "run":
      return run(cmd.warmupMs, cmd.durationMs, cmd.rate, cmd.channels);
    case "counters":
      return { received, open: conns.filter((c) => c.ws.open).length };
    case "recover":
      return recover(cmd.port, cmd.rounds, cmd.messages, cmd.timeoutMs, cmd.auth);
    case "close": {
      closing = true;
      const all = publisher ? [...conns, publisher] : [...conns];
      for (const c of all) c.ws.close();
      const deadline = performance.now() + 10_000;
      while (all.some((c) => !c.ws.closed) && performance.now() < deadline) await sleep(50);
      for (const c of all) if (!c.ws.closed) c.ws.destroy();
      const n = all.length;
      conns.length = 0;
      publisher = null;
      unexpectedCloses = 0;
      closeReasons.clear();
      return { closed: n };
    }
    case "exit":
      setTimeout(() => process.exit(0), 10);
      return { bye: true };
  }
}

async function run(
  warmupMs: number,
  durationMs: number,
  rate: number,
  channels: string[],
): Promise<WorkerRunResult> {
  const start = performance.now();
  let published = 0;
  let publishedInWindow = 0;
  let publishTimer: NodeJS.Timeout | null = null;
  const pub = publisher;
  if (pub && rate > 0 && channels.length > 0) {
    // Publish on a schedule: each 1 ms tick sends what is due by now (at most 5,000 per tick).
    publishTimer = setInterval(() => {
      const now = performance.now();
      if (now - start >= warmupMs + durationMs) return;
      const due = Math.floor((rate * (now - start)) / 1000);
      let burst = 0;
      while (published < due && burst < 5000 && pub.ws.open) {
        const ch =
          channels.length === 1
            ? channels[0]!
            : channels[Math.floor(Math.random() * channels.length)]!;
        dialect.publish(pub, ch, Math.round(monoMs() * 1000) / 1000);
        published++;
        if (measuring) publishedInWindow++;
        burst++;
      }
    }, 1);
  }
  await sleep(warmupMs);
  hist.reset();
  deliveries = 0;
  measuring = true;
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  await sleep(durationMs);
  measuring = false;
  const windowMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0);
  if (publishTimer) clearInterval(publishTimer);
  const stray = conns.reduce((n, c) => n + c.strayCount, publisher?.strayCount ?? 0);
  const straySample = [...conns, ...(publisher ? [publisher] : [])]
    .flatMap((c) => c.stray)
    .slice(0, 3);
  return {
    deliveries,
    histogram: hist.snapshot(),
    min: hist.count ? hist.min : 0,
    max: hist.max,
    published,
    publishedInWindow,
    windowMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    elu: elu.utilization,
    unexpectedCloses,
    closeReasons: [...closeReasons.entries()],
    stray,
    straySample,
  };
}

/** Switchboard only: subscribe, step away, let `messages` be published, resubscribe with recover. */
async function recover(
  port: number,
  rounds: number,
  messages: number,
  timeoutMs: number,
  auth: { secret: string },
): Promise<unknown> {
  // conversation:* keeps 1,000 publications of history (product:* keeps 100). Its policy belongs
  // to the chat module (participants only), so the bench's tokens carry a `caps` grant for its
  // own conversation:bench-* channels instead of creating conversations in the database.
  dialect = DIALECTS.switchboard;
  const caps = { "conversation:bench-*": ["subscribe", "publish", "history"] };
  const token = await mint(auth.secret, "bench-recover", "customer", caps);
  const pubToken = await mint(auth.secret, "bench-recover-publisher", "admin", caps);
  const { conn: pub } = await openOne(port, null, pubToken, timeoutMs);
  const times: number[] = [];
  const failures: string[] = [];
  // Round 0 warms the JIT up on both sides and is not counted.
  for (let r = 0; r <= rounds; r++) {
    const channel = `conversation:bench-recover-${process.pid}-${r}-${Date.now()}`;
    const { conn, reply: subscribed } = await openOne(port, channel, token, timeoutMs);
    conn.fast = false;
    try {
      const sub = { epoch: String(subscribed.epoch), offset: Number(subscribed.offset) };
      const uid = conn.nextId++;
      await request(
        conn,
        uid,
        JSON.stringify({ type: "unsubscribe", id: uid, channel }),
        timeoutMs,
      );
      for (let i = 0; i < messages - 1; i++) dialect.publish(pub, channel, i);
      const lastId = pub.nextId++;
      const last = `{"type":"publish","id":${lastId},"channel":${JSON.stringify(channel)},"event":"tick","data":{"t":${messages - 1}}}`;
      await request(pub, lastId, last, timeoutMs);
      const id = conn.nextId++;
      const frame = JSON.stringify({ type: "subscribe", id, channel, recover: sub });
      const t0 = performance.now();
      const reply = await request(conn, id, frame, timeoutMs);
      const ms = performance.now() - t0;
      const pubs = Array.isArray(reply.publications) ? reply.publications.length : -1;
      if (reply.recovered === true && pubs === messages) {
        if (r > 0) times.push(ms);
      } else
        failures.push(`round ${r}: recovered=${String(reply.recovered)}, publications=${pubs}`);
    } catch (err) {
      failures.push(`round ${r}: ${(err as Error).message}`);
    } finally {
      closing = true;
      conn.ws.close();
      closing = false;
    }
  }
  closing = true;
  pub.ws.close();
  closing = false;
  return { times, failures };
}

process.on("message", (msg: { seq: number; cmd: WorkerCommand }) => {
  handle(msg.cmd).then(
    (result) => process.send?.({ seq: msg.seq, ok: true, result } satisfies WorkerReply),
    (err: unknown) =>
      process.send?.({
        seq: msg.seq,
        ok: false,
        error: String((err as Error)?.stack ?? err),
      } satisfies WorkerReply),
  );
});
process.on("disconnect", () => process.exit(0));
process.send?.({ seq: 0, ok: true, result: "ready" } satisfies WorkerReply);

/**
 * (7) Support chat messages (Switchboard only, issue 8): customers send messages to their agents
 * over the socket (`chat.send` rpc: validated, stored in SQLite with a sequence number, announced
 * through the outbox) and agents receive them on `conversation:{id}`. The rate is stepped up;
 * each step reports messages persisted and delivered per second, send → deliver p50/p99, and
 * server CPU per message. Target: ≥ 5,000 messages/s with p99 < 50 ms on SQLite.
 */
import { SignJWT } from "jose";
import WebSocket from "ws";
import type { Ctx } from "../lib/context.js";
import { Histogram } from "../lib/histogram.js";
import { procCpuMicros, procRssBytes } from "../lib/proc.js";
import { BENCH_SECRET, type ServerName } from "../lib/servers.js";
import { withServer } from "./common.js";

const AGENTS = 25;
const CAPACITY = 4;
const CONVERSATIONS = AGENTS * CAPACITY;
const TARGET = 5000;

function token(sub: string, role: "customer" | "agent"): Promise<string> {
  return new SignJWT({ role, name: sub })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(sub)
    .setExpirationTime("1h")
    .sign(new TextEncoder().encode(BENCH_SECRET));
}

async function http<T>(
  port: number,
  auth: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${auth}`,
      ...(body !== undefined && { "content-type": "application/json" }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** A protocol client: connect, then commands with ids; every frame goes to `onFrame`. */
async function socket(
  port: number,
  jwt: string,
  onFrame: (f: Record<string, unknown>) => void,
): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, ["switchboard.v1"], {
    perMessageDeflate: false,
  });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  const connected = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no connected reply")), 10_000);
    ws.on("message", (data: Buffer) => {
      const f = JSON.parse(data.toString()) as Record<string, unknown>;
      if (f.type === "ping") ws.send('{"type":"pong"}');
      if (f.type === "connected") {
        clearTimeout(timer);
        resolve();
      }
      onFrame(f);
    });
  });
  ws.send(JSON.stringify({ type: "connect", id: 1, token: jwt }));
  await connected;
  return ws;
}

export async function chat(ctx: Ctx, name: ServerName): Promise<void> {
  if (name !== "switchboard") return;
  // BENCH_CHAT_RATES=200,400: chosen steps (latency below saturation on a loaded machine)
  const chosen = (process.env.BENCH_CHAT_RATES ?? "")
    .split(",")
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
  const steps =
    chosen.length > 0 ? chosen : ctx.plan.quick ? [2500, 5000] : [1000, 2500, 5000, 7500, 10000];
  const durationMs = ctx.plan.quick ? 1500 : 4000;
  await withServer(ctx, name, async (srv) => {
    const sockets: WebSocket[] = [];
    try {
      const sent = new Map<string, number>(); // text → send time
      let histogram = new Histogram();
      let delivered = 0;
      let errors = 0;
      const agentFrames = (f: Record<string, unknown>) => {
        if (f.type !== "message" || f.event !== "message") return;
        const text = (f.data as { text: string }).text;
        const at = sent.get(text);
        if (at === undefined) return;
        sent.delete(text);
        histogram.recordMs(performance.now() - at);
        delivered++;
      };
      // agents: online with capacity, connected
      const agents: { ws: WebSocket; id: string }[] = [];
      for (let i = 0; i < AGENTS; i++) {
        const id = `bench-agent-${i}`;
        const jwt = await token(id, "agent");
        await http(srv.port, jwt, "PUT", "/api/chat/agents/me", {
          status: "online",
          capacity: CAPACITY,
        });
        const ws = await socket(srv.port, jwt, agentFrames);
        // on duty: an agent with no socket on staff:chat is set offline after the grace period
        ws.send(
          JSON.stringify({ type: "subscribe", id: 2, channel: "staff:chat", presence: true }),
        );
        sockets.push(ws);
        agents.push({ ws, id });
      }
      // customers open conversations; each is routed to an agent, who subscribes to it
      const customers: { ws: WebSocket; conversation: string; next: number }[] = [];
      let subId = 100;
      for (let i = 0; i < CONVERSATIONS; i++) {
        const jwt = await token(`bench-customer-${i}`, "customer");
        const c = await http<{ id: string; agentId?: string }>(
          srv.port,
          jwt,
          "POST",
          "/api/chat/conversations",
          { subject: "bench" },
        );
        const agent = agents.find((a) => a.id === c.agentId);
        if (!agent) throw new Error(`conversation ${c.id} was not assigned`);
        agent.ws.send(
          JSON.stringify({ type: "subscribe", id: subId++, channel: `conversation:${c.id}` }),
        );
        const ws = await socket(srv.port, jwt, (f) => {
          if (f.type === "error") errors++;
        });
        sockets.push(ws);
        customers.push({ ws, conversation: c.id, next: 1000 });
      }
      await new Promise((r) => setTimeout(r, 300));
      let best: { rate: number; p99: number } | undefined;
      for (const rate of steps) {
        histogram = new Histogram();
        delivered = 0;
        errors = 0;
        sent.clear();
        const cpuBefore = procCpuMicros(srv.pid);
        const start = performance.now();
        const total = Math.round((rate * durationMs) / 1000);
        const tickMs = 10;
        const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
        let n = 0;
        // paced sends, bounded in count and time
        while (n < total && performance.now() - start < durationMs * 2) {
          for (let k = 0; k < perTick && n < total; k++, n++) {
            const c = customers[n % customers.length]!;
            const text = `m${rate}-${n}`;
            sent.set(text, performance.now());
            c.ws.send(
              JSON.stringify({
                type: "rpc",
                id: c.next++,
                method: "chat.send",
                params: { id: c.conversation, text },
              }),
            );
          }
          const due = start + (n / perTick) * tickMs;
          const wait = due - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
        const sendEnd = performance.now();
        const deadline = sendEnd + 5000;
        while (delivered + errors < total && performance.now() < deadline)
          await new Promise((r) => setTimeout(r, 20));
        const elapsed = (performance.now() - start) / 1000;
        const cpu = procCpuMicros(srv.pid) - cpuBefore;
        const p99 = histogram.percentileMs(99);
        const perSec = delivered / elapsed;
        ctx.progress(
          `chat ${rate}/s: ${delivered}/${total} delivered (${errors} errors), ${perSec.toFixed(0)}/s, p50 ${histogram.percentileMs(50).toFixed(1)} ms p99 ${p99.toFixed(1)} ms`,
        );
        ctx.add({
          name: `chat messages@${rate}`,
          server: name,
          deliveriesPerSec: perSec,
          p50Ms: histogram.percentileMs(50),
          p99Ms: p99,
          cpuMicrosPerDelivery: delivered ? cpu / delivered : null,
          rssBytes: procRssBytes(srv.pid),
          rssBytesPerConn: null,
          note: `${CONVERSATIONS} conversations, ${AGENTS} agents, SQLite; ${delivered < total ? `${total - delivered} not delivered; ` : ""}${errors} errors`,
        });
        if (p99 <= 50 && delivered === total) best = { rate: perSec, p99 };
        else break;
      }
      ctx.add({
        name: "chat messages (p99 ≤ 50 ms)",
        server: name,
        deliveriesPerSec: best?.rate ?? null,
        p50Ms: null,
        p99Ms: best?.p99 ?? null,
        cpuMicrosPerDelivery: null,
        rssBytes: null,
        rssBytesPerConn: null,
        note: best
          ? `target ≥ ${TARGET}/s: ${best.rate >= TARGET ? "met" : "missed"}`
          : "no step held p99 ≤ 50 ms",
      });
    } finally {
      for (const ws of sockets) ws.terminate();
    }
  });
}

/**
 * (7) Support chat messages (Switchboard only, issues 8 and 20): customers send messages to their
 * agents over the socket (`chat.send` rpc: validated, stored in SQLite with a sequence number,
 * announced through the outbox) and agents receive them on `conversation:{id}`. The rate is
 * stepped up; each step reports messages persisted and delivered per second, send → deliver
 * p50/p99, and server CPU per message. Target: ≥ 5,000 messages/s with p99 < 50 ms on SQLite.
 *
 * Anchor (same run, same sockets, same channels): the conversation's `typing` signal, which
 * the customer sends and the agent receives through the same gateway and broker but with no
 * database write. The ratio chat ÷ anchor is what the chat path itself costs; the absolute rate
 * mostly says how loaded the machine was.
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

type Customer = { ws: WebSocket; conversation: string; next: number };

interface Step {
  rate: number;
  perSec: number;
  p50: number;
  p99: number;
  cpuMicros: number | null;
  delivered: number;
  total: number;
  errors: number;
  outOfOrder: number;
}

/** Max rate of the steps that held p99 ≤ 50 ms with nothing lost (stops at the first that did not). */
function held(steps: Step[]): Step | undefined {
  let best: Step | undefined;
  for (const s of steps) {
    if (s.p99 <= 50 && s.delivered === s.total && s.errors === 0) best = s;
    else break;
  }
  return best;
}

export async function chat(ctx: Ctx, name: ServerName): Promise<void> {
  if (name !== "switchboard") return;
  // BENCH_CHAT_RATES=200,400: chosen steps (latency below saturation on a loaded machine)
  const chosen = (process.env.BENCH_CHAT_RATES ?? "")
    .split(",")
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
  const steps =
    chosen.length > 0
      ? chosen
      : ctx.plan.quick
        ? [1000, 2500, 5000, 7500]
        : [1000, 2500, 5000, 7500, 10000];
  const durationMs = ctx.plan.quick ? 1500 : 4000;
  await withServer(ctx, name, async (srv) => {
    const sockets: WebSocket[] = [];
    try {
      const sent = new Map<string, number>(); // text → send time
      let histogram = new Histogram();
      let delivered = 0;
      let errors = 0;
      let outOfOrder = 0;
      const lastSeq = new Map<string, number>(); // channel → last seq seen by its agent
      let expect: "message" | "typing" = "message";
      const agentFrames = (f: Record<string, unknown>) => {
        if (f.type !== "message" || f.event !== expect) return;
        const data = f.data as { text: string; seq?: number };
        if (data.seq !== undefined) {
          // a conversation's messages must reach its agent in sequence order
          const channel = String(f.channel);
          if (data.seq <= (lastSeq.get(channel) ?? 0)) outOfOrder++;
          lastSeq.set(channel, data.seq);
        }
        const at = sent.get(data.text);
        if (at === undefined) return;
        sent.delete(data.text);
        histogram.recordMs(performance.now() - at);
        delivered++;
      };
      const setupStart = performance.now();
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
      const customers: Customer[] = [];
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
      ctx.progress(
        `chat: ${AGENTS} agents, ${CONVERSATIONS} conversations set up in ${((performance.now() - setupStart) / 1000).toFixed(1)} s`,
      );

      const frameOf = (kind: "message" | "typing", c: Customer, text: string) =>
        kind === "message"
          ? {
              type: "rpc",
              id: c.next++,
              method: "chat.send",
              // the web app sends a clientId with every message (a retry is stored once)
              params: { id: c.conversation, text, clientId: text },
            }
          : {
              type: "signal",
              id: c.next++,
              channel: `conversation:${c.conversation}`,
              event: "typing",
              data: { text },
            };

      /** One paced step: `rate`/s for `ms`, bounded in count and time. */
      const step = async (kind: "message" | "typing", rate: number, ms: number): Promise<Step> => {
        histogram = new Histogram();
        delivered = 0;
        errors = 0;
        outOfOrder = 0;
        expect = kind;
        sent.clear();
        const cpuBefore = procCpuMicros(srv.pid);
        const mono0 = process.hrtime.bigint();
        const start = performance.now();
        const total = Math.round((rate * ms) / 1000);
        const tickMs = 10;
        const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
        let n = 0;
        while (n < total && performance.now() - start < ms * 2) {
          for (let k = 0; k < perTick && n < total; k++, n++) {
            const c = customers[n % customers.length]!;
            const text = `${kind[0]}${rate}-${n}`;
            sent.set(text, performance.now());
            c.ws.send(JSON.stringify(frameOf(kind, c, text)));
          }
          const due = start + (n / perTick) * tickMs;
          const wait = due - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
        const deadline = performance.now() + 5000;
        while (delivered + errors < total && performance.now() < deadline)
          await new Promise((r) => setTimeout(r, 20));
        const elapsed = (performance.now() - start) / 1000;
        const cpu = procCpuMicros(srv.pid) - cpuBefore;
        if (kind === "message")
          ctx.window(
            srv.name,
            "chat.send steps",
            Number(mono0 / 1000n),
            Number(process.hrtime.bigint() / 1000n),
          );
        return {
          rate,
          perSec: delivered / elapsed,
          p50: histogram.percentileMs(50),
          p99: histogram.percentileMs(99),
          cpuMicros: delivered ? cpu / delivered : null,
          delivered,
          total,
          errors,
          outOfOrder,
        };
      };

      const run = async (kind: "message" | "typing", label: string): Promise<Step[]> => {
        const done: Step[] = [];
        for (const rate of steps) {
          const s = await step(kind, rate, durationMs);
          done.push(s);
          ctx.progress(
            `${label} ${rate}/s: ${s.delivered}/${s.total} delivered (${s.errors} errors${kind === "message" ? `, ${s.outOfOrder} out of order` : ""}), ` +
              `${s.perSec.toFixed(0)}/s, p50 ${s.p50.toFixed(1)} ms p99 ${s.p99.toFixed(1)} ms, ${s.cpuMicros?.toFixed(0) ?? "-"} µs CPU each`,
          );
          ctx.add({
            name: `${label}@${rate}`,
            server: name,
            deliveriesPerSec: s.perSec,
            p50Ms: s.p50,
            p99Ms: s.p99,
            cpuMicrosPerDelivery: s.cpuMicros,
            rssBytes: procRssBytes(srv.pid),
            rssBytesPerConn: null,
            note: `${CONVERSATIONS} conversations, ${AGENTS} agents${kind === "message" ? ", SQLite" : ", no database"}; ${s.delivered < s.total ? `${s.total - s.delivered} not delivered; ` : ""}${s.errors} errors${kind === "message" ? `; ${s.outOfOrder} out of order` : ""}`,
          });
          if (s.p99 > 50 || s.delivered < s.total || s.errors > 0) break;
        }
        return done;
      };

      // warm-up (JIT, statement caches), not reported
      await step("typing", 500, 500);
      await step("message", 500, 500);
      const anchor = held(await run("typing", "chat typing signal (anchor)"));
      const messages = await run("message", "chat messages");
      const best = held(messages);
      const disorder = messages.reduce((a, s) => a + s.outOfOrder, 0);
      const ratio = best && anchor ? best.perSec / anchor.perSec : null;
      ctx.add({
        name: "chat messages (p99 ≤ 50 ms)",
        server: name,
        deliveriesPerSec: best?.perSec ?? null,
        p50Ms: best?.p50 ?? null,
        p99Ms: best?.p99 ?? null,
        cpuMicrosPerDelivery: best?.cpuMicros ?? null,
        rssBytes: null,
        rssBytesPerConn: null,
        note:
          `${best ? `target ≥ ${TARGET}/s: ${best.rate >= TARGET ? "met" : "missed"}` : "no step held p99 ≤ 50 ms"}; ` +
          `anchor (typing signal, same sockets) ${anchor ? `${anchor.perSec.toFixed(0)}/s at ${anchor.rate}/s asked` : "held no step"}` +
          `${ratio !== null ? `; ratio ${ratio.toFixed(2)}×` : ""}; ${disorder} out of order`,
      });
      ctx.progress(
        `chat: held ${best ? `${best.rate}/s asked (${best.perSec.toFixed(0)}/s, p99 ${best.p99.toFixed(1)} ms)` : "no step"}; ` +
          `anchor held ${anchor ? `${anchor.rate}/s asked (${anchor.perSec.toFixed(0)}/s)` : "no step"}` +
          `${ratio !== null ? `; ratio ${ratio.toFixed(2)}×` : ""}`,
      );
    } finally {
      for (const ws of sockets) ws.terminate();
    }
  });
}

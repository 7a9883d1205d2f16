/**
 * (issue 20, item 6) Scale-out on paper: this 2-core machine cannot show N nodes, so the
 * scenario measures what a cluster is made of and predicts 1–8 nodes from it.
 *
 * Measured, same run:
 *  - Redis CPU per publication (the publish Lua script: offset, history, pub/sub) with k = 1, 2,
 *    4, 8 nodes subscribed to the channel: fitted as a + b·k (b: Redis writing the message to one
 *    more node's subscriber connection). Redis's own CPU (INFO cpu), so the load on this machine
 *    slows it but barely changes it.
 *  - Redis CPU per presence change (a member added or removed, Lua + hash + pub/sub).
 *  - One Switchboard node (memory broker): server CPU per delivery, fanning out to 1,000
 *    subscribers at a rate its core holds; and its CPU per publication received from Redis
 *    (a node on Redis with one subscriber: what every node pays for every publication of a channel
 *    it holds, whatever its fan-out).
 *
 * The model (docs/performance.md explains it): each node's core is planned 70% busy (the headroom
 * p99 needs); a publication costs `c_pub` on every node holding a subscriber of its channel
 * (min(n, fan-out) nodes) plus `c_delivery` per subscriber; Redis pays `a + b·nodes reached` per
 * publication and tops out at 70% of its one core. Predicted capacity for n nodes = min(nodes'
 * capacity, Redis's), for a broadcast workload (1,000 subscribers per publication) and a
 * chat-like one (2 per publication).
 *
 * Needs Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379); reports "skipped" without it.
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { RedisBroker } from "../../packages/server/src/broker/redis.js";
import type { Ctx, Row } from "../lib/context.js";
import { procCpuMicros } from "../lib/proc.js";
import type { ServerName } from "../lib/servers.js";
import { fmtRate, openPublisher, openSubscribers, sleep, step, withServer } from "./common.js";

const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
/** A core is planned at this utilization: above it, queues (and p99) grow fast. */
const UTILIZATION = 0.7;
const HISTORY = { size: 100, ttlMs: 300_000 };
const DATA = { text: "x".repeat(160), n: 0 };

async function redisCpuMicros(r: Redis): Promise<number> {
  const info = await r.info("cpu");
  const read = (k: string) => Number(new RegExp(`${k}:([0-9.]+)`).exec(info)?.[1] ?? 0);
  return (read("used_cpu_user") + read("used_cpu_sys")) * 1e6;
}

/** Runs `count` operations, `concurrency` at a time. */
async function many(count: number, concurrency: number, op: (i: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await op(next++);
    }),
  );
}

interface RedisCosts {
  /** Redis µs per publication with k nodes subscribed, k → µs. */
  perPublication: Map<number, number>;
  a: number;
  b: number;
  perPresenceChange: number;
}

async function measureRedis(ctx: Ctx): Promise<RedisCosts | null> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await probe.connect();
  } catch {
    probe.disconnect();
    return null;
  }
  const prefix = `sbbench:${randomBytes(5).toString("hex")}:`;
  const nodes: RedisBroker[] = [];
  try {
    for (let i = 0; i < 8; i++) {
      nodes.push(await RedisBroker.connect({ url: REDIS_URL, prefix, nodeId: `bench-node-${i}` }));
    }
    const publications = ctx.plan.quick ? 3000 : 10_000;
    const perPublication = new Map<number, number>();
    for (const k of [1, 2, 4, 8]) {
      const channel = `product:scale-${k}`;
      for (const node of nodes.slice(0, k)) await node.subscribe(channel);
      const publisher = nodes[0] as RedisBroker;
      await many(200, 20, () =>
        publisher.publish(channel, { event: "w", data: DATA, history: HISTORY }),
      );
      const cpu0 = await redisCpuMicros(probe);
      await many(publications, 50, (i) =>
        publisher.publish(channel, { event: "m", data: { ...DATA, n: i }, history: HISTORY }),
      );
      const cpu1 = await redisCpuMicros(probe);
      perPublication.set(k, (cpu1 - cpu0) / publications);
      for (const node of nodes.slice(0, k)) await node.unsubscribe(channel);
      ctx.progress(
        `redis: ${publications} publications with ${k} node(s) subscribed: ${((cpu1 - cpu0) / publications).toFixed(1)} µs of Redis CPU each`,
      );
    }
    // Least squares over (k, µs): a + b·k.
    const pts = [...perPublication];
    const mk = pts.reduce((s, [k]) => s + k, 0) / pts.length;
    const mu = pts.reduce((s, [, u]) => s + u, 0) / pts.length;
    const b =
      pts.reduce((s, [k, u]) => s + (k - mk) * (u - mu), 0) /
      pts.reduce((s, [k]) => s + (k - mk) ** 2, 0);
    const a = mu - b * mk;

    const members = ctx.plan.quick ? 1000 : 3000;
    const channel = "conversation:scale-presence";
    await nodes[1]?.subscribe(channel);
    const cpu0 = await redisCpuMicros(probe);
    const node = nodes[0] as RedisBroker;
    await many(members, 50, (i) =>
      node.presenceAdd(channel, `conn-${i}`, { user: `u${i}`, role: "customer" }),
    );
    await many(members, 50, (i) => node.presenceRemove(channel, `conn-${i}`));
    const cpu1 = await redisCpuMicros(probe);
    const perPresenceChange = (cpu1 - cpu0) / (2 * members);
    ctx.progress(
      `redis: presence change ${perPresenceChange.toFixed(1)} µs; per publication ${a.toFixed(1)} + ${b.toFixed(1)}·nodes µs`,
    );
    return { perPublication, a, b, perPresenceChange };
  } finally {
    for (const n of nodes) await n.close().catch(() => undefined);
    // Drop this run's keys.
    let cursor = "0";
    do {
      const [next, keys] = await probe.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      cursor = next;
      if (keys.length) await probe.del(...keys);
    } while (cursor !== "0");
    probe.disconnect();
  }
}

/** One node's CPU per delivery (1,000 subscribers on one channel, a rate its core holds). */
async function measureNode(
  ctx: Ctx,
  name: ServerName,
): Promise<{ perDelivery: number; perPublication: number }> {
  return withServer(ctx, name, async (srv) => {
    const channel = "product:scale-node";
    const subscribers = 1000;
    await openSubscribers(ctx, srv, subscribers, [channel], 200);
    await openPublisher(ctx, srv);
    await sleep(500);
    const fan = await step(
      ctx,
      srv,
      25,
      [channel],
      ctx.plan.fanout.warmupMs,
      ctx.plan.fanout.durationMs,
    );
    ctx.progress(
      `node: ${fmtRate(fan.deliveriesPerSec)} deliveries/s to 1,000 subscribers, ${fan.cpuMicrosPerDelivery.toFixed(2)} µs server CPU per delivery, p99 ${fan.p99Ms.toFixed(1)} ms`,
    );
    await ctx.pool.closeAll();
    // Per publication at fan-out 1: what a node pays per publication it receives, whatever its
    // fan-out (decode, look up the channel, serialize once).
    await openSubscribers(ctx, srv, 1, ["product:scale-one"], 1);
    await openPublisher(ctx, srv);
    const cpu0 = procCpuMicros(srv.pid);
    const one = await step(ctx, srv, 2000, ["product:scale-one"], 300, ctx.plan.fanout.durationMs);
    const perPublication = one.cpuMicrosPerDelivery;
    ctx.progress(
      `node: ${fmtRate(one.deliveriesPerSec)} publications/s to 1 subscriber, ${perPublication.toFixed(1)} µs per publication (incl. the publish command; ${((procCpuMicros(srv.pid) - cpu0) / 1e6).toFixed(2)} s CPU)`,
    );
    return { perDelivery: fan.cpuMicrosPerDelivery, perPublication };
  });
}

function row(name: string, extra: Partial<Row>): Row {
  return {
    name,
    server: "switchboard",
    deliveriesPerSec: null,
    p50Ms: null,
    p99Ms: null,
    cpuMicrosPerDelivery: null,
    rssBytes: null,
    rssBytesPerConn: null,
    ...extra,
  };
}

export async function scaleout(ctx: Ctx, name: ServerName): Promise<void> {
  if (name !== "switchboard") return;
  const redis = await measureRedis(ctx);
  if (!redis) {
    ctx.add(row("scaleout", { note: "skipped: Redis not reachable" }));
    return;
  }
  const node = await measureNode(ctx, name);
  for (const [k, us] of redis.perPublication) {
    ctx.add(
      row(`scaleout: Redis CPU per publication, ${k} node(s) subscribed`, {
        cpuMicrosPerDelivery: us,
        note: `fit: ${redis.a.toFixed(1)} + ${redis.b.toFixed(1)}·nodes µs`,
      }),
    );
  }
  ctx.add(
    row("scaleout: Redis CPU per presence change", {
      cpuMicrosPerDelivery: redis.perPresenceChange,
    }),
  );
  ctx.add(
    row("scaleout: node CPU per delivery (fan-out 1,000)", {
      cpuMicrosPerDelivery: node.perDelivery,
    }),
  );
  ctx.add(
    row("scaleout: node CPU per publication (fan-out 1)", {
      cpuMicrosPerDelivery: node.perPublication,
    }),
  );
  const budget = UTILIZATION * 1e6;
  for (const [label, fanout] of [
    ["broadcast, 1,000 subscribers per publication", 1000],
    ["chat-like, 2 subscribers per publication", 2],
  ] as const) {
    for (const n of [1, 2, 3, 4, 6, 8]) {
      // A publication reaches the nodes holding a subscriber of its channel: at most all n, at
      // most one per subscriber. Each of them pays c_pub (measured with the publish command on
      // top: a little pessimistic for the nodes that only receive it); the deliveries spread
      // evenly over the nodes. Cluster CPU per publication ≤ n · budget.
      const reached = Math.min(n, fanout);
      const clusterPerPub = reached * node.perPublication + fanout * node.perDelivery;
      const nodePubs = (n * budget) / clusterPerPub;
      const redisPerPub = n === 1 ? 0 : redis.a + redis.b * reached;
      const redisPubs = n === 1 ? Number.POSITIVE_INFINITY : budget / redisPerPub;
      const pubs = Math.min(nodePubs, redisPubs);
      ctx.add(
        row(`scaleout model: ${label}, ${n} node(s)`, {
          deliveriesPerSec: pubs * fanout,
          targetPerSec: pubs,
          limitedBy: redisPubs < nodePubs ? "Redis (one core)" : "nodes' CPU",
          note: `${fmtRate(pubs)} publications/s; Redis at ${Math.round(((pubs * redisPerPub) / 1e6) * 100)}% of a core (ceiling ${n === 1 ? "-" : fmtRate(redisPubs)} publications/s)`,
        }),
      );
    }
  }
}

/**
 * (4) Connection storm and (3) idle memory, on one fresh server: open N connections as fast as
 * the server accepts them (connect + subscribe, 200 in flight), then let them sit idle and
 * measure the server's RSS growth per connection. The storm is repeated (`rounds`, closing
 * everything in between) and the median round is reported: on a shared machine one round can be
 * off by half. Each round's CPU is net of what the server burns idle at that time (timers, the
 * durable-event and scheduler loops, the SQLite checkpoint thread), measured just before it:
 * that cost does not grow with connections, and a slower storm would otherwise be charged more
 * of it per connection. The first round is the cold one (JIT still compiling the connect path,
 * on every server): it is kept apart from the warm rounds' median.
 */
import type { Ctx } from "../lib/context.js";
import { procCpuMicros, procCpuSplit, procRssBytes } from "../lib/proc.js";
import type { RunningServer, ServerName } from "../lib/servers.js";
import { fmtRate, openSubscribers, sleep, withServer } from "./common.js";

/** How long the idle CPU is sampled before each round (CPU time is read in 10 ms ticks). */
const IDLE_SAMPLE_MS = 1000;

interface Round {
  ok: number;
  failed: number;
  errors: string[];
  stormMs: number;
  wallMs: number;
  elu: number;
  loadCpuMs: number;
  /** Server CPU over the storm, µs (gross), and what its idle rate accounts for. */
  cpuMicros: number;
  idleMicros: number;
  userMicros: number;
  systemMicros: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function storm(
  ctx: Ctx,
  srv: RunningServer,
  channels: string[],
  label: string,
  idleRates: number[],
): Promise<Round> {
  const p = ctx.plan.idle;
  // Closing the previous round's sockets keeps the server busy for a while (presence, channel
  // clean-up): wait until it is quiet (under a tenth of a core for 250 ms, at most 10 s).
  for (let waited = 0; waited < 10_000; waited += 250) {
    const c0 = procCpuMicros(srv.pid);
    await sleep(250);
    if (procCpuMicros(srv.pid) - c0 < 25_000) break;
  }
  const idle0 = procCpuMicros(srv.pid);
  const idleT0 = performance.now();
  await sleep(IDLE_SAMPLE_MS);
  idleRates.push((procCpuMicros(srv.pid) - idle0) / (performance.now() - idleT0)); // µs per ms
  // The lowest idle rate seen so far on this server: a sample that caught leftover work (the
  // last round's sockets closing late on a busy machine) must not be taken off the storm.
  const idleRate = Math.min(...idleRates);
  const cpu0 = procCpuMicros(srv.pid);
  const split0 = procCpuSplit(srv.pid);
  const t0 = performance.now();
  const mono0 = process.hrtime.bigint();
  const opened = await openSubscribers(ctx, srv, p.connections, channels, p.concurrency);
  const wallMs = performance.now() - t0;
  ctx.window(srv.name, label, Number(mono0 / 1000n), Number(process.hrtime.bigint() / 1000n));
  const cpuMicros = procCpuMicros(srv.pid) - cpu0;
  const split1 = procCpuSplit(srv.pid);
  return {
    ok: opened.ok,
    failed: opened.failed,
    errors: opened.errors,
    // The load worker mints tokens before its clock starts; its own elapsed time is the storm.
    stormMs: opened.elapsedMs,
    wallMs,
    elu: opened.elu,
    loadCpuMs: opened.cpuMs,
    cpuMicros,
    idleMicros: Math.min(cpuMicros, idleRate * wallMs),
    userMicros: split1.user - split0.user,
    systemMicros: split1.system - split0.system,
  };
}

export async function connections(ctx: Ctx, name: ServerName): Promise<void> {
  const p = ctx.plan.idle;
  const channels = Array.from({ length: 100 }, (_, i) => `product:idle-${i}`);
  await withServer(ctx, name, async (srv) => {
    await sleep(1000); // let start-up garbage settle before the baseline
    const rss0 = procRssBytes(srv.pid);
    const rounds: Round[] = [];
    const idleRates: number[] = [];
    for (let r = 0; r < Math.max(1, p.rounds); r++) {
      if (r > 0) {
        // Everything closed and cleaned up on the server before the next storm.
        await ctx.pool.closeAll();
        await sleep(500);
      }
      const round = await storm(ctx, srv, channels, "connection storm", idleRates);
      rounds.push(round);
      const per = (round.cpuMicros - round.idleMicros) / Math.max(1, round.ok);
      ctx.progress(
        `storm ${name} round ${r + 1}/${p.rounds}: ${round.ok}/${p.connections} connect+subscribe in ` +
          `${round.stormMs.toFixed(0)} ms = ${fmtRate(round.ok / (round.stormMs / 1000))}/s, server CPU ` +
          `${((round.cpuMicros / 1000 / round.stormMs) * 100).toFixed(0)}% (${per.toFixed(0)} µs/connect net of ` +
          `${(round.idleMicros / Math.max(1, round.ok)).toFixed(0)} µs idle; user ${(round.userMicros / Math.max(1, round.ok)).toFixed(0)}, ` +
          `system ${(round.systemMicros / Math.max(1, round.ok)).toFixed(0)} µs), load ELU ${(round.elu * 100).toFixed(0)}%` +
          (round.failed ? `, ${round.failed} failed: ${round.errors[0]}` : ""),
      );
      if (r === 0) {
        // Idle memory: the first round's connections, left alone.
        await sleep(p.settleMs);
        const rss1 = procRssBytes(srv.pid);
        const perConn = (rss1 - rss0) / Math.max(1, round.ok);
        ctx.progress(
          `idle ${name}: ${round.ok} idle connections, RSS ${(rss0 / 2 ** 20).toFixed(1)} → ${(rss1 / 2 ** 20).toFixed(1)} MiB ` +
            `= ${(perConn / 1024).toFixed(2)} KiB per connection`,
        );
        ctx.add({
          name: `idle-memory@${fmtRate(p.connections)}`,
          server: name,
          deliveriesPerSec: null,
          p50Ms: null,
          p99Ms: null,
          cpuMicrosPerDelivery: null,
          rssBytes: rss1,
          rssBytesPerConn: perConn,
          note: `baseline RSS ${(rss0 / 2 ** 20).toFixed(1)} MiB`,
        });
      }
    }
    // The first round runs on a cold JIT (every server compiles its connect path then): it is
    // reported apart, and the median is of the warm rounds when there are any.
    const cold = rounds[0]!;
    const coldNet = (cold.cpuMicros - cold.idleMicros) / Math.max(1, cold.ok);
    const warm = rounds.length > 1 ? rounds.slice(1) : rounds;
    const ok = warm.filter((r) => r.ok > 0);
    const net = ok.map((r) => (r.cpuMicros - r.idleMicros) / r.ok);
    const gross = ok.map((r) => r.cpuMicros / r.ok);
    const mid = ok[net.indexOf(median(net))] ?? ok[0];
    if (!mid) throw new Error("connection storm: no round opened a connection");
    const failed = rounds.reduce((a, r) => a + r.failed, 0);
    const firstError = rounds.find((r) => r.errors.length)?.errors[0];
    ctx.add({
      name: "connect-storm",
      server: name,
      deliveriesPerSec: null,
      p50Ms: null,
      p99Ms: null,
      cpuMicrosPerDelivery: null,
      rssBytes: null,
      rssBytesPerConn: null,
      connectsPerSec: median(ok.map((r) => r.ok / (r.stormMs / 1000))),
      cpuMicrosPerConnect: median(net),
      cpuMicrosPerConnectGross: median(gross),
      rounds: net.map((v) => Math.round(v)),
      serverCpuPercent: Math.min(
        100,
        (mid.cpuMicros / 1000 / Math.min(mid.stormMs, mid.wallMs)) * 100,
      ),
      loadCpuPercent: (mid.loadCpuMs / mid.stormMs) * 100,
      loadElu: mid.elu,
      limitedBy: mid.elu > 0.9 ? "load generator (event loop saturated)" : null,
      cpuMicrosPerConnectCold: coldNet,
      note:
        `median of ${ok.length} warm rounds (${net.map((v) => v.toFixed(0)).join(", ")} µs net; ` +
        `gross ${median(gross).toFixed(0)} µs); cold first round ${coldNet.toFixed(0)} µs net` +
        (failed ? `; ${failed} failed: ${firstError}` : ""),
    });
  });
}

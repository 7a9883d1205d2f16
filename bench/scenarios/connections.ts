/**
 * (4) Connection storm and (3) idle memory, on one fresh server: open N connections as fast as
 * the server accepts them (connect + subscribe, 200 in flight), then let them sit idle and
 * measure the server's RSS growth per connection.
 */
import type { Ctx } from "../lib/context.js";
import { procCpuMicros, procRssBytes } from "../lib/proc.js";
import type { ServerName } from "../lib/servers.js";
import { fmtRate, openSubscribers, sleep, withServer } from "./common.js";

export async function connections(ctx: Ctx, name: ServerName): Promise<void> {
  const p = ctx.plan.idle;
  const channels = Array.from({ length: 100 }, (_, i) => `product:idle-${i}`);
  await withServer(ctx, name, async (srv) => {
    await sleep(1000); // let start-up garbage settle before the baseline
    const rss0 = procRssBytes(srv.pid);
    const cpu0 = procCpuMicros(srv.pid);
    const t0 = performance.now();
    const mono0 = process.hrtime.bigint();
    const opened = await openSubscribers(ctx, srv, p.connections, channels, p.concurrency);
    const wallMs = performance.now() - t0;
    ctx.window(
      srv.name,
      "connection storm",
      Number(mono0 / 1000n),
      Number(process.hrtime.bigint() / 1000n),
    );
    const cpuMicros = procCpuMicros(srv.pid) - cpu0;
    // The load worker mints tokens before its clock starts; its own elapsed time is the storm.
    const stormMs = opened.elapsedMs;
    const connectsPerSec = opened.ok / (stormMs / 1000);
    const cpuMicrosPerConnect = cpuMicros / Math.max(1, opened.ok);
    ctx.progress(
      `storm ${name}: ${opened.ok}/${p.connections} connect+subscribe in ${stormMs.toFixed(0)} ms = ` +
        `${fmtRate(connectsPerSec)}/s, server CPU ${((cpuMicros / 1000 / stormMs) * 100).toFixed(0)}% ` +
        `(${cpuMicrosPerConnect.toFixed(0)} µs/connect), load ELU ${(opened.elu * 100).toFixed(0)}%` +
        (opened.failed ? `, ${opened.failed} failed: ${opened.errors[0]}` : ""),
    );
    ctx.add({
      name: "connect-storm",
      server: name,
      deliveriesPerSec: null,
      p50Ms: null,
      p99Ms: null,
      cpuMicrosPerDelivery: null,
      rssBytes: null,
      rssBytesPerConn: null,
      connectsPerSec,
      cpuMicrosPerConnect,
      serverCpuPercent: Math.min(100, (cpuMicros / 1000 / Math.min(stormMs, wallMs)) * 100),
      loadCpuPercent: (opened.cpuMs / stormMs) * 100,
      loadElu: opened.elu,
      limitedBy: opened.elu > 0.9 ? "load generator (event loop saturated)" : null,
      note: opened.failed ? `${opened.failed} failed: ${opened.errors[0]}` : null,
    });
    await sleep(p.settleMs);
    const rss1 = procRssBytes(srv.pid);
    const perConn = (rss1 - rss0) / Math.max(1, opened.ok);
    ctx.progress(
      `idle ${name}: ${opened.ok} idle connections, RSS ${(rss0 / 2 ** 20).toFixed(1)} → ${(rss1 / 2 ** 20).toFixed(1)} MiB ` +
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
  });
}

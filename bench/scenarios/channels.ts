/**
 * (2) Many channels: clients spread evenly over 100 channels; the publisher picks a random
 * channel for every publication, so each publication reaches clients/100 subscribers.
 */
import type { Ctx } from "../lib/context.js";
import type { ServerName } from "../lib/servers.js";
import { fmtRate, limiter, openPublisher, openSubscribers, step, withServer } from "./common.js";

export async function manyChannels(ctx: Ctx, name: ServerName): Promise<void> {
  const p = ctx.plan.channels;
  const channels = Array.from({ length: p.channels }, (_, i) => `product:ch-${i}`);
  const perChannel = p.clients / p.channels;
  await withServer(ctx, name, async (srv) => {
    await openPublisher(ctx, srv);
    const opened = await openSubscribers(ctx, srv, p.clients, channels, 200);
    if (opened.failed > 0)
      throw new Error(`channels: ${opened.failed} clients failed: ${opened.errors.join("; ")}`);
    for (const target of p.steps) {
      const r = await step(ctx, srv, target / perChannel, channels, p.warmupMs, p.durationMs);
      const lim = limiter(r, target, 50);
      ctx.progress(
        `channels ${name} ${p.clients} clients/${p.channels} channels target ${fmtRate(target)}/s: ` +
          `${fmtRate(r.deliveriesPerSec)}/s p50 ${r.p50Ms.toFixed(2)} ms p99 ${r.p99Ms.toFixed(2)} ms, ` +
          `server CPU ${r.serverCpuPercent.toFixed(0)}% (${r.cpuMicrosPerDelivery.toFixed(2)} µs/delivery), ` +
          `load ELU ${(r.loadElu * 100).toFixed(0)}%, other processes ${r.foreignPercent.toFixed(0)}%${lim ? ` — ${lim}` : ""}`,
      );
      if (r.unexpectedCloses > 0)
        ctx.note(`channels ${name}: server closed sockets: ${JSON.stringify(r.closeReasons)}`);
      ctx.add({
        name: `channels@${fmtRate(target)}`,
        server: name,
        deliveriesPerSec: r.deliveriesPerSec,
        p50Ms: r.p50Ms,
        p99Ms: r.p99Ms,
        cpuMicrosPerDelivery: r.cpuMicrosPerDelivery,
        rssBytes: r.rssBytes,
        rssBytesPerConn: null,
        serverCpuPercent: r.serverCpuPercent,
        loadCpuPercent: r.loadCores * 100,
        loadElu: r.loadElu,
        foreignCpuPercent: r.foreignPercent,
        targetPerSec: target,
        limitedBy: lim,
      });
    }
  });
}

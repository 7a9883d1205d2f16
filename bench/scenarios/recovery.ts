/**
 * (5) Recovery (Switchboard only): a client subscribes, unsubscribes, misses N publications,
 * then resubscribes with recover {epoch, offset}; we time the subscribe → `subscribed` reply
 * carrying all N publications (client-side decode included). Anchors have no recovery.
 */
import type { Ctx } from "../lib/context.js";
import { BENCH_SECRET, type ServerName } from "../lib/servers.js";
import { withServer } from "./common.js";

export async function recovery(ctx: Ctx, name: ServerName): Promise<void> {
  const p = ctx.plan.recovery;
  const label = `recovery of ${p.messages}`;
  if (name !== "switchboard") {
    ctx.add({
      name: label,
      server: name,
      deliveriesPerSec: null,
      p50Ms: null,
      p99Ms: null,
      cpuMicrosPerDelivery: null,
      rssBytes: null,
      rssBytesPerConn: null,
      note: "no recovery: missed messages are lost",
    });
    return;
  }
  await withServer(ctx, name, async (srv) => {
    const r = await ctx.pool.recover(srv.port, p.rounds, p.messages, BENCH_SECRET);
    const sorted = [...r.times].sort((a, b) => a - b);
    const pct = (q: number) =>
      sorted.length
        ? sorted[Math.min(sorted.length - 1, Math.ceil((q / 100) * sorted.length) - 1)]!
        : Number.NaN;
    ctx.progress(
      `recovery ${name}: ${sorted.length}/${p.rounds} rounds recovered ${p.messages} messages, ` +
        `p50 ${pct(50).toFixed(2)} ms p99 ${pct(99).toFixed(2)} ms` +
        (r.failures.length ? `; failures: ${r.failures.slice(0, 3).join("; ")}` : ""),
    );
    ctx.add({
      name: label,
      server: name,
      deliveriesPerSec: null,
      p50Ms: pct(50),
      p99Ms: pct(99),
      cpuMicrosPerDelivery: null,
      rssBytes: null,
      rssBytesPerConn: null,
      note: r.failures.length
        ? `${r.failures.length} rounds failed: ${r.failures[0]}`
        : `${sorted.length} rounds`,
    });
  });
}

/**
 * (1) Broadcast fan-out: 1,000 subscribers on one channel; the publish rate is stepped up until
 * p99 publish→deliver latency passes 50 ms (always through the 85k deliveries/s step, which the
 * targets compare). Reports the step at 85k/s and the highest step that held p99 ≤ 50 ms.
 */
import type { Ctx, Row } from "../lib/context.js";
import type { ServerName } from "../lib/servers.js";
import {
  fmtRate,
  limiter,
  openPublisher,
  openSubscribers,
  type StepResult,
  step,
  withServer,
} from "./common.js";

export const FANOUT_CHANNEL = "product:bench";
const COMPARE_AT = 85_000;

export async function fanout(ctx: Ctx, name: ServerName): Promise<void> {
  const p = ctx.plan.fanout;
  await withServer(ctx, name, async (srv) => {
    await openPublisher(ctx, srv);
    const opened = await openSubscribers(ctx, srv, p.subscribers, [FANOUT_CHANNEL]);
    if (opened.failed > 0)
      throw new Error(`fan-out: ${opened.failed} subscribers failed: ${opened.errors.join("; ")}`);
    let best: { target: number; r: StepResult } | null = null;
    let at85: { target: number; r: StepResult } | null = null;
    let stoppedBy: string | null = null;
    for (const target of p.steps) {
      const r = await step(
        ctx,
        srv,
        target / p.subscribers,
        [FANOUT_CHANNEL],
        p.warmupMs,
        p.durationMs,
      );
      const lim = limiter(r, target, p.maxP99Ms);
      ctx.curve("fanout", name, {
        targetPerSec: target,
        deliveriesPerSec: r.deliveriesPerSec,
        p50Ms: r.p50Ms,
        p99Ms: r.p99Ms,
        serverCpuPercent: r.serverCpuPercent,
        cpuMicrosPerDelivery: r.cpuMicrosPerDelivery,
        loadElu: r.loadElu,
      });
      ctx.progress(
        `fanout ${name} target ${fmtRate(target)}/s: ${fmtRate(r.deliveriesPerSec)}/s p50 ${r.p50Ms.toFixed(2)} ms ` +
          `p99 ${r.p99Ms.toFixed(2)} ms, server CPU ${r.serverCpuPercent.toFixed(0)}% ` +
          `(${r.cpuMicrosPerDelivery.toFixed(2)} µs/delivery), load ELU ${(r.loadElu * 100).toFixed(0)}% ` +
          `(${((r.loadCores * 1e6) / Math.max(1, r.deliveriesPerSec)).toFixed(2)} µs/delivery), ` +
          `other processes ${r.foreignPercent.toFixed(0)}%` +
          (r.unexpectedCloses ? `, ${r.unexpectedCloses} sockets closed by server` : "") +
          (lim ? ` — ${lim}` : ""),
      );
      if (r.unexpectedCloses > 0)
        ctx.note(`fanout ${name}: server closed sockets: ${JSON.stringify(r.closeReasons)}`);
      if (r.stray > 0)
        ctx.note(`fanout ${name}: ${r.stray} unexpected frames, e.g. ${r.straySample.join(" | ")}`);
      if (target === COMPARE_AT) at85 = { target, r };
      const held = r.p99Ms <= p.maxP99Ms && r.deliveriesPerSec >= 0.9 * target;
      if (held) best = { target, r };
      if (target >= COMPARE_AT && !held) {
        stoppedBy = lim ?? `p99 > ${p.maxP99Ms} ms`;
        break;
      }
      if (r.unexpectedCloses > 0) {
        stoppedBy = "server dropped subscribers";
        break;
      }
    }
    const row = (
      label: string,
      s: { target: number; r: StepResult },
      limitedBy: string | null,
    ): Row => ({
      name: label,
      server: name,
      deliveriesPerSec: s.r.deliveriesPerSec,
      p50Ms: s.r.p50Ms,
      p99Ms: s.r.p99Ms,
      cpuMicrosPerDelivery: s.r.cpuMicrosPerDelivery,
      rssBytes: s.r.rssBytes,
      rssBytesPerConn: null,
      serverCpuPercent: s.r.serverCpuPercent,
      loadCpuPercent: s.r.loadCores * 100,
      loadElu: s.r.loadElu,
      foreignCpuPercent: s.r.foreignPercent,
      targetPerSec: s.target,
      limitedBy,
    });
    if (at85) ctx.add(row("fanout@85k", at85, limiter(at85.r, at85.target, p.maxP99Ms)));
    if (best) {
      const last = p.steps[p.steps.length - 1];
      ctx.add(
        row(
          "fanout-max (p99 ≤ 50 ms)",
          best,
          stoppedBy
            ? `next step: ${stoppedBy}`
            : best.target === last
              ? "last step of the plan"
              : null,
        ),
      );
    } else {
      ctx.add({
        name: "fanout-max (p99 ≤ 50 ms)",
        server: name,
        deliveriesPerSec: null,
        p50Ms: null,
        p99Ms: null,
        cpuMicrosPerDelivery: null,
        rssBytes: null,
        rssBytesPerConn: null,
        limitedBy: stoppedBy,
        note: "no step held p99 ≤ 50 ms",
      });
    }
  });
}

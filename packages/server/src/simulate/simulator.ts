import { runActions } from "./actions.js";
import { caller, tokenCache } from "./http.js";
import { openShop } from "./shop.js";
import { emptySummary, mergeSummaries, type SimSummary } from "./summary.js";
import { runWorkers } from "./workers.js";

export type { SimSummary } from "./summary.js";

export interface SimulateOptions {
  /** The server, e.g. http://127.0.0.1:8080. */
  url: string;
  apiKey: string;
  /** Mints a token for a simulated customer or agent (the server's secret). */
  token(sub: string, role: "customer" | "agent"): Promise<string>;
  minutes: number;
  /** Actions started per second (in all). */
  rate: number;
  seed: number;
  /**
   * Processes that share the rate (1: this process only). Each draws its customers from its own
   * pool and its actions from seed + its index.
   */
  workers?: number;
  /** Most actions in flight at once, per process (a slow server is not buried). */
  maxInFlight?: number;
  /** How long a browsing customer stays on a product page, ms [min, max] (default 1–2 s). */
  viewMs?: readonly [number, number];
  onProgress?(p: {
    elapsedMs: number;
    totalMs: number;
    started: number;
    summary: SimSummary;
  }): void;
  /** Each order as the server accepted it (benchmarks time what follows from it). */
  onOrder?(id: string, at: number): void;
}

/** Most worker processes (each is a Node process with its own sockets). */
export const MAX_WORKERS = 16;

/**
 * A day at a barbershop-and-store, through the real REST and socket APIs: customers browse
 * (viewing product channels), order and pay, reserve and buy, book chairs, chat and rate; agents
 * stay connected and answer; staff move orders along. Actions start at `rate` per second for
 * `minutes`, in this process or shared by `workers` processes, and the summary counts only what
 * the server accepted — the dashboard must show exactly that.
 */
export async function simulate(o: SimulateOptions): Promise<SimSummary> {
  const workers = Math.max(1, Math.min(MAX_WORKERS, Math.floor(o.workers ?? 1)));
  const wsUrl = `${o.url.replace(/^http/, "ws")}/ws`;
  const call = caller(o.url, o.apiKey);
  const tokenOf = tokenCache(o.token);
  const totalMs = o.minutes * 60_000;
  const maxInFlight = o.maxInFlight ?? 200;
  const viewMs = o.viewMs ?? [1000, 2000];
  const agents = await openShop(call, tokenOf, wsUrl);
  try {
    if (workers === 1) {
      const { summary } = await runActions({
        call,
        tokenOf,
        wsUrl,
        rate: o.rate,
        totalMs,
        seed: o.seed,
        pool: "sim-c",
        maxInFlight,
        viewMs,
        ...(o.onProgress && { onProgress: o.onProgress }),
        ...(o.onOrder && { onOrder: o.onOrder }),
      });
      return summary;
    }
    const latest = new Map<number, { started: number; summary: SimSummary }>();
    const began = Date.now();
    const results = await runWorkers({
      starts: Array.from({ length: workers }, (_, i) => ({
        url: o.url,
        apiKey: o.apiKey,
        wsUrl,
        rate: o.rate / workers,
        totalMs,
        seed: o.seed + i,
        pool: `sim-w${i}-c`,
        maxInFlight,
        viewMs,
      })),
      token: tokenOf,
      graceMs: 120_000,
      onProgress(index, p) {
        latest.set(index, p);
        if (!o.onProgress) return;
        const parts = [...latest.values()];
        const summary = mergeSummaries(
          o.seed,
          parts.map((x) => ({ summary: x.summary, customers: [], viewers: [] })),
        );
        // distinct counts are only known at the end: the sum of the workers' (disjoint pools)
        summary.customers = parts.reduce((s, x) => s + x.summary.customers, 0);
        summary.viewers = parts.reduce((s, x) => s + x.summary.viewers, 0);
        o.onProgress({
          elapsedMs: Math.min(totalMs, Date.now() - began),
          totalMs,
          started: parts.reduce((s, x) => s + x.started, 0),
          summary,
        });
      },
      ...(o.onOrder && { onOrder: o.onOrder }),
    });
    const summary = results.length ? mergeSummaries(o.seed, results) : emptySummary(o.seed);
    o.onProgress?.({
      elapsedMs: totalMs,
      totalMs,
      started: summary.actions + summary.failed,
      summary,
    });
    return summary;
  } finally {
    for (const s of agents) s.close();
  }
}

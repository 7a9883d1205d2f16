/** Orchestrator side of the load generator: forks worker processes and talks to them over IPC. */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Histogram } from "../lib/histogram.js";
import { track } from "../lib/proc.js";
import type {
  OpenCommand,
  OpenResult,
  RecoverResult,
  WorkerCommand,
  WorkerReply,
  WorkerRunResult,
} from "./commands.js";

const WORKER = fileURLToPath(new URL("./worker.ts", import.meta.url));

export interface RunSummary {
  deliveries: number;
  deliveriesPerSec: number;
  published: number;
  publishedInWindow: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  windowMs: number;
  /** CPU the load processes spent per second of window (1.0 = one core). */
  loadCores: number;
  /** Highest event-loop utilization among load processes (≈1 means the load generator saturated). */
  loadElu: number;
  unexpectedCloses: number;
  closeReasons: Array<[string, number]>;
  stray: number;
  straySample: string[];
}

class Worker {
  private seq = 1;
  private waiting = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();
  readonly ready: Promise<void>;

  constructor(readonly child: ChildProcess) {
    this.ready = new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error("load worker did not start in 20 s")),
        20_000,
      );
      child.on("message", (m: WorkerReply) => {
        if (m.seq === 0) {
          clearTimeout(timer);
          resolve();
          return;
        }
        const w = this.waiting.get(m.seq);
        if (!w) return;
        this.waiting.delete(m.seq);
        if (m.ok) w.resolve(m.result);
        else w.reject(new Error(`load worker: ${m.error}`));
      });
      child.once("exit", (code, sig) => {
        clearTimeout(timer);
        const err = new Error(`load worker exited (${code ?? sig})`);
        reject(err);
        for (const w of this.waiting.values()) w.reject(err);
        this.waiting.clear();
      });
    });
  }

  call<T>(cmd: WorkerCommand, timeoutMs: number): Promise<T> {
    const seq = this.seq++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(seq);
        reject(new Error(`load worker: ${cmd.op} took longer than ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(seq, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.send({ seq, cmd });
    });
  }
}

export class LoadPool {
  private constructor(private readonly workers: Worker[]) {}

  /** Starts `n` load processes, pinned to `cores` (taskset -c) when given. */
  static async start(n: number, cores: string | null): Promise<LoadPool> {
    const workers: Worker[] = [];
    for (let i = 0; i < n; i++) {
      // BENCH_LOAD_CPU_PROF=<dir> profiles the load generator itself (to see what limits it).
      const prof = process.env.BENCH_LOAD_CPU_PROF;
      const flags = prof ? ["--cpu-prof", "--cpu-prof-dir", prof] : [];
      const node = [process.execPath, ...flags, "--import", "tsx", WORKER];
      const argv = cores ? ["taskset", "-c", cores, ...node] : node;
      // Raise the open-files limit to the hard limit, then exec (the pid stays the worker's).
      const child = track(
        spawn("sh", ["-c", 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', "sh", ...argv], {
          stdio: ["ignore", "inherit", "inherit", "ipc"],
          env: { ...process.env },
        }),
      );
      workers.push(new Worker(child));
    }
    await Promise.all(workers.map((w) => w.ready));
    return new LoadPool(workers);
  }

  get size(): number {
    return this.workers.length;
  }

  pids(): number[] {
    return this.workers.map((w) => w.child.pid ?? 0);
  }

  /** Opens `count` subscriber connections split across workers; returns the summed result. */
  async open(
    base: Omit<OpenCommand, "op" | "count" | "offset">,
    count: number,
    timeoutMs: number,
  ): Promise<OpenResult> {
    const n = this.workers.length;
    const parts = this.workers.map((_, i) => Math.floor(count / n) + (i < count % n ? 1 : 0));
    let offset = 0;
    const results = await Promise.all(
      this.workers.map((w, i) => {
        const cmd: OpenCommand = { ...base, op: "open", count: parts[i]!, offset };
        offset += parts[i]!;
        return w.call<OpenResult>(cmd, timeoutMs);
      }),
    );
    return {
      ok: results.reduce((a, r) => a + r.ok, 0),
      failed: results.reduce((a, r) => a + r.failed, 0),
      errors: results.flatMap((r) => r.errors).slice(0, 5),
      elapsedMs: Math.max(...results.map((r) => r.elapsedMs)),
      elu: Math.max(...results.map((r) => r.elu)),
      cpuMs: results.reduce((a, r) => a + r.cpuMs, 0),
    };
  }

  /** Opens the publisher connection on worker 0. */
  openPublisher(
    base: Omit<OpenCommand, "op" | "count" | "offset" | "publisher">,
    timeoutMs: number,
  ) {
    return this.workers[0]!.call<OpenResult>(
      { ...base, op: "open", count: 1, offset: 0, publisher: true },
      timeoutMs,
    );
  }

  /** One measurement step on every worker; worker 0 publishes at `rate` per second. */
  async run(
    warmupMs: number,
    durationMs: number,
    rate: number,
    channels: string[],
  ): Promise<RunSummary> {
    const results = await Promise.all(
      this.workers.map((w, i) =>
        w.call<WorkerRunResult>(
          { op: "run", warmupMs, durationMs, rate: i === 0 ? rate : 0, channels },
          warmupMs + durationMs + 30_000,
        ),
      ),
    );
    const h = new Histogram();
    for (const r of results) h.merge(r.histogram, r.min, r.max);
    const windowMs = Math.max(...results.map((r) => r.windowMs));
    const deliveries = results.reduce((a, r) => a + r.deliveries, 0);
    return {
      deliveries,
      deliveriesPerSec: deliveries / (windowMs / 1000),
      published: results[0]!.published,
      publishedInWindow: results[0]!.publishedInWindow,
      p50Ms: h.percentileMs(50),
      p99Ms: h.percentileMs(99),
      maxMs: h.count ? h.max / 1000 : Number.NaN,
      windowMs,
      loadCores: results.reduce((a, r) => a + r.cpuMs, 0) / windowMs,
      loadElu: Math.max(...results.map((r) => r.elu)),
      unexpectedCloses: results.reduce((a, r) => a + r.unexpectedCloses, 0),
      closeReasons: results.flatMap((r) => r.closeReasons),
      stray: results.reduce((a, r) => a + r.stray, 0),
      straySample: results.flatMap((r) => r.straySample).slice(0, 3),
    };
  }

  async received(): Promise<number> {
    const rs = await Promise.all(
      this.workers.map((w) => w.call<{ received: number }>({ op: "counters" }, 10_000)),
    );
    return rs.reduce((a, r) => a + r.received, 0);
  }

  /** Waits until deliveries stop arriving (in-flight messages drained), at most maxMs. */
  async drain(maxMs: number): Promise<void> {
    const deadline = Date.now() + maxMs;
    let last = await this.received();
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      const now = await this.received();
      if (now === last) return;
      last = now;
    }
  }

  recover(port: number, rounds: number, messages: number, secret: string): Promise<RecoverResult> {
    return this.workers[0]!.call<RecoverResult>(
      { op: "recover", port, rounds, messages, timeoutMs: 10_000, auth: { secret } },
      rounds * 30_000 + 10_000,
    );
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.call({ op: "close" }, 20_000)));
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.workers.map(async (w) => {
        try {
          await w.call({ op: "exit" }, 3_000);
        } catch {
          // already gone
        }
        await new Promise<void>((resolve) => {
          if (w.child.exitCode !== null || w.child.signalCode !== null) return resolve();
          const t = setTimeout(() => w.child.kill("SIGKILL"), 3_000);
          w.child.once("exit", () => {
            clearTimeout(t);
            resolve();
          });
        });
      }),
    );
  }
}

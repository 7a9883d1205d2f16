import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Database } from "../store/schema.js";
import { acquireLease, releaseLease } from "./lease.js";

export interface JobDefinition {
  /** Unique name; also the lease name, so one node in the cluster runs it at a time. */
  name: string;
  intervalMs: number;
  run: () => Promise<void>;
}

/**
 * Periodic background work (reservation expiry, chat routing, retention) that must not run
 * twice at once across nodes: each tick takes a database lease first. The lease outlives a tick
 * so the node that has it keeps it while alive, and another takes over within a lease if it dies.
 */
export class JobRunner {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly jobs = new Map<string, JobDefinition>();
  private readonly running = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly holder: string,
    private readonly logger: Logger,
  ) {}

  add(job: JobDefinition): void {
    if (this.timers.has(job.name)) throw new Error(`job ${job.name} added twice`);
    this.jobs.set(job.name, job);
    const leaseMs = Math.max(job.intervalMs * 3, 5000);
    let busy = false;
    const tick = async () => {
      if (busy || this.stopped) return;
      busy = true;
      try {
        if (await acquireLease(this.db, `job:${job.name}`, this.holder, leaseMs)) await job.run();
      } catch (err) {
        this.logger.error({ err, job: job.name }, "background job failed");
      } finally {
        busy = false;
      }
    };
    const timer = setInterval(() => {
      const p = tick();
      this.running.add(p);
      void p.finally(() => this.running.delete(p));
    }, job.intervalMs);
    timer.unref();
    this.timers.set(job.name, timer);
  }

  /** Runs a registered job now (operations, tests), under the same lease rule. False if another node holds it. */
  async trigger(name: string): Promise<boolean> {
    const job = this.jobs.get(name);
    if (!job) throw new Error(`no job ${name}`);
    if (
      !(await acquireLease(this.db, `job:${name}`, this.holder, Math.max(job.intervalMs * 3, 5000)))
    )
      return false;
    await job.run();
    return true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) clearInterval(timer);
    await Promise.allSettled([...this.running]);
    for (const name of this.timers.keys()) {
      await releaseLease(this.db, `job:${name}`, this.holder).catch(() => {});
    }
    this.timers.clear();
  }
}

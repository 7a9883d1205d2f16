import type { Kysely } from "kysely";
import type { Logger } from "pino";
import { Counter, type Registry } from "prom-client";
import { ulid } from "../../ids.js";
import type { Database } from "../../store/schema.js";
import { type AfterCommit, runAfterCommit, runGuarded } from "./handler-guard.js";
import { backoffMs, errorText, LostClaim, WakeLoop } from "./loop.js";
import type { ScheduledTaskRow } from "./migrations.js";
import type { Queryable, ScheduleInput, TaskHandler } from "./types.js";

export interface SchedulerOptions {
  db: Kysely<Database>;
  logger: Logger;
  nodeId: string;
  pollMs: number;
  leaseMs: number;
  maxAttempts: number;
  registry?: Registry;
  batch?: number;
}

const TASK_NAME = /^[a-z][a-z0-9-]*\.[a-z0-9][a-z0-9_.:-]{0,99}$/;
const MAX_KEY = 300;

interface Registered {
  fn: TaskHandler<unknown>;
  maxAttempts: number;
}

/**
 * Tasks that run once at a time, on one node, after restarts: `schedule` upserts a row by key
 * (in the caller's transaction when given one); the dispatcher claims due rows with a conditional
 * update (a lease: a dead node's tasks are taken over), runs each in a transaction that deletes
 * its row first (so the task may schedule its own key again), retries failures with backoff and
 * parks a task (status `dead`) after `maxAttempts`.
 */
export class Scheduler {
  private readonly tasks = new Map<string, Registered>();
  private readonly loop: WakeLoop;
  private readonly counters: { run: Counter<"task">; failed: Counter<"task"> };

  constructor(private readonly options: SchedulerOptions) {
    this.loop = new WakeLoop("scheduler", () => this.pass(), options.pollMs, options.logger);
    const registers = options.registry ? [options.registry] : [];
    this.counters = {
      run: new Counter({
        name: "switchboard_tasks_run_total",
        help: "Scheduled tasks completed, by task",
        labelNames: ["task"],
        registers,
      }),
      failed: new Counter({
        name: "switchboard_tasks_failed_total",
        help: "Scheduled task runs that failed (retried, or parked after the last attempt), by task",
        labelNames: ["task"],
        registers,
      }),
    };
  }

  /** Registers the function of a task name ("<module>.<what>"). */
  register<P = unknown>(
    task: string,
    fn: TaskHandler<P>,
    opts: { maxAttempts?: number } = {},
  ): void {
    if (!TASK_NAME.test(task))
      throw new Error(`task name "${task}" must look like "<module>.<what>"`);
    if (this.tasks.has(task)) throw new Error(`task ${task} registered twice`);
    const maxAttempts = opts.maxAttempts ?? this.options.maxAttempts;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
      throw new Error(`task ${task}: maxAttempts must be a positive integer`);
    this.tasks.set(task, { fn: fn as TaskHandler<unknown>, maxAttempts });
  }

  /** Creates the task, or replaces the one with this key (time, payload; attempts start over). */
  async schedule(q: Queryable, t: ScheduleInput): Promise<void> {
    const row = this.rowOf(t);
    const { key: _key, created_at: _created, ...fresh } = row;
    await q
      .insertInto("scheduled_tasks")
      .values(row)
      .onConflict((oc) => oc.column("key").doUpdateSet(fresh))
      .execute();
    this.expectAt(t.runAt);
  }

  /**
   * `schedule` for many: one multi-row upsert per 100 tasks instead of a round trip each (a batch
   * of holds schedules one expiry per hold). The same semantics: an existing key is replaced
   * (time, payload; attempts start over); a key given twice keeps its last entry (one statement
   * may not touch a row twice). Every entry is checked before anything is written.
   */
  async scheduleMany(q: Queryable, tasks: readonly ScheduleInput[]): Promise<void> {
    const byKey = new Map<string, ReturnType<Scheduler["rowOf"]>>();
    let earliest: Date | undefined;
    for (const t of tasks) {
      const row = this.rowOf(t);
      byKey.delete(row.key); // the last entry of a key, in its own place
      byKey.set(row.key, row);
      if (!earliest || t.runAt < earliest) earliest = t.runAt;
    }
    const rows = [...byKey.values()];
    for (let i = 0; i < rows.length; i += 100)
      await q
        .insertInto("scheduled_tasks")
        .values(rows.slice(i, i + 100))
        .onConflict((oc) =>
          oc.column("key").doUpdateSet((eb) => ({
            task: eb.ref("excluded.task"),
            run_at: eb.ref("excluded.run_at"),
            next_at: eb.ref("excluded.next_at"),
            payload: eb.ref("excluded.payload"),
            status: eb.ref("excluded.status"),
            attempts: eb.ref("excluded.attempts"),
            claim: eb.ref("excluded.claim"),
            lease_until: eb.ref("excluded.lease_until"),
            last_error: eb.ref("excluded.last_error"),
          })),
        )
        .execute();
    if (earliest) this.expectAt(earliest);
  }

  /** A task's fresh row, checked (name, key, time). */
  private rowOf(t: ScheduleInput) {
    if (!TASK_NAME.test(t.task))
      throw new Error(`task name "${t.task}" must look like "<module>.<what>"`);
    checkKey(t.key);
    const runAt = isoOf(t.runAt);
    return {
      key: t.key,
      task: t.task,
      run_at: runAt,
      next_at: runAt,
      payload: JSON.stringify(t.payload ?? null),
      status: "pending",
      attempts: 0,
      claim: null,
      lease_until: null,
      last_error: null,
      created_at: new Date().toISOString(),
    };
  }

  /** Moves a task to another time; false when there is no task with this key. */
  async reschedule(q: Queryable, key: string, runAt: Date): Promise<boolean> {
    checkKey(key);
    const at = isoOf(runAt);
    const r = await q
      .updateTable("scheduled_tasks")
      .set({
        run_at: at,
        next_at: at,
        status: "pending",
        attempts: 0,
        claim: null,
        lease_until: null,
        last_error: null,
      })
      .where("key", "=", key)
      .executeTakeFirst();
    const found = Number(r.numUpdatedRows) > 0;
    if (found) this.expectAt(runAt);
    return found;
  }

  /** Removes a task; false when there was none. A run in progress then rolls back. */
  async cancel(q: Queryable, key: string): Promise<boolean> {
    checkKey(key);
    const r = await q.deleteFrom("scheduled_tasks").where("key", "=", key).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** Runs one pass now (tests). True when a full batch was claimed. */
  async runOnce(): Promise<boolean> {
    await this.loop.idle();
    return this.pass();
  }

  /** A task due before the next poll: look for it when it is due (and right after its commit). */
  private expectAt(runAt: Date): void {
    const ms = runAt.getTime() - Date.now();
    if (ms < this.options.pollMs) this.loop.wakeWithin(Math.max(ms, 0) + 5);
  }

  private async pass(): Promise<boolean> {
    const names = [...this.tasks.keys()];
    if (names.length === 0) return false;
    const batch = this.options.batch ?? 100;
    const { db } = this.options;
    const now = new Date().toISOString();
    const due = await db
      .selectFrom("scheduled_tasks")
      .select("key")
      .where("status", "=", "pending")
      .where("task", "in", names)
      .where("next_at", "<=", now)
      .where((eb) => eb.or([eb("claim", "is", null), eb("lease_until", "<", now)]))
      .orderBy("next_at")
      .limit(batch)
      .execute();
    if (due.length === 0) return false;
    const claim = `${this.options.nodeId}:${ulid()}`;
    const leaseUntil = new Date(Date.now() + this.options.leaseMs).toISOString();
    // the conditional update: of two nodes that read the same due rows, each row goes to one
    const mine = await db
      .updateTable("scheduled_tasks")
      .set({ claim, lease_until: leaseUntil })
      .where(
        "key",
        "in",
        due.map((d) => d.key),
      )
      .where("status", "=", "pending")
      .where("next_at", "<=", now)
      .where((eb) => eb.or([eb("claim", "is", null), eb("lease_until", "<", now)]))
      .returningAll()
      .execute();
    mine.sort((a, b) => (a.next_at < b.next_at ? -1 : a.next_at > b.next_at ? 1 : 0));
    for (const row of mine) await this.run(row, claim);
    return due.length >= batch;
  }

  private async run(row: ScheduledTaskRow, claim: string): Promise<void> {
    const registered = this.tasks.get(row.task);
    if (!registered) return;
    const after: AfterCommit[] = [];
    try {
      await this.options.db.transaction().execute(async (trx) => {
        const r = await trx
          .deleteFrom("scheduled_tasks")
          .where("key", "=", row.key)
          .where("claim", "=", claim)
          .executeTakeFirst();
        if (Number(r.numDeletedRows) !== 1) throw new LostClaim(`task ${row.key}`);
        await runGuarded(`scheduled task ${row.task}`, () =>
          registered.fn(JSON.parse(row.payload), {
            key: row.key,
            runAt: new Date(row.run_at),
            attempt: row.attempts + 1,
            transaction: trx,
            afterCommit: (fn) => void after.push(fn),
          }),
        );
      });
      this.counters.run.inc({ task: row.task });
      runAfterCommit(after, this.options.logger);
    } catch (err) {
      if (err instanceof LostClaim) return;
      await this.recordFailure(row, registered.maxAttempts, claim, err);
    }
  }

  private async recordFailure(
    row: ScheduledTaskRow,
    maxAttempts: number,
    claim: string,
    err: unknown,
  ): Promise<void> {
    const attempts = row.attempts + 1;
    const dead = attempts >= maxAttempts;
    this.counters.failed.inc({ task: row.task });
    this.options.logger[dead ? "error" : "warn"](
      { err, task: row.task, key: row.key, attempts },
      dead
        ? "scheduled task failed for the last time: parked"
        : "scheduled task failed; will retry",
    );
    await this.options.db
      .updateTable("scheduled_tasks")
      .set({
        attempts,
        status: dead ? "dead" : "pending",
        next_at: new Date(Date.now() + (dead ? 0 : backoffMs(attempts))).toISOString(),
        claim: null,
        lease_until: null,
        last_error: errorText(err),
      })
      .where("key", "=", row.key)
      .where("claim", "=", claim)
      .execute();
  }
}

function checkKey(key: string): void {
  if (typeof key !== "string" || key.length === 0 || key.length > MAX_KEY)
    throw new Error(`task key must be a non-empty string of at most ${MAX_KEY} characters`);
}

function isoOf(d: Date): string {
  if (!(d instanceof Date) || Number.isNaN(d.getTime()))
    throw new Error("runAt must be a valid Date");
  return d.toISOString();
}

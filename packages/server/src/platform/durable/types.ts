import type { Kysely, Transaction } from "kysely";
import type { EventBus } from "../../events.js";
import type { Database } from "../../store/schema.js";

/** A domain event as its handlers get it. `id` is the idempotency key of every handler. */
export interface DomainEvent<P = unknown> {
  id: string;
  type: string;
  /** What the event is about ("order:01J…"): one aggregate's events reach a handler in order. */
  aggregate: string;
  payload: P;
  occurredAt: string;
}

export interface EmitInput {
  type: string;
  aggregate: string;
  payload: unknown;
}

export interface HandlerContext {
  /** The transaction the handler's writes go into: they commit with the event marked done. */
  transaction: Transaction<Database>;
  /** 1 on the first run, 2 on the first retry… */
  attempt: number;
  /**
   * Runs `fn` once the transaction committed (never if it rolled back), outside the handler:
   * a flush of the outbox rows it wrote, a kick of a worker, a live publish. Work that uses
   * `db` must wait for this (the handler guard refuses `db` while the handler runs).
   */
  afterCommit(fn: () => unknown): void;
  /**
   * Runs `fn` in `transaction` once every handler of the deliveries sharing it has run, before
   * the commit: work several deliveries share (one multi-row write for all of them). A failure
   * rolls them all back, as a handler's would. Absent where deliveries never share a transaction.
   */
  beforeCommit?(fn: () => Promise<unknown>): void;
}

export type EventHandler<P> = (event: DomainEvent<P>, d: HandlerContext) => Promise<void>;

export interface HandlerOptions {
  /** Runs before the delivery is parked as a dead letter (default SWITCHBOARD_EVENTS_MAX_ATTEMPTS). */
  maxAttempts?: number;
}

export interface TaskContext {
  key: string;
  /** When it was scheduled for. */
  runAt: Date;
  attempt: number;
  /** The task's writes commit with it marked done; scheduling the same key again here is allowed. */
  transaction: Transaction<Database>;
  /** Runs `fn` once the task's transaction committed, outside the task (see HandlerContext). */
  afterCommit(fn: () => unknown): void;
}

export type TaskHandler<P> = (payload: P, d: TaskContext) => Promise<void>;

export interface ScheduleInput {
  task: string;
  runAt: Date;
  /** Unique: scheduling an existing key replaces it (upsert). */
  key: string;
  payload: unknown;
}

/** Either a transaction (scheduled with the change that needs it) or the database itself. */
export type Queryable = Transaction<Database> | Kysely<Database>;

export const HANDLER_NAME = /^[a-z][a-z0-9-]*\.[a-z0-9][a-z0-9_.:-]{0,99}$/;
export const EVENT_TYPE = /^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)+$/;

/** `ctx.events`: durable domain events, and the in-process bus for live-only uses. */
export interface ModuleEvents {
  /**
   * Records an event inside the module's transaction (same commit as the state change it
   * describes); resolves with its id. Never lost once committed.
   */
  emit(trx: Transaction<Database>, e: EmitInput): Promise<string>;
  /** `emit` for several events in one insert, in order; resolves with their ids. */
  emitAll(trx: Transaction<Database>, events: readonly EmitInput[]): Promise<string[]>;
  /**
   * Registers a handler ("<module>.<what>") of events of `type`: runs after the commit, at least
   * once, on one node of the cluster, in order per aggregate, retried with backoff, parked as a
   * dead letter after `maxAttempts`. Its writes into `d.transaction` commit exactly once.
   */
  on<P = unknown>(type: string, handler: string, fn: EventHandler<P>, opts?: HandlerOptions): void;
  /** The in-process bus (after the current work, this node only, lost on a crash): live-only uses. */
  readonly local: EventBus;
}

/** `ctx.scheduler`: tasks that run at a time, once, on one node, after restarts. */
export interface ModuleScheduler {
  register<P = unknown>(task: string, fn: TaskHandler<P>, opts?: { maxAttempts?: number }): void;
  /** Creates the task or replaces the one with this key (upsert). */
  schedule(q: Queryable, t: ScheduleInput): Promise<void>;
  /**
   * `schedule` for many tasks in one multi-row statement (per 100), with the same upsert by key;
   * a key given twice keeps its last entry, as two `schedule` calls would.
   */
  scheduleMany(q: Queryable, tasks: readonly ScheduleInput[]): Promise<void>;
  /** False when there is no task with this key. */
  reschedule(q: Queryable, key: string, runAt: Date): Promise<boolean>;
  /** False when there was none. */
  cancel(q: Queryable, key: string): Promise<boolean>;
}

import { AsyncLocalStorage } from "node:async_hooks";
import type {
  DatabaseConnection,
  Dialect,
  Driver,
  Kysely,
  QueryCompiler,
  TransactionSettings,
} from "kysely";
import type { Logger } from "pino";

/**
 * A durable handler (or scheduled task) must read and write through the `transaction` it is
 * given. Using the module's `db` instead asks the database for a second connection while the
 * handler's transaction holds one: on SQLite — one connection — that waits forever (a handler
 * that did so once held up every transition of orders for 20 s); on PostgreSQL its writes
 * escape the handler's exactly-once commit. The guard turns that into an immediate, named
 * error: while a handler runs, the base database refuses to hand out a connection to it.
 *
 * It costs an AsyncLocalStorage (promise hooks on Node 20), so the server turns it on outside
 * production (`NODE_ENV` development and test); off, `run` is a plain call.
 */

interface Running {
  what: string;
  open: boolean;
}

let storage: AsyncLocalStorage<Running> | undefined;

export function enableHandlerGuard(): void {
  storage ??= new AsyncLocalStorage<Running>();
}

export function handlerGuardEnabled(): boolean {
  return storage !== undefined;
}

export class BaseDbInHandler extends Error {
  constructor(what: string) {
    super(
      `${what} used the module's db while its transaction is open: read and write through the ` +
        "`transaction` it is given (ctx.db would wait for the connection that transaction holds " +
        "on SQLite, forever)",
    );
    this.name = "BaseDbInHandler";
  }
}

/** Runs a handler or task (`what` names it in the error) under the guard. */
export async function runGuarded<T>(what: string, fn: () => Promise<T>): Promise<T> {
  if (!storage) return fn();
  const running: Running = { what, open: true };
  try {
    return await storage.run(running, fn);
  } finally {
    // work the handler left running (not awaited) may use the db once it has returned
    running.open = false;
  }
}

/** Runs `fn` outside any handler's guard: work that only starts after the current work. */
export function outsideHandler<T>(fn: () => T): T {
  return storage ? storage.exit(fn) : fn();
}

export type AfterCommit = () => unknown;

/** Runs what handlers asked for after their commit: outside the guard, each on its own. */
export function runAfterCommit(fns: readonly AfterCommit[], logger: Logger): void {
  for (const fn of fns)
    outsideHandler(() =>
      Promise.resolve()
        .then(fn)
        .catch((err: unknown) => logger.error({ err }, "after-commit work of a handler failed")),
    );
}

export function assertOutsideHandler(): void {
  const running = storage?.getStore();
  if (running?.open) throw new BaseDbInHandler(running.what);
}

/**
 * The dialect with a driver that checks the guard whenever the base database hands out a
 * connection (every query and transaction started on `db`; a transaction's own queries reuse
 * its connection and are not checked).
 */
export function guardedDialect(inner: Dialect): Dialect {
  return {
    createAdapter: () => inner.createAdapter(),
    createQueryCompiler: (): QueryCompiler => inner.createQueryCompiler(),
    createIntrospector: (db: Kysely<unknown>) => inner.createIntrospector(db),
    createDriver: () => new GuardedDriver(inner.createDriver()),
  };
}

class GuardedDriver implements Driver {
  savepoint?: Driver["savepoint"];
  rollbackToSavepoint?: Driver["rollbackToSavepoint"];
  releaseSavepoint?: Driver["releaseSavepoint"];

  constructor(private readonly inner: Driver) {
    // optional in Kysely's Driver: present only when the inner driver has them
    if (inner.savepoint) this.savepoint = inner.savepoint.bind(inner);
    if (inner.rollbackToSavepoint) this.rollbackToSavepoint = inner.rollbackToSavepoint.bind(inner);
    if (inner.releaseSavepoint) this.releaseSavepoint = inner.releaseSavepoint.bind(inner);
  }
  init(): Promise<void> {
    return this.inner.init();
  }
  acquireConnection(): Promise<DatabaseConnection> {
    assertOutsideHandler();
    return this.inner.acquireConnection();
  }
  beginTransaction(c: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.inner.beginTransaction(c, settings);
  }
  commitTransaction(c: DatabaseConnection): Promise<void> {
    return this.inner.commitTransaction(c);
  }
  rollbackTransaction(c: DatabaseConnection): Promise<void> {
    return this.inner.rollbackTransaction(c);
  }
  releaseConnection(c: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(c);
  }
  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

import type { Logger } from "pino";
import { outsideHandler } from "./platform/durable/handler-guard.js";

/**
 * In-process domain events between modules (order.status_changed → notifications, metrics).
 * Modules declare their events by merging into this interface:
 *
 *   declare module "../../events.js" { interface DomainEvents { "order.status_changed": OrderStatusChanged } }
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging
export interface DomainEvents {}

type Handler<T> = (payload: T) => void | Promise<void>;

export class EventBus {
  private readonly handlers = new Map<string, Handler<never>[]>();
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly logger: Logger) {}

  on<K extends keyof DomainEvents>(name: K, handler: Handler<DomainEvents[K]>): () => void {
    const list = this.handlers.get(name as string) ?? [];
    list.push(handler as Handler<never>);
    this.handlers.set(name as string, list);
    return () => {
      const current = this.handlers.get(name as string) ?? [];
      this.handlers.set(
        name as string,
        current.filter((h) => h !== handler),
      );
    };
  }

  /** Runs every handler after the current work (never inside the emitter's transaction); a failing handler is logged. */
  emit<K extends keyof DomainEvents>(name: K, payload: DomainEvents[K]): void {
    for (const handler of this.handlers.get(name as string) ?? []) {
      // outside a durable handler's guard: it runs after the current work, not inside its
      // transaction, and may use the db (waiting for the connection on SQLite)
      const run = Promise.resolve()
        .then(() => outsideHandler(() => (handler as Handler<DomainEvents[K]>)(payload)))
        .catch((err: unknown) =>
          this.logger.error({ err, event: name }, "domain event handler failed"),
        );
      this.pending.add(run);
      void run.finally(() => this.pending.delete(run));
    }
  }

  /** Resolves when every handler started so far has finished (shutdown, tests). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }
}

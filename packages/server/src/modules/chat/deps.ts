import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Broker } from "../../broker/types.js";
import type { ModuleEvents } from "../../platform/durable/types.js";
import type { Dialect } from "../../store/db.js";
import type { Outbox } from "../../store/outbox.js";
import type { Database } from "../../store/schema.js";
import type { BotSettings, ChatSettings } from "./config.js";

export interface ChatDeps {
  db: Kysely<Database>;
  dialect: Dialect;
  outbox: Outbox;
  broker: Broker;
  /** Durable `chat.*` events, emitted in the write's transaction. */
  events: ModuleEvents;
  logger: Logger;
  /** The chat section of the configuration (ctx.settings), and where data lives. */
  config: { dataDir: string; chat: ChatSettings; bot: BotSettings };
  /** Direct server-side publish (derived views like queue positions, recomputed on every change). */
  publish(channel: string, event: string, data: unknown): Promise<unknown>;
  /**
   * Tells the unread counter whose counts may have changed (set by the service; publishes in
   * the background after the change committed).
   */
  unreadChanged?: (users: (string | null | undefined)[]) => void;
  /** Test-only crash points (ModuleContext.crashPoint). */
  crashPoint(point: string): void;
}

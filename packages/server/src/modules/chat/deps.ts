import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Broker } from "../../broker/types.js";
import type { Config } from "../../config.js";
import type { EventBus } from "../../events.js";
import type { Dialect } from "../../store/db.js";
import type { Outbox } from "../../store/outbox.js";
import type { Database } from "../../store/schema.js";

export interface ChatDeps {
  db: Kysely<Database>;
  dialect: Dialect;
  outbox: Outbox;
  broker: Broker;
  events: EventBus;
  logger: Logger;
  config: Config;
  /** Direct server-side publish (derived views like queue positions, recomputed on every change). */
  publish(channel: string, event: string, data: unknown): Promise<unknown>;
}

export const STAFF_CHAT_CHANNEL = "staff:chat";
export const conversationChannel = (id: string) => `conversation:${id}`;
export const now = () => new Date().toISOString();

/** Thrown inside a transaction to roll it back when a conditional update found the state moved. */
export class Moved extends Error {}

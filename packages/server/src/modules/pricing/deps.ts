import { isValidChannel, parseChannel } from "@switchboard/protocol";
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Namespaces } from "../../gateway/namespaces.js";
import type { ModuleEvents, ModuleScheduler } from "../../platform/durable/types.js";
import type { Outbox } from "../../store/outbox.js";
import type { Database } from "../../store/schema.js";
import type { PricingSettings } from "./config.js";

export interface PricingDeps {
  db: Kysely<Database>;
  outbox: Outbox;
  /** Durable domain events: emitted in the transaction of the change they describe. */
  events: Pick<ModuleEvents, "emit">;
  /** Deferred repricing (debounce, max step) as durable tasks. */
  scheduler: Pick<ModuleScheduler, "schedule">;
  settings: PricingSettings;
  /** product:, order: belong to inventory and orders: pricing publishes there only when they run. */
  namespaces: Pick<Namespaces, "get" | "authorize">;
  logger: Logger;
}

/**
 * Whether a message to `channel` can be delivered: a valid name in a namespace that exists now.
 * A message the broker would refuse must never enter the outbox (it would block the ones after).
 */
export function canCarry(deps: Pick<PricingDeps, "namespaces">, channel: string): boolean {
  if (!isValidChannel(channel)) return false;
  const parsed = parseChannel(channel);
  return parsed !== null && deps.namespaces.get(parsed.namespace) !== undefined;
}

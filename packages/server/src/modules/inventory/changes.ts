import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Broker } from "../../broker/types.js";
import { ulid } from "../../ids.js";
import type { ModuleEvents } from "../../platform/durable/types.js";
import type { Dialect } from "../../store/db.js";
import type { Outbox } from "../../store/outbox.js";
import type { Database } from "../../store/schema.js";
import type { InventorySettings } from "./config.js";
import type { Alert, Item, Stock } from "./contract.js";
import type { InventoryItemRow } from "./migrations.js";

export interface InventoryDeps {
  db: Kysely<Database>;
  outbox: Outbox;
  /** Durable `inventory.*` events in the change's transaction; `events.local` is the live bus. */
  events: ModuleEvents;
  /** For presence counts (viewers) only. */
  broker: Pick<Broker, "presenceCount">;
  logger: Logger;
  /** A per-customer lock needs the dialect (an advisory lock on PostgreSQL). */
  dialect: Dialect;
  /** The per-customer caps (the module's config section). */
  settings: InventorySettings;
}

/** History ids sort in the order the changes took their row lock (one process; by time across nodes). */
export const historyId = ulid;
export const reservationId = ulid;

export interface StockChanged extends Stock {
  sku: string;
  onHand: number;
  reserved: number;
  version: number;
  alerts: Alert[];
}

export interface BackInStock {
  sku: string;
  name?: string;
  available: number;
  /** Users who asked to be told (their watches are used up). */
  users: string[];
}

declare module "../../events.js" {
  interface DomainEvents {
    "inventory.stock_changed": StockChanged;
    "inventory.back_in_stock": BackInStock;
  }
}

export type Levels = Pick<InventoryItemRow, "on_hand" | "reserved" | "low_stock_threshold">;

export function stockOf(levels: Levels): Stock {
  const available = Math.max(0, levels.on_hand - levels.reserved);
  return {
    available,
    inStock: available > 0,
    lowStock: available > 0 && available <= levels.low_stock_threshold,
  };
}

export function itemOf(row: InventoryItemRow): Item {
  return {
    sku: row.sku,
    baseSku: row.base_sku,
    ...(row.variant !== null && { variant: row.variant }),
    ...(row.location !== null && { location: row.location }),
    ...(row.name !== null && { name: row.name }),
    ...(row.team_id !== null && { teamId: row.team_id }),
    onHand: row.on_hand,
    reserved: row.reserved,
    ...stockOf(row),
    lowStockThreshold: row.low_stock_threshold,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

import { z } from "zod";
import { int, withDefault } from "../../platform/kit/env.js";
import { defineModuleConfig } from "../../platform/module-config.js";
import { MAX_TTL_SECONDS, MAX_UNITS } from "./schema.js";

/** What one customer may hold (staff and the API key are not capped). */
export interface InventorySettings {
  /** Units in one reservation. */
  maxQuantity: number;
  /** How long one reservation may last, in seconds. */
  maxTtlSeconds: number;
  /** Active reservations at a time. */
  maxActiveReservations: number;
}

/** The inventory module's section of the configuration (docs/configuration.md, "Inventory"). */
export const inventoryConfig = defineModuleConfig(
  z.object({
    SWITCHBOARD_INVENTORY_MAX_QUANTITY: withDefault(int(1, MAX_UNITS), 10),
    SWITCHBOARD_INVENTORY_MAX_TTL_SECONDS: withDefault(int(1, MAX_TTL_SECONDS), 1800),
    SWITCHBOARD_INVENTORY_MAX_ACTIVE_RESERVATIONS: withDefault(int(1, 1_000_000), 10),
  }),
  (e): InventorySettings => ({
    maxQuantity: e.SWITCHBOARD_INVENTORY_MAX_QUANTITY,
    maxTtlSeconds: e.SWITCHBOARD_INVENTORY_MAX_TTL_SECONDS,
    maxActiveReservations: e.SWITCHBOARD_INVENTORY_MAX_ACTIVE_RESERVATIONS,
  }),
);

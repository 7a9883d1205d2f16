import { z } from "zod";
import { int, list, optional, withDefault } from "../../platform/kit/env.js";
import { defineModuleConfig } from "../../platform/module-config.js";
import { LIFECYCLES } from "./lifecycles.js";

export interface OrdersSettings {
  /** The lifecycles new orders may use; orders already made keep theirs. */
  lifecycles: string[];
  /** An order this long in one non-terminal status emits `order.stalled` (0: never). */
  stalledAfterMs: number;
}

const known = Object.keys(LIFECYCLES);

/** The orders module's section of the configuration (docs/configuration.md, "Orders"). */
export const ordersConfig = defineModuleConfig(
  z.object({
    SWITCHBOARD_ORDERS_LIFECYCLES: optional(
      list(/^[a-z0-9-]+$/, "a lifecycle name").refine(
        (names) => names.every((n) => known.includes(n)),
        {
          message: `must name lifecycles from: ${known.join(", ")}`,
        },
      ),
    ),
    SWITCHBOARD_ORDERS_STALLED_AFTER_MS: withDefault(int(0, 30 * 86_400_000), 86_400_000),
  }),
  (e): OrdersSettings => ({
    lifecycles: e.SWITCHBOARD_ORDERS_LIFECYCLES ?? known,
    stalledAfterMs: e.SWITCHBOARD_ORDERS_STALLED_AFTER_MS,
  }),
);

import { appointmentsModule } from "./appointments/index.js";
import { chatModule } from "./chat/index.js";
import { inventoryModule } from "./inventory/index.js";
import { metricsModule } from "./metrics/index.js";
import { notificationsModule } from "./notifications/index.js";
import { ordersModule } from "./orders/index.js";
import { pricingModule } from "./pricing/index.js";
import { pusherModule } from "./pusher/index.js";
import type { SwitchboardModule } from "./types.js";

/** Every module the server loads by default, in registration order. */
export function builtInModules(): SwitchboardModule[] {
  return [
    ordersModule,
    chatModule,
    inventoryModule,
    pricingModule,
    appointmentsModule,
    notificationsModule,
    metricsModule,
    pusherModule,
  ];
}

import { isValidChannel } from "@switchboard/protocol";
import type { Logger } from "pino";
import { z } from "zod";
import type { ModuleEvents } from "../../platform/durable/types.js";
import type { Outbox } from "../../store/outbox.js";
import { createAvailability } from "./availability.js";
import { createCatalog } from "./catalog.js";
import type { AppointmentsSettings } from "./config.js";
import { customerChannel, type PickupOffer } from "./contract.js";

/** The part of orders' `order.status_changed` this reads (parsed: another shape is skipped). */
const statusChanged = z.object({
  orderId: z.string().min(1),
  customerId: z.string().min(1),
  lifecycle: z.string(),
  to: z.string(),
  title: z.string().optional(),
});

/** How many free pickup times an offer carries, and how many days ahead it looks. */
export const PICKUP_OFFER_SLOTS = 6;
const PICKUP_OFFER_DAYS = 7;

export const PICKUP_OFFERED_EVENT = "appointment.pickup_offered";

/**
 * A repair reaching ready-for-pickup is offered pickup times: the first free slots of the shop's
 * `pickup` service over the next days, computed in the durable handler's transaction, told to the
 * customer on `user:{id}` (event `pickup_offer`) and as the durable event
 * `appointment.pickup_offered` (for notifications). No pickup service: nothing is offered.
 */
export function offerPickups(
  events: ModuleEvents,
  outbox: Outbox,
  settings: AppointmentsSettings,
  logger: Logger,
): void {
  events.on(
    "order.status_changed",
    "appointments.pickup_offer",
    async (event, { transaction: trx }) => {
      const parsed = statusChanged.safeParse(event.payload);
      if (!parsed.success) {
        logger.warn({ issues: parsed.error.issues }, "order.status_changed skipped");
        return;
      }
      const order = parsed.data;
      if (order.lifecycle !== "repair-booking" || order.to !== "ready-pickup") return;
      const service = await trx
        .selectFrom("appointment_services")
        .selectAll()
        .where("purpose", "=", "pickup")
        .orderBy("id")
        .executeTakeFirst();
      if (!service) return;
      // inside the handler everything reads through its transaction (one SQLite connection)
      const catalog = createCatalog(trx);
      const availability = createAvailability(trx, catalog, settings);
      const from = new Date().toISOString().slice(0, 10);
      const days = Math.min(PICKUP_OFFER_DAYS, settings.maxRangeDays);
      const to = new Date(Date.now() + (days - 1) * 86_400_000).toISOString().slice(0, 10);
      const slots = (await availability.slots({ service: service.id, from, to })).slice(
        0,
        PICKUP_OFFER_SLOTS,
      );
      // the zone the times are told in (notifications write "Tuesday 10:00" in it)
      const zoneOf = slots[0]
        ? (await catalog.resource(slots[0].resourceId))?.timeZone
        : (await catalog.offering(service.id))[0]?.timeZone;
      const offer: PickupOffer = {
        orderId: order.orderId,
        customerId: order.customerId,
        userId: order.customerId,
        serviceId: service.id,
        serviceName: service.name,
        ...(order.title && { orderTitle: order.title }),
        slots,
        ...(slots[0] && { startsAt: slots[0].start }),
        ...(zoneOf && { timeZone: zoneOf, zone: zoneOf }),
      };
      await events.emit(trx, {
        type: PICKUP_OFFERED_EVENT,
        aggregate: `order:${order.orderId}`,
        payload: offer,
      });
      const mine = customerChannel(order.customerId);
      if (!isValidChannel(mine)) return;
      // published by the outbox sweep once this handler's transaction has committed
      await outbox.enqueue(trx, [
        {
          channel: mine,
          event: "pickup_offer",
          data: offer,
          key: `appt:pickup:${order.orderId}:${event.id}`,
        },
      ]);
    },
  );
}

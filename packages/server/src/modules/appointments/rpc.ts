import { z } from "zod";
import type { RpcRegistry } from "../../gateway/rpc.js";
import {
  appointmentIdParams,
  holdBody,
  listAppointmentsQuery,
  rescheduleBody,
  slotsQuery,
} from "./schema.js";
import type { AppointmentsService } from "./service.js";

/** The same service over the socket: `{type: "rpc", method: "appointments.hold", params: {…}}`. */
export function registerAppointmentRpc(
  rpc: RpcRegistry,
  { availability, booking, catalog }: AppointmentsService,
): void {
  rpc.register("appointments.services", {
    params: z.object({}),
    handler: async () => ({ services: await catalog.listServices() }),
  });
  rpc.register("appointments.slots", {
    params: slotsQuery,
    handler: async (p) => ({ slots: await availability.slots(p) }),
  });
  rpc.register("appointments.hold", {
    params: holdBody,
    handler: (p, ctx) => booking.hold(ctx.identity, p),
  });
  for (const [name, run] of [
    ["confirm", booking.confirm],
    ["release", booking.release],
    ["cancel", booking.cancel],
    ["noShow", booking.noShow],
    ["checkIn", booking.checkIn],
    ["get", booking.get],
  ] as const)
    rpc.register(`appointments.${name}`, {
      params: appointmentIdParams,
      handler: (p, ctx) => run(ctx.identity, p.id),
    });
  rpc.register("appointments.reschedule", {
    params: rescheduleBody.extend(appointmentIdParams.shape),
    handler: ({ id, ...input }, ctx) => booking.reschedule(ctx.identity, id, input),
  });
  rpc.register("appointments.list", {
    params: listAppointmentsQuery,
    handler: (p, ctx) => booking.list(ctx.identity, p),
  });
}

import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AuthHooks } from "../../http/auth.js";
import { keepResponse } from "../../http/idempotency.js";
import { errorBodySchema, errorResponses } from "../../http/schemas.js";
import { callerOf } from "../../platform/kit/caller.js";
import {
  appointmentPageSchema,
  appointmentSchema,
  bestTimesSchema,
  resourceSchema,
  serviceSchema,
  slotsSchema,
} from "./contract.js";
import {
  appointmentIdParams,
  bestTimesQuery,
  exceptionParams,
  holdBody,
  idParams,
  listAppointmentsQuery,
  putExceptionBody,
  putResourceBody,
  putServiceBody,
  rescheduleBody,
  slotsQuery,
} from "./schema.js";
import type { AppointmentsService } from "./service.js";

/** Thin REST adapters: validate → service → reply. */
export function registerAppointmentRoutes(
  app: FastifyInstance,
  { catalog, availability, booking, bestTimes }: AppointmentsService,
  auth: AuthHooks,
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const security = [{ bearer: [] }];
  const tags = ["appointments"];
  const base = "/api/appointments";
  const refused = {
    404: errorBodySchema,
    409: errorBodySchema,
    422: errorBodySchema,
    ...errorResponses,
  };

  r.get(
    `${base}/services`,
    {
      onRequest: auth.user,
      schema: {
        summary: "Bookable services",
        tags,
        security,
        response: { 200: z.object({ services: z.array(serviceSchema) }), ...errorResponses },
      },
    },
    async () => ({ services: await catalog.listServices() }),
  );

  r.put(
    `${base}/services/:id`,
    {
      onRequest: auth.staff,
      schema: {
        summary: "Create or replace a service",
        description:
          "Staff or API key. Duration and buffers in minutes on a 5-minute grid; capacity is how many customers one slot takes (default 1).",
        tags,
        security,
        params: idParams,
        body: putServiceBody,
        response: { 200: serviceSchema, ...errorResponses },
      },
    },
    async (request) => catalog.putService(callerOf(request), request.params.id, request.body),
  );

  r.get(
    `${base}/resources`,
    {
      onRequest: auth.user,
      schema: {
        summary: "Resources (staff, chairs, bays, cars) with their hours and exceptions",
        tags,
        security,
        response: { 200: z.object({ resources: z.array(resourceSchema) }), ...errorResponses },
      },
    },
    async () => ({ resources: await catalog.listResources() }),
  );

  r.get(
    `${base}/resources/:id`,
    {
      onRequest: auth.user,
      schema: {
        summary: "One resource",
        tags,
        security,
        params: idParams,
        response: { 200: resourceSchema, 404: errorBodySchema, ...errorResponses },
      },
    },
    async (request) => catalog.getResource(request.params.id),
  );

  r.put(
    `${base}/resources/:id`,
    {
      onRequest: auth.staff,
      schema: {
        summary: "Create or replace a resource",
        description:
          "Staff or API key. Weekly hours are wall-clock intervals in the resource's IANA time zone; the gaps are breaks, a missing day is a day off. 422 `unknown_service` names services that do not exist.",
        tags,
        security,
        params: idParams,
        body: putResourceBody,
        response: { 200: resourceSchema, 422: errorBodySchema, ...errorResponses },
      },
    },
    async (request) => catalog.putResource(callerOf(request), request.params.id, request.body),
  );

  r.put(
    `${base}/resources/:id/exceptions/:date`,
    {
      onRequest: auth.staff,
      schema: {
        summary: "Set one day's hours of a resource (holiday, late opening)",
        description: "Staff or API key. `hours: []` closes the day.",
        tags,
        security,
        params: exceptionParams,
        body: putExceptionBody,
        response: { 200: resourceSchema, 404: errorBodySchema, ...errorResponses },
      },
    },
    async (request) =>
      catalog.putException(callerOf(request), request.params.id, request.params.date, request.body),
  );

  r.delete(
    `${base}/resources/:id/exceptions/:date`,
    {
      onRequest: auth.staff,
      schema: {
        summary: "Remove a day's exception (the weekly hours apply again)",
        tags,
        security,
        params: exceptionParams,
        response: { 200: resourceSchema, 404: errorBodySchema, ...errorResponses },
      },
    },
    async (request) =>
      catalog.deleteException(callerOf(request), request.params.id, request.params.date),
  );

  r.get(
    `${base}/slots`,
    {
      onRequest: auth.user,
      schema: {
        summary: "Free slots of a service, per day in the resource's time zone",
        description:
          "Computed from working hours, exceptions, bookings and holds (a hold is taken). Without `resource`, one slot per start on the least booked resource that day. 400 `invalid_range`, 422 `unknown_service`, `unknown_resource`, `service_not_offered`.",
        tags,
        security,
        querystring: slotsQuery,
        response: {
          200: slotsSchema,
          422: errorBodySchema,
          ...errorResponses,
        },
      },
    },
    async (request) => ({ slots: await availability.slots(request.query) }),
  );

  r.get(
    `${base}/best-times`,
    {
      onRequest: auth.user,
      schema: {
        summary: "Suggested times: free slots where the shop is quietest",
        description:
          "Free slots of the service (as /slots, default the week from `from`), each with `busy`: the share of the open time an hour either side already held or booked on the resources offering it. Quietest first, then earliest; at most one per resource and hour. 400 `invalid_range`, 422 `unknown_service`, `unknown_resource`, `service_not_offered`.",
        tags,
        security,
        querystring: bestTimesQuery,
        response: { 200: bestTimesSchema, 422: errorBodySchema, ...errorResponses },
      },
    },
    async (request) => ({ times: await bestTimes(request.query) }),
  );

  r.post(
    `${base}/holds`,
    {
      onRequest: auth.user,
      schema: {
        summary: "Hold a slot for a few minutes",
        description:
          "Answers the held appointment (`id`, `expiresAt`). 409 `slot_taken` when someone else has it, 422 `outside_hours` when the start is not a slot. Accepts an `Idempotency-Key` header.",
        tags,
        security,
        body: holdBody,
        response: { 201: appointmentSchema, ...refused },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(await booking.hold(callerOf(request), request.body, keepResponse(request, 201))),
  );

  const action = (
    verb: string,
    summary: string,
    description: string,
    run: typeof booking.confirm,
  ) =>
    r.post(
      `${base}/:id/${verb}`,
      {
        onRequest: auth.user,
        schema: {
          summary,
          description: `${description} Accepts an \`Idempotency-Key\` header.`,
          tags,
          security,
          params: appointmentIdParams,
          response: { 200: appointmentSchema, ...refused },
        },
      },
      async (request) => run(callerOf(request), request.params.id, keepResponse(request, 200)),
    );

  // confirm lives under holds/ as well, where customers look for it
  r.post(
    `${base}/holds/:id/confirm`,
    {
      onRequest: auth.user,
      schema: {
        summary: "Confirm a hold: it becomes the booking",
        description:
          "409 `hold_expired` when the hold ran out or was released. Accepts an `Idempotency-Key` header.",
        tags,
        security,
        params: appointmentIdParams,
        response: { 200: appointmentSchema, ...refused },
      },
    },
    async (request) =>
      booking.confirm(callerOf(request), request.params.id, keepResponse(request, 200)),
  );
  action("confirm", "Confirm a hold", "Same as holds/{id}/confirm.", booking.confirm);
  action("release", "Release a hold", "The slot is free again at once.", booking.release);
  action(
    "cancel",
    "Cancel an appointment",
    "Its customer until the policy window before the start (409 `too_late_to_change`), staff any time.",
    booking.cancel,
  );
  action(
    "no-show",
    "Mark a past appointment as a no-show",
    "Staff or API key; the start must have passed.",
    booking.noShow,
  );

  r.post(
    `${base}/:id/check-in`,
    {
      onRequest: auth.staff,
      schema: {
        summary: "Check a customer in: they arrived for a confirmed booking",
        description:
          "Staff or API key (403 for a customer). The booking becomes `checked_in` with `checkedInAt`; its reminders are dropped and it can no longer be marked a no-show; emits `appointment.checked_in` with `checkedInAt` and `lateMinutes`. 409 `invalid_state` unless confirmed; an already checked-in one is answered as it is (no second event). 404 for an unknown id. Accepts an `Idempotency-Key` header.",
        tags,
        security,
        params: appointmentIdParams,
        response: { 200: appointmentSchema, ...refused },
      },
    },
    async (request) =>
      booking.checkIn(callerOf(request), request.params.id, keepResponse(request, 200)),
  );

  r.post(
    `${base}/:id/reschedule`,
    {
      onRequest: auth.user,
      schema: {
        summary: "Move an appointment to another slot",
        description:
          "Atomic: the new slot is claimed and the old one freed in one transaction; if the new one is taken (409 `slot_taken`) nothing changes. Customers until the policy window before the start. Accepts an `Idempotency-Key` header.",
        tags,
        security,
        params: appointmentIdParams,
        body: rescheduleBody,
        response: { 200: appointmentSchema, ...refused },
      },
    },
    async (request) =>
      booking.reschedule(
        callerOf(request),
        request.params.id,
        request.body,
        keepResponse(request, 200),
      ),
  );

  r.get(
    base,
    {
      onRequest: auth.user,
      schema: {
        summary: "List appointments, newest first",
        description:
          "Staff see every appointment (filter by resource, customer, status, start range); a customer only their own.",
        tags,
        security,
        querystring: listAppointmentsQuery,
        response: { 200: appointmentPageSchema, ...errorResponses },
      },
    },
    async (request) => booking.list(callerOf(request), request.query),
  );

  r.get(
    `${base}/:id`,
    {
      onRequest: auth.user,
      schema: {
        summary: "One appointment",
        description: "Its customer or staff.",
        tags,
        security,
        params: appointmentIdParams,
        response: { 200: appointmentSchema, 404: errorBodySchema, ...errorResponses },
      },
    },
    async (request) => booking.get(callerOf(request), request.params.id),
  );
}

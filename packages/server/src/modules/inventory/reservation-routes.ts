import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { SwitchboardError } from "../../errors.js";
import type { AuthHooks } from "../../http/auth.js";
import { keepResponse } from "../../http/idempotency.js";
import { errorBodySchema, errorResponses } from "../../http/schemas.js";
import { callerOf } from "../../platform/kit/caller.js";
import { insufficientStockSchema, reservationPageSchema, reservationSchema } from "./contract.js";
import { security, tags } from "./routes.js";
import { listReservationsQuery, reservationParams, reserveBody } from "./schema.js";
import type { InventoryService } from "./service.js";

/** Thin REST adapters over the reservations service. */
export function registerReservationRoutes(
  app: FastifyInstance,
  service: InventoryService,
  auth: AuthHooks,
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { reservations } = service;

  r.post(
    "/api/inventory/reservations",
    {
      onRequest: auth.user,
      schema: {
        summary: "Reserve units of an item",
        description:
          "Any user: a customer reserves for themself; staff and the API key may name `customerId`. `201` reservation, or `409 insufficient_stock` with `available` (also in `details.available`). Never oversells, however many race. Expires after `ttlSeconds` (default 900) unless committed or released. A customer is capped in units, TTL (`400`) and active reservations (`429 rate_limited`); staff and the API key are not. Accepts an `Idempotency-Key` header: a retry returns the same reservation.",
        tags,
        security,
        body: reserveBody,
        response: {
          201: reservationSchema,
          404: errorBodySchema,
          409: insufficientStockSchema,
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      try {
        const reservation = await reservations.reserve(
          callerOf(request),
          request.body,
          keepResponse(request, 201),
        );
        return reply.status(201).send(reservation);
      } catch (error) {
        if (!(error instanceof SwitchboardError) || error.code !== "insufficient_stock")
          throw error;
        const { available } = error.details as { available: number };
        return reply.status(409).send({ ...error.toBody(), available });
      }
    },
  );

  r.get(
    "/api/inventory/reservations",
    {
      onRequest: auth.user,
      schema: {
        summary: "List reservations, newest first",
        description:
          "A customer lists their own (naming another `customerId` is `403`); staff and the API key list anyone's, or one customer's with `customerId`. Filter by `sku` and `status`; page with `nextCursor`. A shop page restores the reservation a customer holds with `?sku=…&status=active&limit=1`.",
        tags,
        security,
        querystring: listReservationsQuery,
        response: { 200: reservationPageSchema, ...errorResponses },
      },
    },
    async (request) => reservations.list(callerOf(request), request.query),
  );

  r.get(
    "/api/inventory/reservations/:id",
    {
      onRequest: auth.user,
      schema: {
        summary: "A reservation (its status and deadline)",
        description: "Its customer, staff or API key.",
        tags,
        security,
        params: reservationParams,
        response: { 200: reservationSchema, 404: errorBodySchema, ...errorResponses },
      },
    },
    async (request) => reservations.get(callerOf(request), request.params.id),
  );

  r.post(
    "/api/inventory/reservations/:id/commit",
    {
      onRequest: auth.staff,
      schema: {
        summary: "Turn a reservation into a sale",
        description:
          "Staff or API key. onHand and reserved both drop by the quantity; available does not change. `409 conflict` (`details.status`) when the reservation is no longer active — including when its deadline has passed, even if the sweep has not released it yet. Accepts an `Idempotency-Key` header.",
        tags,
        security,
        params: reservationParams,
        response: {
          200: reservationSchema,
          404: errorBodySchema,
          409: errorBodySchema,
          ...errorResponses,
        },
      },
    },
    async (request) =>
      reservations.commit(callerOf(request), request.params.id, keepResponse(request, 200)),
  );

  r.post(
    "/api/inventory/reservations/:id/release",
    {
      onRequest: auth.user,
      schema: {
        summary: "Give a reservation's units back",
        description:
          "Its customer, staff or API key. `409 conflict` (`details.status`) when it is no longer active. Accepts an `Idempotency-Key` header.",
        tags,
        security,
        params: reservationParams,
        response: {
          200: reservationSchema,
          404: errorBodySchema,
          409: errorBodySchema,
          ...errorResponses,
        },
      },
    },
    async (request) =>
      reservations.release(callerOf(request), request.params.id, keepResponse(request, 200)),
  );
}

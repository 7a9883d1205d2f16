import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AuthHooks } from "../../http/auth.js";
import { keepResponse } from "../../http/idempotency.js";
import { errorBodySchema, errorResponses } from "../../http/schemas.js";
import { callerOf } from "../../platform/kit/caller.js";
import { lifecycleSchema, orderPageSchema, orderSchema } from "./contract.js";
import { createOrderBody, listOrdersQuery, orderIdParams, transitionBody } from "./schema.js";
import type { OrdersService } from "./service.js";

/** Thin REST adapters: validate → service → reply. */
export function registerOrderRoutes(
  app: FastifyInstance,
  service: OrdersService,
  auth: AuthHooks,
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const security = [{ bearer: [] }];
  const tags = ["orders"];

  r.get(
    "/api/lifecycles",
    {
      schema: {
        summary: "The order and booking lifecycles (states, progress, transitions)",
        tags,
        response: { 200: z.object({ lifecycles: z.array(lifecycleSchema) }) },
      },
    },
    async () => ({ lifecycles: service.lifecycles() }),
  );

  r.post(
    "/api/orders",
    {
      onRequest: auth.staff,
      schema: {
        summary: "Create an order or booking",
        description: "Staff or API key. Accepts an `Idempotency-Key` header.",
        tags,
        security,
        body: createOrderBody,
        response: { 201: orderSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(await service.create(callerOf(request), request.body, keepResponse(request, 201))),
  );

  r.get(
    "/api/orders",
    {
      onRequest: auth.user,
      schema: {
        summary: "List orders, newest first",
        description:
          "Staff see every order and may filter by customer; a customer sees only their own.",
        tags,
        security,
        querystring: listOrdersQuery,
        response: { 200: orderPageSchema, ...errorResponses },
      },
    },
    async (request) => service.list(callerOf(request), request.query),
  );

  r.get(
    "/api/orders/:id",
    {
      onRequest: auth.user,
      schema: {
        summary: "An order with its history (the snapshot to reload after a recovery gap)",
        description: "Its customer or staff.",
        tags,
        security,
        params: orderIdParams,
        response: { 200: orderSchema, 404: errorBodySchema, ...errorResponses },
      },
    },
    async (request) => service.get(callerOf(request), request.params.id),
  );

  r.post(
    "/api/orders/:id/transitions",
    {
      onRequest: auth.user,
      schema: {
        summary: "Move an order to another status",
        description:
          "Allowed when the lifecycle has the transition and the caller's role may take it (a customer approves or declines a quote, or cancels early; staff do the rest). 409 `invalid_transition` (with `details.allowed`) when the lifecycle does not allow it, 403 when the role does not, 409 `conflict` when `expectedVersion` is stale. Accepts an `Idempotency-Key` header.",
        tags,
        security,
        params: orderIdParams,
        body: transitionBody,
        response: {
          200: orderSchema,
          404: errorBodySchema,
          409: errorBodySchema,
          ...errorResponses,
        },
      },
    },
    async (request) =>
      service.transition(
        callerOf(request),
        request.params.id,
        request.body,
        keepResponse(request, 200),
      ),
  );
}

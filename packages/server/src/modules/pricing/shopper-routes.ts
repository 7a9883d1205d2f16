import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AuthHooks } from "../../http/auth.js";
import { errorBodySchema, errorResponses } from "../../http/schemas.js";
import { callerOf } from "../../platform/kit/caller.js";
import { lockSchema, orderQuoteSchema, watchSchema } from "./contract.js";
import type { LockService } from "./locks.js";
import type { OrderQuoteService } from "./order-quotes.js";
import { security, tags } from "./routes.js";
import {
  createLockBody,
  createOrderQuoteBody,
  createWatchBody,
  decideQuoteBody,
  idParams,
  orderQuotesQuery,
} from "./schema.js";
import type { WatchService } from "./watches.js";

const conflict = { 409: errorBodySchema };
const notFound = { 404: errorBodySchema };

/** Watches, price locks and order quotes: the routes a shopper or a repair customer calls. */
export function registerShopperRoutes(
  app: FastifyInstance,
  s: { watches: WatchService; locks: LockService; orderQuotes: OrderQuoteService },
  auth: AuthHooks,
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    "/api/pricing/watches",
    {
      onRequest: auth.user,
      schema: {
        summary: "My price watches",
        tags,
        security,
        response: { 200: z.object({ watches: z.array(watchSchema) }), ...errorResponses },
      },
    },
    async (request) => ({ watches: await s.watches.list(callerOf(request)) }),
  );

  r.post(
    "/api/pricing/watches",
    {
      onRequest: auth.user,
      schema: {
        summary: "Watch an item's price",
        description:
          "A signed-in user. `below` (an amount) or `dropPercent` (below today's price). One watch per item (a new one replaces it). The alert, `price_alert` on your user:{sub}, fires once per crossing and again after the price goes back up and down.",
        tags,
        security,
        body: createWatchBody,
        response: { 201: watchSchema, ...notFound, ...errorResponses },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await s.watches.create(callerOf(request), request.body)),
  );

  r.delete(
    "/api/pricing/watches/:id",
    {
      onRequest: auth.user,
      schema: {
        summary: "Stop watching",
        tags,
        security,
        params: idParams,
        response: { 204: z.null(), ...notFound, ...errorResponses },
      },
    },
    async (request, reply) => {
      await s.watches.remove(callerOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  r.post(
    "/api/pricing/locks",
    {
      onRequest: auth.user,
      schema: {
        summary: "Lock the price shown (with a promotion code, if any) for a while",
        description:
          "The live price now, captured until `expiresAt` (SWITCHBOARD_PRICING_LOCK_TTL_SECONDS). A purchase or an order quote line uses it at that amount, whatever the price does meanwhile.",
        tags,
        security,
        body: createLockBody,
        response: { 201: lockSchema, ...notFound, ...errorResponses },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await s.locks.create(callerOf(request), request.body)),
  );

  r.get(
    "/api/pricing/locks/:id",
    {
      onRequest: auth.user,
      schema: {
        summary: "A price lock of mine",
        tags,
        security,
        params: idParams,
        response: { 200: lockSchema, ...notFound, ...errorResponses },
      },
    },
    async (request) => s.locks.get(callerOf(request), request.params.id),
  );

  r.post(
    "/api/pricing/locks/:id/use",
    {
      onRequest: auth.user,
      schema: {
        summary: "Buy at the locked price (uses the lock once)",
        description:
          "409 `price_lock_used` when already used (of two racing uses exactly one wins), 409 `price_lock_expired` when its time ran out.",
        tags,
        security,
        params: idParams,
        response: { 200: lockSchema, ...notFound, ...conflict, ...errorResponses },
      },
    },
    async (request) => s.locks.use(callerOf(request), request.params.id),
  );

  r.post(
    "/api/pricing/order-quotes",
    {
      onRequest: auth.staff,
      schema: {
        summary: "Send an order's customer a quote with amounts",
        description:
          "Staff or API key. Lines: labour, parts (a `unitAmount`, or the live price of `sku`, or a price lock's amount), fees, discounts; tax (`taxPercent`, default SWITCHBOARD_PRICING_TAX_PERCENT) and `validUntil`. Replaces the order's open quote; announced as `quote` on order:{id}.",
        tags,
        security,
        body: createOrderQuoteBody,
        response: { 201: orderQuoteSchema, ...notFound, ...conflict, ...errorResponses },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await s.orderQuotes.create(callerOf(request), request.body)),
  );

  r.get(
    "/api/pricing/order-quotes",
    {
      onRequest: auth.user,
      schema: {
        summary: "An order's quotes, newest first",
        description: "Whoever may follow order:{id}: its customer and staff.",
        tags,
        security,
        querystring: orderQuotesQuery,
        response: { 200: z.object({ quotes: z.array(orderQuoteSchema) }), ...errorResponses },
      },
    },
    async (request) => ({
      quotes: await s.orderQuotes.list(callerOf(request), request.query.orderId),
    }),
  );

  r.post(
    "/api/pricing/order-quotes/:id/decision",
    {
      onRequest: auth.user,
      schema: {
        summary: "Approve or decline the exact quote shown",
        description:
          "The order's customer, with the `version` and `total` they saw: 409 `quote_changed` if it is no longer that quote, 409 `quote_expired` past `validUntil`.",
        tags,
        security,
        params: idParams,
        body: decideQuoteBody,
        response: { 200: orderQuoteSchema, ...notFound, ...conflict, ...errorResponses },
      },
    },
    async (request) => s.orderQuotes.decide(callerOf(request), request.params.id, request.body),
  );
}

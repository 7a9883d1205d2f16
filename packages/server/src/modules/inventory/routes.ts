import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Identity } from "../../auth/identity.js";
import type { AuthHooks } from "../../http/auth.js";
import { errorBodySchema, errorResponses } from "../../http/schemas.js";
import {
  adjustmentBody,
  historyPageSchema,
  historyQuery,
  itemPageSchema,
  itemParams,
  itemSchema,
  itemViewSchema,
  listItemsQuery,
  putItemBody,
  viewersSchema,
  watchBody,
  watchSchema,
} from "./schema.js";
import type { InventoryService } from "./service.js";

export const tags = ["inventory"];
export const security = [{ bearer: [] }];
export const who = (identity: Identity | undefined) => identity as Identity;

/** Thin REST adapters over the items service: validate → service → reply. */
export function registerItemRoutes(
  app: FastifyInstance,
  service: InventoryService,
  auth: AuthHooks,
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { items } = service;

  r.get(
    "/api/inventory/catalog",
    {
      schema: {
        summary: "The storefront's product list",
        description: "Anyone, no credentials: every item's name and availability (not its counts).",
        tags,
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(200).default(50),
          cursor: z.string().max(200).optional(),
        }),
        response: {
          200: z.object({
            items: z.array(
              z.object({
                sku: z.string(),
                name: z.string().optional(),
                available: z.number().int(),
                inStock: z.boolean(),
                lowStock: z.boolean(),
              }),
            ),
            nextCursor: z.string().optional(),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => items.catalog(request.query),
  );

  r.put(
    "/api/inventory/items/:sku",
    {
      onRequest: auth.staff,
      schema: {
        summary: "Create an item or set its stock level",
        description:
          "Staff or API key. `201` when the item is new, `200` otherwise. `409 conflict` when `onHand` is below the units reserved. A new item's `lowStockThreshold` defaults to 5. Accepts an `Idempotency-Key` header.",
        tags,
        security,
        params: itemParams,
        body: putItemBody,
        response: { 200: itemSchema, 201: itemSchema, 409: errorBodySchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { item, created } = await items.put(
        who(request.identity),
        request.params.sku,
        request.body,
      );
      return reply.status(created ? 201 : 200).send(item);
    },
  );

  r.get(
    "/api/inventory/items/:sku",
    {
      onRequest: auth.optional,
      schema: {
        summary: "An item's stock and how many people view it now",
        description:
          "Anyone, no credentials needed. `available` = onHand − reserved; `viewers` counts the people subscribed to `product:{sku}` (a presence count). `onHand`, `reserved` and `lowStockThreshold` only for staff and the API key (send credentials); others see what the catalog shows.",
        tags,
        security: [{}, ...security],
        params: itemParams,
        response: {
          200: itemViewSchema,
          400: errorBodySchema,
          401: errorBodySchema,
          404: errorBodySchema,
        },
      },
    },
    async (request) => items.get(request.params.sku, request.identity),
  );

  r.get(
    "/api/inventory/items/:sku/viewers",
    {
      schema: {
        summary: "How many people view product:{sku} now",
        description:
          "Anyone. A presence count from the broker (no member list, no database): cheap enough to poll for thousands of viewers. Works for any key, with or without an item.",
        tags,
        params: itemParams,
        response: { 200: viewersSchema, 400: errorBodySchema },
      },
    },
    async (request) => items.viewers(request.params.sku),
  );

  r.get(
    "/api/inventory/items",
    {
      onRequest: auth.staff,
      schema: {
        summary: "List items by key",
        description: "Staff or API key. Filter by base SKU, location, or low/out of stock.",
        tags,
        security,
        querystring: listItemsQuery,
        response: { 200: itemPageSchema, ...errorResponses },
      },
    },
    async (request) => items.list(who(request.identity), request.query),
  );

  r.post(
    "/api/inventory/items/:sku/adjustments",
    {
      onRequest: auth.staff,
      schema: {
        summary: "Add or remove units, with a reason",
        description:
          "Staff or API key. `409 conflict` (with `details.onHand`, `reserved`, `available`) when onHand would drop below the units reserved. Accepts an `Idempotency-Key` header.",
        tags,
        security,
        params: itemParams,
        body: adjustmentBody,
        response: {
          200: itemSchema,
          404: errorBodySchema,
          409: errorBodySchema,
          ...errorResponses,
        },
      },
    },
    async (request) => items.adjust(who(request.identity), request.params.sku, request.body),
  );

  r.get(
    "/api/inventory/items/:sku/history",
    {
      onRequest: auth.staff,
      schema: {
        summary: "Every change of an item, newest first",
        description:
          "Staff or API key. Sets, adjustments (with reason), reservations, commits, releases and expiries, with the levels after each. Kept 90 days.",
        tags,
        security,
        params: itemParams,
        querystring: historyQuery,
        response: { 200: historyPageSchema, 404: errorBodySchema, ...errorResponses },
      },
    },
    async (request) => items.history(who(request.identity), request.params.sku, request.query),
  );

  for (const on of [true, false]) {
    const handler = async (request: {
      identity?: Identity;
      params: { sku: string };
      body: { customerId?: string } | undefined;
    }) => items.watch(who(request.identity), request.params.sku, request.body, on);
    const schema = {
      summary: on ? "Ask to be told when the item is back in stock" : "Stop watching the item",
      description: on
        ? "Any user (a customer for themself; staff or API key for `customerId`). When availability next goes from 0 to more, the watcher gets event `back_in_stock` `{sku, name?, available}` on `user:{sub}`, once."
        : "Any user (a customer for themself; staff or API key for `customerId`).",
      tags,
      security,
      params: itemParams,
      body: watchBody,
      response: { 200: watchSchema, 404: errorBodySchema, ...errorResponses },
    };
    if (on) r.post("/api/inventory/items/:sku/watch", { onRequest: auth.user, schema }, handler);
    else r.delete("/api/inventory/items/:sku/watch", { onRequest: auth.user, schema }, handler);
  }
}

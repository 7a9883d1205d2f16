import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AuthHooks } from "../../http/auth.js";
import { errorBodySchema, errorResponses } from "../../http/schemas.js";
import { callerOf } from "../../platform/kit/caller.js";
import type { CatalogService } from "./catalog.js";
import { catalogPageSchema, catalogProductSchema } from "./contract.js";
import { security } from "./routes.js";
import { listProductsQuery, putProductBody, skuParams } from "./schema.js";

const tags = ["catalog"];

/** The catalog over REST: anyone searches it, staff write it. */
export function registerCatalogRoutes(
  app: FastifyInstance,
  catalog: CatalogService,
  auth: AuthHooks,
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    "/api/catalog/products",
    {
      schema: {
        summary: "Search the catalog: words, a category, sorted by name or live price",
        description:
          "Anyone, no credentials. `q` matches every word in the name, description or SKU; `sort` is `name`, `-name`, `price` or `-price` (unpriced products last); pages with `nextCursor` (a keyset cursor: stable while products change); `categories` lists every category for a filter.",
        tags,
        querystring: listProductsQuery,
        response: { 200: catalogPageSchema, ...errorResponses },
      },
    },
    async (request) => catalog.list(request.query),
  );

  r.get(
    "/api/catalog/products/:sku",
    {
      schema: {
        summary: "One product with its live price",
        description: "Anyone, no credentials.",
        tags,
        params: skuParams,
        response: { 200: catalogProductSchema, 404: errorBodySchema, ...errorResponses },
      },
    },
    async (request) => catalog.get(request.params.sku),
  );

  r.put(
    "/api/catalog/products/:sku",
    {
      onRequest: auth.staff,
      schema: {
        summary: "Create or replace a product (and its list price)",
        description:
          "Staff or API key. Fields left out keep their value (null clears one). `expectedVersion` (0 for a new product) refuses a stale edit with 409 `conflict`. `price` sets the list price as `PUT /api/pricing/prices/{sku}` does, announced live on product:{sku}.",
        tags,
        security,
        params: skuParams,
        body: putProductBody,
        response: { 200: catalogProductSchema, 409: errorBodySchema, ...errorResponses },
      },
    },
    async (request) => catalog.put(callerOf(request), request.params.sku, request.body),
  );

  r.delete(
    "/api/catalog/products/:sku",
    {
      onRequest: auth.staff,
      schema: {
        summary: "Remove a product from the catalog",
        description: "Staff or API key. Its price entry and history stay.",
        tags,
        security,
        params: skuParams,
        response: { 204: z.null(), 404: errorBodySchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      await catalog.remove(callerOf(request), request.params.sku);
      return reply.status(204).send(null);
    },
  );
}

import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AuthHooks } from "../../http/auth.js";
import { errorBodySchema, errorResponses } from "../../http/schemas.js";
import { callerOf } from "../../platform/kit/caller.js";
import {
  historyPageSchema,
  pricePageSchema,
  priceSchema,
  quoteResultSchema,
  rulePreviewSchema,
  ruleSchema,
  signalSchema,
} from "./contract.js";
import type { PriceService } from "./prices.js";
import type { RuleService } from "./rules.js";
import {
  createRuleBody,
  historyQuery,
  idParams,
  listPricesQuery,
  previewRuleBody,
  quoteBody,
  serviceSku,
  setPriceBody,
  setSignalBody,
  signalParams,
  skuParams,
  updateRuleBody,
} from "./schema.js";
import type { SignalService } from "./signals.js";

export const tags = ["pricing"];
export const security = [{ bearer: [] }];
const conflict = { 409: errorBodySchema };
const notFound = { 404: errorBodySchema };

/** Thin REST adapters over prices, rules and signals: validate → service → reply. */
export function registerPricingRoutes(
  app: FastifyInstance,
  s: { prices: PriceService; rules: RuleService; signals: SignalService },
  auth: AuthHooks,
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    "/api/pricing/prices",
    {
      schema: {
        summary: "Live prices (the storefront's), by SKU",
        description: "Anyone, no credentials. `skus` narrows to some items.",
        tags,
        querystring: listPricesQuery,
        response: { 200: pricePageSchema, ...errorResponses },
      },
    },
    async (request) => s.prices.list(request.query),
  );

  r.get(
    "/api/pricing/prices/:sku",
    {
      schema: {
        summary: "One item's list and live price, with the factors that explain it",
        description: "Anyone, no credentials.",
        tags,
        params: skuParams,
        response: { 200: priceSchema, ...notFound, ...errorResponses },
      },
    },
    async (request) => s.prices.get(request.params.sku),
  );

  r.put(
    "/api/pricing/prices/:sku",
    {
      onRequest: auth.staff,
      schema: {
        summary: "Set an item's list price and bounds",
        description:
          "Staff or API key. Give `expectedVersion` (0 for a new entry) to refuse a stale edit: of two racing editors exactly one wins, the other gets 409 `conflict` with the current version. The live price follows at once and is announced as `price` on product:{sku}.",
        tags,
        security,
        params: skuParams,
        body: setPriceBody,
        response: { 200: priceSchema, ...conflict, ...errorResponses },
      },
    },
    async (request) => s.prices.set(callerOf(request), request.params.sku, request.body),
  );

  r.post(
    "/api/pricing/quote",
    {
      schema: {
        summary: "Quote an item: base, final and every factor explained",
        description:
          "Anyone. `sku`, or `service` for an appointment service (its price entry `service:{id}`). Without `at`: the live price now (plus what a promotion `code` takes off). With `at`: a forecast for that instant from the rules and today's signals.",
        tags,
        body: quoteBody,
        response: { 200: quoteResultSchema, ...notFound, ...errorResponses },
      },
    },
    async (request) => {
      const { sku, service, ...rest } = request.body;
      return s.prices.quote({ ...rest, sku: sku ?? serviceSku(service as string) });
    },
  );

  r.get(
    "/api/pricing/history/:sku",
    {
      schema: {
        summary: "An item's price history (newest first) and 30-day trend",
        description: "Anyone, no credentials.",
        tags,
        params: skuParams,
        querystring: historyQuery,
        response: { 200: historyPageSchema, ...notFound, ...errorResponses },
      },
    },
    async (request) => s.prices.history(request.params.sku, request.query),
  );

  r.get(
    "/api/pricing/rules",
    {
      onRequest: auth.staff,
      schema: {
        summary: "Dynamic-pricing rules, highest priority first",
        tags,
        security,
        response: { 200: z.object({ rules: z.array(ruleSchema) }), ...errorResponses },
      },
    },
    async (request) => ({ rules: await s.rules.list(callerOf(request)) }),
  );

  r.post(
    "/api/pricing/rules",
    {
      onRequest: auth.staff,
      schema: {
        summary: "Add a dynamic-pricing rule",
        description:
          "Staff or API key. Conditions (time, dates, stock, signal, code) must all hold; the adjustment is a percent of the list price or an amount. The items it touches are repriced at once.",
        tags,
        security,
        body: createRuleBody,
        response: { 201: ruleSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await s.rules.create(callerOf(request), request.body)),
  );

  r.post(
    "/api/pricing/rules/preview",
    {
      onRequest: auth.staff,
      schema: {
        summary: "Quote an item with a draft rule, without saving it",
        description:
          "Staff or API key (the rule editor's preview). The forecast at `at` (default now) for `sku` or `service`, `without` the draft (the saved rules) and `with` it — in place of the saved rule `replaces` when editing one. Each has every factor explained; the draft's factor carries the rule id `draft`. Nothing is written.",
        tags,
        security,
        body: previewRuleBody,
        response: { 200: rulePreviewSchema, ...notFound, ...errorResponses },
      },
    },
    async (request) => {
      const { sku, service, ...rest } = request.body;
      return s.prices.preview(callerOf(request), {
        ...rest,
        sku: sku ?? serviceSku(service as string),
      });
    },
  );

  r.put(
    "/api/pricing/rules/:id",
    {
      onRequest: auth.staff,
      schema: {
        summary: "Replace a rule at the version you saw",
        description: "Staff or API key. 409 `conflict` when `expectedVersion` is stale.",
        tags,
        security,
        params: idParams,
        body: updateRuleBody,
        response: { 200: ruleSchema, ...notFound, ...conflict, ...errorResponses },
      },
    },
    async (request) => s.rules.update(callerOf(request), request.params.id, request.body),
  );

  r.delete(
    "/api/pricing/rules/:id",
    {
      onRequest: auth.staff,
      schema: {
        summary: "Remove a rule",
        tags,
        security,
        params: idParams,
        response: { 204: z.null(), ...notFound, ...errorResponses },
      },
    },
    async (request, reply) => {
      await s.rules.remove(callerOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  r.get(
    "/api/pricing/signals",
    {
      onRequest: auth.staff,
      schema: {
        summary: "The live signals rules read",
        tags,
        security,
        response: { 200: z.object({ signals: z.array(signalSchema) }), ...errorResponses },
      },
    },
    async (request) => ({ signals: await s.signals.list(callerOf(request)) }),
  );

  r.put(
    "/api/pricing/signals/:name",
    {
      onRequest: auth.staff,
      schema: {
        summary: "Report a live signal (demand, queue, staff_online…)",
        description:
          "Staff or API key (an integration). Global, or one item's with `sku`. Prices it moves are repriced at once (each at most its max step, and at most once per debounce interval) and announced.",
        tags,
        security,
        params: signalParams,
        body: setSignalBody,
        response: { 200: z.object({ moved: z.number().int() }), ...errorResponses },
      },
    },
    async (request) =>
      s.signals.set(callerOf(request), request.params.name, request.body.value, request.body.sku),
  );
}

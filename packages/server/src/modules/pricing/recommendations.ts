import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { SwitchboardError } from "../../errors.js";
import type { AuthHooks } from "../../http/auth.js";
import { errorBodySchema, errorResponses } from "../../http/schemas.js";
import { type Recommendations, recommendationsSchema } from "./contract.js";
import type { PriceService } from "./prices.js";
import { security, tags } from "./routes.js";
import { recommendationsQuery, serviceSku } from "./schema.js";

const DAY = 24 * 60 * 60 * 1000;
/** Slots priced per request at most (a week of 5-minute slots on a few resources). */
const MAX_SLOTS = 3000;

/** What pricing reads of appointments' slots answer (its published contract). */
const slotsReply = z.object({
  slots: z.array(z.object({ start: z.string(), end: z.string(), resourceId: z.string() })),
});

/**
 * `GET /api/pricing/recommendations?service=&days=`: the cheapest upcoming appointment slots,
 * each priced by a forecast of the service's price entry at its start (the rules' peak windows
 * make some hours dearer). The free slots come from appointments over REST in-process (its
 * public route, with the caller's credentials), never from its tables.
 */
export function registerRecommendationRoutes(
  app: FastifyInstance,
  prices: PriceService,
  auth: AuthHooks,
): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    "/api/pricing/recommendations",
    {
      onRequest: auth.user,
      schema: {
        summary: "The cheapest upcoming appointment slots of a service",
        description:
          "A signed-in user. The service's free slots in the next `days` (appointments' slots), each priced at its start (a forecast from the rules and today's signals), cheapest first, then earliest. 404 when the service has no price entry (`PUT /api/pricing/prices/service:{id}`).",
        tags,
        security,
        querystring: recommendationsQuery,
        response: { 200: recommendationsSchema, 404: errorBodySchema, ...errorResponses },
      },
    },
    async (request): Promise<Recommendations> => {
      const { service, days, limit } = request.query;
      const sku = serviceSku(service);
      const entry = await prices.get(sku).catch(() => {
        throw new SwitchboardError("not_found", `service ${service} has no price`);
      });
      const from = new Date();
      const to = new Date(from.getTime() + days * DAY);
      const day = (d: Date) => d.toISOString().slice(0, 10);
      const reply = await app.inject({
        method: "GET",
        url: `/api/appointments/slots?service=${encodeURIComponent(service)}&from=${day(from)}&to=${day(to)}`,
        headers: request.headers.authorization
          ? { authorization: request.headers.authorization }
          : {},
      });
      if (reply.statusCode === 404)
        throw new SwitchboardError("not_found", "appointments are not running on this server");
      const parsed = reply.statusCode === 200 ? slotsReply.safeParse(reply.json()) : undefined;
      if (!parsed?.success) {
        const body = (() => {
          try {
            return reply.json() as { code?: string; message?: string };
          } catch {
            return {};
          }
        })();
        throw new SwitchboardError("bad_request", body.message ?? "no slots for that service", {
          details: { appointments: body.code ?? reply.statusCode },
        });
      }
      const upcoming = parsed.data.slots
        .filter((s) => Date.parse(s.start) > from.getTime() && Date.parse(s.start) <= to.getTime())
        .slice(0, MAX_SLOTS);
      const priced = [];
      for (const slot of upcoming) {
        const q = await prices.quote({ sku, at: slot.start });
        priced.push({ ...slot, final: q.final, factors: q.factors });
      }
      priced.sort((a, b) => a.final - b.final || a.start.localeCompare(b.start));
      return { service, currency: entry.currency, base: entry.base, slots: priced.slice(0, limit) };
    },
  );
}

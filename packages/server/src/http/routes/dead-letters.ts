import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { Kysely } from "kysely";
import { z } from "zod";
import { SwitchboardError } from "../../errors.js";
import { listDeadLetters, replayDeadLetters } from "../../platform/durable/dead-letters.js";
import { EVENT_TYPE, HANDLER_NAME } from "../../platform/durable/types.js";
import { pageQuery } from "../../platform/kit/pagination.js";
import type { Database } from "../../store/schema.js";
import type { AuthHooks } from "../auth.js";
import { errorResponses } from "../schemas.js";

const handlerName = z.string().max(140).regex(HANDLER_NAME, "a handler name, <module>.<what>");
const eventType = z.string().max(140).regex(EVENT_TYPE, "an event type, e.g. order.created");
const eventId = z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, "an event id (a ULID)");

const deadLetterSchema = z.object({
  eventId: z.string(),
  handler: z.string(),
  type: z.string(),
  aggregate: z.string(),
  payload: z.unknown(),
  occurredAt: z.string(),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  failedAt: z.string().nullable(),
});

/**
 * Operators' view of durable event deliveries that failed `maxAttempts` times (dead letters):
 * list them, and replay them once the handler is fixed. API key or admin token.
 */
export function registerDeadLetterRoutes(
  app: FastifyInstance,
  deps: { db: Kysely<Database>; auth: AuthHooks },
): void {
  const { db, auth } = deps;
  const r = app.withTypeProvider<ZodTypeProvider>();
  const security = [{ bearer: [] }];
  const tags = ["operations"];

  r.get(
    "/api/admin/dead-letters",
    {
      onRequest: auth.server,
      schema: {
        summary: "List dead letters",
        description:
          "Durable event deliveries parked after their handler failed `maxAttempts` times, oldest first. Filter by `handler` and/or `type`; page with `limit` and `cursor`.",
        tags,
        security,
        querystring: z
          .object({ handler: handlerName.optional(), type: eventType.optional(), ...pageQuery() })
          .strict(),
        response: {
          200: z.object({ items: z.array(deadLetterSchema), nextCursor: z.string().optional() }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { handler, type, limit, cursor } = request.query;
      return listDeadLetters(db, { handler, type }, { limit, cursor });
    },
  );

  r.post(
    "/api/admin/dead-letters/:eventId/:handler/replay",
    {
      onRequest: auth.server,
      schema: {
        summary: "Replay one dead letter",
        description:
          "Runs the handler again for this event (attempts start over). 404 when there is no such dead letter.",
        tags,
        security,
        params: z.object({ eventId, handler: handlerName }),
        response: { 200: z.object({ replayed: z.number().int() }), ...errorResponses },
      },
    },
    async (request) => {
      const { eventId: id, handler } = request.params;
      const replayed = await replayDeadLetters(db, { ids: [`${id}/${handler}`] });
      if (replayed === 0)
        throw new SwitchboardError("not_found", `no dead letter of event ${id} for ${handler}`);
      return { replayed };
    },
  );

  r.post(
    "/api/admin/dead-letters/replay",
    {
      onRequest: auth.server,
      schema: {
        summary: "Replay dead letters in bulk",
        description:
          'Runs the handler again for every dead letter of `handler` (and/or `type`). One of them is required: replaying everything takes `{"all": true}`.',
        tags,
        security,
        body: z
          .object({
            handler: handlerName.optional(),
            type: eventType.optional(),
            all: z.literal(true).optional(),
          })
          .strict()
          .refine((b) => b.handler || b.type || b.all, {
            message: "give handler, type, or all: true",
          }),
        response: { 200: z.object({ replayed: z.number().int() }), ...errorResponses },
      },
    },
    async (request) => {
      const { handler, type } = request.body;
      return { replayed: await replayDeadLetters(db, { handler, type }) };
    },
  );
}

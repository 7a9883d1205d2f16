import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AuthHooks } from "../../http/auth.js";
import { errorBodySchema, errorResponses } from "../../http/schemas.js";
import { callerOf } from "../../platform/kit/caller.js";
import { pageQuery } from "../../platform/kit/pagination.js";
import { conversationSchema, messageSchema } from "./contract.js";
import type { History } from "./history.js";
import { noteSchema } from "./notes-routes.js";

export const previewSchema = z
  .object({
    conversationId: z.string(),
    text: z.string(),
    authorId: z.string(),
    authorRole: z.enum(["customer", "agent", "bot", "system"]),
    hasAttachment: z.boolean(),
    at: z.string(),
  })
  .describe("ChatMessagePreview");

const historyItem = conversationSchema.extend({ lastMessage: previewSchema.optional() });
const id = z.string().min(1).max(64);

/** Past chats (staff) and last-message previews (anyone, for what they may see). */
export function registerHistoryRoutes(app: FastifyInstance, history: History, auth: AuthHooks) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ["chat"];
  const security = [{ bearer: [] }];
  const errors = { ...errorResponses, 404: errorBodySchema };

  r.get(
    "/api/chat/history",
    {
      onRequest: auth.staff,
      schema: {
        summary: "Past chats of every agent: search and browse (staff)",
        description:
          "Resolved and archived conversations, newest first, whoever handled them. `q` searches customer name and id, subject and message text; `customerId` narrows to one customer. Each item carries its last message.",
        tags,
        security,
        querystring: z.object({
          q: z.string().max(100).optional(),
          customerId: z.string().min(1).max(255).optional(),
          ...pageQuery({ defaultLimit: 30, maxLimit: 100 }),
        }),
        response: {
          200: z.object({ items: z.array(historyItem), nextCursor: z.string().optional() }),
          ...errors,
        },
      },
    },
    async (request) => history.search(callerOf(request), request.query),
  );

  r.get(
    "/api/chat/history/:id",
    {
      onRequest: auth.staff,
      schema: {
        summary: "A past chat's transcript and private notes, read-only (staff)",
        description:
          "Closed conversations for any staff; an open one only for its agent and supervisors (403 otherwise).",
        tags,
        security,
        params: z.object({ id }),
        response: {
          200: z.object({
            conversation: conversationSchema,
            messages: z.array(messageSchema),
            notes: z.array(noteSchema),
          }),
          ...errors,
        },
      },
    },
    async (request) => history.transcript(callerOf(request), request.params.id),
  );

  r.get(
    "/api/chat/previews",
    {
      onRequest: auth.user,
      schema: {
        summary: "The last message of each listed conversation",
        description:
          "Up to 100 comma-separated ids; conversations the caller may not see are left out (customers: their own; agents: theirs, the queue and closed ones).",
        tags,
        security,
        querystring: z.object({
          ids: z
            .string()
            .max(100 * 65)
            .transform((s) => s.split(",").filter(Boolean))
            .pipe(z.array(id).max(100)),
        }),
        response: { 200: z.object({ items: z.array(previewSchema) }), ...errors },
      },
    },
    async (request) => ({ items: await history.previews(callerOf(request), request.query.ids) }),
  );
}

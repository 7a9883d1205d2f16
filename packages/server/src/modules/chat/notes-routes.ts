import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AuthHooks } from "../../http/auth.js";
import { errorBodySchema, errorResponses } from "../../http/schemas.js";
import { callerOf } from "../../platform/kit/caller.js";
import type { Notes } from "./notes.js";

export const noteSchema = z
  .object({
    id: z.string(),
    conversationId: z.string(),
    author: z.object({ id: z.string(), name: z.string().optional() }),
    text: z.string(),
    createdAt: z.string(),
  })
  .describe("ChatNote");

const params = z.object({ id: z.string().min(1).max(64) });
const noteBody = z.object({
  text: z
    .string()
    .trim()
    .min(1, "a note needs text")
    .max(4000, "notes are limited to 4000 characters"),
});

/** Private notes of a conversation: staff read and write them; customers get 403. */
export function registerNoteRoutes(app: FastifyInstance, notes: Notes, auth: AuthHooks): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ["chat"];
  const security = [{ bearer: [] }];
  const errors = { ...errorResponses, 404: errorBodySchema };
  const path = "/api/chat/conversations/:id/notes";

  r.get(
    path,
    {
      onRequest: auth.staff,
      schema: {
        summary: "A conversation's private notes (staff only)",
        description:
          "Agents, admins or the API key. Notes are never part of the transcript nor sent on `conversation:{id}`; new ones arrive live as `note` on `staff:notes:{id}`.",
        tags,
        security,
        params,
        response: { 200: z.object({ items: z.array(noteSchema) }), ...errors },
      },
    },
    async (request) => ({ items: await notes.list(callerOf(request), request.params.id) }),
  );

  r.post(
    path,
    {
      onRequest: auth.staff,
      schema: {
        summary: "Add a private note to a conversation (staff only)",
        description: "Agents, admins or the API key; the customer never sees it.",
        tags,
        security,
        params,
        body: noteBody,
        response: { 201: noteSchema, ...errors },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(await notes.add(callerOf(request), request.params.id, request.body.text)),
  );
}

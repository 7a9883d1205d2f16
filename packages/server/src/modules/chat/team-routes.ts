import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AuthHooks } from "../../http/auth.js";
import { errorBodySchema, errorResponses } from "../../http/schemas.js";
import { callerOf } from "../../platform/kit/caller.js";
import { itemContextSchema, teamSchema, unreadEventSchema } from "./contract.js";
import { conversationParams, teamBody, teamParams } from "./schema.js";
import type { ChatService } from "./service.js";

/** REST for teams (admins), a conversation's item context and the caller's unread counts. */
export function registerTeamRoutes(app: FastifyInstance, chat: ChatService, auth: AuthHooks): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const security = [{ bearer: [] }];
  const tags = ["chat"];
  const errors = { ...errorResponses, 404: errorBodySchema, 409: errorBodySchema };

  r.get(
    "/api/chat/teams",
    {
      onRequest: auth.staff,
      schema: {
        summary: "Teams of agents",
        description: "Admins and the API key: every team. Agents: the teams they belong to.",
        tags,
        security,
        response: { 200: z.object({ teams: z.array(teamSchema) }), ...errors },
      },
    },
    async (request) => ({ teams: await chat.teams.list(callerOf(request)) }),
  );

  r.put(
    "/api/chat/teams/:teamId",
    {
      onRequest: auth.staff,
      schema: {
        summary: "Create or replace a team (admins)",
        description:
          "A team (a dealership, a shop, `billing`) answers conversations about the items that name it (inventory items' and catalog products' `teamId`), its orders and its appointment resources' bookings. Members are agents' user ids.",
        tags,
        security,
        params: teamParams,
        body: teamBody,
        response: { 200: teamSchema, 201: teamSchema, ...errors },
      },
    },
    async (request, reply) => {
      const { team, created } = await chat.teams.put(
        callerOf(request),
        request.params.teamId,
        request.body,
      );
      return reply.status(created ? 201 : 200).send(team);
    },
  );

  r.delete(
    "/api/chat/teams/:teamId",
    {
      onRequest: auth.staff,
      schema: {
        summary: "Delete a team (admins); its waiting conversations go to the general pool's rules",
        tags,
        security,
        params: teamParams,
        response: { 204: z.null(), ...errors },
      },
    },
    async (request, reply) => {
      await chat.teams.remove(callerOf(request), request.params.teamId);
      return reply.status(204).send(null);
    },
  );

  r.get(
    "/api/chat/conversations/:id/context",
    {
      onRequest: auth.user,
      schema: {
        summary: "The item the conversation is about, as it is now",
        description:
          "Name, live price, stock, the order's or appointment's status, links for each side and the channel whose events change it. 404 when the conversation is about no item.",
        tags,
        security,
        params: conversationParams,
        response: { 200: itemContextSchema, ...errors },
      },
    },
    async (request) => chat.conversations.context(callerOf(request), request.params.id),
  );

  r.get(
    "/api/chat/unread",
    {
      onRequest: auth.user,
      schema: {
        summary: "My unread messages, per conversation and in all",
        description:
          "The same snapshot `chat_unread` carries on user:{sub} after every change, with the version of the last one published (keep the highest).",
        tags,
        security,
        response: { 200: unreadEventSchema, ...errors },
      },
    },
    async (request) => chat.unread.get(callerOf(request)),
  );
}

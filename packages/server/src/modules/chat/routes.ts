import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AuthHooks } from "../../http/auth.js";
import { errorBodySchema, errorResponses } from "../../http/schemas.js";
import { callerOf } from "../../platform/kit/caller.js";
import {
  agentSchema,
  conversationPageSchema,
  conversationSchema,
  messagePageSchema,
  messageSchema,
  receiptsSchema,
} from "./contract.js";
import {
  agentBody,
  conversationParams,
  listConversationsQuery,
  messageBody,
  messagesQuery,
  openConversationBody,
  receiptBody,
  resolveBody,
  transferBody,
} from "./schema.js";
import type { ChatService } from "./service.js";

/** Thin REST adapters over the chat service. */
export function registerChatRoutes(
  app: FastifyInstance,
  chat: ChatService,
  auth: AuthHooks,
  maxMessageLength: number,
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const security = [{ bearer: [] }];
  const tags = ["chat"];
  const errors = { ...errorResponses, 404: errorBodySchema, 409: errorBodySchema };
  const base = "/api/chat/conversations";

  r.post(
    base,
    {
      onRequest: auth.user,
      schema: {
        summary: "Open a conversation",
        description:
          "A customer opens their own; staff or the API key may open one for `customerId`. It enters the queue and is routed to an agent (VIP and value come from the customer's token claims).",
        tags,
        security,
        body: openConversationBody,
        response: { 201: conversationSchema, ...errors },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await chat.conversations.open(callerOf(request), request.body)),
  );

  r.get(
    base,
    {
      onRequest: auth.user,
      schema: {
        summary: "List conversations",
        description:
          "Customers: their own. Agents: the queue and their own (`mine=true`: only theirs). Admins: all.",
        tags,
        security,
        querystring: listConversationsQuery,
        response: {
          200: conversationPageSchema,
          ...errors,
        },
      },
    },
    async (request) => chat.conversations.list(callerOf(request), request.query),
  );

  r.get(
    `${base}/:id`,
    {
      onRequest: auth.user,
      schema: {
        summary: "A conversation with receipts and queue position (the snapshot after a gap)",
        tags,
        security,
        params: conversationParams,
        response: { 200: conversationSchema, ...errors },
      },
    },
    async (request) => chat.conversations.get(callerOf(request), request.params.id),
  );

  r.post(
    `${base}/:id/messages`,
    {
      onRequest: auth.user,
      schema: {
        summary: "Send a message",
        description: `Plain text (at most ${maxMessageLength} characters; never rendered as HTML) and/or an uploaded attachment. \`clientId\` makes retries safe.`,
        tags,
        security,
        params: conversationParams,
        body: messageBody(maxMessageLength),
        response: { 201: messageSchema, ...errors },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(await chat.messages.send(callerOf(request), request.params.id, request.body)),
  );

  r.get(
    `${base}/:id/messages`,
    {
      onRequest: auth.user,
      schema: {
        summary: "Message history, paginated by sequence number",
        tags,
        security,
        params: conversationParams,
        querystring: messagesQuery,
        response: {
          200: messagePageSchema,
          ...errors,
        },
      },
    },
    async (request) => chat.messages.list(callerOf(request), request.params.id, request.query),
  );

  for (const kind of ["delivered", "read"] as const) {
    r.post(
      `${base}/:id/${kind}`,
      {
        onRequest: auth.user,
        schema: {
          summary: `Mark messages ${kind} up to a sequence number`,
          tags,
          security,
          params: conversationParams,
          body: receiptBody,
          response: { 200: receiptsSchema, ...errors },
        },
      },
      async (request) =>
        chat.messages[kind](callerOf(request), request.params.id, request.body.upTo),
    );
  }

  r.post(
    `${base}/:id/claim`,
    {
      onRequest: auth.staff,
      schema: {
        summary:
          "Take a waiting conversation (agents); of two racing agents one wins, the other gets 409",
        tags,
        security,
        params: conversationParams,
        response: { 200: conversationSchema, ...errors },
      },
    },
    async (request) => chat.conversations.claim(callerOf(request), request.params.id),
  );

  r.post(
    `${base}/:id/transfer`,
    {
      onRequest: auth.user,
      schema: {
        summary: "Hand the conversation to another agent (its agent or a supervisor)",
        tags,
        security,
        params: conversationParams,
        body: transferBody,
        response: { 200: conversationSchema, ...errors },
      },
    },
    async (request) =>
      chat.conversations.transfer(
        callerOf(request),
        request.params.id,
        request.body.agentId,
        request.body.note,
      ),
  );

  r.post(
    `${base}/:id/resolve`,
    {
      onRequest: auth.user,
      schema: {
        summary: "Resolve the conversation; the customer may add a rating (1–5), also later",
        tags,
        security,
        params: conversationParams,
        body: resolveBody,
        response: { 200: conversationSchema, ...errors },
      },
    },
    async (request) =>
      chat.conversations.resolve(callerOf(request), request.params.id, request.body.rating),
  );

  r.put(
    "/api/chat/agents/me",
    {
      onRequest: auth.staff,
      schema: {
        summary: "Set my agent status, skills and capacity",
        description:
          "Going offline requeues your conversations; coming online routes waiting ones to you.",
        tags,
        security,
        body: agentBody,
        response: { 200: agentSchema, ...errors },
      },
    },
    async (request) => chat.agents.set(callerOf(request), request.body),
  );

  r.get(
    "/api/chat/agents/me",
    {
      onRequest: auth.staff,
      schema: {
        summary: "My agent status",
        tags,
        security,
        response: { 200: agentSchema, ...errors },
      },
    },
    async (request) => chat.agents.get(callerOf(request)),
  );

  r.get(
    "/api/chat/agents",
    {
      onRequest: auth.staff,
      schema: {
        summary: "Every agent with status and load",
        tags,
        security,
        response: { 200: z.object({ agents: z.array(agentSchema) }), ...errors },
      },
    },
    async (request) => ({ agents: await chat.agents.list(callerOf(request)) }),
  );
}

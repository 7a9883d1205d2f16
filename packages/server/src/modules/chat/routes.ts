import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Identity } from "../../auth/identity.js";
import type { AuthHooks } from "../../http/auth.js";
import { errorBodySchema, errorResponses } from "../../http/schemas.js";
import {
  agentBody,
  agentSchema,
  conversationParams,
  conversationSchema,
  listConversationsQuery,
  messageBody,
  messageSchema,
  messagesQuery,
  openConversationBody,
  receiptBody,
  resolveBody,
  transferBody,
} from "./schema.js";
import type { ChatService } from "./service.js";

const receiptReply = z.object({ deliveredSeq: z.number().int(), readSeq: z.number().int() });

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
  const me = (identity: Identity | undefined) => identity as Identity;
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
      reply.status(201).send(await chat.conversations.open(me(request.identity), request.body)),
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
          200: z.object({ items: z.array(conversationSchema), nextCursor: z.string().optional() }),
          ...errors,
        },
      },
    },
    async (request) => chat.conversations.list(me(request.identity), request.query),
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
    async (request) => chat.conversations.get(me(request.identity), request.params.id),
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
        .send(await chat.messages.send(me(request.identity), request.params.id, request.body)),
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
          200: z.object({ items: z.array(messageSchema), hasMore: z.boolean() }),
          ...errors,
        },
      },
    },
    async (request) => chat.messages.list(me(request.identity), request.params.id, request.query),
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
          response: { 200: receiptReply, ...errors },
        },
      },
      async (request) =>
        chat.messages[kind](me(request.identity), request.params.id, request.body.upTo),
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
    async (request) => chat.conversations.claim(me(request.identity), request.params.id),
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
        me(request.identity),
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
      chat.conversations.resolve(me(request.identity), request.params.id, request.body.rating),
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
    async (request) => chat.agents.set(me(request.identity), request.body),
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
    async (request) => chat.agents.get(me(request.identity)),
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
    async (request) => ({ agents: await chat.agents.list(me(request.identity)) }),
  );
}

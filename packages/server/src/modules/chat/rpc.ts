import { z } from "zod";
import type { RpcRegistry } from "../../gateway/rpc.js";
import {
  agentBody,
  conversationParams,
  listConversationsQuery,
  messagesQuery,
  openConversationBody,
  receiptBody,
  resolveBody,
  sendParams,
  transferBody,
} from "./schema.js";
import type { ChatService } from "./service.js";

/** The chat service over the socket: same functions, same validation as REST. */
export function registerChatRpc(
  rpc: RpcRegistry,
  chat: ChatService,
  maxMessageLength: number,
): void {
  const id = conversationParams.shape;
  rpc.register("chat.open", {
    params: openConversationBody,
    handler: (p, ctx) => chat.conversations.open(ctx.identity, p),
  });
  rpc.register("chat.get", {
    params: conversationParams,
    handler: (p, ctx) => chat.conversations.get(ctx.identity, p.id),
  });
  rpc.register("chat.list", {
    params: listConversationsQuery,
    handler: (p, ctx) => chat.conversations.list(ctx.identity, p),
  });
  rpc.register("chat.send", {
    params: sendParams(maxMessageLength),
    handler: ({ id, ...input }, ctx) => chat.messages.send(ctx.identity, id, input),
  });
  rpc.register("chat.messages", {
    params: messagesQuery.extend(id),
    handler: ({ id, ...q }, ctx) => chat.messages.list(ctx.identity, id, q),
  });
  rpc.register("chat.delivered", {
    params: receiptBody.extend(id),
    handler: (p, ctx) => chat.messages.delivered(ctx.identity, p.id, p.upTo),
  });
  rpc.register("chat.read", {
    params: receiptBody.extend(id),
    handler: (p, ctx) => chat.messages.read(ctx.identity, p.id, p.upTo),
  });
  rpc.register("chat.claim", {
    params: conversationParams,
    handler: (p, ctx) => chat.conversations.claim(ctx.identity, p.id),
  });
  rpc.register("chat.transfer", {
    params: transferBody.extend(id),
    handler: (p, ctx) => chat.conversations.transfer(ctx.identity, p.id, p.agentId, p.note),
  });
  rpc.register("chat.resolve", {
    params: resolveBody.extend(id),
    handler: (p, ctx) => chat.conversations.resolve(ctx.identity, p.id, p.rating),
  });
  rpc.register("chat.context", {
    params: conversationParams,
    handler: (p, ctx) => chat.conversations.context(ctx.identity, p.id),
  });
  rpc.register("chat.unread", {
    params: z.object({}),
    handler: (_p, ctx) => chat.unread.get(ctx.identity),
  });
  rpc.register("chat.setAgent", {
    params: agentBody,
    handler: (p, ctx) => chat.agents.set(ctx.identity, p),
  });
}

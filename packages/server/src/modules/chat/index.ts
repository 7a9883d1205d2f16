import type { SwitchboardModule } from "../types.js";
import { isParticipant } from "./access.js";
import { registerAttachmentRoutes } from "./attachment-routes.js";
import { chatMigrations } from "./migrations.js";
import { registerChatRoutes } from "./routes.js";
import { registerChatRpc } from "./rpc.js";
import { createChatService } from "./service.js";

export { conversationChannel, STAFF_CHAT_CHANNEL } from "./deps.js";
export type { Agent, ChatMessage, Conversation } from "./schema.js";

/** Live support chat: conversations, agents and routing, receipts, attachments, a streaming bot. */
export const chatModule: SwitchboardModule = {
  name: "chat",
  migrations: chatMigrations,
  async register(ctx) {
    const chat = createChatService({
      db: ctx.db,
      dialect: ctx.dialect,
      outbox: ctx.outbox,
      broker: ctx.broker,
      events: ctx.events,
      logger: ctx.logger,
      config: ctx.config,
      publish: ctx.publish,
    });
    const { maxMessageLength, maxParticipants, attachmentMaxBytes } = ctx.config.chat;

    // conversation:{id}: its customer, its assigned agent and supervisors. Typing is a signal;
    // messages go through the service (persisted), never a raw client publish.
    ctx.namespaces.setPolicy("conversation", async ({ identity, rest, action, channel }) => {
      if (action === "publish") return false;
      const conversation = await ctx.db
        .selectFrom("chat_conversations")
        .selectAll()
        .where("id", "=", rest)
        .executeTakeFirst();
      if (!conversation || !isParticipant(identity, conversation)) return false;
      if (action === "subscribe" && (await ctx.broker.presenceCount(channel)) >= maxParticipants) {
        const present = (await ctx.broker.presence(channel)).some((m) => m.user === identity.user);
        return present;
      }
      return true;
    });
    // staff:chat is for agents and admins already (the staff:* policy); agents' presence there is
    // how the router knows they are connected.

    registerChatRoutes(ctx.http, chat, ctx.auth, maxMessageLength);
    await registerAttachmentRoutes(ctx.http, chat, ctx.auth, attachmentMaxBytes);
    registerChatRpc(ctx.rpc, chat, maxMessageLength);

    ctx.jobs.add({
      name: "chat-routing",
      intervalMs: 2000,
      run: async () => {
        await chat.agents.sweepPresence();
        await chat.routing.route();
      },
    });
    ctx.jobs.add({
      name: "chat-retention",
      intervalMs: 60 * 60 * 1000,
      run: async () => {
        const { deleted } = await chat.conversations.retention();
        await chat.attachments.removeConversations(deleted);
      },
    });
  },
};

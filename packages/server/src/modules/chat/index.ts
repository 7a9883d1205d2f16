import type { SwitchboardModule } from "../types.js";
import { mayFollowLive } from "./access.js";
import { registerAttachmentRoutes } from "./attachment-routes.js";
import { sqlFacts } from "./coach/facts.js";
import { setUpCoach } from "./coach/setup.js";
import { businessTimeZone } from "./coach/zone.js";
import { registerCoachRoutes } from "./coach-routes.js";
import { type ChatSettings, chatConfig } from "./config.js";
import { chatClaimsSchema, TYPING_SIGNAL } from "./contract.js";
import { createHistory } from "./history.js";
import { registerHistoryRoutes } from "./history-routes.js";
import { chatMigrations } from "./migrations.js";
import { createNotes, notesMigrations } from "./notes.js";
import { registerNoteRoutes } from "./notes-routes.js";
import { chatQueueNamespace, queueChannelPolicy } from "./queue-channels.js";
import { registerChatRoutes } from "./routes.js";
import { registerChatRpc } from "./rpc.js";
import { createChatService } from "./service.js";
import { registerTeamRoutes } from "./team-routes.js";

export type { Agent, ChatMessage, ChatMessageCreated, Conversation } from "./contract.js";
export {
  CHAT_EVENTS,
  conversationChannel,
  POOL_QUEUE_CHANNEL,
  STAFF_CHAT_CHANNEL,
  teamQueueChannel,
} from "./contract.js";

const HOUR = 60 * 60 * 1000;

/** Live support chat: conversations, agents and routing, receipts, attachments, a streaming bot. */
export const chatModule: SwitchboardModule<ChatSettings> = {
  name: "chat",
  migrations: { ...chatMigrations, ...notesMigrations },
  config: chatConfig,
  claims: chatClaimsSchema,
  namespaces: [
    {
      // conversation:{id}: its customer, its assigned agent and supervisors (policy below).
      // Messages go through the service (persisted), never a raw client publish; typing is a
      // signal.
      name: "conversation",
      history: { size: 1000, ttlMs: 24 * HOUR },
      presence: true,
      joinLeave: true,
      clientPublish: true,
      recoverable: true,
      signals: [TYPING_SIGNAL],
    },
    chatQueueNamespace,
  ],
  async register(ctx) {
    const settings = ctx.settings;
    const chat = createChatService({
      db: ctx.db,
      dialect: ctx.dialect,
      outbox: ctx.outbox,
      broker: ctx.broker,
      events: ctx.events,
      logger: ctx.logger,
      config: { dataDir: ctx.config.dataDir, chat: settings, bot: settings.bot },
      publish: ctx.publish,
      crashPoint: ctx.crashPoint,
    });
    const { maxMessageLength, maxParticipants, attachmentMaxBytes } = settings;

    ctx.namespaces.setPolicy("conversation", async ({ identity, rest, action, channel }) => {
      if (action === "publish") return false;
      const conversation = await ctx.db
        .selectFrom("chat_conversations")
        .selectAll()
        .where("id", "=", rest)
        .executeTakeFirst();
      if (!conversation || !mayFollowLive(identity, conversation)) return false;
      if (action === "subscribe" && (await ctx.broker.presenceCount(channel)) >= maxParticipants) {
        const present = (await ctx.broker.presence(channel)).some((m) => m.user === identity.user);
        return present;
      }
      return true;
    });
    // staff:chat is for agents and admins already (the core staff:* policy); agents' presence
    // there is how the router knows they are connected. Teams' queues are on chat-queue:*.
    ctx.namespaces.setPolicy(chatQueueNamespace.name, queueChannelPolicy(chat.teams.teamsOf));

    registerChatRoutes(ctx.http, chat, ctx.auth, maxMessageLength);
    registerTeamRoutes(ctx.http, chat, ctx.auth);
    const notes = createNotes({ db: ctx.db, outbox: ctx.outbox });
    registerNoteRoutes(ctx.http, notes, ctx.auth);
    registerHistoryRoutes(ctx.http, createHistory(ctx.db, notes), ctx.auth);
    // the coach's "today" and "Saturday" are the business's days, in its time zone
    const zone = businessTimeZone(ctx.config.moduleSettings);
    registerCoachRoutes(
      ctx.http,
      setUpCoach(settings.coach, sqlFacts(ctx.db, zone), zone),
      ctx.auth,
    );
    await registerAttachmentRoutes(ctx.http, chat, ctx.auth, attachmentMaxBytes);
    registerChatRpc(ctx.rpc, chat, maxMessageLength);

    ctx.jobs.add({
      name: "chat-routing",
      intervalMs: 2000,
      run: async () => {
        await chat.agents.sweepPresence();
        await chat.conversations.requeueOrphans();
        await chat.routing.route();
      },
    });
    ctx.jobs.add({
      name: "chat-retention",
      intervalMs: HOUR,
      run: async () => {
        const { deleted } = await chat.conversations.retention();
        await chat.attachments.removeConversations(deleted);
      },
    });
  },
};

import type { Kysely } from "kysely";
import type { MigrationSet } from "../../store/migrations.js";

export type AgentStatus = "online" | "busy" | "offline";
export type ConversationStatus = "waiting" | "active" | "resolved" | "archived";
export type AuthorRole = "customer" | "agent" | "bot" | "system";

export interface ChatAgentRow {
  user_id: string;
  name: string | null;
  status: AgentStatus;
  /** JSON array of skill names. */
  skills: string;
  capacity: number;
  /** Conversations currently assigned (kept in step with assignments by conditional updates). */
  active_count: number;
  /** Last time the agent was seen connected (presence on staff:chat) or changed status. */
  last_seen_at: string;
  /** When the agent last got a conversation: ties in load go to whoever waited longest. */
  last_assigned_at: string | null;
  updated_at: string;
}

export interface ChatConversationRow {
  id: string;
  customer_id: string;
  customer_name: string | null;
  subject: string | null;
  /** JSON array. */
  skills: string;
  /** 0 low, 1 normal, 2 high, 3 urgent. */
  priority: number;
  vip: number;
  customer_value: number;
  /** JSON array. */
  tags: string;
  /** JSON object {source, url, language}. */
  metadata: string;
  status: ConversationStatus;
  agent_id: string | null;
  /** When it (re)entered the queue; waited time counts from here. */
  queued_at: string;
  assigned_at: string | null;
  resolved_at: string | null;
  rating: number | null;
  /** Last message sequence number. */
  last_seq: number;
  /** 1 once the bot handed over (it stays quiet afterwards). */
  bot_muted: number;
  /** The team it is routed to (the owner of the item it is about); null: the general pool. */
  team_id: string | null;
  /** What it is about: product | order | appointment, and that thing's id. */
  about_type: string | null;
  about_id: string | null;
  version: number;
  created_at: string;
  updated_at: string;
}

export interface ChatMessageRow {
  id: string;
  conversation_id: string;
  seq: number;
  author_id: string;
  author_role: AuthorRole;
  text: string;
  attachment_id: string | null;
  /** The sender's own id for the message: a retry with the same id is stored once. */
  client_id: string | null;
  /** JSON: bot sources and confidence, client message id… */
  meta: string;
  created_at: string;
}

export interface ChatReceiptRow {
  conversation_id: string;
  user_id: string;
  delivered_seq: number;
  read_seq: number;
  updated_at: string;
}

export interface ChatAttachmentRow {
  id: string;
  conversation_id: string;
  uploader_id: string;
  filename: string;
  mime: string;
  size: number;
  created_at: string;
}

export interface ChatTeamRow {
  id: string;
  name: string;
  /** JSON array of appointment resource ids the team owns (a salesperson, a barber). */
  resources: string;
  created_at: string;
  updated_at: string;
}

export interface ChatTeamMemberRow {
  team_id: string;
  user_id: string;
}

/** Per user, +1 on every unread snapshot published: the newest snapshot wins on the client. */
export interface ChatUnreadVersionRow {
  user_id: string;
  version: number;
}

declare module "../../store/schema.js" {
  interface Database {
    chat_agents: ChatAgentRow;
    chat_conversations: ChatConversationRow;
    chat_messages: ChatMessageRow;
    chat_receipts: ChatReceiptRow;
    chat_attachments: ChatAttachmentRow;
    chat_teams: ChatTeamRow;
    chat_team_members: ChatTeamMemberRow;
    chat_unread_versions: ChatUnreadVersionRow;
  }
}

export const chatMigrations: MigrationSet = {
  "chat/001_create_chat": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("chat_agents")
        .addColumn("user_id", "text", (c) => c.primaryKey())
        .addColumn("name", "text")
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("skills", "text", (c) => c.notNull())
        .addColumn("capacity", "integer", (c) => c.notNull())
        .addColumn("active_count", "integer", (c) => c.notNull())
        .addColumn("last_seen_at", "text", (c) => c.notNull())
        .addColumn("last_assigned_at", "text")
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("chat_conversations")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("customer_id", "text", (c) => c.notNull())
        .addColumn("customer_name", "text")
        .addColumn("subject", "text")
        .addColumn("skills", "text", (c) => c.notNull())
        .addColumn("priority", "integer", (c) => c.notNull())
        .addColumn("vip", "integer", (c) => c.notNull())
        .addColumn("customer_value", "double precision", (c) => c.notNull())
        .addColumn("tags", "text", (c) => c.notNull())
        .addColumn("metadata", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("agent_id", "text")
        .addColumn("queued_at", "text", (c) => c.notNull())
        .addColumn("assigned_at", "text")
        .addColumn("resolved_at", "text")
        .addColumn("rating", "integer")
        .addColumn("last_seq", "integer", (c) => c.notNull())
        .addColumn("bot_muted", "integer", (c) => c.notNull())
        .addColumn("version", "integer", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("chat_conversations_status")
        .on("chat_conversations")
        .columns(["status", "queued_at"])
        .execute();
      await db.schema
        .createIndex("chat_conversations_customer")
        .on("chat_conversations")
        .columns(["customer_id", "id"])
        .execute();
      await db.schema
        .createIndex("chat_conversations_agent")
        .on("chat_conversations")
        .columns(["agent_id", "status"])
        .execute();
      await db.schema
        .createTable("chat_messages")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("conversation_id", "text", (c) =>
          c.notNull().references("chat_conversations.id").onDelete("cascade"),
        )
        .addColumn("seq", "integer", (c) => c.notNull())
        .addColumn("author_id", "text", (c) => c.notNull())
        .addColumn("author_role", "text", (c) => c.notNull())
        .addColumn("text", "text", (c) => c.notNull())
        .addColumn("attachment_id", "text")
        .addColumn("client_id", "text")
        .addColumn("meta", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addUniqueConstraint("chat_messages_seq", ["conversation_id", "seq"])
        .addUniqueConstraint("chat_messages_client", ["conversation_id", "author_id", "client_id"])
        .execute();
      await db.schema
        .createTable("chat_receipts")
        .addColumn("conversation_id", "text", (c) =>
          c.notNull().references("chat_conversations.id").onDelete("cascade"),
        )
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("delivered_seq", "integer", (c) => c.notNull())
        .addColumn("read_seq", "integer", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("chat_receipts_pk", ["conversation_id", "user_id"])
        .execute();
      await db.schema
        .createTable("chat_attachments")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("conversation_id", "text", (c) =>
          c.notNull().references("chat_conversations.id").onDelete("cascade"),
        )
        .addColumn("uploader_id", "text", (c) => c.notNull())
        .addColumn("filename", "text", (c) => c.notNull())
        .addColumn("mime", "text", (c) => c.notNull())
        .addColumn("size", "integer", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const t of [
        "chat_attachments",
        "chat_receipts",
        "chat_messages",
        "chat_conversations",
        "chat_agents",
      ]) {
        await db.schema.dropTable(t).execute();
      }
    },
  },
  // Upload quotas count a user's files of the last 24 hours on every upload.
  "chat/002_attachments_by_uploader": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createIndex("chat_attachments_uploader")
        .on("chat_attachments")
        .columns(["uploader_id", "created_at"])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex("chat_attachments_uploader").execute();
    },
  },
  // Teams (a dealership, a shop, "billing") and conversations about an item, routed to its team;
  // unread snapshots numbered per user.
  "chat/003_teams_and_unread": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("chat_teams")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("resources", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("chat_team_members")
        .addColumn("team_id", "text", (c) =>
          c.notNull().references("chat_teams.id").onDelete("cascade"),
        )
        .addColumn("user_id", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("chat_team_members_pk", ["team_id", "user_id"])
        .execute();
      await db.schema
        .createIndex("chat_team_members_user")
        .on("chat_team_members")
        .columns(["user_id", "team_id"])
        .execute();
      await db.schema
        .createTable("chat_unread_versions")
        .addColumn("user_id", "text", (c) => c.primaryKey())
        .addColumn("version", "integer", (c) => c.notNull())
        .execute();
      await db.schema.alterTable("chat_conversations").addColumn("team_id", "text").execute();
      await db.schema.alterTable("chat_conversations").addColumn("about_type", "text").execute();
      await db.schema.alterTable("chat_conversations").addColumn("about_id", "text").execute();
      await db.schema
        .createIndex("chat_messages_author")
        .on("chat_messages")
        .columns(["conversation_id", "author_id", "seq"])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex("chat_messages_author").execute();
      for (const c of ["about_id", "about_type", "team_id"])
        await db.schema.alterTable("chat_conversations").dropColumn(c).execute();
      await db.schema.dropTable("chat_unread_versions").execute();
      await db.schema.dropTable("chat_team_members").execute();
      await db.schema.dropTable("chat_teams").execute();
    },
  },
};

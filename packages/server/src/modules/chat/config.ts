import { z } from "zod";
import { emptyAsUndefined, httpUrl, int, optional, withDefault } from "../../platform/kit/env.js";
import { defineModuleConfig } from "../../platform/module-config.js";

export interface BotSettings {
  provider: "faq" | "openai" | "off";
  /** Markdown files the FAQ bot answers from; default: the demo knowledge shipped with the server. */
  knowledgeDir?: string;
  /** Below this the bot hands over to a human. */
  minConfidence: number;
  openai?: { baseUrl: string; apiKey?: string; model: string };
}

export interface CoachSettings {
  provider: "builtin" | "openai" | "anthropic" | "gemini";
  /** The provider's API root (OpenAI-compatible: required; the others default to the vendor's). */
  baseUrl?: string;
  apiKey?: string;
  model?: string;
  /** The staff playbook the coach cites; default: the demo playbook shipped with the server. */
  knowledgeDir?: string;
}

export interface ChatSettings {
  maxMessageLength: number;
  maxParticipants: number;
  attachmentMaxBytes: number;
  attachmentTypes: string[];
  /** Where uploads go; default <dataDir>/attachments. */
  attachmentDir?: string;
  /** An agent whose sockets are all gone this long is set offline and their conversations requeued. */
  agentGraceMs: number;
  /** At most one round of queue-position updates per this many ms on a node. */
  queueUpdateMs: number;
  archiveAfterDays: number;
  retentionDays: number;
  /** Waiting or active conversations one customer may have at once. */
  maxOpenConversations: number;
  /** Uploads per user per 24 h (the API key is not counted). */
  attachmentsPerDay: number;
  attachmentBytesPerDay: number;
  /**
   * A conversation about an item goes to the item's team; when nobody of that team is online,
   * `pool` gives it to the general pool (agents in no team), `wait` keeps it for the team.
   */
  teamFallback: "pool" | "wait";
  bot: BotSettings;
  coach: CoachSettings;
}

const MIME_LIST = /^[a-z]+\/[a-z0-9.+-]+(,[a-z]+\/[a-z0-9.+-]+)*$/;

/** The chat module's section of the configuration (docs/configuration.md, "Support chat"). */
export const chatConfig = defineModuleConfig(
  z
    .object({
      SWITCHBOARD_CHAT_MAX_MESSAGE_LENGTH: withDefault(int(1, 100_000), 1000),
      SWITCHBOARD_CHAT_MAX_PARTICIPANTS: withDefault(int(2, 1000), 10),
      SWITCHBOARD_CHAT_ATTACHMENT_MAX_BYTES: withDefault(
        int(1024, 1024 * 1024 * 1024),
        5 * 1024 * 1024,
      ),
      SWITCHBOARD_CHAT_ATTACHMENT_TYPES: withDefault(
        z.string().regex(MIME_LIST, "must be a comma-separated list of MIME types"),
        "image/jpeg,image/png,image/gif,application/pdf,text/plain",
      ),
      SWITCHBOARD_CHAT_ATTACHMENT_DIR: optional(z.string().min(1)),
      SWITCHBOARD_CHAT_AGENT_GRACE_MS: withDefault(int(1000, 3_600_000), 30_000),
      SWITCHBOARD_CHAT_QUEUE_UPDATE_MS: withDefault(int(0, 60_000), 1000),
      SWITCHBOARD_CHAT_ARCHIVE_AFTER_DAYS: withDefault(int(1, 3650), 7),
      SWITCHBOARD_CHAT_RETENTION_DAYS: withDefault(int(1, 36500), 365),
      SWITCHBOARD_CHAT_MAX_OPEN_CONVERSATIONS: withDefault(int(1, 10_000), 5),
      SWITCHBOARD_CHAT_ATTACHMENTS_PER_DAY: withDefault(int(1, 1_000_000), 100),
      SWITCHBOARD_CHAT_ATTACHMENT_BYTES_PER_DAY: withDefault(
        int(1024, 1024 ** 4),
        100 * 1024 * 1024,
      ),
      SWITCHBOARD_CHAT_TEAM_FALLBACK: withDefault(z.enum(["pool", "wait"]), "pool"),
      SWITCHBOARD_CHAT_BOT: withDefault(z.enum(["faq", "openai", "off"]), "faq"),
      SWITCHBOARD_CHAT_BOT_KNOWLEDGE_DIR: optional(z.string().min(1)),
      SWITCHBOARD_CHAT_BOT_MIN_CONFIDENCE: z.preprocess(
        emptyAsUndefined,
        z.coerce.number().min(0).max(1).default(0.35),
      ),
      SWITCHBOARD_CHAT_OPENAI_BASE_URL: optional(httpUrl()),
      SWITCHBOARD_CHAT_OPENAI_API_KEY: optional(z.string().min(1)),
      SWITCHBOARD_CHAT_OPENAI_MODEL: withDefault(z.string().min(1), "gpt-4o-mini"),
      SWITCHBOARD_CHAT_COACH_PROVIDER: withDefault(
        z.enum(["builtin", "openai", "anthropic", "gemini"]),
        "builtin",
      ),
      SWITCHBOARD_CHAT_COACH_BASE_URL: optional(httpUrl()),
      SWITCHBOARD_CHAT_COACH_API_KEY: optional(z.string().min(1)),
      SWITCHBOARD_CHAT_COACH_MODEL: optional(z.string().min(1).max(200)),
      SWITCHBOARD_CHAT_COACH_KNOWLEDGE_DIR: optional(z.string().min(1)),
    })
    .superRefine((env, ctx) => {
      if (env.SWITCHBOARD_CHAT_COACH_PROVIDER === "openai" && !env.SWITCHBOARD_CHAT_COACH_BASE_URL)
        ctx.addIssue({
          code: "custom",
          path: ["SWITCHBOARD_CHAT_COACH_BASE_URL"],
          message: "is required when SWITCHBOARD_CHAT_COACH_PROVIDER=openai",
        });
      if (env.SWITCHBOARD_CHAT_BOT === "openai" && !env.SWITCHBOARD_CHAT_OPENAI_BASE_URL)
        ctx.addIssue({
          code: "custom",
          path: ["SWITCHBOARD_CHAT_OPENAI_BASE_URL"],
          message: "is required when SWITCHBOARD_CHAT_BOT=openai",
        });
    }),
  (e): ChatSettings => ({
    maxMessageLength: e.SWITCHBOARD_CHAT_MAX_MESSAGE_LENGTH,
    maxParticipants: e.SWITCHBOARD_CHAT_MAX_PARTICIPANTS,
    attachmentMaxBytes: e.SWITCHBOARD_CHAT_ATTACHMENT_MAX_BYTES,
    attachmentTypes: e.SWITCHBOARD_CHAT_ATTACHMENT_TYPES.split(","),
    ...(e.SWITCHBOARD_CHAT_ATTACHMENT_DIR && { attachmentDir: e.SWITCHBOARD_CHAT_ATTACHMENT_DIR }),
    agentGraceMs: e.SWITCHBOARD_CHAT_AGENT_GRACE_MS,
    queueUpdateMs: e.SWITCHBOARD_CHAT_QUEUE_UPDATE_MS,
    archiveAfterDays: e.SWITCHBOARD_CHAT_ARCHIVE_AFTER_DAYS,
    retentionDays: e.SWITCHBOARD_CHAT_RETENTION_DAYS,
    maxOpenConversations: e.SWITCHBOARD_CHAT_MAX_OPEN_CONVERSATIONS,
    attachmentsPerDay: e.SWITCHBOARD_CHAT_ATTACHMENTS_PER_DAY,
    attachmentBytesPerDay: e.SWITCHBOARD_CHAT_ATTACHMENT_BYTES_PER_DAY,
    teamFallback: e.SWITCHBOARD_CHAT_TEAM_FALLBACK,
    coach: {
      provider: e.SWITCHBOARD_CHAT_COACH_PROVIDER,
      ...(e.SWITCHBOARD_CHAT_COACH_BASE_URL && { baseUrl: e.SWITCHBOARD_CHAT_COACH_BASE_URL }),
      ...(e.SWITCHBOARD_CHAT_COACH_API_KEY && { apiKey: e.SWITCHBOARD_CHAT_COACH_API_KEY }),
      ...(e.SWITCHBOARD_CHAT_COACH_MODEL && { model: e.SWITCHBOARD_CHAT_COACH_MODEL }),
      ...(e.SWITCHBOARD_CHAT_COACH_KNOWLEDGE_DIR && {
        knowledgeDir: e.SWITCHBOARD_CHAT_COACH_KNOWLEDGE_DIR,
      }),
    },
    bot: {
      provider: e.SWITCHBOARD_CHAT_BOT,
      ...(e.SWITCHBOARD_CHAT_BOT_KNOWLEDGE_DIR && {
        knowledgeDir: e.SWITCHBOARD_CHAT_BOT_KNOWLEDGE_DIR,
      }),
      minConfidence: e.SWITCHBOARD_CHAT_BOT_MIN_CONFIDENCE,
      ...(e.SWITCHBOARD_CHAT_OPENAI_BASE_URL && {
        openai: {
          baseUrl: e.SWITCHBOARD_CHAT_OPENAI_BASE_URL,
          ...(e.SWITCHBOARD_CHAT_OPENAI_API_KEY && { apiKey: e.SWITCHBOARD_CHAT_OPENAI_API_KEY }),
          model: e.SWITCHBOARD_CHAT_OPENAI_MODEL,
        },
      }),
    },
  }),
  {
    // The bot's variables joined the chat section (SWITCHBOARD_CHAT_…): an old name set must not
    // be silently ignored.
    renamed: {
      SWITCHBOARD_BOT: "SWITCHBOARD_CHAT_BOT",
      SWITCHBOARD_BOT_KNOWLEDGE_DIR: "SWITCHBOARD_CHAT_BOT_KNOWLEDGE_DIR",
      SWITCHBOARD_BOT_MIN_CONFIDENCE: "SWITCHBOARD_CHAT_BOT_MIN_CONFIDENCE",
      SWITCHBOARD_OPENAI_BASE_URL: "SWITCHBOARD_CHAT_OPENAI_BASE_URL",
      SWITCHBOARD_OPENAI_API_KEY: "SWITCHBOARD_CHAT_OPENAI_API_KEY",
      SWITCHBOARD_OPENAI_MODEL: "SWITCHBOARD_CHAT_OPENAI_MODEL",
    },
  },
);

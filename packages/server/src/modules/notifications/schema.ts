import { z } from "zod";
import { pageQuery } from "../../platform/kit/pagination.js";
import {
  channelSchema,
  escalationSchema,
  prioritySchema,
  quietHoursSchema,
  templateContentSchema,
} from "./contract.js";

const userId = z.string().min(1).max(255);
export const typeName = z
  .string()
  .regex(/^[a-z][a-z0-9_.-]{0,99}$/, "lower case letters, digits, '.', '_' or '-'");

export const sendBody = z
  .object({
    userId: userId.optional(),
    userIds: z.array(userId).min(1).optional(),
    type: typeName,
    data: z.record(z.string(), z.unknown()).optional().describe("The template's variables"),
    priority: prioritySchema.default("normal"),
    category: z.string().min(1).max(64).optional().describe("Default: the template's"),
    channels: z.array(channelSchema).min(1).optional().describe("Default: the template's"),
    dedupeKey: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe("A second notification with the same key for the same user is dropped"),
  })
  .refine((b) => (b.userId === undefined) !== (b.userIds === undefined), {
    message: "give exactly one of userId and userIds",
    path: ["userId"],
  });
export type SendInput = z.infer<typeof sendBody>;

export const inboxQuery = z.object({
  unread: z
    .enum(["true", "false"])
    .optional()
    .transform((v) => v === "true")
    .describe("true: only unread ones"),
  archived: z
    .enum(["true", "false"])
    .optional()
    .transform((v) => v === "true")
    .describe("true: the archive instead of the inbox"),
  ...pageQuery({ defaultLimit: 20, maxLimit: 100 }),
});
export type InboxQuery = z.infer<typeof inboxQuery>;

export const idParams = z.object({ id: z.string().min(1).max(64) });
export const typeParams = z.object({ type: typeName });
export const userParams = z.object({ userId });
export const ruleParams = z.object({ name: z.string().min(1).max(100) });

export const templateBody = templateContentSchema;
export const localeQuery = z.object({
  locale: z
    .string()
    .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, "a BCP 47 tag such as de or de-AT")
    .max(35)
    .optional()
    .describe("A locale's variant of the type (none: the type itself)"),
});

export const preferencesBody = z.object({
  channels: z
    .record(z.string().min(1).max(64), z.partialRecord(channelSchema, z.boolean()))
    .refine((r) => Object.keys(r).length <= 100, "at most 100 categories")
    .optional(),
  quietHours: quietHoursSchema.nullable().optional().describe("null: none"),
  timeZone: z.string().min(1).max(64).nullable().optional(),
  escalation: escalationSchema.nullable().optional().describe("null: the server's"),
});
export type PreferencesInput = z.infer<typeof preferencesBody>;

export const contactBody = z.object({
  email: z.email().max(320).nullable().optional(),
  phone: z
    .string()
    .regex(/^\+[1-9]\d{6,14}$/, "E.164, e.g. +4915112345678")
    .nullable()
    .optional(),
  timeZone: z.string().min(1).max(64).nullable().optional(),
  locale: z.string().min(2).max(35).nullable().optional(),
});
export type ContactInput = z.infer<typeof contactBody>;

export const pushSubscriptionBody = z.object({
  endpoint: z.url({ protocol: /^https?$/ }).max(2000),
  keys: z.object({
    p256dh: z
      .string()
      .regex(/^[A-Za-z0-9_-]+=*$/)
      .min(80)
      .max(100),
    auth: z
      .string()
      .regex(/^[A-Za-z0-9_-]+=*$/)
      .min(16)
      .max(32),
  }),
});
export type PushSubscriptionInput = z.infer<typeof pushSubscriptionBody>;
export const pushUnsubscribeBody = z.object({ endpoint: z.string().min(1).max(2000) });

export const ruleBody = z.object({
  enabled: z.boolean().optional(),
  template: typeName.nullable().optional().describe("null: the rule's own"),
  channels: z.array(channelSchema).min(1).nullable().optional().describe("null: the template's"),
});
export type RuleInput = z.infer<typeof ruleBody>;

export const statsQuery = z.object({
  days: z.coerce.number().int().min(1).max(366).default(30),
});

/**
 * The notifications module's wire contract (`@switchboard/server/contracts/notifications`): every
 * payload it answers or publishes. Only zod and its names here: it is bundled into browsers.
 */
import { z } from "zod";
import { NOTIFICATION_CHANNELS, NOTIFICATION_PRIORITIES } from "./names.js";

export * from "./names.js";

export const channelSchema = z.enum(NOTIFICATION_CHANNELS);
export const prioritySchema = z.enum(NOTIFICATION_PRIORITIES);

/** A button on a notification: a link, or an rpc the client calls (e.g. approve a quote). */
export const actionSchema = z.object({
  id: z.string().min(1).max(64),
  label: z.string().min(1).max(100),
  url: z.string().max(2000).optional(),
  rpc: z
    .object({ method: z.string().min(1).max(100), params: z.record(z.string(), z.unknown()) })
    .optional(),
});
export type NotificationAction = z.infer<typeof actionSchema>;

/** One item of a user's inbox. */
export const notificationSchema = z
  .object({
    id: z.string(),
    type: z.string(),
    category: z.string(),
    priority: prioritySchema,
    title: z.string(),
    body: z.string(),
    actions: z.array(actionSchema),
    data: z.record(z.string(), z.unknown()),
    createdAt: z.string(),
    readAt: z.string().nullable(),
    archivedAt: z.string().nullable(),
  })
  .describe("Notification");
export type Notification = z.infer<typeof notificationSchema>;

export const inboxPageSchema = z.object({
  items: z.array(notificationSchema),
  unreadCount: z.number().int(),
  nextCursor: z.string().optional(),
});
export type InboxPage = z.infer<typeof inboxPageSchema>;

/** Event `unread` on user:{id}. `version` grows with every change: ignore a lower one. */
export const unreadSchema = z.object({ count: z.number().int(), version: z.number().int() });
export type Unread = z.infer<typeof unreadSchema>;

export const sendAcceptedSchema = z.object({
  id: z.string().describe("The send's id: GET /api/notifications/sends/{id} follows it"),
  recipients: z.number().int(),
});
export const sendStatusSchema = z.object({
  id: z.string(),
  type: z.string(),
  status: z.enum(["pending", "done"]),
  recipients: z.number().int(),
  processed: z.number().int(),
  createdAt: z.string(),
});
export type SendStatus = z.infer<typeof sendStatusSchema>;

export const templateContentSchema = z.object({
  category: z.string().min(1).max(64),
  defaultChannels: z.array(channelSchema).min(1),
  inApp: z.object({
    title: z.string().min(1).max(500),
    body: z.string().max(5000),
    actions: z.array(actionSchema).max(5).default([]),
  }),
  push: z
    .object({
      title: z.string().min(1).max(500),
      body: z.string().max(2000),
      url: z.string().max(2000).optional(),
    })
    .optional(),
  email: z
    .object({
      subject: z.string().min(1).max(500),
      text: z.string().max(50_000),
      html: z.string().max(100_000).optional(),
    })
    .optional(),
  sms: z.object({ text: z.string().min(1).max(1600) }).optional(),
});
export type TemplateContent = z.infer<typeof templateContentSchema>;

export const templateSchema = templateContentSchema
  .extend({
    type: z.string(),
    locale: z
      .string()
      .optional()
      .describe("A locale's variant (recipients whose contact locale is it, or its language)"),
    version: z.number().int().describe("0: the built-in default, never edited"),
    createdAt: z.string().nullable(),
  })
  .describe("NotificationTemplate");
export type Template = z.infer<typeof templateSchema>;

export const quietHoursSchema = z.object({
  start: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "HH:MM"),
  end: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "HH:MM"),
});

/** Where an unread `urgent` notification goes next, and after how long. */
export const escalationSchema = z.object({
  afterMinutes: z.number().int().min(1).max(10_080),
  channels: z
    .array(z.enum(["push", "email", "sms"]))
    .max(3)
    .refine((c) => new Set(c).size === c.length, "each channel once")
    .describe("In order; [] turns escalation off for this user"),
});
export type Escalation = z.infer<typeof escalationSchema>;

export const preferencesSchema = z.object({
  channels: z
    .record(z.string().min(1).max(64), z.partialRecord(channelSchema, z.boolean()))
    .describe("category → channel → on/off; absent means on"),
  quietHours: quietHoursSchema.nullable(),
  timeZone: z.string().nullable().describe("IANA zone; quiet hours are read in it (UTC if none)"),
  escalation: escalationSchema
    .nullable()
    .describe("The user's own escalation of unread urgent notifications; null: the server's"),
});
export type Preferences = z.infer<typeof preferencesSchema>;

export const contactSchema = z.object({
  userId: z.string(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  timeZone: z.string().nullable(),
  locale: z.string().nullable(),
});
export type Contact = z.infer<typeof contactSchema>;

export const deliverySchema = z.object({
  channel: channelSchema,
  status: z
    .enum(["held", "pending", "sending", "sent", "failed", "skipped"])
    .describe("held: until the user's quiet hours end"),
  attempts: z.number().int(),
  dueAt: z.string(),
  sentAt: z.string().nullable(),
  lastError: z.string().nullable(),
});
export type Delivery = z.infer<typeof deliverySchema>;

export const statsSchema = z.object({
  rows: z.array(
    z.object({
      day: z.string(),
      type: z.string(),
      channel: channelSchema,
      sent: z.number().int().describe("in_app: made; push, email, SMS: tried at least once"),
      delivered: z
        .number()
        .int()
        .describe(
          "in_app: in the inbox and announced live; push, email, SMS: accepted by the push service, SMTP server or SMS provider",
        ),
      failed: z.number().int(),
      pending: z.number().int(),
      read: z.number().int(),
    }),
  ),
});
export type Stats = z.infer<typeof statsSchema>;

export const ruleSchema = z.object({
  name: z.string(),
  event: z.string(),
  description: z.string(),
  enabled: z.boolean(),
  template: z.string(),
  channels: z.array(channelSchema).nullable().describe("null: the template's default channels"),
});
export type Rule = z.infer<typeof ruleSchema>;

/** What each user: channel event carries. */
export const notificationEvents = {
  inbox: { notification: notificationSchema, unread: unreadSchema },
} as const;

import { z } from "zod";

export * from "./names.js";

/**
 * Pusher channel names: letters, digits and `_-=@,.;`, at most 164 characters; a user's own
 * channel is `#server-to-user-{user id}` (what `sendToUser` triggers on).
 */
export const PUSHER_CHANNEL_PATTERN = /^(?:#server-to-user-)?[A-Za-z0-9_\-=@,.;]{1,164}$/;
export const pusherChannelName = z
  .string()
  .regex(PUSHER_CHANNEL_PATTERN, "a Pusher channel name: [A-Za-z0-9_-=@,.;], 1–164 characters");
/** User ids of sign-in, `sendToUser` and `terminate_connections`. */
export const pusherUserId = z
  .string()
  .regex(/^[A-Za-z0-9_\-=@,.;]{1,164}$/, "a user id: [A-Za-z0-9_-=@,.;], 1–164 characters");
/** Event names: at most 200 characters, as Pusher allows. */
export const pusherEventName = z.string().min(1).max(200);
/** Socket ids are `{number}.{number}`. */
export const socketIdSchema = z.string().regex(/^\d{1,20}\.\d{1,20}$/, "a socket id (1234.5678)");

// ---- WebSocket frames, client → server ----

/** Every frame: an object with an event name; the rest depends on the event. */
export const clientFrameSchema = z.object({
  event: pusherEventName,
  channel: z.string().max(200).optional(),
  data: z.unknown().optional(),
});

export const subscribeDataSchema = z.object({
  channel: pusherChannelName,
  auth: z.string().max(512).optional(),
  channel_data: z.string().max(16_384).optional(),
});
export const unsubscribeDataSchema = z.object({ channel: pusherChannelName });
export const signinDataSchema = z.object({
  auth: z.string().max(512),
  user_data: z.string().max(16_384),
});
/** The presence member of `channel_data` (and of signin's `user_data`, which needs `id`). */
export const channelDataSchema = z.object({
  user_id: z.union([z.string().min(1).max(128), z.number()]).transform(String),
  user_info: z.unknown().optional(),
});
export const userDataSchema = z.looseObject({ id: pusherUserId });

// ---- HTTP API ----

export const triggerBodySchema = z
  .object({
    name: pusherEventName,
    data: z.string(),
    channel: pusherChannelName.optional(),
    channels: z.array(pusherChannelName).min(1).max(100).optional(),
    socket_id: socketIdSchema.optional(),
    info: z.string().max(200).optional(),
  })
  .refine((b) => (b.channel === undefined) !== (b.channels === undefined), {
    message: "give exactly one of channel and channels",
  });
export type TriggerBody = z.infer<typeof triggerBodySchema>;

export const batchBodySchema = z.object({
  batch: z
    .array(
      z.object({
        name: pusherEventName,
        data: z.string(),
        channel: pusherChannelName,
        socket_id: socketIdSchema.optional(),
        info: z.string().max(200).optional(),
      }),
    )
    .min(1)
    .max(10),
});
export type BatchBody = z.infer<typeof batchBodySchema>;

export const channelInfoSchema = z.object({
  occupied: z.boolean(),
  user_count: z.number().int().optional(),
  subscription_count: z.number().int().optional(),
});
export const channelsListSchema = z.object({
  channels: z.record(z.string(), z.object({ user_count: z.number().int().optional() })),
});
export const usersSchema = z.object({ users: z.array(z.object({ id: z.string() })) });

/** The body of a webhook request: Pusher's format, one batch of events. */
export const webhookBodySchema = z.object({
  time_ms: z.number(),
  events: z.array(
    z.looseObject({
      name: z.enum([
        "channel_occupied",
        "channel_vacated",
        "member_added",
        "member_removed",
        "client_event",
        "cache_miss",
      ]),
      channel: z.string(),
    }),
  ),
});
export type WebhookBody = z.infer<typeof webhookBodySchema>;
export type WebhookEvent = WebhookBody["events"][number];

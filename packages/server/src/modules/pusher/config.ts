import { z } from "zod";
import { httpUrl, int, optional, withDefault } from "../../platform/kit/env.js";
import { defineModuleConfig } from "../../platform/module-config.js";

/** One Pusher app: what pusher-js (key), the server SDKs (id, key, secret) and webhooks use. */
export interface PusherApp {
  id: string;
  key: string;
  secret: string;
}

export interface PusherSettings {
  apps: PusherApp[];
  /** Whether clients may send `client-` events on private and presence channels. */
  clientEvents: boolean;
  /** Client events one socket may send per second (Pusher's default is 10). */
  clientEventsPerSecond: number;
  /** Seconds of silence after which a client pings (sent in connection_established). */
  activityTimeoutSeconds: number;
  /** Largest event `data` accepted from the HTTP API and from clients (Pusher: 10 KB). */
  maxEventBytes: number;
  /** Where webhooks go (every app's, each signed with its app's key and secret). */
  webhookUrls: string[];
  /** Which webhook events are sent. */
  webhookEvents: WebhookEventName[];
  /** Attempts before a webhook batch is parked as dead. */
  webhookMaxAttempts: number;
}

/** Every webhook event Pusher defines that this server sends. */
export const WEBHOOK_EVENTS = [
  "channel_occupied",
  "channel_vacated",
  "member_added",
  "member_removed",
  "client_event",
  "cache_miss",
] as const;
export type WebhookEventName = (typeof WEBHOOK_EVENTS)[number];

const APP = /^([A-Za-z0-9_-]{1,64}):([A-Za-z0-9_-]{1,64}):([^,:\s]{8,128})$/;

const apps = z
  .string()
  .transform((v) => v.split(",").map((s) => s.trim()))
  .pipe(
    z
      .array(z.string().regex(APP, "each app must be id:key:secret (secret: 8–128 characters)"))
      .min(1),
  )
  .transform((items) =>
    items.map((item): PusherApp => {
      const [, id = "", key = "", secret = ""] = APP.exec(item) ?? [];
      return { id, key, secret };
    }),
  )
  .refine(
    (list) =>
      new Set(list.map((a) => a.id)).size === list.length &&
      new Set(list.map((a) => a.key)).size === list.length,
    { message: "app ids and keys must be unique" },
  );

const bool = z.enum(["true", "false"]).transform((v) => v === "true");

/** The Pusher module's section of the configuration (docs/configuration.md, "Pusher"). */
export const pusherConfig = defineModuleConfig(
  z.object({
    SWITCHBOARD_PUSHER_APPS: optional(apps),
    SWITCHBOARD_PUSHER_CLIENT_EVENTS: withDefault(bool, false),
    SWITCHBOARD_PUSHER_CLIENT_EVENTS_PER_SECOND: withDefault(int(1, 1000), 10),
    SWITCHBOARD_PUSHER_ACTIVITY_TIMEOUT: withDefault(int(5, 3600), 120),
    SWITCHBOARD_PUSHER_MAX_EVENT_BYTES: withDefault(int(256, 1024 * 1024), 10240),
    SWITCHBOARD_PUSHER_WEBHOOK_URLS: optional(
      z
        .string()
        .transform((v) => v.split(",").map((s) => s.trim()))
        .pipe(z.array(httpUrl()).min(1)),
    ),
    SWITCHBOARD_PUSHER_WEBHOOK_EVENTS: optional(
      z
        .string()
        .transform((v) => v.split(",").map((s) => s.trim()))
        .pipe(z.array(z.enum(WEBHOOK_EVENTS)).min(1)),
    ),
    SWITCHBOARD_PUSHER_WEBHOOK_MAX_ATTEMPTS: withDefault(int(1, 100), 10),
  }),
  (e): PusherSettings => ({
    apps: e.SWITCHBOARD_PUSHER_APPS ?? [],
    clientEvents: e.SWITCHBOARD_PUSHER_CLIENT_EVENTS,
    clientEventsPerSecond: e.SWITCHBOARD_PUSHER_CLIENT_EVENTS_PER_SECOND,
    activityTimeoutSeconds: e.SWITCHBOARD_PUSHER_ACTIVITY_TIMEOUT,
    maxEventBytes: e.SWITCHBOARD_PUSHER_MAX_EVENT_BYTES,
    webhookUrls: e.SWITCHBOARD_PUSHER_WEBHOOK_URLS ?? [],
    webhookEvents: e.SWITCHBOARD_PUSHER_WEBHOOK_EVENTS ?? [...WEBHOOK_EVENTS],
    webhookMaxAttempts: e.SWITCHBOARD_PUSHER_WEBHOOK_MAX_ATTEMPTS,
  }),
);

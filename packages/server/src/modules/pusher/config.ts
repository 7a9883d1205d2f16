import { z } from "zod";
import { httpUrl, int, optional, withDefault } from "../../platform/kit/env.js";
import { defineModuleConfig } from "../../platform/module-config.js";

/** An app's credentials as `SWITCHBOARD_PUSHER_APPS` gives them. */
export interface PusherAppCredentials {
  id: string;
  key: string;
  secret: string;
}

/**
 * One Pusher app as the endpoint uses it: credentials (pusher-js sends the key, the server SDKs
 * and webhooks sign with the secret) and the options in force. The registry (apps.ts) keeps one
 * object per app id and updates it in place, so open sockets see a rotated secret or a switched
 * option at once.
 */
export interface PusherApp extends PusherAppCredentials {
  name: string;
  /** "env": credentials from SWITCHBOARD_PUSHER_APPS (not rotatable here); "api": made over REST. */
  source: "env" | "api";
  enabled: boolean;
  /** Whether clients may send `client-` events on private and presence channels. */
  clientEvents: boolean;
  /** Whether subscribers of public and private channels get `pusher:subscription_count`. */
  subscriptionCount: boolean;
  /** Where this app's webhooks go (each request signed with its key and secret). */
  webhookUrls: string[];
  /** Connections at once across the cluster (4004 past it); null: no quota. */
  maxConnections: number | null;
  /** The app's own channel auth endpoint, shown in the connection snippet. */
  authEndpoint: string | null;
  /** Whether Switchboard signs this app's channels for holders of Switchboard tokens. */
  jwtAuth: boolean;
  /** Which webhook events this app's URLs get. */
  webhookEvents: WebhookEventName[];
  /** Client events one socket of this app may send per second (4301 past it). */
  clientEventsPerSecond: number;
  version: number;
}

export interface PusherSettings {
  apps: PusherAppCredentials[];
  /** Options of env apps from SWITCHBOARD_PUSHER_APP_OPTIONS, by app id (the env wins for them). */
  appOptions: Record<string, EnvAppOptions>;
  /** Default of apps that do not set it: may clients send `client-` events? */
  clientEvents: boolean;
  /** Default of apps that do not set it: client events one socket may send per second (Pusher: 10). */
  clientEventsPerSecond: number;
  /** Seconds of silence after which a client pings (sent in connection_established). */
  activityTimeoutSeconds: number;
  /** Largest event `data` accepted from the HTTP API and from clients (Pusher: 10 KB). */
  maxEventBytes: number;
  /** Default webhook URLs of apps that set none (each request signed with its app's key and secret). */
  webhookUrls: string[];
  /** Default of apps that do not set it: which webhook events are sent. */
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

/** Client events per second a socket may be allowed (apps and the server default). */
export const clientEventsPerSecond = z.number().int().min(1).max(1000);
/** A webhook event list: known names, at least one, no repeats. */
export const webhookEventList = z
  .array(z.enum(WEBHOOK_EVENTS))
  .min(1)
  .max(WEBHOOK_EVENTS.length)
  .refine((list) => new Set(list).size === list.length, { message: "an event is listed twice" });

/**
 * SWITCHBOARD_PUSHER_APP_OPTIONS: the options of env apps that the environment owns, as JSON
 * `{"<app id>": {…}}`. What it names is written to the app's row at every start (like its
 * credentials); what it leaves out stays as REST set it.
 */
export const envAppOptionsSchema = z
  .object({
    name: z.string().trim().min(1).max(100).optional(),
    enabled: z.boolean().optional(),
    clientEvents: z.boolean().optional(),
    clientEventsPerSecond: clientEventsPerSecond.optional(),
    subscriptionCount: z.boolean().optional(),
    webhookUrls: z.array(httpUrl()).max(10).optional(),
    webhookEvents: webhookEventList.optional(),
    maxConnections: z.number().int().min(1).max(10_000_000).nullable().optional(),
    authEndpoint: z.string().min(1).max(500).nullable().optional(),
    jwtAuth: z.boolean().optional(),
  })
  .strict();
export type EnvAppOptions = z.infer<typeof envAppOptionsSchema>;

const appOptions = z
  .string()
  .transform((v, ctx) => {
    try {
      return JSON.parse(v) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", message: 'must be JSON: {"<app id>": {options}}' });
      return z.NEVER;
    }
  })
  .pipe(z.record(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "an app id"), envAppOptionsSchema));

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
    items.map((item): PusherAppCredentials => {
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
  z
    .object({
      SWITCHBOARD_PUSHER_APPS: optional(apps),
      SWITCHBOARD_PUSHER_APP_OPTIONS: optional(appOptions),
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
          .pipe(webhookEventList),
      ),
      SWITCHBOARD_PUSHER_WEBHOOK_MAX_ATTEMPTS: withDefault(int(1, 100), 10),
    })
    .superRefine((env, ctx) => {
      const ids = new Set((env.SWITCHBOARD_PUSHER_APPS ?? []).map((a) => a.id));
      for (const id of Object.keys(env.SWITCHBOARD_PUSHER_APP_OPTIONS ?? {}))
        if (!ids.has(id))
          ctx.addIssue({
            code: "custom",
            path: ["SWITCHBOARD_PUSHER_APP_OPTIONS"],
            message: `names app "${id}", which SWITCHBOARD_PUSHER_APPS does not list (apps made over REST take options over REST)`,
          });
    }),
  (e): PusherSettings => ({
    apps: e.SWITCHBOARD_PUSHER_APPS ?? [],
    appOptions: e.SWITCHBOARD_PUSHER_APP_OPTIONS ?? {},
    clientEvents: e.SWITCHBOARD_PUSHER_CLIENT_EVENTS,
    clientEventsPerSecond: e.SWITCHBOARD_PUSHER_CLIENT_EVENTS_PER_SECOND,
    activityTimeoutSeconds: e.SWITCHBOARD_PUSHER_ACTIVITY_TIMEOUT,
    maxEventBytes: e.SWITCHBOARD_PUSHER_MAX_EVENT_BYTES,
    webhookUrls: e.SWITCHBOARD_PUSHER_WEBHOOK_URLS ?? [],
    webhookEvents: e.SWITCHBOARD_PUSHER_WEBHOOK_EVENTS ?? [...WEBHOOK_EVENTS],
    webhookMaxAttempts: e.SWITCHBOARD_PUSHER_WEBHOOK_MAX_ATTEMPTS,
  }),
);

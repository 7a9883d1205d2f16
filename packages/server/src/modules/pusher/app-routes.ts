import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AuthHooks } from "../../http/auth.js";
import { errorBodySchema, errorResponses } from "../../http/schemas.js";
import { httpUrl } from "../../platform/kit/env.js";
import type { PusherApps } from "./apps.js";
import {
  clientEventsPerSecond,
  type PusherApp,
  WEBHOOK_EVENTS,
  webhookEventList,
} from "./config.js";
import type { PusherService } from "./service.js";

const tags = ["pusher"];
const security = [{ bearer: [] }];
const who = "Admin token or API key.";

const appId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, "an app id: letters, digits, _ and -, 1–64 characters");

/** The options an admin may set; null puts an inheriting option back to the server's default. */
const optionsBody = z.object({
  name: z.string().trim().min(1).max(100).optional(),
  enabled: z.boolean().optional(),
  clientEvents: z
    .boolean()
    .nullable()
    .optional()
    .describe("null: SWITCHBOARD_PUSHER_CLIENT_EVENTS"),
  subscriptionCount: z.boolean().optional(),
  webhookUrls: z
    .array(httpUrl())
    .max(10)
    .nullable()
    .optional()
    .describe("null: SWITCHBOARD_PUSHER_WEBHOOK_URLS; [] sends none"),
  maxConnections: z.number().int().min(1).max(10_000_000).nullable().optional(),
  authEndpoint: z.string().max(500).nullable().optional(),
  jwtAuth: z
    .boolean()
    .optional()
    .describe(
      "Sign this app's channels for Switchboard token holders (POST /api/pusher/apps/{id}/auth)",
    ),
  webhookEvents: webhookEventList
    .nullable()
    .optional()
    .describe("Which webhook events this app gets; null: SWITCHBOARD_PUSHER_WEBHOOK_EVENTS"),
  clientEventsPerSecond: clientEventsPerSecond
    .nullable()
    .optional()
    .describe(
      "Client events one socket may send per second (4301 past it); null: SWITCHBOARD_PUSHER_CLIENT_EVENTS_PER_SECOND",
    ),
});

const createBody = optionsBody.extend({ id: appId.optional() });
const updateBody = optionsBody.extend({
  expectedVersion: z.number().int().min(1).optional().describe("409 `conflict` when stale"),
});
const rotateBody = z.object({ expectedVersion: z.number().int().min(1).optional() }).nullish();
const params = z.object({ id: appId });

export const pusherAppSchema = z.object({
  id: z.string(),
  key: z.string(),
  secret: z.string(),
  name: z.string(),
  source: z.enum(["env", "api"]),
  enabled: z.boolean(),
  clientEvents: z.boolean(),
  subscriptionCount: z.boolean(),
  webhookUrls: z.array(z.string()),
  maxConnections: z.number().int().nullable(),
  authEndpoint: z.string().nullable(),
  jwtAuth: z.boolean(),
  webhookEvents: z.array(z.enum(WEBHOOK_EVENTS)),
  clientEventsPerSecond: z.number().int(),
  version: z.number().int(),
  connections: z.number().int().describe("Open connections across the cluster"),
  channels: z.number().int().describe("Occupied channels across the cluster"),
});
export type PusherAppView = z.infer<typeof pusherAppSchema>;

/**
 * Managing Pusher apps over REST (what the console's Pusher screen calls): list with live
 * counts, create, change options, rotate credentials, remove. Admins and the API key only: the
 * answers carry app secrets.
 */
export function registerPusherAppRoutes(
  http: FastifyInstance,
  apps: PusherApps,
  service: PusherService,
  auth: AuthHooks,
): void {
  const r = http.withTypeProvider<ZodTypeProvider>();
  const view = async (app: PusherApp): Promise<PusherAppView> => {
    const stats = await service.stats(app);
    return {
      id: app.id,
      key: app.key,
      secret: app.secret,
      name: app.name,
      source: app.source,
      enabled: app.enabled,
      clientEvents: app.clientEvents,
      subscriptionCount: app.subscriptionCount,
      webhookUrls: app.webhookUrls,
      maxConnections: app.maxConnections,
      authEndpoint: app.authEndpoint,
      jwtAuth: app.jwtAuth,
      webhookEvents: app.webhookEvents,
      clientEventsPerSecond: app.clientEventsPerSecond,
      version: app.version,
      ...stats,
    };
  };
  const errors = { ...errorResponses, 404: errorBodySchema, 409: errorBodySchema };

  r.get(
    "/api/pusher/apps",
    {
      onRequest: auth.server,
      schema: {
        summary: "Pusher apps, with their options and live counts",
        description: who,
        tags,
        security,
        response: { 200: z.object({ apps: z.array(pusherAppSchema) }), ...errors },
      },
    },
    async () => ({ apps: await Promise.all(apps.list().map(view)) }),
  );

  r.post(
    "/api/pusher/apps",
    {
      onRequest: auth.server,
      schema: {
        summary: "Create a Pusher app (its key and secret are generated)",
        description: `${who} 409 \`conflict\` when the id is taken.`,
        tags,
        security,
        body: createBody,
        response: { 201: pusherAppSchema, ...errors },
      },
    },
    async (request, reply) => reply.status(201).send(await view(await apps.create(request.body))),
  );

  r.get(
    "/api/pusher/apps/:id",
    {
      onRequest: auth.server,
      schema: {
        summary: "One Pusher app",
        description: who,
        tags,
        security,
        params,
        response: { 200: pusherAppSchema, ...errors },
      },
    },
    async (request) => view(apps.get(request.params.id)),
  );

  r.patch(
    "/api/pusher/apps/:id",
    {
      onRequest: auth.server,
      schema: {
        summary: "Change an app's options",
        description: `${who} Disabling closes its connections (4003) and refuses its HTTP API (403 \`pusher_app_disabled\`); options take effect on every node at once.`,
        tags,
        security,
        params,
        body: updateBody,
        response: { 200: pusherAppSchema, ...errors },
      },
    },
    async (request) => {
      const { expectedVersion, ...options } = request.body;
      return view(await apps.update(request.params.id, options, expectedVersion));
    },
  );

  r.post(
    "/api/pusher/apps/:id/rotate",
    {
      onRequest: auth.server,
      schema: {
        summary: "Give an app a new key and secret",
        description: `${who} The old key stops connecting and the old secret stops signing at once; open connections stay. 409 \`pusher_app_from_env\` for apps of SWITCHBOARD_PUSHER_APPS.`,
        tags,
        security,
        params,
        body: rotateBody,
        response: { 200: pusherAppSchema, ...errors },
      },
    },
    async (request) => view(await apps.rotate(request.params.id, request.body?.expectedVersion)),
  );

  r.delete(
    "/api/pusher/apps/:id",
    {
      onRequest: auth.server,
      schema: {
        summary: "Remove an app (its connections are closed)",
        description: `${who} 409 \`pusher_app_from_env\` for apps of SWITCHBOARD_PUSHER_APPS.`,
        tags,
        security,
        params,
        response: { 204: z.null(), ...errors },
      },
    },
    async (request, reply) => {
      await apps.remove(request.params.id);
      return reply.status(204).send(null);
    },
  );
}

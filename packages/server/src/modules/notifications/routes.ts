import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AuthHooks } from "../../http/auth.js";
import { keepResponse } from "../../http/idempotency.js";
import { errorBodySchema, errorResponses } from "../../http/schemas.js";
import { callerOf } from "../../platform/kit/caller.js";
import {
  contactSchema,
  deliverySchema,
  inboxPageSchema,
  notificationSchema,
  preferencesSchema,
  ruleSchema,
  sendAcceptedSchema,
  sendStatusSchema,
  statsSchema,
  templateSchema,
} from "./contract.js";
import {
  contactBody,
  idParams,
  inboxQuery,
  localeQuery,
  preferencesBody,
  pushSubscriptionBody,
  pushUnsubscribeBody,
  ruleBody,
  ruleParams,
  sendBody,
  statsQuery,
  templateBody,
  typeParams,
  userParams,
} from "./schema.js";
import type { NotificationsService } from "./service.js";
import { variantOf } from "./templates.js";

/** Thin REST adapters: validate → service → reply. */
export function registerNotificationRoutes(
  app: FastifyInstance,
  service: NotificationsService,
  auth: AuthHooks,
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const security = [{ bearer: [] }];
  const tags = ["notifications"];
  const notFound = { 404: errorBodySchema };

  r.post(
    "/api/notifications",
    {
      onRequest: auth.staff,
      schema: {
        summary: "Send a notification to one user or many",
        description:
          "Staff or API key. Answers 202 at once with the send's id; the recipients' notifications are made in batches (SWITCHBOARD_NOTIFICATIONS_BATCH_SIZE) by the worker, and each goes out on the template's channels (or `channels`) that the user has on. 422 `unknown_notification_type` for a type without a template. Accepts an `Idempotency-Key` header.",
        tags,
        security,
        body: sendBody,
        response: { 202: sendAcceptedSchema, 422: errorBodySchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      reply
        .status(202)
        .send(await service.send(callerOf(request), request.body, keepResponse(request, 202))),
  );

  r.get(
    "/api/notifications/sends/:id",
    {
      onRequest: auth.staff,
      schema: {
        summary: "How far a send is (recipients expanded so far)",
        tags,
        security,
        params: idParams,
        response: { 200: sendStatusSchema, ...notFound, ...errorResponses },
      },
    },
    async (request) => service.sendStatus(request.params.id),
  );

  r.get(
    "/api/notifications",
    {
      onRequest: auth.user,
      schema: {
        summary: "The caller's inbox, newest first, with the unread count",
        description:
          "`unread=true`: only unread ones; `archived=true`: the archive. Live on `user:{sub}`: event `notification` for each new one, `unread` `{count, version}` when the count changes.",
        tags,
        security,
        querystring: inboxQuery,
        response: { 200: inboxPageSchema, ...errorResponses },
      },
    },
    async (request) => service.inbox.list(callerOf(request), request.query),
  );

  r.post(
    "/api/notifications/read-all",
    {
      onRequest: auth.user,
      schema: {
        summary: "Mark every notification of the caller read",
        tags,
        security,
        response: { 200: z.object({ read: z.number().int() }), ...errorResponses },
      },
    },
    async (request) => service.inbox.readAll(callerOf(request)),
  );

  r.post(
    "/api/notifications/:id/read",
    {
      onRequest: auth.user,
      schema: {
        summary: "Mark one notification read",
        description: "The caller's own only (another's is 404). Reading twice is harmless.",
        tags,
        security,
        params: idParams,
        response: { 200: notificationSchema, ...notFound, ...errorResponses },
      },
    },
    async (request) => service.inbox.read(callerOf(request), request.params.id),
  );

  r.post(
    "/api/notifications/:id/archive",
    {
      onRequest: auth.user,
      schema: {
        summary: "Archive one notification (it leaves the inbox and counts as read)",
        tags,
        security,
        params: idParams,
        response: { 200: notificationSchema, ...notFound, ...errorResponses },
      },
    },
    async (request) => service.inbox.archive(callerOf(request), request.params.id),
  );

  r.get(
    "/api/notifications/:id/deliveries",
    {
      onRequest: auth.staff,
      schema: {
        summary: "The push, email and SMS deliveries of one notification, with attempts and errors",
        tags,
        security,
        params: idParams,
        response: { 200: z.object({ deliveries: z.array(deliverySchema) }), ...errorResponses },
      },
    },
    async (request) => ({
      deliveries: await service.deliveries(callerOf(request), request.params.id),
    }),
  );

  r.get(
    "/api/notifications/templates",
    {
      onRequest: auth.staff,
      schema: {
        summary: "Every notification type's current template",
        tags,
        security,
        response: { 200: z.object({ templates: z.array(templateSchema) }), ...errorResponses },
      },
    },
    async () => ({ templates: await service.templates.list() }),
  );

  r.get(
    "/api/notifications/templates/:type",
    {
      onRequest: auth.staff,
      schema: {
        summary: "A type's template and its earlier versions, newest first",
        tags,
        security,
        params: typeParams,
        querystring: localeQuery,
        response: {
          200: z.object({ versions: z.array(templateSchema) }),
          422: errorBodySchema,
          ...errorResponses,
        },
      },
    },
    async (request) => ({
      versions: await service.templates.versions(
        variantOf(request.params.type, request.query.locale),
      ),
    }),
  );

  r.put(
    "/api/notifications/templates/:type",
    {
      onRequest: auth.staff,
      schema: {
        summary: "Save a new version of a type's template (a new type, or over its default)",
        description:
          "Variables are `{{path}}` into the send's `data`. Notifications already made keep the version they were made with; sends accepted before keep theirs too. With `?locale=de` it saves the German variant: recipients whose contact locale is `de` or `de-*` get it (the exact tag first, then the language, then the type itself), its current version when their batch is made.",
        tags,
        security,
        params: typeParams,
        querystring: localeQuery,
        body: templateBody,
        response: { 200: templateSchema, ...errorResponses },
      },
    },
    async (request) =>
      service.templates.save(
        variantOf(request.params.type, request.query.locale),
        request.body,
        callerOf(request).user,
      ),
  );

  r.get(
    "/api/notifications/preferences",
    {
      onRequest: auth.user,
      schema: {
        summary: "The caller's channel preferences, quiet hours and time zone",
        tags,
        security,
        response: { 200: preferencesSchema, ...errorResponses },
      },
    },
    async (request) => service.users.preferences(callerOf(request).user),
  );

  r.put(
    "/api/notifications/preferences",
    {
      onRequest: auth.user,
      schema: {
        summary: "Change the caller's preferences (what the body names)",
        description:
          "`channels`: category → channel → on/off. `quietHours` `{start, end}` (HH:MM in `timeZone`): push, email and SMS are held until the window ends, `urgent` ones are not; null removes them. 400 `bad_time_zone` for an unknown zone.",
        tags,
        security,
        body: preferencesBody,
        response: { 200: preferencesSchema, ...errorResponses },
      },
    },
    async (request) => service.users.setPreferences(callerOf(request).user, request.body),
  );

  r.get(
    "/api/notifications/contacts/:userId",
    {
      onRequest: auth.user,
      schema: {
        summary: "A user's email, phone, time zone and locale",
        description: "Staff, the API key, or the user.",
        tags,
        security,
        params: userParams,
        response: { 200: contactSchema, ...errorResponses },
      },
    },
    async (request) => service.users.contactOf(callerOf(request), request.params.userId),
  );

  r.put(
    "/api/notifications/contacts/:userId",
    {
      onRequest: auth.user,
      schema: {
        summary: "Set a user's email, phone, time zone and locale",
        description: "Staff, the API key, or the user for themselves. null clears a field.",
        tags,
        security,
        params: userParams,
        body: contactBody,
        response: { 200: contactSchema, ...errorResponses },
      },
    },
    async (request) =>
      service.users.setContact(callerOf(request), request.params.userId, request.body),
  );

  r.get(
    "/api/notifications/vapid-public-key",
    {
      schema: {
        summary: "The VAPID public key browsers subscribe with (applicationServerKey)",
        tags,
        response: { 200: z.object({ publicKey: z.string() }) },
      },
    },
    async () => ({ publicKey: service.vapidPublicKey() }),
  );

  r.post(
    "/api/notifications/push-subscriptions",
    {
      onRequest: auth.user,
      schema: {
        summary: "Register the browser's push subscription (PushSubscription.toJSON())",
        description:
          "At most SWITCHBOARD_NOTIFICATIONS_MAX_PUSH_SUBSCRIPTIONS per user (409 `push_subscription_limit`); the endpoint must be a push service in SWITCHBOARD_NOTIFICATIONS_PUSH_HOSTS. A subscription the push service answers 404 or 410 for is removed.",
        tags,
        security,
        body: pushSubscriptionBody,
        response: { 201: z.object({ id: z.string() }), 409: errorBodySchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await service.push.subscribe(callerOf(request), request.body)),
  );

  r.delete(
    "/api/notifications/push-subscriptions",
    {
      onRequest: auth.user,
      schema: {
        summary: "Remove one of the caller's push subscriptions",
        tags,
        security,
        body: pushUnsubscribeBody,
        response: { 200: z.object({ removed: z.boolean() }), ...errorResponses },
      },
    },
    async (request) => service.push.unsubscribe(callerOf(request), request.body.endpoint),
  );

  r.get(
    "/api/notifications/stats",
    {
      onRequest: auth.staff,
      schema: {
        summary: "Sent, failed, pending and read, by day, type and channel",
        tags,
        security,
        querystring: statsQuery,
        response: { 200: statsSchema, ...errorResponses },
      },
    },
    async (request) => service.stats(request.query.days),
  );

  r.get(
    "/api/notifications/rules",
    {
      onRequest: auth.staff,
      schema: {
        summary: "The rules that turn domain events into notifications",
        tags,
        security,
        response: { 200: z.object({ rules: z.array(ruleSchema) }), ...errorResponses },
      },
    },
    async () => ({ rules: await service.rules.list() }),
  );

  r.put(
    "/api/notifications/rules/:name",
    {
      onRequest: auth.staff,
      schema: {
        summary: "Turn a rule on or off, change its template or channels",
        tags,
        security,
        params: ruleParams,
        body: ruleBody,
        response: { 200: ruleSchema, ...notFound, ...errorResponses },
      },
    },
    async (request) => service.rules.update(request.params.name, request.body),
  );
}

import {
  channelSchema,
  jsonValue,
  presenceMemberSchema,
  publicationSchema,
} from "@switchboard/protocol";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { type Broker, publisherKey } from "../../broker/types.js";
import { SwitchboardError } from "../../errors.js";
import { MAX_PRESENCE_MEMBERS } from "../../gateway/commands.js";
import type { Gateway } from "../../gateway/gateway.js";
import type { Namespaces } from "../../gateway/namespaces.js";
import type { AuthHooks } from "../auth.js";
import { errorResponses } from "../schemas.js";

export interface ChannelRoutesDeps {
  broker: Broker;
  gateway: Gateway;
  namespaces: Namespaces;
  auth: AuthHooks;
}

const publishBody = z.object({
  channel: channelSchema.describe("Channel to publish on, e.g. product:42"),
  event: z.string().min(1).max(128),
  data: jsonValue.default(null).describe("Any JSON value (nested at most 64 deep)"),
  key: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .describe("Idempotency key: a repeat within 2 minutes publishes nothing"),
});
const positionReply = z.object({
  channel: z.string(),
  epoch: z.string(),
  offset: z.number().int(),
});
const channelParams = z.object({ channel: channelSchema });
const sinceParam = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}:\d{1,15}$/, "must be <epoch>:<offset>")
  .transform((v) => {
    const [epoch, offset] = v.split(":");
    return { epoch: epoch as string, offset: Number(offset) };
  });

export function registerChannelRoutes(app: FastifyInstance, deps: ChannelRoutesDeps): void {
  const { broker, gateway, namespaces, auth } = deps;
  const r = app.withTypeProvider<ZodTypeProvider>();
  const security = [{ bearer: [] }];

  r.post(
    "/api/publish",
    {
      onRequest: auth.server,
      // The broker dedupes keys itself (and answers 200 with the first offset), across nodes.
      config: { idempotency: false },
      schema: {
        summary: "Publish a message on a channel",
        description:
          "Server-side publish (API key or admin token). 201 when published; 200 with the first offset when the idempotency key (body `key` or `Idempotency-Key` header) was seen in the last 2 minutes.",
        tags: ["channels"],
        security,
        headers: z.object({ "idempotency-key": z.string().min(1).max(128).optional() }),
        body: publishBody,
        response: { 200: positionReply, 201: positionReply, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { channel, event, data } = request.body;
      const key = request.body.key ?? request.headers["idempotency-key"];
      const { namespace } = namespaces.resolve(channel);
      const result = await broker.publish(channel, {
        event,
        data,
        history: namespace.options.history,
        // Callers here act as the server (API key, admin): one key space, apart from modules' and users'.
        ...(key !== undefined && { key: publisherKey({ kind: "server" }, key) }),
      });
      return reply
        .status(result.duplicate ? 200 : 201)
        .send({ channel, epoch: result.epoch, offset: result.offset });
    },
  );

  r.get(
    "/api/channels",
    {
      onRequest: auth.server,
      schema: {
        summary: "Active channels on this node",
        tags: ["channels"],
        security,
        response: {
          200: z.object({
            channels: z.array(z.object({ channel: z.string(), subscribers: z.number().int() })),
          }),
          ...errorResponses,
        },
      },
    },
    async () => ({ channels: gateway.channelStats() }),
  );

  r.get(
    "/api/channels/:channel/presence",
    {
      onRequest: auth.server,
      schema: {
        summary: "Who is present on a channel",
        description: `Members (one per user, with their connection count; at most ${MAX_PRESENCE_MEMBERS} listed) and the full count.`,
        tags: ["channels"],
        security,
        params: channelParams,
        response: {
          200: z.object({
            channel: z.string(),
            members: z.array(presenceMemberSchema),
            count: z.number().int(),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { channel } = request.params;
      const { namespace } = namespaces.resolve(channel);
      if (!namespace.options.presence)
        throw new SwitchboardError("bad_request", `presence is off for ${namespace.name}:*`);
      const members = await broker.presence(channel);
      return { channel, members: members.slice(0, MAX_PRESENCE_MEMBERS), count: members.length };
    },
  );

  r.get(
    "/api/channels/:channel/history",
    {
      onRequest: auth.server,
      schema: {
        summary: "A channel's retained history",
        description:
          "Without `since`: the latest `limit` publications (below `before` when given). With `since=<epoch>:<offset>`: what came after; `complete` is false when some of it is gone (trimmed, expired, or a new epoch). A reply stops at SWITCHBOARD_MAX_HISTORY_REPLY_BYTES of publications: `more` says publications it left out are there (ask again from the last one with `since`, or with `before` the first).",
        tags: ["channels"],
        security,
        params: channelParams,
        querystring: z.object({
          since: sinceParam.optional(),
          before: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
        }),
        response: {
          200: positionReply.extend({
            publications: z.array(publicationSchema),
            complete: z.boolean(),
            more: z.boolean(),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { channel } = request.params;
      const { since, before, limit } = request.query;
      if (since && before !== undefined)
        throw new SwitchboardError("bad_request", "history takes since or before, not both");
      const { namespace } = namespaces.resolve(channel);
      const h = await broker.history(
        channel,
        {
          limit,
          maxBytes: gateway.config.limits.maxHistoryReplyBytes,
          ...(since && { since }),
          ...(before !== undefined && { before }),
        },
        namespace.options.history,
      );
      return {
        channel,
        epoch: h.epoch,
        offset: h.offset,
        publications: h.publications,
        complete: h.complete,
        more: h.more,
      };
    },
  );
}

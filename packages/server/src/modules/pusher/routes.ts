import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { SwitchboardError } from "../../errors.js";
import { errorBodySchema } from "../../http/schemas.js";
import {
  batchBodySchema,
  channelInfoSchema,
  channelsListSchema,
  pusherChannelName,
  triggerBodySchema,
  usersSchema,
} from "./contract.js";
import type { PusherService } from "./service.js";
import { verifySignedRequest } from "./signing.js";

/** The body as it came (body_md5 is over these bytes), kept by this scope's JSON parser. */
const rawBodies = new WeakMap<FastifyRequest, string>();

const signedQuery = z.looseObject({
  auth_key: z.string().describe("The app key"),
  auth_timestamp: z.string().describe("Seconds since the epoch; within 600 s of the server's"),
  auth_version: z.literal("1.0"),
  auth_signature: z.string().describe("HMAC-SHA256 (hex) of `METHOD\\npath\\nsorted query`"),
  body_md5: z.string().optional().describe("MD5 (hex) of the body, for requests with one"),
});
const appParams = z.object({ app_id: z.string().max(64) });
const channelParams = appParams.extend({ channel_name: pusherChannelName });
const userParams = appParams.extend({ user_id: z.string().min(1).max(128) });
const infoList = (info: unknown) =>
  new Set(typeof info === "string" && info ? info.split(",").map((s) => s.trim()) : []);

const errors = {
  400: errorBodySchema,
  401: errorBodySchema,
  404: errorBodySchema,
  413: errorBodySchema,
  503: errorBodySchema,
};
const tags = ["pusher"];
const description =
  "Pusher HTTP API, signed as the `pusher` server SDKs sign (no bearer token): see docs/pusher.md.";

/**
 * The Pusher HTTP API under /apps/{app_id}: what the `pusher` server SDKs call. Every request is
 * signed with the app's secret; the signature is checked before the body is validated, so an
 * unsigned request learns nothing about what it sent.
 */
export function registerPusherRoutes(http: FastifyInstance, service: PusherService): void {
  void http.register(async (scope) => {
    scope.removeContentTypeParser("application/json");
    scope.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
      const text = typeof body === "string" ? body : body.toString("utf8");
      rawBodies.set(request, text);
      try {
        done(null, text.length ? JSON.parse(text) : {});
      } catch {
        done(new SwitchboardError("bad_request", "the body is not JSON"), undefined);
      }
    });
    scope.addHook("preValidation", async (request) => {
      const { app_id: appId } = request.params as { app_id: string };
      const app = service.appOf(appId);
      const query: Record<string, string> = {};
      for (const [k, v] of Object.entries(request.query as Record<string, unknown>)) {
        if (typeof v !== "string")
          throw new SwitchboardError("pusher_bad_signature", `query parameter ${k} is repeated`);
        query[k] = v;
      }
      const problem = verifySignedRequest(app, {
        method: request.method,
        path: request.url.split("?")[0] ?? "",
        query,
        body: rawBodies.get(request) ?? "",
      });
      if (problem) throw new SwitchboardError("pusher_bad_signature", problem);
    });
    const r = scope.withTypeProvider<ZodTypeProvider>();

    r.post(
      "/apps/:app_id/events",
      {
        schema: {
          summary: "Trigger an event on one or more Pusher channels",
          description: `${description} At most 100 channels; \`socket_id\` leaves that connection out; \`info\` (\`subscription_count\`, \`user_count\`) asks for each channel's counts.`,
          tags,
          params: appParams,
          querystring: signedQuery,
          body: triggerBodySchema,
          response: {
            200: z.object({
              channels: z.record(z.string(), channelInfoSchema.partial()).optional(),
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        const app = service.appOf(request.params.app_id);
        const b = request.body;
        const channels = b.channels ?? (b.channel ? [b.channel] : []);
        await service.trigger(
          app,
          channels.map((channel) => ({
            channel,
            name: b.name,
            data: b.data,
            socket_id: b.socket_id,
          })),
        );
        const wanted = infoList(b.info);
        if (!wanted.size) return {};
        const out: Record<string, Partial<z.infer<typeof channelInfoSchema>>> = {};
        for (const c of channels) {
          const { occupied: _, ...counts } = await service.info(app, c, wanted);
          out[c] = counts;
        }
        return { channels: out };
      },
    );

    r.post(
      "/apps/:app_id/batch_events",
      {
        schema: {
          summary: "Trigger up to 10 events, each on its own channel",
          description,
          tags,
          params: appParams,
          querystring: signedQuery,
          body: batchBodySchema,
          response: {
            200: z.object({ batch: z.array(channelInfoSchema.partial()).optional() }),
            ...errors,
          },
        },
      },
      async (request) => {
        const app = service.appOf(request.params.app_id);
        const batch = request.body.batch;
        await service.trigger(app, batch);
        if (!batch.some((e) => e.info)) return {};
        const out: Partial<z.infer<typeof channelInfoSchema>>[] = [];
        for (const e of batch) {
          const { occupied: _, ...counts } = await service.info(app, e.channel, infoList(e.info));
          out.push(counts);
        }
        return { batch: out };
      },
    );

    r.get(
      "/apps/:app_id/channels",
      {
        schema: {
          summary: "Channels with subscribers (anywhere in the cluster)",
          description: `${description} \`filter_by_prefix\` narrows the list; \`info=user_count\` needs \`filter_by_prefix=presence-\`.`,
          tags,
          params: appParams,
          querystring: signedQuery.extend({
            filter_by_prefix: z.string().max(164).optional(),
            info: z.string().max(100).optional(),
          }),
          response: { 200: channelsListSchema, ...errors },
        },
      },
      async (request) => {
        const app = service.appOf(request.params.app_id);
        const { filter_by_prefix: prefix, info } = request.query;
        return { channels: await service.channels(app, prefix, infoList(info)) };
      },
    );

    r.get(
      "/apps/:app_id/channels/:channel_name",
      {
        schema: {
          summary: "One channel: occupied, and its counts on request",
          description: `${description} \`info=subscription_count,user_count\` (user_count: presence channels).`,
          tags,
          params: channelParams,
          querystring: signedQuery.extend({ info: z.string().max(100).optional() }),
          response: { 200: channelInfoSchema, ...errors },
        },
      },
      async (request) =>
        service.info(
          service.appOf(request.params.app_id),
          request.params.channel_name,
          infoList(request.query.info),
        ),
    );

    r.get(
      "/apps/:app_id/channels/:channel_name/users",
      {
        schema: {
          summary: "The users on a presence channel",
          description,
          tags,
          params: channelParams,
          querystring: signedQuery,
          response: { 200: usersSchema, ...errors },
        },
      },
      async (request) => ({
        users: await service.users(
          service.appOf(request.params.app_id),
          request.params.channel_name,
        ),
      }),
    );

    r.post(
      "/apps/:app_id/users/:user_id/terminate_connections",
      {
        schema: {
          summary: "Close every connection a user signed in on (pusher:signin), on every node",
          description,
          tags,
          params: userParams,
          querystring: signedQuery,
          response: { 200: z.object({}), ...errors },
        },
      },
      async (request) => {
        await service.terminate(service.appOf(request.params.app_id), request.params.user_id);
        return {};
      },
    );
  });
}

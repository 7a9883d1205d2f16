import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { type Identity, isStaff } from "../../auth/identity.js";
import { SwitchboardError } from "../../errors.js";
import type { AuthHooks } from "../../http/auth.js";
import { errorBodySchema, errorResponses } from "../../http/schemas.js";
import { callerOf } from "../../platform/kit/caller.js";
import type { PusherApps } from "./apps.js";
import { channelKind, sign } from "./auth.js";
import type { PusherApp } from "./config.js";
import { pusherChannelName, socketIdSchema } from "./contract.js";

/**
 * Switchboard's own JWT mapping, for apps without an auth endpoint of their own: pusher-js
 * points `channelAuthorization` / `userAuthentication` here with the user's Switchboard token
 * as a bearer header, and Switchboard signs what the token allows. The mapping:
 * - staff (agents, admins) and the API key: every `private-` and `presence-` channel;
 * - anyone else: only their own channels, named after them: ending in `-{sub}` or `.{sub}`
 *   (`private-user-alice`, Laravel's `private-App.Models.User.alice`, `presence-room.alice`);
 * - `private-encrypted-` channels never (their shared secret needs the app's master key, which
 *   Switchboard does not hold);
 * - presence members and signed-in users are the token's `sub`, with `{name}` as their info.
 * Off unless the app turns `jwtAuth` on: another app's users must not get signatures for it.
 */
export function mayAuthorize(identity: Identity, channel: string): boolean {
  const kind = channelKind(channel);
  if (kind === "encrypted" || kind === "user" || kind === "public") return false;
  if (identity.server || isStaff(identity)) return true;
  return channel.endsWith(`-${identity.user}`) || channel.endsWith(`.${identity.user}`);
}

const form = z.object({ socket_id: socketIdSchema, channel_name: pusherChannelName });
const signinForm = z.object({ socket_id: socketIdSchema });
const params = z.object({ id: z.string().min(1).max(64) });

function appFor(apps: PusherApps, id: string): PusherApp {
  const app = apps.get(id);
  if (!app.enabled) throw new SwitchboardError("pusher_app_disabled", `app ${id} is disabled`);
  if (!app.jwtAuth)
    throw new SwitchboardError(
      "forbidden",
      `app ${id} does not authorize with Switchboard tokens (its jwtAuth option is off)`,
    );
  return app;
}

const userInfo = (identity: Identity) => ({
  ...(identity.name !== undefined && { name: identity.name }),
});

export function registerJwtAuthRoutes(http: FastifyInstance, apps: PusherApps, auth: AuthHooks) {
  void http.register(async (scope) => {
    // pusher-js's ajax transport posts a form; JSON is taken too.
    scope.addContentTypeParser(
      "application/x-www-form-urlencoded",
      { parseAs: "string" },
      (_request, body, done) => {
        const text = typeof body === "string" ? body : body.toString("utf8");
        done(null, Object.fromEntries(new URLSearchParams(text)));
      },
    );
    const r = scope.withTypeProvider<ZodTypeProvider>();
    const tags = ["pusher"];
    const security = [{ bearer: [] }];
    const errors = { ...errorResponses, 404: errorBodySchema };

    r.post(
      "/api/pusher/apps/:id/auth",
      {
        onRequest: auth.user,
        schema: {
          summary: "Sign a Pusher channel subscription for the holder of a Switchboard token",
          description:
            "pusher-js `channelAuthorization` endpoint (form or JSON `socket_id`, `channel_name`) for apps with `jwtAuth` on. Staff: any private or presence channel; others: channels ending in `-{sub}` or `.{sub}`; never encrypted ones. Presence members are the token's `sub` with `{name}`.",
          tags,
          security,
          params,
          body: form,
          response: {
            200: z.object({ auth: z.string(), channel_data: z.string().optional() }),
            ...errors,
          },
        },
      },
      async (request) => {
        const identity = callerOf(request);
        const app = appFor(apps, request.params.id);
        const { socket_id: socketId, channel_name: channel } = request.body;
        if (!mayAuthorize(identity, channel))
          throw new SwitchboardError("forbidden", `your token does not give you ${channel}`);
        if (channelKind(channel) !== "presence")
          return { auth: `${app.key}:${sign(app.secret, `${socketId}:${channel}`)}` };
        const channelData = JSON.stringify({
          user_id: identity.user,
          user_info: userInfo(identity),
        });
        return {
          auth: `${app.key}:${sign(app.secret, `${socketId}:${channel}:${channelData}`)}`,
          channel_data: channelData,
        };
      },
    );

    r.post(
      "/api/pusher/apps/:id/user-auth",
      {
        onRequest: auth.user,
        schema: {
          summary: "Sign a Pusher user sign-in for the holder of a Switchboard token",
          description:
            "pusher-js `userAuthentication` endpoint (form or JSON `socket_id`) for apps with `jwtAuth` on: the user is the token's `sub`, so `sendToUser(sub, …)` reaches them.",
          tags,
          security,
          params,
          body: signinForm,
          response: { 200: z.object({ auth: z.string(), user_data: z.string() }), ...errors },
        },
      },
      async (request) => {
        const identity = callerOf(request);
        const app = appFor(apps, request.params.id);
        if (identity.server)
          throw new SwitchboardError(
            "forbidden",
            "the API key is not a user: sign in with a token",
          );
        const userData = JSON.stringify({ id: identity.user, ...userInfo(identity) });
        const text = `${request.body.socket_id}::user::${userData}`;
        return { auth: `${app.key}:${sign(app.secret, text)}`, user_data: userData };
      },
    );
  });
}

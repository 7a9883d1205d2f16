import { isStaff } from "../../auth/identity.js";
import type { SwitchboardModule } from "../types.js";
import { registerPusherAppRoutes } from "./app-routes.js";
import { PusherApps } from "./apps.js";
import { channelKind } from "./auth.js";
import type { WebhookSink } from "./channels.js";
import { type PusherSettings, pusherConfig } from "./config.js";
import { type PusherErrorCodes, pusherErrors } from "./contract.js";
import { DeadNodeMembers } from "./departed.js";
import { PusherEndpoint } from "./endpoint.js";
import { registerJwtAuthRoutes } from "./jwt-auth.js";
import { pusherMigrations } from "./migrations.js";
import { PUSHER_NAMESPACE } from "./names.js";
import { registerPusherRoutes } from "./routes.js";
import { createPusherService } from "./service.js";
import { DeadNodeVacancies } from "./vacated.js";
import { PusherWebhooks } from "./webhooks.js";

export type { PusherAppView } from "./app-routes.js";
export type { PusherApp, PusherSettings } from "./config.js";
export { PusherCode, pusherChannel } from "./names.js";

declare module "../../errors.js" {
  interface ModuleErrorCodes extends PusherErrorCodes {}
}

/**
 * The Pusher Channels protocol beside Switchboard's own: pusher-js and Laravel Echo connect to
 * /app/{key}, the `pusher` server SDKs call /apps/{id}/…, and Pusher channel `name` of app `id`
 * is the Switchboard channel `pusher:{id}:{name}` that native clients can follow too.
 */
export const pusherModule: SwitchboardModule<PusherSettings> = {
  name: "pusher",
  migrations: pusherMigrations,
  errors: pusherErrors,
  config: pusherConfig,
  namespaces: [
    {
      // pusher:{appId}:{channel}: the Pusher protocol keeps no history; native clients read
      // public channels, staff also private and presence ones; staff and the server publish.
      name: PUSHER_NAMESPACE,
      history: { size: 0, ttlMs: 60_000 },
      presence: false,
      joinLeave: false,
      clientPublish: true,
      recoverable: false,
      signals: [],
      policy: ({ identity, rest, action }) => {
        if (identity.server) return true;
        const name = rest.slice(rest.indexOf(":") + 1);
        if (action === "subscribe" && channelKind(name) === "public") return true;
        return isStaff(identity) && action !== "presence";
      },
    },
  ],
  async register(ctx) {
    const apps = new PusherApps({
      db: ctx.db,
      broker: ctx.broker,
      settings: ctx.settings,
      logger: ctx.logger,
    });
    await apps.start();
    const webhooks = new PusherWebhooks({
      settings: ctx.settings,
      db: ctx.db,
      events: ctx.events,
      logger: ctx.logger,
      apps,
    });
    const webhook: WebhookSink = webhooks.add;
    const endpoint = new PusherEndpoint({
      settings: ctx.settings,
      limits: ctx.config.limits,
      broker: ctx.broker,
      logger: ctx.logger,
      webhook,
      apps,
    });
    await endpoint.start();
    await new DeadNodeVacancies({
      broker: ctx.broker,
      scheduler: ctx.scheduler,
      apps,
      db: ctx.db,
      logger: ctx.logger,
      emit: webhooks.emitIn,
    }).watch();
    const departures = new DeadNodeMembers({
      broker: ctx.broker,
      apps,
      db: ctx.db,
      logger: ctx.logger,
      emit: webhooks.emitIn,
    });
    await departures.watch();
    const service = createPusherService({ broker: ctx.broker, settings: ctx.settings, apps });
    registerPusherRoutes(ctx.http, service);
    registerPusherAppRoutes(ctx.http, apps, service, ctx.auth);
    registerJwtAuthRoutes(ctx.http, apps, ctx.auth);
    ctx.routeUpgrades("/app/", (req, socket, head) => endpoint.handleUpgrade(req, socket, head));
    ctx.http.addHook("preClose", async () => {
      apps.stop();
      await endpoint.shutdown(ctx.config.drainTimeoutMs);
      await webhooks.flush(); // what the last leaves caused (channel_vacated…) is kept
      await departures.flush();
    });
  },
};

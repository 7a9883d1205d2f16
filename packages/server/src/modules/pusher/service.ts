import type { Broker } from "../../broker/types.js";
import { SwitchboardError } from "../../errors.js";
import type { PusherApps } from "./apps.js";
import { channelKind, isCacheChannel } from "./auth.js";
import {
  CACHE_HISTORY,
  connectionsOf,
  countOf,
  fromPusher,
  indexOf,
  NO_HISTORY,
  occupancyOf,
} from "./channels.js";
import type { PusherApp, PusherSettings } from "./config.js";
import { pusherChannel } from "./names.js";

export interface TriggerEvent {
  channel: string;
  name: string;
  data: string;
  socket_id?: string | undefined;
}

export interface ChannelInfo {
  occupied: boolean;
  user_count?: number;
  subscription_count?: number;
}

/** Every node listens here: terminate_connections reaches every node through it. */
export const CONTROL_CHANNEL = "pusher.control";
export const TERMINATE_EVENT = "terminate_user";

/**
 * What the Pusher HTTP API does, over the broker (so it holds across nodes): trigger events,
 * read channel occupancy and presence, end a user's connections. No HTTP here.
 */
export function createPusherService(deps: {
  broker: Broker;
  settings: PusherSettings;
  apps: PusherApps;
}) {
  const { broker, settings, apps } = deps;

  /** The app an HTTP API request names: 404 unknown, 403 disabled. */
  function appOf(id: string): PusherApp {
    const app = apps.get(id);
    if (!app.enabled) throw new SwitchboardError("pusher_app_disabled", `app ${id} is disabled`);
    return app;
  }

  async function subscriptions(app: PusherApp, name: string): Promise<number> {
    return countOf(broker, occupancyOf(pusherChannel(app.id, name)));
  }

  async function info(app: PusherApp, name: string, wanted: Set<string>): Promise<ChannelInfo> {
    const count = await subscriptions(app, name);
    const result: ChannelInfo = { occupied: count > 0 };
    if (wanted.has("subscription_count")) result.subscription_count = count;
    if (wanted.has("user_count")) {
      if (channelKind(name) !== "presence")
        throw new SwitchboardError("bad_request", "user_count is only for presence channels");
      result.user_count = await broker.presenceCount(pusherChannel(app.id, name));
    }
    return result;
  }

  return {
    appOf,

    /** Publishes each event on its channel; every Pusher and native subscriber on any node hears it. */
    async trigger(app: PusherApp, events: TriggerEvent[]): Promise<void> {
      for (const e of events) {
        if (Buffer.byteLength(e.data) > settings.maxEventBytes)
          throw new SwitchboardError(
            "too_large",
            `event data is over ${settings.maxEventBytes} bytes`,
          );
      }
      await Promise.all(
        events.map((e) =>
          broker.publish(pusherChannel(app.id, e.channel), {
            event: e.name,
            data: e.data,
            history: isCacheChannel(e.channel) ? CACHE_HISTORY : NO_HISTORY,
            ...(e.socket_id && { from: fromPusher(e.socket_id) }),
          }),
        ),
      );
    },

    info,

    /** Channels with subscribers anywhere in the cluster, optionally by prefix. */
    async channels(
      app: PusherApp,
      prefix: string | undefined,
      wanted: Set<string>,
    ): Promise<Record<string, { user_count?: number }>> {
      if (wanted.has("user_count") && !prefix?.startsWith("presence-"))
        throw new SwitchboardError(
          "bad_request",
          "info=user_count needs filter_by_prefix=presence-",
        );
      const names = (await broker.presence(indexOf(app)))
        .map((m) => m.user)
        .filter((n) => channelKind(n) !== "user")
        .filter((n) => prefix === undefined || n.startsWith(prefix))
        .sort();
      const out: Record<string, { user_count?: number }> = {};
      for (const name of names) {
        out[name] = wanted.has("user_count")
          ? { user_count: await broker.presenceCount(pusherChannel(app.id, name)) }
          : {};
      }
      return out;
    },

    async users(app: PusherApp, name: string): Promise<{ id: string }[]> {
      if (channelKind(name) !== "presence")
        throw new SwitchboardError("bad_request", "users are listed for presence channels only");
      const members = await broker.presence(pusherChannel(app.id, name));
      return members.map((m) => ({ id: m.user }));
    },

    /** Closes every connection the user signed in on, on every node. */
    async terminate(app: PusherApp, userId: string): Promise<void> {
      await broker.broadcast({
        kind: "signal",
        channel: CONTROL_CHANNEL,
        event: TERMINATE_EVENT,
        data: { app: app.id, user: userId },
        ts: Date.now(),
      });
    },

    /** Live figures of an app for the management screen: connections and occupied channels. */
    async stats(app: PusherApp): Promise<{ connections: number; channels: number }> {
      const [connections, channels] = await Promise.all([
        countOf(broker, connectionsOf(app)),
        broker.presenceCount(indexOf(app)),
      ]);
      return { connections, channels };
    },
  };
}

export type PusherService = ReturnType<typeof createPusherService>;

import { randomBytes } from "node:crypto";
import type { Member, PresenceMember } from "@switchboard/protocol";
import type { Logger } from "pino";
import { ulid } from "ulid";
import type { Broker, BrokerEvent, HistoryOptions } from "../../broker/types.js";
import { textFrame } from "../../gateway/wire.js";
import { channelKind, isCacheChannel } from "./auth.js";
import type { PusherApp } from "./config.js";
import type { WebhookEvent } from "./contract.js";
import { pusherChannel } from "./names.js";
import type { HeldChannel, PusherSocket } from "./socket.js";

/** This node's sockets on one Switchboard channel, with the Pusher name they know it by. */
interface LocalChannel {
  app: PusherApp;
  name: string;
  sockets: Map<PusherSocket, HeldChannel>;
  ready: Promise<void>;
}

/** Where presence and occupancy changes go as webhooks. */
export type WebhookSink = (app: PusherApp, event: WebhookEvent) => void;

/** Cache channels keep their last event for this long (Pusher: 30 minutes). */
export const CACHE_HISTORY: HistoryOptions = { size: 1, ttlMs: 30 * 60 * 1000 };
/** Other Pusher channels keep nothing (the Pusher protocol has no history). */
export const NO_HISTORY: HistoryOptions = { size: 0, ttlMs: 60 * 1000 };

/**
 * Every subscription of every Pusher socket is one connection of one member ("s") on this
 * presence set: the broker says atomically, across nodes, when the first subscriber came
 * (channel_occupied) and when the last one left (channel_vacated), and counts subscriptions.
 */
export const occupancyOf = (channel: string) => `pusher.subs/${channel}`;
const SUBSCRIBER: Member = { user: "s", role: "customer" };
/** Each node with subscribers of a channel is one connection of member `{name}` here. */
export const indexOf = (app: PusherApp) => `pusher.index/${app.id}`;
/** Every open connection of an app, cluster-wide (its quota and the screen's live count). */
export const connectionsOf = (app: PusherApp) => `pusher.conns/${app.id}`;
export const CONNECTION: Member = { user: "c", role: "customer" };

/**
 * Every presence subscription of an app, cluster-wide, as one entry of member `[channel, user]`:
 * member_added / member_removed webhooks are decided on this set, never on the channel's own
 * presence (whose leaves come both from sockets and from reaps). Nothing but a reap of a dead
 * node announces a leave here, so every node hears which members died with their node
 * (departed.ts); the entry's `name` is a nonce naming that one subscription, the key under
 * which one survivor records the webhook once.
 */
export const membersOf = (appId: string) => `pusher.members/${appId}`;
/** The member of `membersOf` for one user on one presence channel. */
export const listedMember = (name: string, userId: string, nonce: string): Member => ({
  user: JSON.stringify([name, userId]),
  role: "customer",
  name: nonce,
});
/** The channel and user of a `membersOf` member (undefined: not one of ours). */
export function listedOf(member: Member): { name: string; userId: string } | undefined {
  try {
    const v: unknown = JSON.parse(member.user);
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === "string" && typeof v[1] === "string")
      return { name: v[0], userId: v[1] };
  } catch {
    // not a member this module wrote
  }
  return undefined;
}
/** A subscription's entry on `membersOf`: a socket may hold many presence channels. */
const listedId = (socketId: string, name: string) => `${socketId}:${name}`;

/** Connections on a presence set whose every entry is the same member (occupancy, quota). */
export async function countOf(broker: Broker, set: string): Promise<number> {
  const members = await broker.presence(set);
  return members.reduce((n, m) => n + m.connections, 0);
}

/** What Pusher sends subscribers when a channel's subscription count changes. */
export const SUBSCRIPTION_COUNT_EVENT = "pusher_internal:subscription_count";
/** Changes within this window go out as one count (a reconnect storm is not a count storm). */
const COUNT_DEBOUNCE_MS = 200;

/** The data string of a Pusher frame: strings go as they are, anything else as JSON. */
export function wireData(data: unknown): unknown {
  return data === undefined ? "" : data;
}

/** A presence member as the broker keeps it: the Pusher user id, and its user_info as JSON. */
export function presenceMember(userId: string, userInfo: unknown): Member {
  return {
    user: userId,
    role: "customer",
    ...(userInfo !== undefined && { name: JSON.stringify(userInfo) }),
  };
}

export function userInfoOf(member: Pick<Member, "name">): unknown {
  if (member.name === undefined) return undefined;
  try {
    return JSON.parse(member.name);
  } catch {
    return undefined;
  }
}

/** The presence block of subscription_succeeded. */
export function presenceData(members: PresenceMember[]): {
  presence: { ids: string[]; hash: Record<string, unknown>; count: number };
} {
  const hash: Record<string, unknown> = {};
  for (const m of members) hash[m.user] = userInfoOf(m) ?? null;
  return { presence: { ids: members.map((m) => m.user), hash, count: members.length } };
}

/**
 * Who sent a publication or client event, carried in its `from.user` so every node can leave out
 * the sender (`socket_id` exclusion) and name the presence user: `pusher:{socket}[:{user}]`.
 */
export function fromPusher(socketId: string, userId?: string): { user: string } {
  return { user: userId === undefined ? `pusher:${socketId}` : `pusher:${socketId}:${userId}` };
}

function senderOf(from: { user: string } | undefined): { socket?: string; user?: string } {
  if (!from?.user.startsWith("pusher:")) return {};
  const rest = from.user.slice(7);
  const colon = rest.indexOf(":");
  return colon < 0
    ? { socket: rest }
    : { socket: rest.slice(0, colon), user: rest.slice(colon + 1) };
}

/**
 * This node's Pusher subscriptions: which sockets hold which channel, presence and occupancy in
 * the broker (so they hold across nodes), and turning broker events into Pusher frames.
 */
export class PusherChannels {
  readonly local = new Map<string, LocalChannel>();
  /** Channels whose subscription count is due to be announced. */
  private readonly counting = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly broker: Broker,
    private readonly webhook: WebhookSink,
    private readonly logger: Logger,
  ) {}

  /** Joins `socket` to a channel; the presence member is given for presence channels. */
  async subscribe(socket: PusherSocket, name: string, member?: Member): Promise<void> {
    const app = socket.app;
    const channel = pusherChannel(app.id, name);
    const held: HeldChannel = { name, channel, ready: false };
    if (member) held.userId = member.user;
    socket.channels.set(name, held);
    const local = this.attach(app, name, channel);
    local.sockets.set(socket, held);
    try {
      await local.ready;
      const occupancy = await this.broker.presenceAdd(occupancyOf(channel), socket.id, SUBSCRIBER);
      held.occupied = true;
      const userChannel = channelKind(name) === "user";
      if (occupancy.joined && !userChannel)
        this.webhook(app, { name: "channel_occupied", channel: name });
      let data: unknown = {};
      if (member) {
        const change = await this.broker.presenceAdd(channel, socket.id, member);
        held.present = true;
        if (change.joined) await this.broker.broadcast({ kind: "join", channel, member });
        const listed = await this.broker.presenceAdd(
          membersOf(app.id),
          listedId(socket.id, name),
          listedMember(name, member.user, randomBytes(12).toString("base64url")),
        );
        held.listed = true;
        if (listed.joined)
          this.webhook(app, { name: "member_added", channel: name, user_id: member.user });
        data = presenceData(await this.broker.presence(channel));
      }
      if (socket.channels.get(name) !== held) return;
      socket.send({ event: "pusher_internal:subscription_succeeded", channel: name, data });
      held.ready = true;
      this.countChanged(app, name, channel);
      if (isCacheChannel(name)) await this.sendCached(socket, held);
    } catch (error) {
      await this.unsubscribe(socket, name).catch(() => {});
      throw error;
    }
  }

  private async sendCached(socket: PusherSocket, held: HeldChannel): Promise<void> {
    const h = await this.broker.history(held.channel, { limit: 1 }, CACHE_HISTORY);
    const last = h.publications.at(-1);
    if (last) {
      socket.send({ event: last.event, channel: held.name, data: wireData(last.data) });
    } else {
      socket.send({ event: "pusher:cache_miss", channel: held.name });
      this.webhook(socket.app, { name: "cache_miss", channel: held.name });
    }
  }

  private attach(app: PusherApp, name: string, channel: string): LocalChannel {
    const local = this.local.get(channel);
    if (local) return local;
    const created: LocalChannel = {
      app,
      name,
      sockets: new Map(),
      ready: this.broker
        .subscribe(channel)
        .then(() =>
          this.broker.presenceAdd(indexOf(app), `${this.broker.nodeId}/${name}`, {
            user: name,
            role: "customer",
            // names this hold: a reap announces it, and vacated.ts sends one webhook per hold
            name: ulid(),
          }),
        )
        .then(() => undefined),
    };
    created.ready.catch(() => {
      if (this.local.get(channel) === created) this.local.delete(channel);
    });
    this.local.set(channel, created);
    return created;
  }

  /** Leaves a channel: presence and occupancy are given back, webhooks sent when they end. */
  async unsubscribe(socket: PusherSocket, name: string): Promise<void> {
    const held = socket.channels.get(name);
    if (!held) return;
    socket.channels.delete(name);
    held.ready = false;
    const app = socket.app;
    const local = this.local.get(held.channel);
    if (local?.sockets.get(socket) === held) {
      local.sockets.delete(socket);
      if (local.sockets.size === 0) {
        this.local.delete(held.channel);
        await this.broker.presenceRemove(indexOf(app), `${this.broker.nodeId}/${name}`);
        await this.broker.unsubscribe(held.channel);
      }
    }
    if (held.present) {
      const change = await this.broker.presenceRemove(held.channel, socket.id);
      if (change.left && change.member)
        await this.broker.broadcast({
          kind: "leave",
          channel: held.channel,
          member: change.member,
        });
    }
    if (held.listed) {
      const change = await this.broker.presenceRemove(membersOf(app.id), listedId(socket.id, name));
      if (change.left && held.userId !== undefined)
        this.webhook(app, { name: "member_removed", channel: name, user_id: held.userId });
    }
    if (held.occupied) {
      const change = await this.broker.presenceRemove(occupancyOf(held.channel), socket.id);
      if (change.left && channelKind(name) !== "user")
        this.webhook(app, { name: "channel_vacated", channel: name });
      else this.countChanged(app, name, held.channel);
    }
  }

  /**
   * With the app's subscription counting on, the channel's subscribers on every node hear its
   * new count (`pusher:subscription_count` in pusher-js): read from the cluster-wide occupancy
   * a moment after the change, so a burst of joins is one event. Presence and user channels
   * have their own member events.
   */
  private countChanged(app: PusherApp, name: string, channel: string): void {
    const kind = channelKind(name);
    if (!app.subscriptionCount || kind === "presence" || kind === "user") return;
    if (this.counting.has(channel)) return;
    const timer = setTimeout(() => {
      this.counting.delete(channel);
      void countOf(this.broker, occupancyOf(channel))
        .then((count) =>
          count === 0
            ? undefined
            : this.broker.broadcast({
                kind: "signal",
                channel,
                event: SUBSCRIPTION_COUNT_EVENT,
                data: { subscription_count: count },
                ts: Date.now(),
              }),
        )
        .catch((err) => this.logger.warn({ err, channel }, "subscription count not announced"));
    }, COUNT_DEBOUNCE_MS);
    timer.unref();
    this.counting.set(channel, timer);
  }

  /** Stops pending count announcements (shutdown). */
  stop(): void {
    for (const timer of this.counting.values()) clearTimeout(timer);
    this.counting.clear();
  }

  /** Leaves every channel (the socket closed). */
  async leaveAll(socket: PusherSocket): Promise<void> {
    for (const name of [...socket.channels.keys()]) {
      await this.unsubscribe(socket, name).catch((err) =>
        this.logger.warn({ err, channel: name }, "pusher cleanup after close failed"),
      );
    }
  }

  /** One broker event → one frame, written to every ready local socket but the sender. */
  onBrokerEvent(event: BrokerEvent): number {
    const local = this.local.get(event.channel);
    // resync and revoke are for the gateway's own subscriptions.
    if (!local || event.kind === "resync" || event.kind === "revoke") return 0;
    let frame: Buffer;
    let skipSocket: string | undefined;
    let skipUser: string | undefined;
    if (event.kind === "publication" || event.kind === "signal") {
      const { event: name, data, from } = event.kind === "publication" ? event.publication : event;
      const sender = senderOf(from);
      skipSocket = sender.socket;
      frame = textFrame(
        Buffer.from(
          JSON.stringify({
            event: name,
            channel: local.name,
            data: wireData(data),
            ...(sender.user !== undefined && { user_id: sender.user }),
          }),
        ),
      );
    } else {
      if (channelKind(local.name) !== "presence") return 0;
      skipUser = event.member.user;
      const data =
        event.kind === "join"
          ? { user_id: event.member.user, user_info: userInfoOf(event.member) ?? null }
          : { user_id: event.member.user };
      frame = textFrame(
        Buffer.from(
          JSON.stringify({
            event:
              event.kind === "join"
                ? "pusher_internal:member_added"
                : "pusher_internal:member_removed",
            channel: local.name,
            data: JSON.stringify(data),
          }),
        ),
      );
    }
    let written = 0;
    for (const [socket, held] of local.sockets) {
      if (!held.ready || socket.id === skipSocket) continue;
      if (skipUser !== undefined && held.userId === skipUser) continue;
      if (socket.write(frame)) written++;
    }
    return written;
  }
}

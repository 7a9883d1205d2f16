import {
  type Member,
  type Publication,
  type SubscribeFrame,
  UnsubscribeReason,
} from "@switchboard/protocol";
import type { Logger } from "pino";
import type { Identity } from "../auth/identity.js";
import type { Broker, BrokerEvent } from "../broker/types.js";
import type { Config } from "../config.js";
import { SwitchboardError } from "../errors.js";
import type { Metrics } from "../metrics.js";
import { countNewChannel } from "./commands.js";
import { fanOut, flushPending, type LocalChannel } from "./fanout.js";
import type { Namespaces } from "./namespaces.js";
import { PresenceCounts } from "./presence_count.js";
import type { Session, Subscription } from "./session.js";

export interface SubscriptionDeps {
  config: Config;
  broker: Broker;
  namespaces: Namespaces;
  metrics: Metrics;
  logger: Logger;
}

/**
 * This node's channel subscriptions: which sessions hold which channel, the subscribe handshake
 * (attach, read history, reply, flush what arrived meanwhile), presence, and what the broker
 * delivers.
 */
export class ChannelSubscriptions {
  readonly channels = new Map<string, LocalChannel>();
  private readonly config: Config;
  private readonly broker: Broker;
  private readonly namespaces: Namespaces;
  private readonly metrics: Metrics;
  private readonly logger: Logger;
  private readonly counts: PresenceCounts;

  constructor(deps: SubscriptionDeps) {
    this.config = deps.config;
    this.broker = deps.broker;
    this.namespaces = deps.namespaces;
    this.metrics = deps.metrics;
    this.logger = deps.logger.child({ component: "subscriptions" });
    this.counts = new PresenceCounts(this.broker, this.logger);
  }

  /** Stops the pending presence-count announcements (shutdown). */
  close(): void {
    this.counts.close();
  }

  async subscribe(session: Session, frame: SubscribeFrame): Promise<void> {
    const identity = identityOf(session);
    const { channel } = frame;
    if (session.subscriptions.has(channel))
      throw new SwitchboardError("conflict", `already subscribed to ${channel}`);
    if (session.subscriptions.size >= this.config.limits.maxSubscriptions) {
      throw new SwitchboardError(
        "too_large",
        `subscription limit (${this.config.limits.maxSubscriptions}) reached`,
      );
    }
    countNewChannel(session, channel, Date.now());
    const { namespace } = await this.namespaces.authorize(identity, channel, "subscribe");
    const options = namespace.options;
    const sub: Subscription = {
      channel,
      namespace,
      epoch: "",
      offset: 0,
      ready: false,
      pending: [],
      present: false,
      ...(frame.presence === true && { tracksPresence: true as const }),
    };
    session.subscriptions.set(channel, sub);
    this.metrics.subscriptions++;
    const local = this.attach(channel, session, sub);
    try {
      await local.ready;
      let recovered = false;
      let publications: Publication[] = [];
      let position: { epoch: string; offset: number };
      if (frame.recover && options.recoverable) {
        const h = await this.broker.history(
          channel,
          {
            since: frame.recover,
            limit: Math.max(options.history.size, 1),
            maxBytes: this.config.limits.maxHistoryReplyBytes,
          },
          options.history,
        );
        position = h;
        const last = h.publications.at(-1)?.offset ?? frame.recover.offset;
        // A backlog past the reply's byte cap is not replayed here: the client learns of the gap
        // and reloads (or pages through `history`).
        if (h.complete && !h.more && last === h.offset) {
          recovered = true;
          publications = h.publications;
        }
      } else {
        position = await this.broker.position(channel);
      }
      if (session.subscriptions.get(channel) !== sub) return; // unsubscribed or closed meanwhile
      sub.epoch = position.epoch;
      sub.offset = position.offset;
      if (options.presence && frame.presence !== false) {
        const member: Member = {
          user: identity.user,
          role: identity.role,
          ...(identity.name !== undefined && { name: identity.name }),
        };
        const change = await this.broker.presenceAdd(channel, session.connectionId, member);
        sub.present = true;
        if (change.joined && options.joinLeave)
          await this.broker.broadcast({ kind: "join", channel, member });
        if (change.joined) this.counts.changed(channel, options);
      }
      session.send({
        type: "subscribed",
        id: frame.id,
        channel,
        epoch: position.epoch,
        offset: position.offset,
        recovered,
        publications,
      });
      flushPending(session, sub, (s, b, reason) => this.breakSubscription(s, b, reason));
    } catch (error) {
      if (session.subscriptions.get(channel) === sub)
        await this.unsubscribe(session, channel).catch(() => {});
      throw error;
    }
  }

  private attach(channel: string, session: Session, sub: Subscription): LocalChannel {
    let local = this.channels.get(channel);
    if (!local) {
      const created: LocalChannel = {
        name: channel,
        members: new Map(),
        ready: this.broker.subscribe(channel),
      };
      created.ready.catch(() => {
        if (this.channels.get(channel) === created) this.channels.delete(channel);
      });
      this.channels.set(channel, created);
      this.metrics.channels = this.channels.size;
      local = created;
    }
    local.members.set(session, sub);
    return local;
  }

  async unsubscribe(session: Session, channel: string): Promise<void> {
    const sub = session.subscriptions.get(channel);
    if (!sub) return;
    session.subscriptions.delete(channel);
    this.metrics.subscriptions--;
    const local = this.channels.get(channel);
    if (local?.members.get(session) === sub) {
      local.members.delete(session);
      if (local.members.size === 0) {
        this.channels.delete(channel);
        this.metrics.channels = this.channels.size;
        await this.broker.unsubscribe(channel);
      }
    }
    if (sub.present) {
      const change = await this.broker.presenceRemove(channel, session.connectionId);
      if (change.left && change.member && sub.namespace.options.joinLeave) {
        await this.broker.broadcast({ kind: "leave", channel, member: change.member });
      }
      if (change.left) this.counts.changed(channel, sub.namespace.options);
    }
  }

  async revalidate(session: Session): Promise<void> {
    const identity = identityOf(session);
    for (const channel of [...session.subscriptions.keys()]) {
      try {
        await this.namespaces.authorize(identity, channel, "subscribe");
      } catch {
        const sub = session.subscriptions.get(channel);
        if (sub) this.breakSubscription(session, sub, UnsubscribeReason.Revoked);
      }
    }
  }

  /**
   * Re-checks every local subscriber of a channel whose access changed; those the policy now
   * refuses are unsubscribed (`revoked`) before anything else published on it reaches them.
   */
  private async recheck(local: LocalChannel): Promise<void> {
    const held = [...local.members].filter(([session]) => session.identity);
    // Hold live publications while the policy answers (it may query the database): a message
    // sent right after the change must not reach someone who just lost access.
    const paused = held.filter(([, sub]) => sub.ready);
    for (const [, sub] of paused) {
      sub.ready = false;
      sub.pending = [];
    }
    for (const [session, sub] of held) {
      const identity = identityOf(session);
      let allowed = true;
      try {
        // Reading rights (what `history` needs): a participant cap on subscribing does not
        // apply to those already in.
        await this.namespaces.authorize(identity, local.name, "history");
      } catch {
        allowed = false;
      }
      if (!allowed) this.breakSubscription(session, sub, UnsubscribeReason.Revoked);
      else if (paused.some(([, p]) => p === sub))
        flushPending(session, sub, (s, b, reason) => this.breakSubscription(s, b, reason));
    }
  }

  /** Ends one subscription from the server side and tells the client why. */
  breakSubscription(session: Session, sub: Subscription, reason: string): void {
    if (session.subscriptions.get(sub.channel) !== sub) return;
    session.send({
      type: "unsubscribed",
      channel: sub.channel,
      code: reason,
      reason:
        reason === UnsubscribeReason.Revoked
          ? "permission revoked"
          : "stream interrupted; resubscribe to recover",
    });
    void this.unsubscribe(session, sub.channel).catch((err) =>
      this.logger.warn({ err }, "unsubscribe failed"),
    );
  }

  onBrokerEvent(event: BrokerEvent): void {
    const local = this.channels.get(event.channel);
    if (!local) return;
    if (event.kind === "resync") {
      void this.resync(local);
      return;
    }
    if (event.kind === "revoke") {
      void this.recheck(local).catch((err) =>
        this.logger.warn({ err, channel: local.name }, "re-checking subscribers failed"),
      );
      return;
    }
    if ((event.kind === "join" || event.kind === "leave") && !this.sendsJoinLeave(event.channel))
      return;
    fanOut(local, event, this.metrics, (s, sub, reason) => this.breakSubscription(s, sub, reason));
  }

  private sendsJoinLeave(channel: string): boolean {
    try {
      return this.namespaces.resolve(channel).namespace.options.joinLeave;
    } catch {
      return false;
    }
  }

  /** After the broker link was re-established: subscriptions behind the stream must recover. */
  private async resync(local: LocalChannel): Promise<void> {
    let position: { epoch: string; offset: number } | undefined;
    // The pub/sub link may come back before the command link: retry for a while.
    for (let attempt = 0; !position && attempt < 50; attempt++) {
      try {
        position = await this.broker.position(local.name);
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    if (!position || this.channels.get(local.name) !== local) {
      if (!position)
        this.logger.warn(
          { channel: local.name },
          "resync gave up; the next publication will check continuity",
        );
      return;
    }
    for (const [session, sub] of local.members) {
      const behind =
        sub.offset === 0
          ? position.offset > 0
          : sub.epoch !== position.epoch || sub.offset < position.offset;
      if (sub.ready && behind) {
        this.breakSubscription(session, sub, UnsubscribeReason.Resubscribe);
      }
    }
  }

  /** Active channels on this node with their local subscriber counts. */
  channelStats(): { channel: string; subscribers: number }[] {
    return [...this.channels.values()].map((c) => ({
      channel: c.name,
      subscribers: c.members.size,
    }));
  }
}

/** The session's caller: commands run only after `connect` authenticated it (never undefined). */
function identityOf(session: Session): Identity {
  if (!session.identity) throw new SwitchboardError("unauthorized", "connect first");
  return session.identity;
}

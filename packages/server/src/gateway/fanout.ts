import { UnsubscribeReason } from "@switchboard/protocol";
import type { BrokerEvent } from "../broker/types.js";
import type { Metrics } from "../metrics.js";
import { PRESENCE_COUNT_EVENT } from "./presence_count.js";
import type { Session, Subscription } from "./session.js";
import { OutFrame } from "./wire.js";

/** The sessions of this node subscribed to one channel. */
export interface LocalChannel {
  readonly name: string;
  readonly members: Map<Session, Subscription>;
  /** Resolves once the broker delivers this channel's events to this node. */
  ready: Promise<void>;
}

/**
 * Turns one broker event into one serialized frame and writes that same frame to every
 * local subscriber, in offset order, with no duplicate within a subscription.
 */
export function fanOut(
  channel: LocalChannel,
  event: BrokerEvent,
  metrics: Metrics,
  onBroken: (session: Session, sub: Subscription, reason: string) => void,
): void {
  if (event.kind === "resync" || event.kind === "revoke") return;
  if (event.kind === "publication") {
    const { epoch, publication: p } = event;
    const frame = OutFrame.json({
      type: "message",
      channel: event.channel,
      event: p.event,
      data: p.data,
      offset: p.offset,
      epoch,
      ts: p.ts,
      ...(p.from && { from: p.from }),
    });
    let written = 0;
    for (const [session, sub] of channel.members) {
      if (!sub.ready) {
        sub.pending.push({ epoch, offset: p.offset, frame });
        continue;
      }
      if (sub.epoch === epoch && p.offset <= sub.offset) continue; // already sent (recovery overlap)
      if (!follows(sub, epoch, p.offset)) {
        // The stream was lost or this node missed publications: let the client recover from history.
        onBroken(session, sub, UnsubscribeReason.Resubscribe);
        continue;
      }
      sub.epoch = epoch;
      sub.offset = p.offset;
      if (session.write(frame)) written++;
    }
    metrics.deliveries += written;
    metrics.count(metrics.framesOut, "message", written);
    metrics.publishToWrite.observe(Math.max(0, Date.now() - p.ts) / 1000);
    return;
  }
  const frame = OutFrame.json(
    event.kind === "signal"
      ? {
          type: "message",
          channel: event.channel,
          event: event.event,
          data: event.data,
          ts: event.ts,
          ...(event.from && { from: event.from }),
        }
      : { type: event.kind, channel: event.channel, member: event.member },
  );
  const type = event.kind === "signal" ? "message" : event.kind;
  // a presence count goes only to subscriptions that track presence
  const countsOnly = event.kind === "signal" && event.event === PRESENCE_COUNT_EVENT;
  let written = 0;
  for (const [session, sub] of channel.members) {
    if (countsOnly && !sub.tracksPresence) continue;
    if (sub.ready && session.write(frame)) written++;
  }
  metrics.count(metrics.framesOut, type, written);
}

/**
 * Whether a publication comes next for a subscription: the following offset of its epoch, or
 * the first publication of any epoch after offset 0 (a stream is created by its first publish,
 * so a subscriber of an empty channel was given an epoch of the moment).
 */
export function follows(sub: Subscription, epoch: string, offset: number): boolean {
  if (sub.offset === 0) return offset === 1;
  return sub.epoch === epoch && offset === sub.offset + 1;
}

const NONE_PENDING: Subscription["pending"] = [];

/** Sends a subscription's buffered publications once its subscribe reply is out. */
export function flushPending(
  session: Session,
  sub: Subscription,
  onBroken: (session: Session, sub: Subscription, reason: string) => void,
): void {
  const pending = sub.pending;
  sub.pending = NONE_PENDING; // shared: a ready subscription never buffers again
  sub.ready = true;
  for (const p of pending) {
    if (p.epoch === sub.epoch && p.offset <= sub.offset) continue;
    if (!follows(sub, p.epoch, p.offset)) {
      onBroken(session, sub, UnsubscribeReason.Resubscribe);
      return;
    }
    sub.epoch = p.epoch;
    sub.offset = p.offset;
    session.write(p.frame);
  }
}

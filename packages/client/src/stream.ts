import type {
  MessageFrame,
  Publication,
  StreamPosition,
  SubscribedFrame,
} from "@switchboard/protocol";
import type { SwitchboardError } from "./errors.js";
import type { ChannelMessage } from "./subscription_types.js";

export type LiveVerdict =
  /** Next in order: deliver it. */
  | "deliver"
  /** Ephemeral signal (no offset): deliver, position unchanged. */
  | "ephemeral"
  /** Already delivered (offset ≤ last): drop. */
  | "duplicate"
  /** Offsets skipped or the epoch changed: resubscribe with recovery to find out what was lost. */
  | "resync";

/** Where a subscription stands in its channel's stream, and whether a live message fits. */
export function judgeLive(position: StreamPosition | undefined, frame: MessageFrame): LiveVerdict {
  if (frame.offset === undefined) return "ephemeral";
  if (!position) return "deliver";
  // Offset 0 has seen nothing: the first publication of any epoch follows it (a channel's stream
  // is created by its first publish, after we were given an epoch of the moment).
  if (position.offset === 0) return frame.offset === 1 ? "deliver" : "resync";
  if (frame.epoch !== undefined && frame.epoch !== position.epoch) return "resync";
  if (frame.offset <= position.offset) return "duplicate";
  if (frame.offset > position.offset + 1) return "resync";
  return "deliver";
}

export type SubscribeOutcome =
  | { kind: "fresh"; position: StreamPosition }
  | { kind: "recovered"; position: StreamPosition; publications: Publication[] }
  | { kind: "gap"; position: StreamPosition; previous: StreamPosition };

/** What a `subscribed` reply means, given the position we asked to recover from (if any). */
export function interpretSubscribed(
  reply: SubscribedFrame,
  recover: StreamPosition | undefined,
): SubscribeOutcome {
  const current = { epoch: reply.epoch, offset: reply.offset };
  if (!recover) return { kind: "fresh", position: current };
  if (!reply.recovered) return { kind: "gap", position: current, previous: recover };
  // Defensive: a reply must never make us deliver something twice or out of order.
  let last = recover.offset;
  const publications: Publication[] = [];
  for (const publication of reply.publications) {
    if (publication.offset > last) {
      publications.push(publication);
      last = publication.offset;
    }
  }
  return {
    kind: "recovered",
    position: { epoch: reply.epoch, offset: Math.max(last, reply.offset) },
    publications,
  };
}

export function toMessage(frame: MessageFrame): ChannelMessage {
  return {
    channel: frame.channel,
    event: frame.event,
    data: frame.data,
    ts: frame.ts,
    ...(frame.offset !== undefined && { offset: frame.offset }),
    ...(frame.epoch !== undefined && { epoch: frame.epoch }),
    ...(frame.from !== undefined && { from: frame.from }),
  };
}

/** Error codes after which subscribing again cannot succeed without a change. */
const FINAL_CODES = new Set(["forbidden", "not_found", "bad_request", "unauthorized", "too_large"]);

/**
 * What a failed subscribe means: `wait` for the next connection (it was lost, or the client
 * closed), give up for good (`final`), or `retry` shortly (unavailable, internal, timeout,
 * conflict, rate limited).
 */
export function subscribeErrorAction(error: SwitchboardError): "wait" | "final" | "retry" {
  const reason = (error.details as { reason?: unknown } | undefined)?.reason;
  if (reason === "connection_lost" || reason === "closed" || reason === "not_connected") {
    return "wait";
  }
  return FINAL_CODES.has(error.code) ? "final" : "retry";
}

import type { Broker } from "../broker/types.js";
import type { NamespaceOptions } from "./namespaces.js";

/** The event of the count-only presence signal (protocol.md, "Presence"). */
export const PRESENCE_COUNT_EVENT = "presence_count";

/**
 * A namespace whose members are for staff only (`presenceMembers: "staff"`, no join/leave
 * frames) still lets everyone see its count move: after a member joins or leaves, every
 * subscriber gets a `presence_count` message `{count}` (a signal: not stored, cluster-wide).
 * Without it a shopper's "N people viewing" would stay at what it was when they arrived.
 */
export async function announcePresenceCount(
  broker: Broker,
  channel: string,
  options: Pick<NamespaceOptions, "presence" | "joinLeave" | "presenceMembers">,
): Promise<void> {
  if (!options.presence || options.joinLeave || options.presenceMembers !== "staff") return;
  const count = await broker.presenceCount(channel);
  await broker.broadcast({
    kind: "signal",
    channel,
    event: PRESENCE_COUNT_EVENT,
    data: { count },
    ts: Date.now(),
  });
}

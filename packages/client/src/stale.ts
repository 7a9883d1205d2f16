import type { ChannelMessage } from "./subscription_types.js";

/** What a versioned message is about, and its version; undefined: not versioned, always kept. */
export type VersionOf = (message: ChannelMessage) => { key: string; version: number } | undefined;

/**
 * The default reading of a versioned message (orders' `status`, inventory's `stock` and `levels`,
 * a notification's `unread`…): `data.version` a number; the entity is `data.id`, `data.sku`,
 * `data.orderId` or, failing those, the channel and event.
 */
export const defaultVersionOf: VersionOf = (message) => {
  const data = message.data as Record<string, unknown> | null;
  if (!data || typeof data !== "object" || typeof data.version !== "number") return undefined;
  const id = data.id ?? data.sku ?? data.orderId;
  const entity = typeof id === "string" || typeof id === "number" ? String(id) : "";
  return { key: `${message.channel}\u0000${message.event}\u0000${entity}`, version: data.version };
};

/**
 * Drops stale versions: the server may publish one entity's changes out of order after a partial
 * outage (two nodes each publishing what they committed), and the protocol's rule is that a
 * versioned payload at or below the version already applied is stale and must be ignored.
 * Wrap a message handler with it:
 *
 *   sub.on("message", dropStale((m) => render(m.data)));
 *
 * Messages without a numeric `data.version` pass through.
 */
export function dropStale<M extends ChannelMessage>(
  handler: (message: M) => void,
  versionOf: VersionOf = defaultVersionOf,
): (message: M) => void {
  const latest = new Map<string, number>();
  return (message) => {
    const v = versionOf(message);
    if (v) {
      const seen = latest.get(v.key);
      if (seen !== undefined && v.version <= seen) return;
      latest.set(v.key, v.version);
    }
    handler(message);
  };
}

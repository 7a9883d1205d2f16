/** Channel names are `namespace:rest`, 1–255 chars of `[A-Za-z0-9_\-=@.:]`. */
export const CHANNEL_PATTERN = /^[A-Za-z0-9_\-=@.]+:[A-Za-z0-9_\-=@.:]+$/;
export const MAX_CHANNEL_LENGTH = 255;

export interface ChannelName {
  namespace: string;
  /** Everything after the first `:` (e.g. the product id of `product:42`). */
  rest: string;
}

export function isValidChannel(name: string): boolean {
  return name.length <= MAX_CHANNEL_LENGTH && CHANNEL_PATTERN.test(name);
}

export function parseChannel(name: string): ChannelName | null {
  if (!isValidChannel(name)) return null;
  const colon = name.indexOf(":");
  return { namespace: name.slice(0, colon), rest: name.slice(colon + 1) };
}

/** A capability pattern is an exact channel name, or a prefix ending in `*`. */
export function channelMatches(pattern: string, channel: string): boolean {
  if (pattern.endsWith("*")) return channel.startsWith(pattern.slice(0, -1));
  return pattern === channel;
}

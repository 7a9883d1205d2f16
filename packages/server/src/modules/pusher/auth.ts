import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { PusherApp } from "./config.js";

/** HMAC-SHA256 of `text` with the app secret, lower-case hex (every Pusher signature). */
export function sign(secret: string, text: string): string {
  return createHmac("sha256", secret).update(text).digest("hex");
}

export function md5(body: string | Buffer): string {
  return createHash("md5").update(body).digest("hex");
}

/** Compares in constant time (for equal lengths; a length mismatch says nothing of the secret). */
export function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Checks a channel auth string `key:signature` as the app's auth endpoint makes it: the HMAC of
 * `socket_id:channel` (private) or `socket_id:channel:channel_data` (presence).
 */
export function verifyChannelAuth(
  app: PusherApp,
  auth: string | undefined,
  socketId: string,
  channel: string,
  channelData?: string,
): boolean {
  if (!auth) return false;
  const colon = auth.indexOf(":");
  if (colon < 0 || auth.slice(0, colon) !== app.key) return false;
  const text =
    channelData === undefined ? `${socketId}:${channel}` : `${socketId}:${channel}:${channelData}`;
  return sameText(auth.slice(colon + 1), sign(app.secret, text));
}

/** Checks a user sign-in: the HMAC of `socket_id::user::user_data`. */
export function verifyUserAuth(
  app: PusherApp,
  auth: string,
  socketId: string,
  userData: string,
): boolean {
  const colon = auth.indexOf(":");
  if (colon < 0 || auth.slice(0, colon) !== app.key) return false;
  return sameText(auth.slice(colon + 1), sign(app.secret, `${socketId}::user::${userData}`));
}

export type ChannelKind = "public" | "private" | "encrypted" | "presence" | "user";

/** Where `sendToUser` events go: only the socket signed in as that user may subscribe. */
export const USER_CHANNEL_PREFIX = "#server-to-user-";

/** What a Pusher channel's prefix makes it. */
export function channelKind(name: string): ChannelKind {
  if (name.startsWith(USER_CHANNEL_PREFIX)) return "user";
  if (name.startsWith("private-encrypted-")) return "encrypted";
  if (name.startsWith("private-")) return "private";
  if (name.startsWith("presence-")) return "presence";
  return "public";
}

/** Cache channels (`cache-`, `private-cache-`, `presence-cache-`…) keep their last event. */
export function isCacheChannel(name: string): boolean {
  return /^(?:private-(?:encrypted-)?|presence-)?cache-/.test(name);
}

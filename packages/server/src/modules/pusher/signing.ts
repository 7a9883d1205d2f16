import { md5, sameText, sign } from "./auth.js";
import type { PusherApp } from "./config.js";

/** How far a request's auth_timestamp may be from the server's clock (Pusher: 600 s). */
export const TIMESTAMP_WINDOW_SECONDS = 600;

export interface SignedRequest {
  method: string;
  /** The path as sent, without the query: `/apps/{id}/events`. */
  path: string;
  /** The decoded query parameters (a repeated parameter is refused before this). */
  query: Readonly<Record<string, string>>;
  /** The body as received ("" for none). */
  body: string;
}

/**
 * Checks a Pusher HTTP API request signature: `auth_key` is the app's key, `auth_timestamp`
 * within the window, `auth_version` 1.0, `body_md5` the body's (when there is a body), and
 * `auth_signature` the HMAC-SHA256 of `METHOD\npath\nsorted query` (every parameter but the
 * signature, `key=value` joined by `&`, keys in byte order). Comparisons of secrets' outputs are
 * in constant time. Returns the problem, or undefined when the request is signed.
 */
export function verifySignedRequest(
  app: PusherApp,
  request: SignedRequest,
  nowSeconds = Date.now() / 1000,
): string | undefined {
  const q = request.query;
  if (q.auth_key !== app.key) return "auth_key is not this app's key";
  const timestamp = Number(q.auth_timestamp);
  if (!q.auth_timestamp || !Number.isInteger(timestamp)) return "auth_timestamp is missing";
  if (Math.abs(nowSeconds - timestamp) > TIMESTAMP_WINDOW_SECONDS)
    return `auth_timestamp is more than ${TIMESTAMP_WINDOW_SECONDS} s from the server's clock`;
  if (q.auth_version !== "1.0") return "auth_version must be 1.0";
  if (request.body.length > 0 && !sameText(q.body_md5 ?? "", md5(request.body)))
    return "body_md5 does not match the body";
  const signature = q.auth_signature;
  if (!signature) return "auth_signature is missing";
  const text = Object.keys(q)
    .filter((k) => k !== "auth_signature")
    .sort()
    .map((k) => `${k.toLowerCase()}=${q[k]}`)
    .join("&");
  const expected = sign(app.secret, `${request.method.toUpperCase()}\n${request.path}\n${text}`);
  return sameText(signature, expected) ? undefined : "auth_signature does not verify";
}

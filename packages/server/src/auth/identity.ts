import type { Role, TokenClaims } from "@switchboard/protocol";

/** Who is on the other end of a socket or an HTTP request. */
export interface Identity {
  user: string;
  role: Role;
  name?: string;
  /** Token expiry, seconds since epoch. */
  exp?: number;
  caps?: TokenClaims["caps"];
  vip?: boolean;
  value?: number;
  /** True for a server-to-server caller (API key): every policy allows it. */
  server?: boolean;
  /**
   * True only when the API key itself was presented. `server` is also set on an admin token
   * acting on a server route, so it cannot tell the two apart (idempotency scopes, rate limits).
   */
  apiKey?: boolean;
}

export const SERVER_IDENTITY: Identity = { user: "server", role: "admin", server: true };

export function isStaff(identity: Identity): boolean {
  return identity.role === "agent" || identity.role === "admin";
}

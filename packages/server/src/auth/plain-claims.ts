import { ROLES, type TokenClaims } from "@switchboard/protocol";

/** A UTF-16 surrogate without its pair (tokenClaimsSchema refuses one in `sub`). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Claims other than ours that a plain token carries: JWT's own, checked (or ignored) elsewhere. */
const JWT_CLAIMS: ReadonlySet<string> = new Set(["iat", "nbf", "iss", "aud", "jti"]);

/**
 * The claims of a plain token — `sub`, maybe `role` and `exp`, JWT's registered claims, nothing
 * else — read without zod: in a connect storm every token is new, and the schema's parse was a
 * measurable part of each connect. Returns what tokenClaimsSchema would return for such a
 * payload, or undefined for anything else (a name, caps, module claims, any value the schema
 * might refuse or change), which the schema then parses as before.
 */
export function plainClaims(payload: Record<string, unknown>): TokenClaims | undefined {
  const { sub, role, exp } = payload;
  if (typeof sub !== "string" || sub.length < 1 || sub.length > 255) return undefined;
  for (const key in payload)
    if (key !== "sub" && key !== "role" && key !== "exp" && !JWT_CLAIMS.has(key)) return undefined;
  if (role !== undefined && !(ROLES as readonly unknown[]).includes(role)) return undefined;
  if (exp !== undefined && !(typeof exp === "number" && Number.isSafeInteger(exp) && exp > 0))
    return undefined;
  if (LONE_SURROGATE.test(sub)) return undefined;
  return {
    sub,
    role: (role as TokenClaims["role"] | undefined) ?? "customer",
    ...(exp !== undefined && { exp }),
  };
}

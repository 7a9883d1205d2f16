import { z } from "zod";
import { channelMatches } from "./channel.js";

/**
 * A UTF-16 surrogate without its pair. JSON.stringify writes one as a `\ud800` escape that
 * strict decoders (Redis's Lua cjson) refuse, so identities that end up in stored JSON must not
 * carry one.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATE_G = new RegExp(LONE_SURROGATE.source, "g");

export const ROLES = ["customer", "agent", "admin"] as const;
export type Role = (typeof ROLES)[number];

export const CAPABILITIES = ["subscribe", "publish", "presence", "history"] as const;
export type Capability = (typeof CAPABILITIES)[number];

/**
 * Claims the transport reads from a connection or REST token. Modules declare claims of their
 * own (chat's `vip`, `value`); any other claim is ignored.
 */
export const tokenClaimsSchema = z.object({
  sub: z
    .string()
    .min(1)
    .max(255)
    .refine((s) => !LONE_SURROGATE.test(s), "must be well-formed text (no lone surrogate)"),
  role: z.enum(ROLES).default("customer"),
  // A display name is repaired rather than refused: a lone surrogate becomes U+FFFD.
  name: z
    .string()
    .max(255)
    .transform((s) => s.replace(LONE_SURROGATE_G, "\uFFFD"))
    .optional(),
  exp: z.number().int().positive().optional(),
  caps: z.record(z.string().min(1).max(256), z.array(z.enum(CAPABILITIES))).optional(),
});

/** Names the transport reads or JWT reserves: a module may not declare a claim by these names. */
export const RESERVED_CLAIMS = [
  "sub",
  "role",
  "name",
  "exp",
  "caps",
  "iat",
  "nbf",
  "iss",
  "aud",
  "jti",
];

export type TokenClaims = z.infer<typeof tokenClaimsSchema>;

/** Whether the token's `caps` claim grants `cap` on `channel` (false when there is no such claim). */
export function capsGrant(
  caps: TokenClaims["caps"] | undefined,
  channel: string,
  cap: Capability,
): boolean {
  if (!caps) return false;
  for (const [pattern, granted] of Object.entries(caps)) {
    if (granted.includes(cap) && channelMatches(pattern, channel)) return true;
  }
  return false;
}

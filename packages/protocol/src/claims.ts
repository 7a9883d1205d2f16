import { z } from "zod";
import { channelMatches } from "./channel.js";

export const ROLES = ["customer", "agent", "admin"] as const;
export type Role = (typeof ROLES)[number];

export const CAPABILITIES = ["subscribe", "publish", "presence", "history"] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** Claims Switchboard reads from a connection or REST token. Unknown claims are kept, not used. */
export const tokenClaimsSchema = z.object({
  sub: z.string().min(1).max(255),
  role: z.enum(ROLES).default("customer"),
  name: z.string().max(255).optional(),
  exp: z.number().int().positive().optional(),
  caps: z.record(z.string().min(1).max(256), z.array(z.enum(CAPABILITIES))).optional(),
  /** Support chat routing: a VIP customer is served first. Only your backend can set it (it signs the token). */
  vip: z.boolean().optional(),
  /** Support chat routing: the customer's value to the business (e.g. lifetime spend); higher is served sooner. */
  value: z.number().nonnegative().max(1e12).optional(),
});

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

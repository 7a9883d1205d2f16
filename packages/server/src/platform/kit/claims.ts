import type { z } from "zod";
import type { Identity } from "../../auth/identity.js";
import { SwitchboardError } from "../../errors.js";

/**
 * The claims a module declared, read from an identity. They were validated with the token (the
 * module's `claims` schema is part of the token check), so this only types them; an identity
 * with none (the API key) reads as no claims.
 */
export function claimsOf<T extends z.ZodObject>(schema: T, identity: Identity): z.output<T> {
  const parsed = schema.safeParse(identity.claims ?? {});
  if (!parsed.success) throw new SwitchboardError("unauthorized", "token claims are invalid");
  return parsed.data;
}

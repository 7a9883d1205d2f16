import type { JWTPayload } from "jose";
import type { JwtConfig } from "../config-security.js";
import { SwitchboardError } from "../errors.js";

/** The claim at a dotted path (`app_metadata.role`), or undefined. */
function at(payload: JWTPayload, path: string): unknown {
  let value: unknown = payload;
  for (const part of path.split(".")) {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/**
 * Rewrites an identity provider's claims into ours before they are validated: the role read from
 * `roleClaim` and translated by `roleMap`, the name read from `nameClaim`. Without a map the role
 * must already be one of ours (absent: customer). With one, a role the map does not list is
 * refused, so a provider's own roles ("anon", "service_role") never pass by accident.
 */
export function mapClaims(
  payload: JWTPayload,
  mapping: Pick<JwtConfig, "roleClaim" | "roleMap" | "nameClaim">,
): Record<string, unknown> {
  // Our own claim names and no map (the usual case, and every token of a connect storm): the
  // payload is already in our shape, unless its name needs the rules below. It is a fresh object
  // from JSON.parse that nobody else holds, so it is returned as is instead of copied twice.
  if (mapping.roleClaim === "role" && mapping.nameClaim === "name" && !mapping.roleMap) {
    const name = payload.name;
    if (name === undefined || (typeof name === "string" && name !== "" && name.length <= 255))
      return payload;
  }
  const { role: _role, name: _name, ...rest } = payload;
  const role = at(payload, mapping.roleClaim);
  const name = at(payload, mapping.nameClaim);
  let mapped: unknown = role;
  if (mapping.roleMap && role !== undefined) {
    mapped = typeof role === "string" ? mapping.roleMap[role] : undefined;
    if (mapped === undefined) {
      throw new SwitchboardError(
        "unauthorized",
        `token role ${JSON.stringify(role).slice(0, 64)} is not mapped (SWITCHBOARD_JWT_ROLE_MAP)`,
      );
    }
  }
  return {
    ...rest,
    ...(mapped !== undefined && { role: mapped }),
    ...(typeof name === "string" && name !== "" && { name: name.slice(0, 255) }),
  };
}

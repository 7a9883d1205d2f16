import { type Identity, isStaff } from "../../auth/identity.js";

/** The one clock of the modules: an ISO-8601 UTC timestamp (what every table stores). */
export const now = (): string => new Date().toISOString();

/** Who a change is recorded as: the user, or "server" for the API key. */
export function whoOf(identity: Identity): string {
  return identity.server ? "server" : identity.user;
}

/** Agents, admins and the API key: the callers that act for the business, not for themselves. */
export function isStaffOrServer(identity: Identity): boolean {
  return identity.server === true || isStaff(identity);
}

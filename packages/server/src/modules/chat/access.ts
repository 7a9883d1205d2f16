import { type Identity, isStaff } from "../../auth/identity.js";
import { SwitchboardError } from "../../errors.js";
import type { ChatConversationRow } from "./migrations.js";

/** Supervisors: admins and the API key see every conversation. */
export function isSupervisor(identity: Identity): boolean {
  return identity.server === true || identity.role === "admin";
}

/** Its customer, its assigned agent, and supervisors — no one else. */
export function isParticipant(identity: Identity, conversation: ChatConversationRow): boolean {
  if (isSupervisor(identity)) return true;
  if (conversation.customer_id === identity.user) return true;
  return isStaff(identity) && conversation.agent_id === identity.user;
}

export function assertParticipant(identity: Identity, conversation: ChatConversationRow): void {
  if (!isParticipant(identity, conversation)) {
    throw new SwitchboardError("forbidden", "you are not a participant of this conversation");
  }
}

/** How a participant appears as a message author. */
export function authorRole(
  identity: Identity,
  conversation: ChatConversationRow,
): "customer" | "agent" {
  return conversation.customer_id === identity.user && !identity.server ? "customer" : "agent";
}

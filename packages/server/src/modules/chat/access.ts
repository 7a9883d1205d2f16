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

/**
 * Who may follow `conversation:{id}` live: its customer and supervisors always; an agent only
 * while it is assigned to them and open. An agent who transferred it, was requeued, or whose
 * conversation was resolved keeps the transcript over REST but stops receiving it live.
 */
export function mayFollowLive(identity: Identity, conversation: ChatConversationRow): boolean {
  if (isSupervisor(identity) || conversation.customer_id === identity.user) return true;
  return (
    isStaff(identity) &&
    conversation.agent_id === identity.user &&
    conversation.status !== "resolved" &&
    conversation.status !== "archived"
  );
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

import { conversationChannel } from "./contract.js";
import type { ChatDeps } from "./deps.js";

/**
 * Tells every node that who may read a conversation changed (transferred, requeued, resolved):
 * each re-checks its subscribers of `conversation:{id}` against the policy and drops those who
 * lost access. Sent after the change is committed and announced, so the status event reaches
 * everyone first. A failure is logged, not thrown: the change itself stands.
 */
export async function revokeConversationAccess(deps: ChatDeps, id: string): Promise<void> {
  try {
    await deps.broker.broadcast({ kind: "revoke", channel: conversationChannel(id) });
  } catch (err) {
    deps.logger.warn({ err, conversation: id }, "could not announce the access change");
  }
}

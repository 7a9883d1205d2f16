import type {
  AssignedEvent,
  StatusEvent,
  TransferredEvent,
} from "@switchboard/server/contracts/chat";
import type { ChatLine } from "./useConversation.js";

/**
 * The "Ann joined the chat" / "transferred" / "back in the queue" lines of a conversation, rebuilt
 * from its channel's retained history (a page opened after they happened, or reloaded, shows them
 * too), with the agents' names the `assigned` events carry. Transfer lines keep the
 * `transferred:from:to` form that useConversation names once names are known.
 */
export function linesFromHistory(publications: readonly { event: string; data: unknown }[]): {
  lines: ChatLine[];
  names: Map<string, string>;
} {
  const lines: ChatLine[] = [];
  const names = new Map<string, string>();
  for (const p of publications) {
    if (p.event === "assigned") {
      const a = p.data as AssignedEvent;
      names.set(a.agentId, a.agentName);
      lines.push({ at: a.at, text: `${a.agentName} joined the chat` });
    } else if (p.event === "transferred") {
      const t = p.data as TransferredEvent;
      lines.push({ at: t.at, text: `transferred:${t.from}:${t.to}` });
    } else if (p.event === "status" && (p.data as StatusEvent).requeued) {
      lines.push({
        at: (p.data as StatusEvent).at,
        text: "Back in the queue: the next free agent will take over",
      });
    }
  }
  return { lines, names };
}

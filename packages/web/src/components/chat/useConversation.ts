import { useChannel, usePresence, useSwitchboard } from "@switchboard/react";
import type {
  AssignedEvent,
  ChatMessage,
  Conversation,
  StatusEvent,
  TransferredEvent,
} from "@switchboard/server/contracts/chat";
import {
  BOT_DELTA_SIGNAL,
  BOT_USER,
  CONVERSATION_SIGNALS,
  conversationChannel,
} from "@switchboard/server/names/chat";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { api } from "../../app/api.js";
import { useResync } from "../../app/live.js";
import { useSession } from "../../app/session.js";
import { linesFromHistory } from "./historyLines.js";

export interface LiveConversation {
  conversation?: Conversation;
  messages: ChatMessage[];
  /** The bot's answer while it streams, keyed by message id. */
  streaming: Map<string, string>;
  queue?: { position: number; waiting: number };
  /** What happened around the messages: who joined, transfers, requeues (as they happen). */
  lines: ChatLine[];
  /** People's names by user id: the customer's, agents' (from events and presence). */
  names: Map<string, string>;
  /** Whether the assigned agent has the conversation open somewhere right now. */
  agentHere: boolean;
  reload: () => Promise<void>;
}

/** A line between messages ("Ann joined"), placed by time. */
export interface ChatLine {
  at: string;
  text: string;
}

/**
 * A conversation kept live: snapshot + history over REST, then `conversation:{id}` events.
 * Messages are keyed by seq, so a recovered or repeated event never shows twice; a gap reloads.
 */
export function useConversation(id: string | undefined): LiveConversation {
  const session = useSession();
  const token = session?.token ?? null;
  const [conversation, setConversation] = useState<Conversation>();
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [streaming, setStreaming] = useState(new Map<string, string>());
  const [queue, setQueue] = useState<{ position: number; waiting: number }>();
  const [lines, setLines] = useState<ChatLine[]>([]);
  const [agentNames, setAgentNames] = useState(new Map<string, string>());
  const presence = usePresence(id ? conversationChannel(id) : "");
  const client = useSwitchboard();
  const latest = useRef(id);
  latest.current = id;

  const reload = useCallback(async () => {
    if (!id) return;
    const [c, m] = await Promise.all([
      api<Conversation>(token, "GET", `/api/chat/conversations/${id}`),
      api<{ items: ChatMessage[] }>(
        token,
        "GET",
        `/api/chat/conversations/${id}/messages?limit=200`,
      ),
    ]);
    if (latest.current !== id) return;
    setConversation(c);
    // keep any message that arrived live while the page was being fetched
    setMessages((shown) => {
      const bySeq = new Map(m.items.map((x) => [x.seq, x]));
      for (const x of shown) if (!bySeq.has(x.seq)) bySeq.set(x.seq, x);
      return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
    });
    if (c.queuePosition) setQueue({ position: c.queuePosition, waiting: c.queuePosition });
    // joined / transferred / requeued lines that happened before this page was open
    const h = await client.history(conversationChannel(id), { limit: 500 }).catch(() => undefined);
    if (!h || latest.current !== id) return;
    const rebuilt = linesFromHistory(h.publications);
    setLines(rebuilt.lines);
    setAgentNames((n) => new Map([...rebuilt.names, ...n]));
  }, [id, token, client]);

  const { subscription } = useChannel(
    id ? conversationChannel(id) : "",
    (m) => {
      const data = m.data as Record<string, unknown>;
      // Without an offset a frame is a signal, which any participant may send: only the bot's
      // streamed text is one. Messages, receipts, queue and status come from the stream.
      if (m.offset === undefined && m.event !== BOT_DELTA_SIGNAL) return;
      if (m.event === BOT_DELTA_SIGNAL && m.from?.user !== BOT_USER) return;
      switch (m.event) {
        case "message": {
          const msg = data as unknown as ChatMessage;
          setMessages((all) =>
            all.some((x) => x.seq === msg.seq) ? all : [...all, msg].sort((a, b) => a.seq - b.seq),
          );
          setConversation((c) => (c && msg.seq > c.lastSeq ? { ...c, lastSeq: msg.seq } : c));
          setStreaming((s) => {
            if (!s.has(msg.id)) return s;
            const next = new Map(s);
            next.delete(msg.id);
            return next;
          });
          break;
        }
        case "bot_delta": {
          const { messageId, delta } = data as { messageId: string; delta: string };
          setStreaming((s) => new Map(s).set(messageId, (s.get(messageId) ?? "") + delta));
          break;
        }
        case "queue":
          setQueue(data as { position: number; waiting: number });
          break;
        case "delivered":
        case "read": {
          const { userId, upTo } = data as { userId: string; upTo: number };
          setConversation((c) => {
            if (!c) return c;
            const others = c.receipts.filter((r) => r.userId !== userId);
            const mine = c.receipts.find((r) => r.userId === userId) ?? {
              userId,
              deliveredSeq: 0,
              readSeq: 0,
            };
            const next = {
              ...mine,
              deliveredSeq: Math.max(mine.deliveredSeq, upTo),
              readSeq: m.event === "read" ? Math.max(mine.readSeq, upTo) : mine.readSeq,
            };
            return { ...c, receipts: [...others, next] };
          });
          break;
        }
        case "assigned": {
          const a = data as unknown as AssignedEvent;
          setAgentNames((n) => new Map(n).set(a.agentId, a.agentName));
          setLines((l) => [...l, { at: a.at, text: `${a.agentName} joined the chat` }]);
          void reload().catch(() => undefined);
          break;
        }
        case "transferred": {
          const t = data as unknown as TransferredEvent;
          setLines((l) => [...l, { at: t.at, text: `transferred:${t.from}:${t.to}` }]);
          void reload().catch(() => undefined);
          break;
        }
        case "status": {
          const st = data as unknown as StatusEvent;
          if (st.requeued)
            setLines((l) => [
              ...l,
              { at: st.at, text: "Back in the queue: the next free agent will take over" },
            ]);
          void reload().catch(() => undefined);
          break;
        }
      }
    },
    { signals: CONVERSATION_SIGNALS },
  );

  useEffect(() => {
    setConversation(undefined);
    setMessages([]);
    setQueue(undefined);
    setLines([]);
    void reload().catch(() => undefined);
  }, [reload]);
  useResync(subscription, () => reload().catch(() => undefined));

  const names = useMemo(() => {
    const n = new Map(agentNames);
    for (const m of presence.members) if (m.name) n.set(m.user, m.name);
    if (conversation?.customerName) n.set(conversation.customerId, conversation.customerName);
    return n;
  }, [agentNames, presence.members, conversation?.customerId, conversation?.customerName]);
  const agentHere =
    !!conversation?.agentId && presence.members.some((m) => m.user === conversation.agentId);
  // "transferred:from:to" lines are written once names are known
  const shownLines = lines.map((l) => {
    if (!l.text.startsWith("transferred:")) return l;
    const [, from = "", to = ""] = l.text.split(":");
    return {
      at: l.at,
      text: `${names.get(from) ?? "An agent"} transferred the chat to ${names.get(to) ?? "a colleague"}`,
    };
  });

  return { conversation, messages, streaming, queue, lines: shownLines, names, agentHere, reload };
}

import { useChannel } from "@switchboard/react";
import type { Unread } from "@switchboard/server/contracts/chat";
import { CHAT_UNREAD_EVENT } from "@switchboard/server/names/chat";
import { useCallback, useRef, useState } from "react";
import { api } from "../../app/api.js";
import { useResync } from "../../app/live.js";
import { useSession } from "../../app/session.js";

/**
 * The signed-in user's unread chat messages, kept live by `chat_unread` on user:{sub}. The
 * server numbers its snapshots: one that arrives after a newer one (two tabs reading at once,
 * two nodes) is dropped, so the badge never steps back to a stale count.
 */
export function useChatUnread(): { total: number; of: (id: string) => number } {
  const session = useSession();
  const token = session?.token ?? null;
  const [unread, setUnread] = useState<Unread>({ total: 0, conversations: {}, version: -1 });
  const version = useRef(-1);
  const take = useCallback((u: Unread) => {
    if (u.version < version.current) return;
    version.current = u.version;
    setUnread(u);
  }, []);
  const load = useCallback(async () => {
    if (!token) return;
    take(await api<Unread>(token, "GET", "/api/chat/unread"));
  }, [token, take]);
  const { subscription } = useChannel(session ? `user:${session.user}` : null, (m) => {
    if (m.event === CHAT_UNREAD_EVENT) take(m.data as Unread);
  });
  useResync(subscription, load);
  return {
    total: unread.total,
    of: (id: string) => unread.conversations[id] ?? 0,
  };
}

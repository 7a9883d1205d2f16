import type { Conversation } from "@switchboard/server/contracts/chat";
import { useEffect, useState } from "react";
import { api, errorText } from "../../app/api.js";
import { useSession } from "../../app/session.js";
import { useErrorState } from "../../app/useErrorState.js";
import { initials } from "../../components/chat/ConversationView.js";
import { type MessagePreview, previewText } from "../../components/chat/usePreviews.js";
import { formatTime } from "../../components/time.js";

type PastItem = Conversation & { lastMessage?: MessagePreview };

/** Searches wait this long after the last keystroke. */
const DEBOUNCE_MS = 250;

/**
 * Every closed chat of the shop, not only the agent's own: searched on the server by customer,
 * subject and what was said, newest first, a page at a time.
 */
export function PastChats({
  search,
  selected,
  onOpen,
}: {
  search: string;
  selected: string | undefined;
  onOpen: (id: string) => void;
}) {
  const session = useSession();
  const token = session?.token ?? null;
  const [items, setItems] = useState<PastItem[]>();
  const [cursor, setCursor] = useState<string>();
  const [error, setError] = useErrorState<string>();
  useEffect(() => {
    let live = true;
    const timer = setTimeout(() => {
      const q = search.trim() ? `&q=${encodeURIComponent(search.trim().slice(0, 100))}` : "";
      void api<{ items: PastItem[]; nextCursor?: string }>(
        token,
        "GET",
        `/api/chat/history?limit=30${q}`,
      ).then(
        (r) => {
          if (!live) return;
          setItems(r.items);
          setCursor(r.nextCursor);
          setError(undefined);
        },
        (e) => live && setError(errorText(e)),
      );
    }, DEBOUNCE_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [token, search]);
  const more = async () => {
    if (!cursor) return;
    const q = search.trim() ? `&q=${encodeURIComponent(search.trim().slice(0, 100))}` : "";
    try {
      const r = await api<{ items: PastItem[]; nextCursor?: string }>(
        token,
        "GET",
        `/api/chat/history?limit=30&cursor=${encodeURIComponent(cursor)}${q}`,
      );
      setItems((list) => [...(list ?? []), ...r.items]);
      setCursor(r.nextCursor);
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <ul className="list" aria-label="Past conversations">
        {!items && <li className="skeleton-line" aria-hidden="true" />}
        {items?.length === 0 && (
          <li className="muted small">{search ? "No past chat matches." : "No past chats yet."}</li>
        )}
        {items?.map((c) => {
          const name = c.customerName ?? c.customerId;
          return (
            <li key={c.id}>
              <button
                type="button"
                className={`list-item conversation-row ${selected === c.id ? "selected" : ""}`}
                aria-current={selected === c.id ? "true" : undefined}
                onClick={() => onOpen(c.id)}
                data-conversation={c.id}
              >
                <span className="avatar" aria-hidden="true">
                  {initials(name)}
                </span>
                <span className="row-text">
                  <span className="row-top">
                    <strong>{name}</strong>
                    <span className="muted small">{formatTime(c.resolvedAt ?? c.updatedAt)}</span>
                  </span>
                  <span className="muted small preview" data-testid="preview">
                    {c.lastMessage
                      ? previewText(c.lastMessage, session?.user, name)
                      : (c.subject ?? "No subject")}
                  </span>
                  <span className="muted small">
                    {c.subject ?? "No subject"}
                    {c.agentId && ` · ${c.agentId === session?.user ? "you" : c.agentId}`}
                  </span>
                </span>
              </button>
            </li>
          );
        })}
      </ul>
      {cursor && (
        <button type="button" className="secondary" onClick={() => void more()}>
          Older chats
        </button>
      )}
    </>
  );
}

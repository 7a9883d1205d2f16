import type { ChatMessage, Conversation } from "@switchboard/server/contracts/chat";
import { useEffect, useState } from "react";
import { api, errorText } from "../../app/api.js";
import { useSession } from "../../app/session.js";
import { useErrorState } from "../../app/useErrorState.js";
import { initials } from "../../components/chat/ConversationView.js";
import { type ChatNote, PrivateNotes } from "../../components/chat/PrivateNotes.js";
import { formatTime } from "../../components/time.js";

interface Transcript {
  conversation: Conversation;
  messages: ChatMessage[];
  notes: ChatNote[];
}

/**
 * A closed chat, whoever handled it, read-only: the transcript as the customer saw it and the
 * team's private notes (which may still be added to).
 */
export function PastChat({ id, onClose }: { id: string; onClose: () => void }) {
  const session = useSession();
  const token = session?.token ?? null;
  const [t, setT] = useState<Transcript>();
  const [error, setError] = useErrorState<string>();
  useEffect(() => {
    let live = true;
    void api<Transcript>(token, "GET", `/api/chat/history/${encodeURIComponent(id)}`).then(
      (r) => live && setT(r),
      (e) => live && setError(errorText(e, { notFound: "This chat no longer exists." })),
    );
    return () => {
      live = false;
    };
  }, [token, id]);
  const c = t?.conversation;
  const customer = c ? (c.customerName ?? c.customerId) : "";
  return (
    <div className="card inbox-conversation past-chat">
      <header className="conversation-head">
        <div className="who-line">
          <button type="button" className="ghost icon back" onClick={onClose}>
            <span aria-hidden="true">←</span>
            <span className="sr-only">Back to the list</span>
          </button>
          <span className="avatar big" aria-hidden="true">
            {initials(customer || "?")}
          </span>
          <div>
            <strong data-testid="conversation-customer">{customer || "Loading…"}</strong>
            <div className="muted small">
              {c?.subject ?? "No subject"} · {c?.status}
              {c?.agentId && ` · handled by ${c.agentId === session?.user ? "you" : c.agentId}`}
              {c?.resolvedAt && ` · ${formatTime(c.resolvedAt)}`}
              {c?.rating && ` · rated ${c.rating}/5`}
            </div>
          </div>
        </div>
      </header>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {!t && !error && <div className="skeleton-line" aria-hidden="true" />}
      {t && (
        <>
          <ol className="messages" aria-label="Messages">
            {t.messages.length === 0 && <li className="muted small">No messages.</li>}
            {t.messages.map((m) => {
              const who =
                m.author.role === "customer"
                  ? customer
                  : m.author.role === "bot"
                    ? "Assistant"
                    : m.author.id === session?.user
                      ? "You"
                      : m.author.id;
              return (
                <li key={m.seq} className={`msg theirs ${m.author.role}`}>
                  <span className="msg-author">{who}</span>
                  {m.text && <p>{m.text}</p>}
                  {m.attachment && <p className="muted small">Attachment: {m.attachment.name}</p>}
                  <span className="msg-meta">{formatTime(m.createdAt)}</span>
                </li>
              );
            })}
          </ol>
          <PrivateNotes conversationId={id} initial={t.notes} />
        </>
      )}
    </div>
  );
}

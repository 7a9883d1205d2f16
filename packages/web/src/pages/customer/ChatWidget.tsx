import type { Conversation } from "@switchboard/server/contracts/chat";
import { type FormEvent, useEffect, useState } from "react";
import { api, errorText } from "../../app/api.js";
import { useSession } from "../../app/session.js";
import { ConversationView } from "../../components/chat/ConversationView.js";
import { useConversation } from "../../components/chat/useConversation.js";

const KEY = "switchboard.chat";

/** The support chat, bottom-right on every customer page. */
export function ChatWidget() {
  const session = useSession();
  const token = session?.token ?? null;
  const [open, setOpen] = useState(false);
  const [id, setId] = useState<string | undefined>(
    () => localStorage.getItem(`${KEY}.${session?.user}`) ?? undefined,
  );
  const live = useConversation(id);
  const [subject, setSubject] = useState("");
  const [error, setError] = useState<string>();
  const status = live.conversation?.status;

  useEffect(() => {
    if (id) localStorage.setItem(`${KEY}.${session?.user}`, id);
    else localStorage.removeItem(`${KEY}.${session?.user}`);
  }, [id, session?.user]);

  const start = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const c = await api<Conversation>(token, "POST", "/api/chat/conversations", {
        ...(subject && { subject }),
        metadata: { source: "web-widget", url: location.pathname, language: navigator.language },
      });
      setId(c.id);
      setError(undefined);
    } catch (err) {
      setError(errorText(err));
    }
  };
  const resolve = async (rating?: number) => {
    if (!id) return;
    await api(
      token,
      "POST",
      `/api/chat/conversations/${id}/resolve`,
      rating ? { rating } : {},
    ).catch(() => undefined);
    await live.reload();
  };

  return (
    <aside className={`chat-widget ${open ? "open" : ""}`} aria-label="Support chat">
      {open && (
        <div className="chat-panel" role="dialog" aria-label="Chat with the shop">
          <header className="chat-head">
            <div>
              <strong>Fixit support</strong>
              <div className="small" data-testid="chat-status">
                {status === "waiting" &&
                  (live.queue
                    ? `You are number ${live.queue.position} in line`
                    : "Waiting for an agent")}
                {status === "active" && `Chatting with ${live.conversation?.agentId}`}
                {status === "resolved" && "Resolved — thank you!"}
                {!status && "We usually answer within minutes"}
              </div>
            </div>
            <button
              type="button"
              className="ghost icon"
              aria-label="Close chat"
              onClick={() => setOpen(false)}
            >
              ×
            </button>
          </header>
          {!id || !live.conversation || status === "archived" ? (
            <form className="chat-start stack" onSubmit={(e) => void start(e)}>
              <label>
                What can we help with?
                <input
                  value={subject}
                  onChange={(e) => setSubject(e.target.value)}
                  maxLength={200}
                  placeholder="e.g. my repair, an order"
                />
              </label>
              <button type="submit" className="primary">
                Start chat
              </button>
              {error && (
                <p className="error" role="alert">
                  {error}
                </p>
              )}
            </form>
          ) : (
            <>
              <ConversationView live={live} />
              {status === "resolved" ? (
                <div className="chat-foot">
                  {live.conversation.rating ? (
                    <span className="muted">You rated {live.conversation.rating}/5</span>
                  ) : (
                    <fieldset className="bare">
                      <legend className="sr-only">Rate this chat</legend>
                      Rate:{" "}
                      {[1, 2, 3, 4, 5].map((n) => (
                        <button
                          key={n}
                          type="button"
                          className="ghost"
                          onClick={() => void resolve(n)}
                          aria-label={`${n} out of 5`}
                        >
                          ☆
                        </button>
                      ))}
                    </fieldset>
                  )}
                  <button type="button" className="secondary" onClick={() => setId(undefined)}>
                    New chat
                  </button>
                </div>
              ) : (
                <div className="chat-foot">
                  <button type="button" className="ghost" onClick={() => void resolve()}>
                    End chat
                  </button>
                </div>
              )}
            </>
          )}
        </div>
      )}
      <button
        type="button"
        className="chat-launcher primary"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
      >
        {open ? (
          "Close"
        ) : (
          <>
            <svg width="18" height="18" viewBox="0 0 24 24" aria-hidden="true" className="icon-svg">
              <path
                d="M4 5h16v11H8l-4 4z"
                fill="none"
                stroke="currentColor"
                strokeWidth="2"
                strokeLinejoin="round"
              />
            </svg>
            Chat with us
          </>
        )}
      </button>
    </aside>
  );
}

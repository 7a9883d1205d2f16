import type { About, Conversation } from "@switchboard/server/contracts/chat";
import { type FormEvent, useEffect, useState } from "react";
import { api, errorText } from "../../app/api.js";
import { useSearch } from "../../app/router.js";
import { useSession } from "../../app/session.js";
import { setTitleExtra } from "../../app/title.js";
import { useErrorState } from "../../app/useErrorState.js";
import { ConfirmButton } from "../../components/Confirm.js";
import { ConversationView } from "../../components/chat/ConversationView.js";
import { ItemCard } from "../../components/chat/ItemContext.js";
import { useChatUnread } from "../../components/chat/useChatUnread.js";
import { type LiveConversation, useConversation } from "../../components/chat/useConversation.js";

const KEY = "switchboard.chat";

/** What a "Chat with the dealer" button asks for: a chat about this item. */
export interface ChatAbout {
  type: About["type"];
  id: string;
  name: string;
}
const ABOUT_EVENT = "switchboard:chat-about";

/** Opens the chat widget for a conversation about an item (the product page's button). */
export function openChatAbout(about: ChatAbout): void {
  window.dispatchEvent(new CustomEvent<ChatAbout>(ABOUT_EVENT, { detail: about }));
}

/** The subject a question gives its conversation: its first line, cut at a word. */
export function subjectOf(question: string): string {
  const line = question.trim().split("\n")[0]?.trim() ?? "";
  if (line.length <= 80) return line;
  const cut = line.slice(0, 80);
  const space = cut.lastIndexOf(" ");
  return `${space > 40 ? cut.slice(0, space) : cut}…`;
}

/**
 * What the customer reads about who is there. "Chatting with Ann" only while Ann has the
 * conversation open somewhere (her presence on it); assigned but away, it says she will reply.
 */
export function chatStatusText(live: LiveConversation): string {
  const c = live.conversation;
  if (!c) return "We usually answer within minutes";
  if (c.status === "waiting")
    return live.queue
      ? `You are number ${live.queue.position} in line`
      : "Waiting for the next free agent";
  if (c.status === "active") {
    const name = (c.agentId && live.names.get(c.agentId)) || "An agent";
    return live.agentHere
      ? `Chatting with ${name}`
      : `${name} has your chat and will reply soon — your messages are kept`;
  }
  return "This chat has ended — thank you!";
}

/** The support chat, bottom-right on every customer page (full screen on a phone). */
export function ChatWidget() {
  const session = useSession();
  const token = session?.token ?? null;
  const [open, setOpen] = useState(false);
  const [id, setId] = useState<string | undefined>(
    () => localStorage.getItem(`${KEY}.${session?.user}`) ?? undefined,
  );
  const live = useConversation(id);
  const [question, setQuestion] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useErrorState<string>();
  const status = live.conversation?.status;
  const search = useSearch();
  const unread = useChatUnread();
  const [about, setAbout] = useState<ChatAbout>();

  // The launcher's badge and the tab title count unread chat messages (all tabs agree: the
  // server's numbered snapshots).
  useEffect(() => {
    setTitleExtra("chat", unread.total);
    return () => setTitleExtra("chat", 0);
  }, [unread.total]);

  // "Chat with the dealer": a new conversation about that item, routed to its team.
  useEffect(() => {
    const onAbout = (e: Event) => {
      const detail = (e as CustomEvent<ChatAbout>).detail;
      setAbout(detail);
      setId(undefined);
      setOpen(true);
    };
    window.addEventListener(ABOUT_EVENT, onAbout);
    return () => window.removeEventListener(ABOUT_EVENT, onAbout);
  }, []);

  // A reply notification links here with `?chat={id}`: open that conversation.
  useEffect(() => {
    const linked = new URLSearchParams(search).get("chat");
    if (!linked) return;
    setId(linked);
    setOpen(true);
  }, [search]);

  useEffect(() => {
    if (id) localStorage.setItem(`${KEY}.${session?.user}`, id);
    else localStorage.removeItem(`${KEY}.${session?.user}`);
  }, [id, session?.user]);
  // Escape closes the panel, like any dialog.
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") setOpen(false);
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [open]);

  // The question is the conversation's first message (what the bot answers and the agent
  // reads first); its first line is the subject the queue shows.
  const start = async (e: FormEvent) => {
    e.preventDefault();
    const text = question.trim();
    if (!text) return;
    setBusy(true);
    try {
      const c = await api<Conversation>(token, "POST", "/api/chat/conversations", {
        subject: about ? { type: about.type, id: about.id } : subjectOf(text),
        metadata: { source: "web-widget", url: location.pathname, language: navigator.language },
      });
      await api(token, "POST", `/api/chat/conversations/${c.id}/messages`, {
        text,
        clientId: crypto.randomUUID(),
      });
      setId(c.id);
      setAbout(undefined);
      setQuestion("");
      setError(undefined);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  const resolve = async (rating?: number) => {
    if (!id) return;
    try {
      await api(token, "POST", `/api/chat/conversations/${id}/resolve`, rating ? { rating } : {});
      setError(undefined);
    } catch (err) {
      setError(errorText(err));
    }
    await live.reload().catch(() => undefined);
  };

  return (
    <aside className={`chat-widget ${open ? "open" : ""}`} aria-label="Support chat">
      {open && (
        <div className="chat-panel" role="dialog" aria-label="Chat with the shop">
          <header className="chat-head">
            <div>
              <strong>Fixit support</strong>
              <div className="small" data-testid="chat-status">
                {id ? chatStatusText(live) : "We usually answer within minutes"}
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
              {about && (
                <p className="item-card small" data-testid="chat-about">
                  About <strong>{about.name}</strong>
                </p>
              )}
              <label>
                {about ? "Your question for the seller" : "What can we help with?"}
                <textarea
                  value={question}
                  onChange={(e) => setQuestion(e.target.value)}
                  maxLength={1000}
                  rows={3}
                  required
                  placeholder="e.g. Is my iPhone repair ready?"
                />
              </label>
              <button type="submit" className="primary" disabled={busy || !question.trim()}>
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
              <ItemCard conversation={live.conversation} side="customer" />
              <ConversationView live={live} />
              {status === "resolved" ? (
                <div className="chat-foot">
                  {live.conversation.rating ? (
                    <span className="muted">You rated {live.conversation.rating}/5</span>
                  ) : (
                    <fieldset className="bare rating">
                      <legend className="sr-only">Rate this chat</legend>
                      <span aria-hidden="true">Rate:</span>
                      {[1, 2, 3, 4, 5].map((n) => (
                        <button
                          key={n}
                          type="button"
                          className="ghost star"
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
                  <ConfirmButton
                    question="End this chat?"
                    confirm="Yes, end it"
                    onConfirm={() => void resolve()}
                  >
                    End chat
                  </ConfirmButton>
                  {error && (
                    <p className="error small" role="alert">
                      {error}
                    </p>
                  )}
                </div>
              )}
            </>
          )}
        </div>
      )}
      {!open && (
        <button
          type="button"
          className="chat-launcher primary"
          aria-expanded={false}
          onClick={() => setOpen(true)}
        >
          <svg width="18" height="18" viewBox="0 0 24 24" aria-hidden="true" className="icon-svg">
            <path
              d="M4 5h16v11H8l-4 4z"
              fill="none"
              stroke="currentColor"
              strokeWidth="2"
              strokeLinejoin="round"
            />
          </svg>
          <span className="launcher-text">Chat with us</span>
          {unread.total > 0 && (
            <span className="count-badge" data-testid="chat-unread">
              {unread.total}
              <span className="sr-only"> unread</span>
            </span>
          )}
        </button>
      )}
    </aside>
  );
}

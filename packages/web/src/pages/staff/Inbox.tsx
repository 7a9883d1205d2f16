import type { Agent, Conversation, ConversationPage } from "@switchboard/server/contracts/chat";
import { useCallback, useEffect, useState } from "react";
import { api, errorText } from "../../app/api.js";
import { useSession } from "../../app/session.js";
import { useErrorState } from "../../app/useErrorState.js";
import { ConversationView, initials } from "../../components/chat/ConversationView.js";
import { ItemCard } from "../../components/chat/ItemContext.js";
import { PrivateNotes } from "../../components/chat/PrivateNotes.js";
import { useChatUnread } from "../../components/chat/useChatUnread.js";
import { useConversation } from "../../components/chat/useConversation.js";
import {
  type MessagePreview,
  previewText,
  usePreviews,
} from "../../components/chat/usePreviews.js";
import { useStaffDesk } from "../../components/staff/StaffDesk.js";
import { unreadOf } from "../../components/staff/unread.js";
import { toast } from "../../components/Toasts.js";
import { formatTime, formatWait, useNow } from "../../components/time.js";
import { CustomerPanel } from "./CustomerPanel.js";
import { PastChat } from "./PastChat.js";
import { PastChats } from "./PastChats.js";

/** Replies agents type all day, one pick away in the composer. */
export const CANNED_REPLIES = [
  "Hi! Thanks for reaching out — let me check that for you.",
  "Your repair is on the bench now; we'll message you the moment it's ready.",
  "Could you send a photo of the damage? The paperclip button attaches it.",
  "You can follow every step live under “My repairs & orders”.",
  "Is there anything else I can help with?",
] as const;

const STATUS_TEXT: Record<Agent["status"], string> = {
  online: "Online",
  busy: "Busy",
  offline: "Offline",
};

function Selected({
  id,
  agents,
  readOnly,
  onClose,
  onOpenPast,
}: {
  id: string;
  agents: Agent[];
  readOnly: boolean;
  onClose: () => void;
  onOpenPast: (id: string) => void;
}) {
  const session = useSession();
  const desk = useStaffDesk();
  const live = useConversation(id);
  const [to, setTo] = useState("");
  const [error, setError] = useErrorState<string>();
  const c = live.conversation;
  const nameOfAgent = (userId: string) => agents.find((a) => a.userId === userId)?.name;
  const act = async (path: "transfer" | "resolve", body: unknown) => {
    try {
      await api(session?.token ?? null, "POST", `/api/chat/conversations/${id}/${path}`, body);
      setError(undefined);
      if (path === "transfer") {
        // no longer mine: close it (the composer would speak for someone no longer in it)
        toast({ title: `Transferred to ${nameOfAgent(to) ?? to}` });
        onClose();
      }
      await desk.reload();
    } catch (e) {
      setError(errorText(e));
    }
  };
  const customer = c ? (c.customerName ?? c.customerId) : "";
  return (
    <div className="inbox-pane">
      <div className="card inbox-conversation">
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
                {c?.subject ?? "No subject"} · {c?.status}{" "}
                {c?.vip && <span className="pill pill-vip">VIP</span>}
              </div>
            </div>
          </div>
          {!readOnly && c?.status === "active" && c.agentId === session?.user && (
            <div className="row conversation-actions">
              <label className="inline">
                <span className="sr-only">Transfer to</span>
                <select value={to} onChange={(e) => setTo(e.target.value)}>
                  <option value="">Transfer to…</option>
                  {agents
                    .filter((a) => a.userId !== session?.user && a.status !== "offline")
                    .map((a) => (
                      <option key={a.userId} value={a.userId}>
                        {a.name ?? a.userId} ({a.activeCount}/{a.capacity})
                      </option>
                    ))}
                </select>
              </label>
              <button
                type="button"
                className="secondary"
                disabled={!to}
                onClick={() => void act("transfer", { agentId: to })}
              >
                Transfer
              </button>
              <button type="button" className="primary" onClick={() => void act("resolve", {})}>
                Resolve
              </button>
            </div>
          )}
        </header>
        <ConversationView
          live={live}
          canned={readOnly ? undefined : CANNED_REPLIES}
          nameOf={(userId) => nameOfAgent(userId) ?? userId}
        />
        <PrivateNotes conversationId={id} />
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
      </div>
      {c?.about && (
        <div className="card">
          <h2 className="small">About</h2>
          <ItemCard conversation={c} side="staff" />
        </div>
      )}
      {c && (
        <CustomerPanel
          customerId={c.customerId}
          name={customer}
          current={c.id}
          onOpen={onOpenPast}
        />
      )}
    </div>
  );
}

function ConversationRow({
  c,
  selected,
  unread,
  onOpen,
  preview,
}: {
  c: Conversation;
  selected: boolean;
  unread: number;
  onOpen: () => void;
  preview?: MessagePreview | undefined;
}) {
  const session = useSession();
  const name = c.customerName ?? c.customerId;
  return (
    <li>
      <button
        type="button"
        className={`list-item conversation-row ${selected ? "selected" : ""}`}
        aria-current={selected ? "true" : undefined}
        onClick={onOpen}
        data-conversation={c.id}
      >
        <span className="avatar" aria-hidden="true">
          {initials(name)}
        </span>
        <span className="row-text">
          <span className="row-top">
            <strong>{name}</strong>
            <span className="muted small">{formatTime(c.updatedAt)}</span>
          </span>
          <span className="row-top">
            <span className="muted small preview" data-testid="preview">
              {preview ? previewText(preview, session?.user, name) : (c.subject ?? "No subject")}
            </span>
            {unread > 0 && (
              <span className="count-badge" data-testid="unread">
                {unread}
                <span className="sr-only"> unread</span>
              </span>
            )}
          </span>
        </span>
      </button>
    </li>
  );
}

const matches = (c: { subject?: string; customerName?: string; customerId?: string }, q: string) =>
  !q ||
  [c.subject, c.customerName, c.customerId].some((s) => s?.toLowerCase().includes(q.toLowerCase()));

/** The agent's inbox: status, my chats, the live queue, resolved chats, the open one. */
export function Inbox() {
  const session = useSession();
  const token = session?.token ?? null;
  const desk = useStaffDesk();
  const { me, agents, queue, mine, selected, select } = desk;
  const now = useNow();
  const [tab, setTab] = useState<"mine" | "resolved" | "past">("mine");
  /** A closed chat of anyone's, read-only (the "All past chats" tab, the customer panel). */
  const [past, setPast] = useState<string>();
  const [resolved, setResolved] = useState<Conversation[]>();
  const [viewing, setViewing] = useState<string>();
  const [search, setSearch] = useState("");
  const [error, setError] = useErrorState<string>();
  const chatUnread = useChatUnread();

  const loadResolved = useCallback(async () => {
    try {
      const page = await api<ConversationPage>(
        token,
        "GET",
        "/api/chat/conversations?mine=true&status=resolved&limit=50",
      );
      setResolved(page.items);
      setError(undefined);
    } catch (e) {
      setError(errorText(e));
    }
  }, [token]);
  useEffect(() => {
    if (tab === "resolved") void loadResolved();
  }, [tab, loadResolved]);

  const status = me ? me.status : me === null ? "offline" : undefined;
  const open = viewing ?? selected;
  const shownMine = mine.filter((c) => matches(c, search));
  const shownQueue = queue.filter((q) => matches(q, search));
  const shownResolved = resolved?.filter((c) => matches(c, search));
  const previews = usePreviews(tab === "resolved" ? (shownResolved ?? []) : shownMine);

  return (
    <section className={`page inbox ${open || past ? "has-open" : ""}`}>
      <div className="row spread inbox-top">
        <h1>Inbox</h1>
        <fieldset className="row status-picker">
          <legend className="sr-only">My status</legend>
          {(["online", "busy", "offline"] as const).map((s) => (
            <button
              key={s}
              type="button"
              className={status === s ? `primary status-${s}` : "secondary"}
              aria-pressed={status === s}
              onClick={() => void desk.setStatus(s)}
            >
              {STATUS_TEXT[s]}
            </button>
          ))}
          {me && (
            <span className="muted small" data-testid="my-load">
              {me.activeCount}/{me.capacity} chats
            </span>
          )}
          <label className="inline small sound">
            <input
              type="checkbox"
              checked={desk.sound}
              onChange={(e) => desk.setSound(e.target.checked)}
            />
            Sound on new chats
          </label>
        </fieldset>
      </div>
      {(error ?? desk.error) && (
        <p className="error" role="alert">
          {error ?? desk.error}
        </p>
      )}
      {status === "offline" && (
        <p className="notice-warn">
          You are offline: new chats are not assigned to you. Choose Online to take chats.
        </p>
      )}
      <div className="inbox-grid">
        <div className="stack inbox-lists">
          <label>
            <span className="sr-only">Search chats</span>
            <input
              type="search"
              placeholder="Search by customer or subject"
              value={search}
              onChange={(e) => setSearch(e.target.value)}
            />
          </label>
          <fieldset className="tabs">
            <legend className="sr-only">Which chats</legend>
            <button
              type="button"
              className={tab === "mine" ? "tab active" : "tab"}
              aria-pressed={tab === "mine"}
              onClick={() => setTab("mine")}
            >
              Open ({mine.length})
            </button>
            <button
              type="button"
              className={tab === "resolved" ? "tab active" : "tab"}
              aria-pressed={tab === "resolved"}
              onClick={() => setTab("resolved")}
            >
              Resolved
            </button>
            <button
              type="button"
              className={tab === "past" ? "tab active" : "tab"}
              aria-pressed={tab === "past"}
              onClick={() => setTab("past")}
            >
              All past chats
            </button>
          </fieldset>
          {tab === "mine" ? (
            <>
              <ul className="list" aria-label="My conversations">
                {shownMine.length === 0 && (
                  <li className="muted small">
                    {search ? "No chat matches." : "No open chats. New ones appear here."}
                  </li>
                )}
                {shownMine.map((c) => (
                  <ConversationRow
                    key={c.id}
                    c={c}
                    selected={open === c.id}
                    unread={open === c.id ? 0 : chatUnread.of(c.id) || unreadOf(c, session?.user)}
                    onOpen={() => {
                      setViewing(undefined);
                      setPast(undefined);
                      select(c.id);
                    }}
                    preview={previews.get(c.id)}
                  />
                ))}
              </ul>
              <h2>Queue ({queue.length})</h2>
              <ul className="list" aria-label="Waiting conversations">
                {shownQueue.length === 0 && <li className="muted small">Nobody is waiting.</li>}
                {shownQueue.map((q) => (
                  <li key={q.id} className="list-item">
                    <span>
                      <strong>{q.subject ?? "No subject"}</strong>
                      {q.teamId && <span className="pill small"> {q.teamId}</span>}
                      <span className="muted small">
                        {" "}
                        · {q.priority}
                        {q.vip ? " · VIP" : ""} · waiting{" "}
                        <span data-testid="waited">{formatWait(q.waitedMs + (now - q.at))}</span>
                      </span>
                    </span>
                    <button
                      type="button"
                      className="secondary"
                      onClick={() => void desk.claim(q.id)}
                    >
                      Take
                    </button>
                  </li>
                ))}
              </ul>
            </>
          ) : tab === "resolved" ? (
            <ul className="list" aria-label="Resolved conversations">
              {!shownResolved && <li className="skeleton-line" aria-hidden="true" />}
              {shownResolved?.length === 0 && <li className="muted small">No resolved chats.</li>}
              {shownResolved?.map((c) => (
                <ConversationRow
                  key={c.id}
                  c={c}
                  selected={open === c.id}
                  unread={0}
                  onOpen={() => {
                    setPast(undefined);
                    setViewing(c.id);
                  }}
                  preview={previews.get(c.id)}
                />
              ))}
            </ul>
          ) : null}
          {tab === "past" && (
            <PastChats search={search} selected={past} onOpen={(id) => setPast(id)} />
          )}
        </div>
        <div className="inbox-main">
          {past ? (
            <PastChat key={past} id={past} onClose={() => setPast(undefined)} />
          ) : open ? (
            <Selected
              key={open}
              id={open}
              agents={agents}
              readOnly={!!viewing}
              onClose={() => {
                setViewing(undefined);
                select(undefined);
              }}
              onOpenPast={setPast}
            />
          ) : (
            <div className="empty">
              <p>Pick a chat on the left.</p>
              <p className="small">
                While you are Online, new chats are assigned to you automatically — wherever you are
                in the console, you get a notice.
              </p>
            </div>
          )}
        </div>
      </div>
    </section>
  );
}

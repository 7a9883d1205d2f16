import { useChannel } from "@switchboard/react";
import type {
  Agent,
  Conversation,
  ConversationPage,
  StaffQueueEvent,
} from "@switchboard/server/contracts/chat";
import { STAFF_CHAT_CHANNEL } from "@switchboard/server/names/chat";
import { useCallback, useEffect, useRef, useState } from "react";
import { api, errorText } from "../../app/api.js";
import { useResync } from "../../app/live.js";
import { useSession } from "../../app/session.js";
import { ConversationView } from "../../components/chat/ConversationView.js";
import { useConversation } from "../../components/chat/useConversation.js";
import { formatTime } from "../../components/Progress.js";

/** A waiting conversation as the queue shows it (a REST snapshot has no score yet). */
type QueueItem = Omit<StaffQueueEvent["waiting"][number], "score">;

function Selected({ id, agents, onDone }: { id: string; agents: Agent[]; onDone: () => void }) {
  const session = useSession();
  const live = useConversation(id);
  const [to, setTo] = useState("");
  const [error, setError] = useState<string>();
  const c = live.conversation;
  const act = async (path: string, body: unknown) => {
    try {
      await api(session?.token ?? null, "POST", `/api/chat/conversations/${id}/${path}`, body);
      setError(undefined);
      onDone();
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <div className="card inbox-conversation">
      <header className="row spread">
        <div>
          <strong>{c?.subject ?? "Conversation"}</strong>
          <div className="muted small">
            {c?.customerName ?? c?.customerId} · {c?.status}{" "}
            {c?.vip && <span className="pill pill-vip">VIP</span>}
          </div>
        </div>
        {c?.status === "active" && c.agentId === session?.user && (
          <div className="row">
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
      <ConversationView live={live} />
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

/** The agent's inbox: status, the live queue, my conversations, the open one. */
export function Inbox() {
  const session = useSession();
  const token = session?.token ?? null;
  const [me, setMe] = useState<Agent>();
  const [agents, setAgents] = useState<Agent[]>([]);
  const [queue, setQueue] = useState<QueueItem[]>([]);
  const [mine, setMine] = useState<Conversation[]>([]);
  const [selected, setSelected] = useState<string>();
  const [error, setError] = useState<string>();

  const loadMine = useCallback(async () => {
    try {
      setMine(
        (
          await api<ConversationPage>(
            token,
            "GET",
            "/api/chat/conversations?mine=true&status=active",
          )
        ).items,
      );
      setAgents((await api<{ agents: Agent[] }>(token, "GET", "/api/chat/agents")).agents);
    } catch (e) {
      setError(errorText(e));
    }
  }, [token]);

  const queueEventAt = useRef(Number.NEGATIVE_INFINITY);
  // Being subscribed to staff:chat (with presence) is what tells the router this agent is here.
  const { subscription: staffChat } = useChannel(
    STAFF_CHAT_CHANNEL,
    (m) => {
      if (m.event !== "queue") return;
      const data = m.data as StaffQueueEvent;
      queueEventAt.current = performance.now();
      setQueue(data.waiting);
      setAgents(data.agents);
      const self = data.agents.find((a) => a.userId === session?.user);
      if (self) setMe(self);
      void loadMine();
    },
    { presence: true },
  );

  const loadAll = useCallback(() => {
    const started = performance.now();
    void api<Agent>(token, "GET", "/api/chat/agents/me").then(setMe, () => setMe(undefined));
    void api<ConversationPage>(token, "GET", "/api/chat/conversations?status=waiting").then(
      (r) =>
        // a queue event since the fetch began carries the whole, newer queue
        queueEventAt.current < started &&
        setQueue(
          r.items.map((c) => ({
            id: c.id,
            ...(c.subject !== undefined && { subject: c.subject }),
            priority: c.priority,
            vip: c.vip,
            skills: [],
            waitedMs: Date.now() - Date.parse(c.createdAt),
          })),
        ),
      () => undefined,
    );
    void loadMine();
  }, [token, loadMine]);
  useEffect(loadAll, [loadAll]);
  useResync(staffChat, loadAll);

  const setStatus = async (status: Agent["status"]) => {
    try {
      setMe(
        await api<Agent>(token, "PUT", "/api/chat/agents/me", {
          status,
          capacity: me?.capacity ?? 3,
          skills: me?.skills ?? [],
        }),
      );
      await loadMine();
    } catch (e) {
      setError(errorText(e));
    }
  };
  const claim = async (id: string) => {
    try {
      await api(token, "POST", `/api/chat/conversations/${id}/claim`);
      setSelected(id);
      await loadMine();
    } catch (e) {
      setError(errorText(e));
    }
  };

  return (
    <section className="page inbox">
      <div className="row spread">
        <h1>Inbox</h1>
        <fieldset className="row">
          <legend className="sr-only">My status</legend>
          {(["online", "busy", "offline"] as const).map((s) => (
            <button
              key={s}
              type="button"
              className={me?.status === s ? "primary" : "secondary"}
              aria-pressed={me?.status === s}
              onClick={() => void setStatus(s)}
            >
              {s}
            </button>
          ))}
          {me && (
            <span className="muted small">
              {me.activeCount}/{me.capacity} chats
            </span>
          )}
        </fieldset>
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="inbox-grid">
        <div className="stack">
          <h2>Mine ({mine.length})</h2>
          <ul className="list" aria-label="My conversations">
            {mine.map((c) => (
              <li key={c.id}>
                <button
                  type="button"
                  className={`list-item ${selected === c.id ? "selected" : ""}`}
                  onClick={() => setSelected(c.id)}
                  data-conversation={c.id}
                >
                  <strong>{c.customerName ?? c.customerId}</strong>
                  <span className="muted small">{c.subject ?? "No subject"}</span>
                </button>
              </li>
            ))}
          </ul>
          <h2>Queue ({queue.length})</h2>
          <ul className="list" aria-label="Waiting conversations">
            {queue.map((q) => (
              <li key={q.id} className="list-item">
                <span>
                  <strong>{q.subject ?? "No subject"}</strong>
                  <span className="muted small">
                    {" "}
                    · {q.priority}
                    {q.vip ? " · VIP" : ""} · waiting {Math.round(q.waitedMs / 60000)} min
                  </span>
                </span>
                <button type="button" className="secondary" onClick={() => void claim(q.id)}>
                  Take
                </button>
              </li>
            ))}
          </ul>
          {!me && <p className="muted small">Set your status to receive chats.</p>}
        </div>
        <div>
          {selected ? (
            <Selected id={selected} agents={agents} onDone={() => void loadMine()} />
          ) : (
            <div className="empty">
              Pick a conversation. New ones are assigned to you automatically while you are online (
              {formatTime(new Date().toISOString())}).
            </div>
          )}
        </div>
      </div>
    </section>
  );
}

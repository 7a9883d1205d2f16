import { useChannel } from "@switchboard/react";
import { useCallback, useEffect, useState } from "react";
import { api } from "../../app/api.js";
import { useSession } from "../../app/session.js";
import type { Agent, Order } from "../../app/types.js";

interface ChatQueue {
  waiting: { id: string; waitedMs: number }[];
  agents: Agent[];
}

/** Live numbers computed from the same feeds the board and inbox use: nothing made up. */
export function Dashboard() {
  const token = useSession()?.token ?? null;
  const [orders, setOrders] = useState<Order[]>([]);
  const [chat, setChat] = useState<ChatQueue>({ waiting: [], agents: [] });
  const [feed, setFeed] = useState<{ at: string; text: string }[]>([]);

  const load = useCallback(async () => {
    setOrders((await api<{ items: Order[] }>(token, "GET", "/api/orders?limit=200")).items);
    setChat({
      waiting: [],
      agents: (await api<{ agents: Agent[] }>(token, "GET", "/api/chat/agents")).agents,
    });
  }, [token]);
  useEffect(() => {
    void load().catch(() => undefined);
  }, [load]);

  useChannel("staff:orders", (m) => {
    const { order, change } = m.data as {
      order: Order;
      change: { from: string | null; to: string; by: string; at: string };
    };
    setOrders((all) => [order, ...all.filter((o) => o.id !== order.id)]);
    setFeed((f) =>
      [
        {
          at: change.at,
          text: `${order.title ?? order.id}: ${change.from ?? "new"} → ${change.to} (${change.by})`,
        },
        ...f,
      ].slice(0, 20),
    );
  });
  // presence off: watching the dashboard is not being on duty
  useChannel(
    "staff:chat",
    (m) => {
      if (m.event === "queue") setChat(m.data as ChatQueue);
    },
    { presence: false },
  );

  const byStatus = new Map<string, number>();
  for (const o of orders) byStatus.set(o.statusLabel, (byStatus.get(o.statusLabel) ?? 0) + 1);
  const open = orders.filter(
    (o) => o.progress < 100 && !["cancelled", "refunded", "no-show"].includes(o.status),
  ).length;
  const online = chat.agents.filter((a) => a.status === "online").length;
  const assigned = chat.agents.reduce((s, a) => s + a.activeCount, 0);
  const capacity = chat.agents
    .filter((a) => a.status !== "offline")
    .reduce((s, a) => s + a.capacity, 0);
  const longest = Math.max(0, ...chat.waiting.map((w) => w.waitedMs));

  return (
    <section className="page">
      <h1>Live dashboard</h1>
      <div className="kpis">
        <div className="kpi">
          <span className="kpi-value" data-testid="kpi-open-orders">
            {open}
          </span>
          <span className="kpi-label">open orders</span>
        </div>
        <div className="kpi">
          <span className="kpi-value">{chat.waiting.length}</span>
          <span className="kpi-label">chats waiting</span>
        </div>
        <div className="kpi">
          <span className="kpi-value">{Math.round(longest / 1000)}s</span>
          <span className="kpi-label">longest wait</span>
        </div>
        <div className="kpi">
          <span className="kpi-value">{online}</span>
          <span className="kpi-label">agents online</span>
        </div>
        <div className="kpi">
          <span className="kpi-value">
            {capacity ? Math.round((assigned / capacity) * 100) : 0}%
          </span>
          <span className="kpi-label">agent utilization</span>
        </div>
      </div>
      <div className="grid-2">
        <div className="card">
          <h2>Orders by status</h2>
          <ul className="bars">
            {[...byStatus.entries()]
              .sort((a, b) => b[1] - a[1])
              .map(([label, n]) => (
                <li key={label}>
                  <span>{label}</span>
                  <span
                    className="bar"
                    style={{ width: `${(n / Math.max(1, orders.length)) * 100}%` }}
                  />
                  <strong>{n}</strong>
                </li>
              ))}
          </ul>
        </div>
        <div className="card">
          <h2>Activity</h2>
          <ul className="feed" aria-live="polite">
            {feed.length === 0 && <li className="muted">Changes appear here as they happen.</li>}
            {feed.map((f, i) => (
              <li key={`${f.at}-${i}`}>
                <span className="muted small">{new Date(f.at).toLocaleTimeString()}</span> {f.text}
              </li>
            ))}
          </ul>
        </div>
      </div>
    </section>
  );
}

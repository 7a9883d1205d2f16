import { useChannel } from "@switchboard/react";
import type { ItemPage, LevelsEvent } from "@switchboard/server/contracts/inventory";
import type { BoardEvent, OrderPage, OrderSnapshot } from "@switchboard/server/contracts/orders";
import { STAFF_INVENTORY_CHANNEL } from "@switchboard/server/names/inventory";
import { STAFF_ORDERS_CHANNEL } from "@switchboard/server/names/orders";
import { useCallback, useEffect, useState } from "react";
import { api } from "../../app/api.js";
import { useKeptFeed } from "../../app/keptFeed.js";
import { newestRows, useArrivals, useResync } from "../../app/live.js";
import { useSession } from "../../app/session.js";
import { useLifecycles } from "../../app/useLifecycles.js";
import { staffWording } from "../../app/wording.js";
import { useStaffDesk } from "../../components/staff/StaffDesk.js";
import { formatTime, formatWait, useNow } from "../../components/time.js";
import { Business } from "../../metrics/Business.js";

/** An item's levels, from the list or a `levels` event. */
type StockLevel = Omit<LevelsEvent, "at">;

const ENDED = new Set(["cancelled", "refunded", "no-show"]);

/**
 * Live numbers, each computed from a snapshot (REST) kept current by the channel that announces
 * its changes: orders from staff:orders, chats from staff:chat, stock from staff:inventory (its
 * `levels` and alert events). Nothing is made up; a gap reloads the snapshot.
 */
export function Dashboard() {
  const token = useSession()?.token ?? null;
  const now = useNow();
  const [orders, setOrders] = useState<OrderSnapshot[]>([]);
  // chats come from the staff desk, which the whole console shares (one staff:chat subscription)
  const { agents, queue } = useStaffDesk();
  const [attention, setAttention] = useState<Map<string, StockLevel>>(new Map());
  const user = useSession()?.user;
  // kept across a reload of the tab
  const [feed, setFeed] = useKeptFeed<{
    at: string;
    title: string;
    lifecycle: string;
    from: string | null;
    to: string;
    by: string;
  }>(`switchboard.feed.activity.${user}`, 20);
  const lifecycles = useLifecycles();
  const labelOf = (lifecycle: string, state: string) =>
    staffWording(
      lifecycles.find((l) => l.name === lifecycle)?.states.find((s) => s.name === state)?.label ??
        state,
    );

  const arrivals = useArrivals();
  const loadOrders = useCallback(async () => {
    const started = performance.now();
    const { items } = await api<OrderPage>(token, "GET", "/api/orders?limit=200");
    setOrders((shown) => newestRows(shown, items, (o) => o.id, arrivals.since(started)));
  }, [token, arrivals]);
  const stockArrivals = useArrivals();
  const loadStock = useCallback(async () => {
    const started = performance.now();
    const { items } = await api<ItemPage>(
      token,
      "GET",
      "/api/inventory/items?lowStock=true&limit=200",
    );
    const arrivedDuringFetch = stockArrivals.since(started);
    setAttention((shown) => {
      const next = new Map<string, StockLevel>(items.map((i) => [i.sku, i]));
      for (const [sku, level] of shown) {
        const fetched = next.get(sku);
        if (fetched ? fetched.version < level.version : arrivedDuringFetch(sku))
          next.set(sku, level);
      }
      return next;
    });
  }, [token, stockArrivals]);
  useEffect(() => {
    void loadOrders().catch(() => undefined);
    void loadStock().catch(() => undefined);
  }, [loadOrders, loadStock]);

  const orderFeed = useChannel(STAFF_ORDERS_CHANNEL, (m) => {
    const { order, change } = m.data as BoardEvent;
    arrivals.mark(order.id);
    setOrders((all) => {
      const known = all.find((o) => o.id === order.id);
      if (known && known.version >= order.version) return all;
      return [order, ...all.filter((o) => o.id !== order.id)];
    });
    setFeed((f) =>
      [
        {
          at: change.at,
          title: order.title ?? order.id,
          lifecycle: order.lifecycle,
          from: change.from,
          to: change.to,
          by: change.by,
        },
        ...f,
      ].slice(0, 20),
    );
  }).subscription;
  // `levels` on every change of an item, alerts when a line is crossed: one channel keeps the
  // low and out-of-stock counts current for every item, however many there are
  const stockFeed = useChannel(
    STAFF_INVENTORY_CHANNEL,
    (m) => {
      const s = m.data as LevelsEvent;
      stockArrivals.mark(s.sku);
      setAttention((all) => {
        const known = all.get(s.sku);
        if (known && known.version >= s.version) return all;
        if (s.lowStock || !s.inStock) return new Map(all).set(s.sku, s);
        if (!known) return all;
        const next = new Map(all);
        next.delete(s.sku);
        return next;
      });
    },
    { presence: false },
  ).subscription;
  useResync(orderFeed, () => loadOrders().catch(() => undefined));
  useResync(stockFeed, () => loadStock().catch(() => undefined));

  const byStatus = new Map<string, number>();
  for (const o of orders) {
    const label = staffWording(o.statusLabel);
    byStatus.set(label, (byStatus.get(label) ?? 0) + 1);
  }
  const open = orders.filter((o) => o.progress < 100 && !ENDED.has(o.status)).length;
  const online = agents.filter((a) => a.status === "online").length;
  const assigned = agents.reduce((s, a) => s + a.activeCount, 0);
  const capacity = agents.filter((a) => a.status !== "offline").reduce((s, a) => s + a.capacity, 0);
  const longest = Math.max(0, ...queue.map((w) => w.waitedMs + (now - w.at)));
  const levels = [...attention.values()];
  const out = levels.filter((s) => !s.inStock).length;
  const low = levels.filter((s) => s.lowStock).length;

  const kpis: [string, string | number, string][] = [
    ["open-orders", open, "open orders"],
    ["chats-waiting", queue.length, "chats waiting"],
    ["longest-wait", formatWait(longest), "longest wait"],
    ["agents-online", online, "agents online"],
    [
      "utilization",
      `${capacity ? Math.round((assigned / capacity) * 100) : 0}%`,
      "chat capacity used",
    ],
    ["low-stock", low, "items running low"],
    ["out-of-stock", out, "items out of stock"],
  ];

  return (
    <section className="page">
      <h1>Live dashboard</h1>
      {/* the owner's business figures: admins only, as the dashboard:* channels are */}
      {useSession()?.role === "admin" && <Business token={token} />}
      <h2>Right now</h2>
      <div className="kpis">
        {kpis.map(([id, value, label]) => (
          <div className="kpi" key={id}>
            <span className="kpi-value" data-testid={`kpi-${id}`}>
              {value}
            </span>
            <span className="kpi-label">{label}</span>
          </div>
        ))}
      </div>
      <div className="grid-2">
        <div className="card">
          <h2>Orders by status</h2>
          <ul className="bars">
            {byStatus.size === 0 && <li className="muted">No orders yet.</li>}
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
          <ul className="feed" aria-live="polite" data-testid="activity">
            {feed.length === 0 && <li className="muted">Changes appear here as they happen.</li>}
            {feed.map((f, i) => (
              <li key={`${f.at}-${i}`}>
                <span className="muted small">{formatTime(f.at)}</span> <strong>{f.title}</strong>{" "}
                {f.from
                  ? `${labelOf(f.lifecycle, f.from)} → ${labelOf(f.lifecycle, f.to)}`
                  : `new: ${labelOf(f.lifecycle, f.to)}`}{" "}
                <span className="muted small">by {f.by}</span>
              </li>
            ))}
          </ul>
        </div>
      </div>
    </section>
  );
}

import { useChannel, useConnectionState } from "@switchboard/react";
import { useCallback, useEffect, useState } from "react";
import { api, errorText } from "../../app/api.js";
import { useCoalesced, useResync } from "../../app/live.js";
import { Link } from "../../app/router.js";
import { useSession } from "../../app/session.js";
import type { Order } from "../../app/types.js";
import { formatTime, Progress } from "../../components/Progress.js";

function OrderCard({ order, onChange }: { order: Order; onChange: () => void }) {
  // each card follows its order: a change (or a fresh subscription) reloads the list, once
  const { subscription } = useChannel(`order:${order.id}`, () => onChange());
  useResync(subscription, onChange);
  return (
    <li className="card order-card">
      <Link href={`/orders/${order.id}`} className="card-link">
        <div className="card-head">
          <strong>{order.title ?? order.lifecycle}</strong>
          <span className={`pill pill-${order.status}`}>{order.statusLabel}</span>
        </div>
        <Progress value={order.progress} label={`${order.title ?? "Order"} progress`} />
        <div className="muted small">
          {order.progress}% · updated {formatTime(order.updatedAt)}
          {order.eta && <> · ETA {formatTime(order.eta)}</>}
        </div>
      </Link>
    </li>
  );
}

export function MyOrders() {
  const session = useSession();
  const [orders, setOrders] = useState<Order[]>();
  const [error, setError] = useState<string>();
  const load = useCallback(async () => {
    try {
      setOrders(
        (await api<{ items: Order[] }>(session?.token ?? null, "GET", "/api/orders?limit=50"))
          .items,
      );
      setError(undefined);
    } catch (e) {
      setError(errorText(e));
    }
  }, [session?.token]);
  // Orders follow themselves live (each card); a new order has no event a customer can hear
  // yet, so the list is fetched again whenever the connection returns or the tab comes back.
  const connection = useConnectionState();
  const reload = useCoalesced(load);
  useEffect(() => {
    void load();
  }, [load]);
  useEffect(() => {
    if (connection === "connected") void load();
  }, [connection, load]);
  useEffect(() => {
    const onVisible = () => document.visibilityState === "visible" && void load();
    document.addEventListener("visibilitychange", onVisible);
    return () => document.removeEventListener("visibilitychange", onVisible);
  }, [load]);

  return (
    <section className="page">
      <h1>My repairs &amp; orders</h1>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {orders?.length === 0 && (
        <div className="empty">
          <p>
            Nothing yet. When the shop books your repair or order, it shows up here and updates
            live.
          </p>
        </div>
      )}
      <ul className="cards">
        {orders?.map((o) => (
          <OrderCard key={o.id} order={o} onChange={reload} />
        ))}
      </ul>
    </section>
  );
}

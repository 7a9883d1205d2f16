import { useChannel } from "@switchboard/react";
import type {
  CustomerOrderEvent,
  OrderPage,
  OrderSnapshot,
} from "@switchboard/server/contracts/orders";
import { customerChannel } from "@switchboard/server/names/orders";
import { useCallback, useEffect, useState } from "react";
import { api, errorText } from "../../app/api.js";
import { newestRows, useArrivals, useResync, withNewerRow } from "../../app/live.js";
import { Link } from "../../app/router.js";
import { useSession } from "../../app/session.js";
import { useErrorState } from "../../app/useErrorState.js";
import { formatTime, Progress } from "../../components/Progress.js";
import { SkeletonCards } from "../../components/Skeleton.js";

function OrderCard({ order }: { order: OrderSnapshot }) {
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

/**
 * The customer's orders, kept current by their own channel, user:{sub}: the server announces
 * every new order of theirs and every change there, so one subscription follows them all.
 */
export function MyOrders() {
  const session = useSession();
  const [orders, setOrders] = useState<OrderSnapshot[]>();
  const [error, setError] = useErrorState<string>();
  const arrivals = useArrivals();
  const load = useCallback(async () => {
    const started = performance.now();
    try {
      const { items } = await api<OrderPage>(session?.token ?? null, "GET", "/api/orders?limit=50");
      setOrders((shown) => newestRows(shown, items, (o) => o.id, arrivals.since(started)));
      setError(undefined);
    } catch (e) {
      setError(errorText(e));
    }
  }, [session?.token, arrivals]);
  useEffect(() => {
    void load();
  }, [load]);
  const { subscription } = useChannel(session ? customerChannel(session.user) : null, (m) => {
    if (m.event !== "order") return;
    const { order } = m.data as CustomerOrderEvent;
    arrivals.mark(order.id);
    setOrders((shown) => withNewerRow(shown, order, (o) => o.id));
  });
  useResync(subscription, load);

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
      {!orders && !error && <SkeletonCards label="Loading your orders" />}
      <ul className="cards">
        {orders?.map((o) => (
          <OrderCard key={o.id} order={o} />
        ))}
      </ul>
    </section>
  );
}

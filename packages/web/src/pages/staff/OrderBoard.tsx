import { useChannel } from "@switchboard/react";
import type {
  BoardEvent,
  Lifecycle,
  OrderListItem,
  OrderPage,
} from "@switchboard/server/contracts/orders";
import { STAFF_ORDERS_CHANNEL } from "@switchboard/server/names/orders";
import { type FormEvent, useCallback, useEffect, useState } from "react";
import { api, errorText } from "../../app/api.js";
import { newestRows, useArrivals, useResync, withNewerRow } from "../../app/live.js";
import { useSession } from "../../app/session.js";
import { useLifecycles } from "../../app/useLifecycles.js";
import { formatTime, Progress } from "../../components/Progress.js";

/** Named actions read as verbs ("Cancel"); plain steps read as the state they lead to. */
function actionLabel(action: string | undefined): string | undefined {
  if (!action || action === "update") return undefined;
  return action.charAt(0).toUpperCase() + action.slice(1).replace("-", " ");
}

function staffMoves(lifecycle: Lifecycle | undefined, status: string) {
  return (
    lifecycle?.transitions.filter((t) => t.from.includes(status) && t.by.includes("staff")) ?? []
  );
}

function NewOrder({ lifecycles, onCreated }: { lifecycles: Lifecycle[]; onCreated: () => void }) {
  const session = useSession();
  const [customerId, setCustomerId] = useState("alice");
  const [lifecycle, setLifecycle] = useState("repair-booking");
  const [title, setTitle] = useState("iPhone 14 — cracked screen");
  const [error, setError] = useState<string>();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await api(session?.token ?? null, "POST", "/api/orders", { lifecycle, customerId, title });
      setError(undefined);
      onCreated();
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <form
      className="card row new-order"
      onSubmit={(e) => void submit(e)}
      aria-label="New order or booking"
    >
      <label>
        Customer
        <input
          value={customerId}
          onChange={(e) => setCustomerId(e.target.value)}
          required
          maxLength={255}
        />
      </label>
      <label>
        Kind
        <select value={lifecycle} onChange={(e) => setLifecycle(e.target.value)}>
          {lifecycles.map((l) => (
            <option key={l.name} value={l.name}>
              {l.label}
            </option>
          ))}
        </select>
      </label>
      <label className="grow">
        Title
        <input value={title} onChange={(e) => setTitle(e.target.value)} maxLength={200} />
      </label>
      <button type="submit" className="primary">
        Create
      </button>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

/** The staff board: every order, live from staff:orders, with the next steps as buttons. */
export function OrderBoard() {
  const session = useSession();
  const token = session?.token ?? null;
  const lifecycles = useLifecycles();
  const [orders, setOrders] = useState<OrderListItem[]>([]);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState<string>();

  const arrivals = useArrivals();
  const load = useCallback(async () => {
    try {
      const started = performance.now();
      const { items } = await api<OrderPage>(token, "GET", "/api/orders?limit=100");
      setOrders((shown) => newestRows(shown, items, (o) => o.id, arrivals.since(started)));
      setError(undefined);
    } catch (e) {
      setError(errorText(e));
    }
  }, [token, arrivals]);
  useEffect(() => {
    void load();
  }, [load]);

  const { subscription } = useChannel(STAFF_ORDERS_CHANNEL, (m) => {
    if (m.event !== "order") return;
    const { order } = m.data as BoardEvent;
    arrivals.mark(order.id);
    setOrders((all) => withNewerRow(all, { ...order, allowed: [] }, (o) => o.id));
  });
  useResync(subscription, load);

  const move = async (order: OrderListItem, to: string) => {
    setBusy(order.id);
    try {
      await api(token, "POST", `/api/orders/${order.id}/transitions`, {
        to,
        expectedVersion: order.version,
      });
      setError(undefined);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <section className="page">
      <h1>Orders &amp; bookings</h1>
      <NewOrder lifecycles={lifecycles} onCreated={() => undefined} />
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="table-wrap">
        <table className="board">
          <thead>
            <tr>
              <th scope="col">Order</th>
              <th scope="col">Customer</th>
              <th scope="col">Status</th>
              <th scope="col">Progress</th>
              <th scope="col">Next</th>
            </tr>
          </thead>
          <tbody>
            {orders.map((o) => {
              const lifecycle = lifecycles.find((l) => l.name === o.lifecycle);
              return (
                <tr key={o.id} data-order={o.id}>
                  <td>
                    <strong>{o.title ?? lifecycle?.label}</strong>
                    <div className="muted small">
                      {lifecycle?.label} · {formatTime(o.updatedAt)}
                    </div>
                  </td>
                  <td>{o.customerId}</td>
                  <td>
                    <span className={`pill pill-${o.status}`}>{o.statusLabel}</span>
                  </td>
                  <td className="progress-cell">
                    <Progress value={o.progress} label={`${o.title ?? o.id} progress`} />
                  </td>
                  <td>
                    <div className="moves">
                      {staffMoves(lifecycle, o.status).map((t) => (
                        <button
                          type="button"
                          key={t.to}
                          className={
                            t.to === "cancelled" || t.to === "refunded" || t.to === "no-show"
                              ? "ghost"
                              : "secondary"
                          }
                          disabled={busy === o.id}
                          onClick={() => void move(o, t.to)}
                        >
                          {actionLabel(t.action) ??
                            lifecycle?.states.find((s) => s.name === t.to)?.label ??
                            t.to}
                        </button>
                      ))}
                    </div>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}

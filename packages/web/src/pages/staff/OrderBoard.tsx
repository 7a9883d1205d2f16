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
import { useErrorState } from "../../app/useErrorState.js";
import { useLifecycles } from "../../app/useLifecycles.js";
import { staffWording } from "../../app/wording.js";
import { ConfirmButton } from "../../components/Confirm.js";
import { formatTime, Progress } from "../../components/Progress.js";
import { SkeletonRows } from "../../components/Skeleton.js";

/**
 * Named actions read as verbs ("Cancel"); plain steps read as the state they lead to. An
 * update that stays in its state is not named like the state ("Repair in progress"): it posts
 * an update.
 */
function actionLabel(action: string | undefined): string | undefined {
  if (!action) return undefined;
  if (action === "update") return "Post progress update";
  return action.charAt(0).toUpperCase() + action.slice(1).replace("-", " ");
}

/** Steps that end an order for good: asked before taken. */
const FINAL = new Set(["cancelled", "refunded", "no-show"]);

function staffMoves(lifecycle: Lifecycle | undefined, status: string) {
  return (
    lifecycle?.transitions.filter((t) => t.from.includes(status) && t.by.includes("staff")) ?? []
  );
}

function NewOrder({ lifecycles }: { lifecycles: Lifecycle[] }) {
  const session = useSession();
  const [customerId, setCustomerId] = useState("");
  const [customerName, setCustomerName] = useState("");
  const [lifecycle, setLifecycle] = useState("repair-booking");
  const [title, setTitle] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useErrorState<string>();
  const [created, setCreated] = useState<string>();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setCreated(undefined);
    try {
      await api(session?.token ?? null, "POST", "/api/orders", {
        lifecycle,
        customerId: customerId.trim(),
        ...(customerName.trim() && { customerName: customerName.trim() }),
        ...(title.trim() && { title: title.trim() }),
      });
      setError(undefined);
      // cleared, and said: the same booking is not made twice by a second press
      const what = title.trim() || lifecycles.find((l) => l.name === lifecycle)?.label || "Order";
      setCreated(
        `Created “${what}” for ${customerName.trim() || customerId.trim()}. It is at the top of the board.`,
      );
      setTitle("");
      setCustomerId("");
      setCustomerName("");
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
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
          placeholder="Customer id, e.g. alice"
        />
      </label>
      <label>
        Customer name
        <input
          value={customerName}
          onChange={(e) => setCustomerName(e.target.value)}
          maxLength={100}
          placeholder="e.g. Alice Moss"
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
        <input
          value={title}
          onChange={(e) => setTitle(e.target.value)}
          maxLength={200}
          placeholder="e.g. iPhone 14 — cracked screen"
        />
      </label>
      <button type="submit" className="primary" disabled={busy}>
        {busy ? "Creating…" : "Create"}
      </button>
      {created && (
        <p className="notice" role="status">
          {created}
        </p>
      )}
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
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useErrorState<string>();
  const [busy, setBusy] = useState<string>();

  const arrivals = useArrivals();
  const load = useCallback(async () => {
    try {
      const started = performance.now();
      const { items } = await api<OrderPage>(token, "GET", "/api/orders?limit=100");
      setOrders((shown) => newestRows(shown, items, (o) => o.id, arrivals.since(started)));
      setLoaded(true);
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
      <NewOrder lifecycles={lifecycles} />
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
            {!loaded && <SkeletonRows columns={5} />}
            {loaded && orders.length === 0 && (
              <tr>
                <td colSpan={5} className="muted">
                  No orders yet. Create the first one above.
                </td>
              </tr>
            )}
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
                  <td data-label="Customer" data-testid="order-customer">
                    {o.customerName ? (
                      <>
                        <strong>{o.customerName}</strong>
                        <div className="muted small">{o.customerId}</div>
                      </>
                    ) : (
                      o.customerId
                    )}
                  </td>
                  <td data-label="Status">
                    <span className={`pill pill-${o.status}`}>{staffWording(o.statusLabel)}</span>
                  </td>
                  <td className="progress-cell" data-label="Progress">
                    <Progress value={o.progress} label={`${o.title ?? o.id} progress`} />
                  </td>
                  <td>
                    <div className="moves">
                      {staffMoves(lifecycle, o.status).map((t) => {
                        const label =
                          actionLabel(t.action) ??
                          staffWording(
                            lifecycle?.states.find((s) => s.name === t.to)?.label ?? t.to,
                          );
                        return FINAL.has(t.to) ? (
                          <ConfirmButton
                            key={t.to}
                            disabled={busy === o.id}
                            question={`${label} “${o.title ?? lifecycle?.label}”?`}
                            confirm={`Yes, ${label.toLowerCase()}`}
                            onConfirm={() => void move(o, t.to)}
                          >
                            {label}
                          </ConfirmButton>
                        ) : (
                          <button
                            type="button"
                            key={t.to}
                            className="secondary"
                            disabled={busy === o.id}
                            onClick={() => void move(o, t.to)}
                          >
                            {label}
                          </button>
                        );
                      })}
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

import { useState } from "react";
import { api, errorText } from "../../app/api.js";
import { Link } from "../../app/router.js";
import { useSession } from "../../app/session.js";
import { trackerSteps } from "../../app/timeline.js";
import { usePageTitle } from "../../app/title.js";
import { useErrorState } from "../../app/useErrorState.js";
import { useLifecycles } from "../../app/useLifecycles.js";
import { ConfirmButton } from "../../components/Confirm.js";
import { NotFound } from "../../components/NotFound.js";
import { formatTime, Progress } from "../../components/Progress.js";
import { OrderQuoteCard } from "../../pricing/OrderQuoteCard.js";
import { OrderAppointments } from "./OrderAppointments.js";
import { useLiveOrder } from "./useOrder.js";

const ACTION_LABELS: Record<string, string> = {
  approve: "Approve quote",
  decline: "Decline quote",
  cancel: "Cancel",
};

/** One order's live tracker: the lifecycle as a timeline, progress, ETA, history, actions. */
export function OrderTracker({ id }: { id: string }) {
  const session = useSession();
  const { order, error, notFound, reload } = useLiveOrder(id);
  const lifecycle = useLifecycles().find((l) => l.name === order?.lifecycle);
  const [acting, setActing] = useState(false);
  // With a quote card waiting for a decision, its buttons decide that exact quote (and move the
  // order): the lifecycle's own approve/decline would move the order and leave the quote open.
  const [quoteWaiting, setQuoteWaiting] = useState(false);
  const [actionError, setActionError] = useErrorState<string>();

  usePageTitle(order ? (order.title ?? lifecycle?.label) : undefined);

  if (error && !order)
    return notFound ? (
      <NotFound
        home="/orders"
        title="We could not find that order"
        text="It may belong to another account, or the link is incomplete. Your orders and repairs are all listed on one page."
      />
    ) : (
      <section className="page">
        <p className="error" role="alert">
          {error}
        </p>
        <button type="button" className="secondary" onClick={() => void reload()}>
          Try again
        </button>
      </section>
    );
  if (!order)
    return (
      <section className="page" aria-busy="true">
        <span className="sr-only">Loading your order…</span>
        <div className="skeleton" style={{ height: "2rem", width: "60%" }} />
        <div className="skeleton" style={{ height: "0.6rem", margin: "1.5rem 0" }} />
        <div className="skeleton skeleton-card" />
      </section>
    );
  const actions = quoteWaiting
    ? order.allowed.filter((a) => a.action !== "approve" && a.action !== "decline")
    : order.allowed;

  // a live event changes the status before the snapshot (with its label) is fetched again
  const statusLabel =
    lifecycle?.states.find((s) => s.name === order.status)?.label ?? order.statusLabel;
  const steps = lifecycle ? trackerSteps(lifecycle, order) : [];
  const act = async (to: string) => {
    setActing(true);
    setActionError(undefined);
    try {
      await api(session?.token ?? null, "POST", `/api/orders/${id}/transitions`, {
        to,
        expectedVersion: order.version,
      });
      await reload();
    } catch (e) {
      setActionError(errorText(e));
    } finally {
      setActing(false);
    }
  };

  return (
    <section className="page tracker">
      <p>
        <Link href="/orders">← All my orders</Link>
      </p>
      <div className="tracker-head">
        <div>
          <h1>{order.title ?? lifecycle?.label ?? order.lifecycle}</h1>
          <p className="muted">
            {lifecycle?.label} · #{order.id.slice(-6)}
          </p>
        </div>
        <div className="tracker-status">
          <span className={`pill pill-${order.status}`} data-testid="order-status">
            {statusLabel}
          </span>
          <span className="big" data-testid="order-progress">
            {order.progress}%
          </span>
        </div>
      </div>
      <Progress value={order.progress} label="Progress" />
      <div className="facts">
        {order.eta && (
          <span>
            ETA <strong>{formatTime(order.eta)}</strong>
          </span>
        )}
        {order.location && (
          <span>
            Where <strong>{order.location}</strong>
          </span>
        )}
        <span>
          Updated <strong>{formatTime(order.updatedAt)}</strong>
        </span>
      </div>
      <OrderQuoteCard
        orderId={order.id}
        customer={session?.user === order.customerId}
        onProposed={setQuoteWaiting}
      />
      <OrderAppointments order={order} />
      {actions.length > 0 && (
        <fieldset className="actions">
          <legend className="sr-only">What you can do</legend>
          {actions.map((a) =>
            a.action === "cancel" || a.action === "decline" ? (
              <ConfirmButton
                key={a.to}
                className="secondary"
                disabled={acting}
                question={a.action === "cancel" ? "Cancel this for good?" : "Decline the quote?"}
                confirm={a.action === "cancel" ? "Yes, cancel" : "Yes, decline"}
                onConfirm={() => void act(a.to)}
              >
                {ACTION_LABELS[a.action] ?? a.to}
              </ConfirmButton>
            ) : (
              <button
                type="button"
                key={a.to}
                className={a.action === "approve" ? "primary" : "secondary"}
                disabled={acting}
                onClick={() => void act(a.to)}
              >
                {ACTION_LABELS[a.action ?? ""] ?? a.to}
              </button>
            ),
          )}
          {actionError && (
            <p className="error" role="alert">
              {actionError}
            </p>
          )}
        </fieldset>
      )}
      <div className="tracker-body">
        <ol className="timeline" aria-label="Steps">
          {steps.map((s, i) => (
            <li
              key={`${s.name}-${i}`}
              className={`${s.kind}${s.branch ? " branch" : ""}`}
              aria-current={s.kind === "current" ? "step" : undefined}
              data-step={s.name}
            >
              <span className="step-dot" aria-hidden="true" />
              <span>
                {s.label}
                <span className="sr-only">
                  {s.kind === "done"
                    ? " (done)"
                    : s.kind === "current"
                      ? " (now)"
                      : s.kind === "ended"
                        ? " (ended here)"
                        : " (to come)"}
                </span>
              </span>
              {s.at && <span className="muted small step-at">{formatTime(s.at)}</span>}
            </li>
          ))}
        </ol>
        <div>
          <h2>History</h2>
          <ul className="history">
            {[...(order.history ?? [])].reverse().map((h, i) => (
              <li key={`${h.at}-${i}`}>
                <strong>{lifecycle?.states.find((s) => s.name === h.to)?.label ?? h.to}</strong>
                <span className="muted small"> · {formatTime(h.at)}</span>
                {h.note && <div className="note">{h.note}</div>}
              </li>
            ))}
          </ul>
        </div>
      </div>
    </section>
  );
}

import type { Conversation } from "@switchboard/server/contracts/chat";
import type { ReservationPage } from "@switchboard/server/contracts/inventory";
import type { OrderPage } from "@switchboard/server/contracts/orders";
import { useEffect, useState } from "react";
import { api } from "../../app/api.js";
import { useSession } from "../../app/session.js";
import { staffWording } from "../../app/wording.js";
import { formatTime } from "../../components/time.js";

interface Facts {
  orders: OrderPage["items"];
  reservations: ReservationPage["items"];
  chats: Conversation[];
}

/**
 * Who the agent is talking to: the customer's orders and repairs, what they hold in the shop,
 * and their earlier chats with anyone here (opened read-only with `onOpen`). Each part loads on
 * its own; one failing leaves the rest.
 */
export function CustomerPanel({
  customerId,
  name,
  current,
  onOpen,
}: {
  customerId: string;
  name: string;
  current: string;
  onOpen?: (conversationId: string) => void;
}) {
  const token = useSession()?.token ?? null;
  const [facts, setFacts] = useState<Partial<Facts>>({});
  useEffect(() => {
    let live = true;
    const q = encodeURIComponent(customerId);
    const put = <K extends keyof Facts>(key: K, value: Facts[K]) => {
      if (live) setFacts((f) => ({ ...f, [key]: value }));
    };
    void api<OrderPage>(token, "GET", `/api/orders?customerId=${q}&limit=5`).then(
      (p) => put("orders", p.items),
      () => put("orders", []),
    );
    void api<ReservationPage>(
      token,
      "GET",
      `/api/inventory/reservations?customerId=${q}&status=active&limit=5`,
    ).then(
      (p) => put("reservations", p.items),
      () => put("reservations", []),
    );
    // every closed chat with this customer, whichever agent had it (staff history)
    void api<{ items: Conversation[] }>(
      token,
      "GET",
      `/api/chat/history?customerId=${q}&limit=6`,
    ).then(
      (p) => put("chats", p.items.filter((c) => c.id !== current).slice(0, 5)),
      () => put("chats", []),
    );
    return () => {
      live = false;
    };
  }, [token, customerId, current]);

  return (
    <aside className="card customer-panel" aria-label={`About ${name}`}>
      <h2>{name}</h2>
      <p className="muted small">Customer id {customerId}</p>
      <h3>Orders &amp; repairs</h3>
      <Facts
        items={facts.orders}
        empty="No orders."
        render={(o) => (
          <>
            <strong>{o.title ?? o.lifecycle}</strong>{" "}
            <span className={`pill pill-${o.status}`}>{staffWording(o.statusLabel)}</span>
            <span className="muted small"> · {formatTime(o.updatedAt)}</span>
          </>
        )}
        keyOf={(o) => o.id}
      />
      <h3>Holding in the shop</h3>
      <Facts
        items={facts.reservations}
        empty="Nothing reserved."
        render={(r) => (
          <>
            {r.quantity} × <strong>{r.sku}</strong>
            <span className="muted small"> · until {formatTime(r.expiresAt)}</span>
          </>
        )}
        keyOf={(r) => r.id}
      />
      <h3>Earlier chats</h3>
      <Facts
        items={facts.chats}
        empty="None."
        render={(c) => (
          <>
            {onOpen ? (
              <button type="button" className="link" onClick={() => onOpen(c.id)}>
                {c.subject ?? "No subject"}
              </button>
            ) : (
              (c.subject ?? "No subject")
            )}
            <span className="muted small">
              {" "}
              · {formatTime(c.resolvedAt ?? c.updatedAt)}
              {c.rating ? ` · rated ${c.rating}/5` : ""}
            </span>
          </>
        )}
        keyOf={(c) => c.id}
      />
    </aside>
  );
}

function Facts<T>({
  items,
  empty,
  render,
  keyOf,
}: {
  items: T[] | undefined;
  empty: string;
  render: (item: T) => React.ReactNode;
  keyOf: (item: T) => string;
}) {
  if (!items) return <div className="skeleton-line" aria-hidden="true" />;
  if (items.length === 0) return <p className="muted small">{empty}</p>;
  return (
    <ul className="facts-list">
      {items.map((i) => (
        <li key={keyOf(i)}>{render(i)}</li>
      ))}
    </ul>
  );
}

import { useChannel } from "@switchboard/react";
import type {
  Order,
  OrderAppointmentEvent,
  StatusChange,
} from "@switchboard/server/contracts/orders";
import { orderChannel } from "@switchboard/server/names/orders";
import { useCallback, useEffect, useState } from "react";
import { ApiError, api, errorText } from "../../app/api.js";
import { useResync } from "../../app/live.js";
import { useSession } from "../../app/session.js";

/** The next version of an order after one status change (the event carries what changed). */
function applyChange(o: Order, c: StatusChange): Order {
  return {
    ...o,
    status: c.to,
    progress: c.progress,
    version: c.version,
    updatedAt: c.at,
    ...(c.eta !== undefined && { eta: c.eta }),
    ...(c.location !== undefined && { location: c.location }),
    history: [
      ...o.history,
      {
        from: c.from,
        to: c.to,
        at: c.at,
        by: c.by,
        ...(c.note && { note: c.note }),
        ...(c.eta && { eta: c.eta }),
        ...(c.location && { location: c.location }),
      },
    ],
  };
}

/**
 * An order kept live: the REST snapshot, then every `status` event on order:{id}, applied at
 * once when it is the next version. The snapshot is then fetched again for what an event does
 * not carry (the label, what this user may do now) and for anything skipped; a `gap` (recovery
 * impossible after a reconnect) reloads it too, and so does the subscription starting fresh. Nothing older than what is shown is ever shown.
 */
export function useLiveOrder(id: string) {
  const token = useSession()?.token ?? null;
  const [order, setOrder] = useState<Order>();
  const [error, setError] = useState<string>();
  const [notFound, setNotFound] = useState(false);

  const reload = useCallback(async () => {
    try {
      const next = await api<Order>(token, "GET", `/api/orders/${id}`);
      setOrder((o) => (!o || o.id !== next.id || next.version >= o.version ? next : o));
      setError(undefined);
      setNotFound(false);
    } catch (e) {
      setError(errorText(e));
      setNotFound(e instanceof ApiError && e.status === 404);
    }
  }, [id, token]);

  const { subscription } = useChannel(orderChannel(id), (m) => {
    if (m.event === "appointment") {
      // its booking or pickup moved: shown at once, the snapshot confirms it
      const e = m.data as OrderAppointmentEvent;
      const key = e.role === "booking" ? "appointment" : "pickup";
      setOrder((o) => (o ? { ...o, details: { ...o.details, [key]: e.appointment } } : o));
      void reload();
      return;
    }
    if (m.event !== "status") return;
    const change = m.data as StatusChange;
    setOrder((o) => (o && change.version === o.version + 1 ? applyChange(o, change) : o));
    void reload();
  });

  useEffect(() => {
    void reload();
  }, [reload]);
  useResync(subscription, reload);

  return { order, error, notFound, reload };
}

import { useChannel, useSwitchboard } from "@switchboard/react";
import { useCallback, useEffect, useState } from "react";
import { api } from "../../app/api.js";
import { useSession } from "../../app/session.js";
import type { Order, StatusChange } from "../../app/types.js";

/**
 * An order kept live: the REST snapshot, then every `status` event on order:{id}. Events older
 * than what we have (by version) are ignored; a `gap` (recovery impossible) reloads the snapshot.
 */
export function useLiveOrder(id: string) {
  const session = useSession();
  const token = session?.token ?? null;
  const [order, setOrder] = useState<Order>();
  const [error, setError] = useState<string>();
  useSwitchboard();

  const reload = useCallback(async () => {
    try {
      setOrder(await api<Order>(token, "GET", `/api/orders/${id}`));
      setError(undefined);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  }, [id, token]);

  const { subscription } = useChannel(`order:${id}`, (m) => {
    if (m.event !== "status") return;
    const c = m.data as StatusChange;
    setOrder((o) => {
      if (!o || c.version <= o.version) return o;
      if (c.version > o.version + 1) {
        void reload(); // we missed one: take the snapshot
        return o;
      }
      return {
        ...o,
        status: c.to,
        progress: c.progress,
        version: c.version,
        ...(c.eta !== undefined && { eta: c.eta }),
        ...(c.location !== undefined && { location: c.location }),
        history: [
          ...(o.history ?? []),
          {
            from: c.from,
            to: c.to,
            at: c.at,
            by: c.by,
            ...(c.note && { note: c.note }),
            ...(c.location && { location: c.location }),
          },
        ],
        // what the customer may do next comes from the server: refresh it
        allowed: o.allowed,
      };
    });
    void reload();
  });

  useEffect(() => {
    void reload();
  }, [reload]);
  useEffect(() => subscription?.on("gap", () => void reload()), [subscription, reload]);

  return { order, error, reload, setOrder };
}

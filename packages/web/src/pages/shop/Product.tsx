import { useChannel } from "@switchboard/react";
import type {
  Item,
  Reservation,
  ReservationPage,
  StockEvent,
} from "@switchboard/server/contracts/inventory";
import {
  type InventoryErrorCodes,
  productChannel,
  userChannel,
} from "@switchboard/server/names/inventory";
import { useCallback, useEffect, useState } from "react";
import { ApiError, api, errorText } from "../../app/api.js";
import { useResync } from "../../app/live.js";
import { Link } from "../../app/router.js";
import { useSession } from "../../app/session.js";
import { PricePanel } from "../../pricing/PricePanel.js";
import { StockBadge } from "./Shop.js";

const INSUFFICIENT_STOCK: keyof InventoryErrorCodes = "insufficient_stock";

function useCountdown(until: string | undefined): string {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!until) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [until]);
  if (!until) return "";
  const left = Math.max(0, Date.parse(until) - now);
  return `${Math.floor(left / 60000)}:${String(Math.floor((left % 60000) / 1000)).padStart(2, "0")}`;
}

/** A product page: live stock, live viewers, reserve, notify me. */
export function Product({ sku }: { sku: string }) {
  const session = useSession();
  const token = session?.token ?? null;
  const [item, setItem] = useState<Item>();
  const [viewers, setViewers] = useState<number>();
  const [reservation, setReservation] = useState<Reservation>();
  const [message, setMessage] = useState<string>();
  const [error, setError] = useState<string>();
  const [watching, setWatching] = useState(false);
  const left = useCountdown(reservation?.expiresAt);

  const load = useCallback(async () => {
    try {
      const i = await api<Item>(null, "GET", `/api/inventory/items/${encodeURIComponent(sku)}`);
      // never step back: a stock event newer than this snapshot may have arrived meanwhile
      setItem((prev) => (!prev || prev.sku !== i.sku || i.version >= prev.version ? i : prev));
      setViewers(i.viewers);
      setError(undefined);
    } catch (e) {
      setError(errorText(e));
    }
  }, [sku]);

  // Subscribing with presence is what counts this visitor among the viewers.
  const { subscription } = useChannel(
    productChannel(sku),
    (m) => {
      if (m.event !== "stock") return;
      const s = m.data as StockEvent;
      setItem((i) => (i && s.version > i.version ? { ...i, ...s } : i));
    },
    { presence: true },
  );
  useResync(subscription, load);
  useEffect(() => {
    void load();
  }, [load]);
  // A reload keeps what the customer holds: the reservation lives on the server, not in the page.
  useEffect(() => {
    if (!token) return;
    let current = true;
    void api<ReservationPage>(
      token,
      "GET",
      `/api/inventory/reservations?sku=${encodeURIComponent(sku)}&status=active&limit=1`,
    ).then(
      ({ items: [held] }) => {
        if (current && held && Date.parse(held.expiresAt) > Date.now()) setReservation(held);
      },
      () => undefined,
    );
    return () => {
      current = false;
    };
  }, [token, sku]);
  // The viewer count is a presence count: polled (cheap: no database read), not pushed per visitor.
  useEffect(() => {
    const t = setInterval(() => {
      void api<{ viewers: number }>(
        null,
        "GET",
        `/api/inventory/items/${encodeURIComponent(sku)}/viewers`,
      ).then(
        (r) => setViewers(r.viewers),
        () => undefined,
      );
    }, 3000);
    return () => clearInterval(t);
  }, [sku]);
  useChannel(session ? userChannel(session.user) : "", (m) => {
    if (m.event === "back_in_stock" && (m.data as { sku: string }).sku === sku) {
      setMessage("Good news: it is back in stock!");
      setWatching(false);
      void load();
    }
  });

  const reserve = async () => {
    setError(undefined);
    setMessage(undefined);
    try {
      setReservation(
        await api<Reservation>(token, "POST", "/api/inventory/reservations", { sku, quantity: 1 }),
      );
      setMessage("Reserved for you: pay and collect it in the shop before the timer runs out.");
    } catch (e) {
      setError(
        e instanceof ApiError && e.code === INSUFFICIENT_STOCK
          ? "Sorry — someone just took the last one."
          : errorText(e),
      );
    }
  };
  const release = async () => {
    if (!reservation) return;
    await api(token, "POST", `/api/inventory/reservations/${reservation.id}/release`).catch(
      () => undefined,
    );
    setReservation(undefined);
    setMessage("Released.");
  };
  const watch = async () => {
    try {
      await api(token, "POST", `/api/inventory/items/${encodeURIComponent(sku)}/watch`);
      setWatching(true);
      setMessage("We'll tell you the moment it is back.");
    } catch (e) {
      setError(errorText(e));
    }
  };

  if (!item)
    return (
      <section className="page">
        {error ? (
          <p className="error" role="alert">
            {error}
          </p>
        ) : (
          <p className="muted">Loading…</p>
        )}
      </section>
    );
  return (
    <section className="page product">
      <p>
        <Link href="/shop">← Shop</Link>
      </p>
      <div className="product-layout">
        <div className="product-art big-art" aria-hidden="true">
          {(item.name ?? item.sku).slice(0, 1)}
        </div>
        <div className="stack">
          <h1>{item.name ?? item.sku}</h1>
          <p className="muted">SKU {item.sku}</p>
          <PricePanel sku={item.sku} />
          <div className="row">
            <StockBadge item={item} />
            <span className="viewers" data-testid="viewers">
              {viewers ?? 1} {viewers === 1 ? "person" : "people"} viewing now
            </span>
          </div>
          {reservation ? (
            <div className="card reservation">
              <strong>Reserved: 1 × {item.name ?? item.sku}</strong>
              <span className="muted">Held for you for {left}</span>
              <button type="button" className="ghost" onClick={() => void release()}>
                Release
              </button>
            </div>
          ) : item.inStock ? (
            <button type="button" className="primary" onClick={() => void reserve()}>
              Reserve one
            </button>
          ) : (
            <button
              type="button"
              className="secondary"
              disabled={watching}
              onClick={() => void watch()}
            >
              {watching ? "We'll notify you" : "Notify me when available"}
            </button>
          )}
          {message && (
            <p className="notice" role="status">
              {message}
            </p>
          )}
          {error && (
            <p className="error" role="alert">
              {error}
            </p>
          )}
        </div>
      </div>
    </section>
  );
}

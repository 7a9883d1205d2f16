import { useChannel, usePresence } from "@switchboard/react";
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
import { usePageTitle } from "../../app/title.js";
import { useErrorState } from "../../app/useErrorState.js";
import { ConfirmButton } from "../../components/Confirm.js";
import { NotFound } from "../../components/NotFound.js";
import { PricePanel } from "../../pricing/PricePanel.js";
import { useCatalogProduct } from "../../pricing/useCatalog.js";
import { Variants } from "../../pricing/Variants.js";
import { openChatAbout } from "../customer/ChatWidget.js";
import { StockBadge } from "./Shop.js";

const INSUFFICIENT_STOCK: keyof InventoryErrorCodes = "insufficient_stock";

/** Time left until `until`, as "m:ss", and whether it ran out. */
function useCountdown(until: string | undefined): { left: string; over: boolean } {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!until) return;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [until]);
  if (!until) return { left: "", over: false };
  const ms = Math.max(0, Date.parse(until) - now);
  return {
    left: `${Math.floor(ms / 60000)}:${String(Math.floor((ms % 60000) / 1000)).padStart(2, "0")}`,
    over: ms === 0,
  };
}

/** A product page: live stock, live viewers, reserve, notify me. */
/** The gateway's count-only presence signal (docs/protocol.md, "Presence"). */
const PRESENCE_COUNT_EVENT = "presence_count";

export function Product({ sku }: { sku: string }) {
  const session = useSession();
  const token = session?.token ?? null;
  const [item, setItem] = useState<Item>();
  const [viewers, setViewers] = useState<number>();
  const [liveViewers, setLiveViewers] = useState<{ sku: string; count: number }>();
  const [reservation, setReservation] = useState<Reservation>();
  const [message, setMessage] = useState<string>();
  const [error, setError] = useErrorState<string>();
  const [watching, setWatching] = useState(false);
  const [notFound, setNotFound] = useState(false);
  const product = useCatalogProduct(sku);
  usePageTitle(product?.name ?? item?.name ?? item?.sku);
  const { left, over: expired } = useCountdown(reservation?.expiresAt);

  const load = useCallback(async () => {
    try {
      const i = await api<Item>(null, "GET", `/api/inventory/items/${encodeURIComponent(sku)}`);
      // never step back: a stock event newer than this snapshot may have arrived meanwhile
      setItem((prev) => (!prev || prev.sku !== i.sku || i.version >= prev.version ? i : prev));
      setViewers(i.viewers);
      setError(undefined);
    } catch (e) {
      setError(errorText(e));
      setNotFound(e instanceof ApiError && e.status === 404);
    }
  }, [sku]);

  // Subscribing with presence is what counts this visitor among the viewers; the count moves
  // live with every join and leave (and includes this visitor).
  const presence = usePresence(productChannel(sku));
  const { subscription } = useChannel(
    productChannel(sku),
    (m) => {
      // the count of viewers after each join or leave (customers get the count, not who)
      if (m.event === PRESENCE_COUNT_EVENT) {
        const { count } = m.data as { count?: unknown };
        if (typeof count === "number") setLiveViewers({ sku, count });
        return;
      }
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
    try {
      await api(token, "POST", `/api/inventory/reservations/${reservation.id}/release`);
      setMessage("Released: it is back on the shelf for others.");
      setError(undefined);
    } catch (e) {
      setError(
        errorText(e, {
          conflict: "This hold had already ended (it expired or was collected).",
        }),
      );
    }
    setReservation(undefined);
    void load();
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

  if (!item && notFound && product)
    // in the catalog, not kept in stock (a service, a made-to-order item): its price only
    return (
      <section className="page product">
        <p>
          <Link href="/shop">← Shop</Link>
        </p>
        <div className="stack">
          <h1>{product.name}</h1>
          {product.images[0] && (
            <img className="product-photo-large" src={product.images[0].url} alt={product.name} />
          )}
          {product.category && <p className="muted">{product.category}</p>}
          {product.description && <p className="product-description">{product.description}</p>}
          <PricePanel sku={product.sku} />
          <Variants product={product} />
        </div>
      </section>
    );
  if (!item)
    return notFound && product !== undefined ? (
      <NotFound
        home="/shop"
        title="We could not find that product"
        text="It may have been taken out of the shop. Everything we sell is on the shop page."
      />
    ) : (
      <section className="page" aria-busy={!error}>
        {error ? (
          <p className="error" role="alert">
            {error}
          </p>
        ) : (
          <div className="product-layout">
            <span className="sr-only">Loading the product…</span>
            <div className="skeleton big-art product-art" />
            <div className="stack">
              <div className="skeleton" style={{ height: "2rem", width: "70%" }} />
              <div className="skeleton" style={{ width: "40%" }} />
              <div className="skeleton" style={{ height: "2.5rem", width: "50%" }} />
            </div>
          </div>
        )}
      </section>
    );
  const shownViewers = Math.max(
    1,
    (liveViewers?.sku === sku ? liveViewers.count : 0) || presence.count || viewers || 1,
  );
  return (
    <section className="page product">
      <p>
        <Link href="/shop">← Shop</Link>
      </p>
      <div className="product-layout">
        {product?.images[0] ? (
          <img
            className="product-art big-art product-photo"
            src={product.images[0].url}
            alt={product.name}
          />
        ) : (
          <div className="product-art big-art" aria-hidden="true">
            {(item.name ?? item.sku).slice(0, 1)}
          </div>
        )}
        <div className="stack">
          <h1>{product?.name ?? item.name ?? item.sku}</h1>
          <p className="muted">
            SKU {item.sku}
            {product?.category && ` · ${product.category}`}
          </p>
          {product?.description && <p className="product-description">{product.description}</p>}
          <PricePanel sku={item.sku} />
          {product && <Variants product={product} />}
          <p>
            <button
              type="button"
              className="secondary"
              onClick={() =>
                openChatAbout({ type: "product", id: item.sku, name: item.name ?? item.sku })
              }
            >
              Chat with the seller
            </button>
          </p>
          <div className="row">
            {reservation && !expired ? (
              <span className="pill pill-completed" data-testid="stock">
                Reserved for you
              </span>
            ) : (
              <StockBadge item={item} />
            )}
            <span className="viewers" data-testid="viewers">
              {shownViewers} {shownViewers === 1 ? "person" : "people"} viewing now
              {shownViewers > 1 ? " (you included)" : " (you)"}
            </span>
          </div>
          {reservation && !expired ? (
            <div className="card reservation">
              <strong>Reserved: 1 × {item.name ?? item.sku}</strong>
              <span className="muted">
                Held for you for <span data-testid="hold-left">{left}</span> — pay and collect it in
                the shop before then.
              </span>
              <ConfirmButton
                question="Give up your hold?"
                confirm="Yes, release it"
                onConfirm={() => void release()}
              >
                Release
              </ConfirmButton>
            </div>
          ) : reservation && expired ? (
            <div className="card reservation" data-testid="hold-expired">
              <strong>Your hold has expired</strong>
              <span className="muted">
                The item went back on the shelf.{" "}
                {item.inStock ? "You can reserve it again." : "It is out of stock right now."}
              </span>
              <button
                type="button"
                className={item.inStock ? "primary" : "secondary"}
                onClick={() => {
                  setReservation(undefined);
                  void load();
                  if (item.inStock) void reserve();
                }}
              >
                {item.inStock ? "Reserve again" : "OK"}
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

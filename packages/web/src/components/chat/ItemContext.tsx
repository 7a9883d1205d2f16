import { useChannel } from "@switchboard/react";
import type { Conversation, ItemContext } from "@switchboard/server/contracts/chat";
import { useCallback, useEffect, useRef, useState } from "react";
import { api } from "../../app/api.js";
import { useCoalesced, useResync } from "../../app/live.js";
import { Link } from "../../app/router.js";
import { useSession } from "../../app/session.js";

const money = (minor: number, currency: string) =>
  new Intl.NumberFormat(undefined, { style: "currency", currency }).format(minor / 100);

/**
 * The item a conversation is about (a car, an order, a booking), as both sides see it: read
 * from the server and read again on every event of the item's own channel (stock, price, the
 * order's status), so it stays live. `side` picks which link it shows.
 */
export function ItemCard({
  conversation,
  side,
}: {
  conversation: Pick<Conversation, "id" | "about"> | undefined;
  side: "customer" | "staff";
}) {
  const token = useSession()?.token ?? null;
  const [item, setItem] = useState<ItemContext>();
  const id = conversation?.about ? conversation.id : undefined;
  // Reads can overlap (events close together): only the latest one's answer is shown, so an
  // older read that answers last never puts back what the item was before.
  const reads = useRef(0);
  const load = useCallback(async () => {
    if (!id) return;
    const read = ++reads.current;
    try {
      const next = await api<ItemContext>(token, "GET", `/api/chat/conversations/${id}/context`);
      if (read === reads.current) setItem(next);
    } catch {
      if (read === reads.current) setItem(undefined);
    }
  }, [id, token]);
  useEffect(() => {
    setItem(undefined);
    void load();
  }, [load]);
  const reload = useCoalesced(load, 100);
  // a viewer count moving (`presence_count`) changes nothing on the card
  const { subscription } = useChannel(item?.channel ?? null, (m) => {
    if (m.event !== "presence_count") reload();
  });
  // A change between the first read and the subscription taking hold would never arrive as an
  // event: read again once subscribed (and after any gap).
  useResync(subscription, reload);
  if (!item) return null;
  const link = side === "customer" ? item.links.customer : item.links.staff;
  return (
    <section className="item-card" aria-label="What this chat is about" data-testid="item-card">
      <div className="item-card-main">
        <strong data-testid="item-name">{item.name}</strong>
        <span className="muted small">
          {item.price && (
            <span data-testid="item-price">
              {money(item.price.amountMinor, item.price.currency)}
            </span>
          )}
          {item.stock && (
            <span data-testid="item-stock">
              {" · "}
              {item.stock.inStock
                ? `${item.stock.available} available${item.stock.lowStock ? " (few left)" : ""}`
                : "Out of stock"}
            </span>
          )}
          {item.status && (
            <span data-testid="item-status"> · {item.status.replaceAll("-", " ")}</span>
          )}
        </span>
      </div>
      <Link href={link} className="small">
        {side === "customer"
          ? "View"
          : `Open in ${item.type === "product" ? "inventory" : `${item.type}s`}`}
      </Link>
    </section>
  );
}

import { useChannel } from "@switchboard/react";
import type { ItemPage, LevelsEvent } from "@switchboard/server/contracts/inventory";
import { STAFF_INVENTORY_CHANNEL } from "@switchboard/server/names/inventory";
import { type FormEvent, useCallback, useEffect, useState } from "react";
import { api, errorText } from "../../app/api.js";
import { useKeptFeed } from "../../app/keptFeed.js";
import { newestRows, useArrivals, useResync, withNewerRow } from "../../app/live.js";
import { useSession } from "../../app/session.js";
import { useErrorState } from "../../app/useErrorState.js";
import { ConfirmButton } from "../../components/Confirm.js";
import { SkeletonRows } from "../../components/Skeleton.js";
import { formatTime } from "../../components/time.js";
import { StockBadge } from "../shop/Shop.js";

/** A row: an item's levels, from the list or a `levels` event. */
type Item = Omit<LevelsEvent, "at">;
/** An alert in the feed: the levels it came with, and which line was crossed. */
type Alert = LevelsEvent & { kind: string };

const ALERT_TEXT: Record<string, string> = {
  low_stock: "Low stock",
  out_of_stock: "Out of stock",
  back_in_stock: "Back in stock",
};

function Row({ item }: { item: Item }) {
  const token = useSession()?.token ?? null;
  const [error, setError] = useErrorState<string>();
  const adjust = async (delta: number) => {
    try {
      await api(token, "POST", `/api/inventory/items/${encodeURIComponent(item.sku)}/adjustments`, {
        delta,
        reason: delta > 0 ? "restock" : "damage",
      });
      setError(undefined);
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <tr data-sku={item.sku}>
      <td>
        <strong>{item.name ?? item.sku}</strong>
        <div className="muted small">{item.sku}</div>
      </td>
      <td>
        <StockBadge item={item} />
      </td>
      <td className="num" data-testid="on-hand">
        {item.onHand}
      </td>
      <td className="num" data-testid="reserved">
        {item.reserved}
      </td>
      <td className="num">{item.lowStockThreshold}</td>
      <td>
        <div className="moves">
          <button
            type="button"
            className="secondary"
            onClick={() => void adjust(1)}
            aria-label={`Restock one ${item.name ?? item.sku}`}
          >
            +1
          </button>
          <ConfirmButton
            label={`Remove one damaged ${item.name ?? item.sku}`}
            question={`Write off one ${item.name ?? item.sku} as damaged?`}
            confirm="Yes, remove one"
            disabled={item.onHand <= 0}
            onConfirm={() => void adjust(-1)}
          >
            −1
          </ConfirmButton>
        </div>
        {error && <div className="error small">{error}</div>}
      </td>
    </tr>
  );
}

function AddItem({ onAdded }: { onAdded: () => void }) {
  const token = useSession()?.token ?? null;
  const [sku, setSku] = useState("");
  const [name, setName] = useState("");
  const [onHand, setOnHand] = useState(10);
  const [error, setError] = useErrorState<string>();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await api(token, "PUT", `/api/inventory/items/${encodeURIComponent(sku)}`, {
        onHand,
        ...(name && { name }),
      });
      setSku("");
      setName("");
      setError(undefined);
      onAdded();
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <form className="card row" onSubmit={(e) => void submit(e)} aria-label="Add or set an item">
      <label>
        SKU
        <input
          value={sku}
          onChange={(e) => setSku(e.target.value)}
          required
          pattern="[A-Za-z0-9_.:@\-]+"
          maxLength={194}
        />
      </label>
      <label className="grow">
        Name
        <input value={name} onChange={(e) => setName(e.target.value)} maxLength={200} />
      </label>
      <label>
        On hand
        <input
          type="number"
          min={0}
          value={onHand}
          onChange={(e) => setOnHand(Number(e.target.value))}
        />
      </label>
      <button type="submit" className="primary">
        Save
      </button>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

/** A new item goes where the API lists it: by SKU. */
const bySku = (items: Item[], item: Item) =>
  [...items, item].sort((a, b) => (a.sku < b.sku ? -1 : 1));

/**
 * Staff inventory: live levels per item, adjustments, and the alert feed. Every item follows
 * one channel, staff:inventory (`levels` on every change, alerts when a line is crossed), so a
 * shop with many items costs one subscription, not one per row.
 */
export function Inventory() {
  const token = useSession()?.token ?? null;
  const [items, setItems] = useState<Item[]>([]);
  const [loaded, setLoaded] = useState(false);
  const user = useSession()?.user;
  // kept across a reload of the tab: an alert seen a minute ago is still worth reading
  const [alerts, setAlerts] = useKeptFeed<Alert>(`switchboard.feed.inventory.${user}`, 30);
  const [error, setError] = useErrorState<string>();
  const arrivals = useArrivals();
  const load = useCallback(async () => {
    const started = performance.now();
    try {
      const fetched = (await api<ItemPage>(token, "GET", "/api/inventory/items?limit=200")).items;
      setItems((shown) => newestRows(shown, fetched, (i) => i.sku, arrivals.since(started)));
      setLoaded(true);
      setError(undefined);
    } catch (e) {
      setError(errorText(e));
    }
  }, [token, arrivals]);
  useEffect(() => {
    void load();
  }, [load]);
  const { subscription } = useChannel(
    STAFF_INVENTORY_CHANNEL,
    (m) => {
      const level = m.data as LevelsEvent;
      arrivals.mark(level.sku);
      setItems((shown) => withNewerRow(shown, level, (i) => i.sku, bySku));
      if (m.event !== "levels") setAlerts((a) => [{ ...level, kind: m.event }, ...a]);
    },
    { presence: false },
  );
  // the first subscribe, a resubscribe that could not recover, and a gap fetch the list again
  useResync(subscription, load);
  return (
    <section className="page">
      <h1>Inventory</h1>
      <AddItem onAdded={() => void load()} />
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="grid-inventory">
        <div className="table-wrap">
          <table className="board">
            <thead>
              <tr>
                <th scope="col">Item</th>
                <th scope="col">Availability</th>
                <th scope="col">On hand</th>
                <th scope="col">Reserved</th>
                <th scope="col">Alert at</th>
                <th scope="col">Adjust</th>
              </tr>
            </thead>
            <tbody>
              {!loaded && <SkeletonRows columns={6} />}
              {items.map((i) => (
                <Row key={i.sku} item={i} />
              ))}
            </tbody>
          </table>
        </div>
        <div className="card">
          <h2>Alerts</h2>
          <ul className="feed" aria-live="polite" data-testid="inventory-alerts">
            {alerts.length === 0 && (
              <li className="muted">
                Low-stock, out-of-stock and back-in-stock alerts appear here.
              </li>
            )}
            {alerts.map((a, i) => (
              <li key={`${a.sku}-${a.at}-${i}`}>
                <span className="muted small">{formatTime(a.at)}</span>{" "}
                <strong>{ALERT_TEXT[a.kind] ?? a.kind}</strong> · {a.name ?? a.sku} ({a.available}{" "}
                available)
              </li>
            ))}
          </ul>
        </div>
      </div>
    </section>
  );
}

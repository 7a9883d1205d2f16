import { useChannel } from "@switchboard/react";
import { type FormEvent, useCallback, useEffect, useState } from "react";
import { api, errorText } from "../../app/api.js";
import { useCoalesced, useResync } from "../../app/live.js";
import { useSession } from "../../app/session.js";
import { formatTime } from "../../components/Progress.js";
import { StockBadge } from "../shop/Shop.js";

interface Item {
  sku: string;
  name?: string;
  onHand: number;
  reserved: number;
  available: number;
  inStock: boolean;
  lowStock: boolean;
  lowStockThreshold: number;
  version: number;
}
interface Alert {
  kind: string;
  sku: string;
  name?: string;
  available: number;
  at: string;
}

const ALERT_TEXT: Record<string, string> = {
  low_stock: "Low stock",
  out_of_stock: "Out of stock",
  back_in_stock: "Back in stock",
};

function Row({ item, onChanged }: { item: Item; onChanged: () => void }) {
  const token = useSession()?.token ?? null;
  const [live, setLive] = useState(item);
  const [error, setError] = useState<string>();
  useEffect(() => setLive((l) => (item.version >= l.version ? item : l)), [item]);
  const { subscription } = useChannel(
    `product:${item.sku}`,
    (m) => {
      if (m.event !== "stock") return;
      const s = m.data as Partial<Item> & { version: number };
      setLive((l) => (s.version > l.version ? { ...l, ...s } : l));
      onChanged();
    },
    { presence: false },
  );
  useResync(subscription, onChanged);
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
        <strong>{live.name ?? live.sku}</strong>
        <div className="muted small">{live.sku}</div>
      </td>
      <td>
        <StockBadge item={live} />
      </td>
      <td className="num">{live.onHand}</td>
      <td className="num">{live.reserved}</td>
      <td className="num">{live.lowStockThreshold}</td>
      <td>
        <div className="moves">
          <button
            type="button"
            className="secondary"
            onClick={() => void adjust(1)}
            aria-label={`Restock one ${live.name ?? live.sku}`}
          >
            +1
          </button>
          <button
            type="button"
            className="ghost"
            onClick={() => void adjust(-1)}
            aria-label={`Remove one damaged ${live.name ?? live.sku}`}
          >
            −1
          </button>
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
  const [error, setError] = useState<string>();
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
          pattern="[A-Za-z0-9_.:@-]+"
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

/** Staff inventory: live levels per item, adjustments, and the alert feed. */
export function Inventory() {
  const token = useSession()?.token ?? null;
  const [items, setItems] = useState<Item[]>([]);
  const [alerts, setAlerts] = useState<Alert[]>([]);
  const [error, setError] = useState<string>();
  const load = useCallback(async () => {
    try {
      setItems(
        (await api<{ items: Item[] }>(token, "GET", "/api/inventory/items?limit=200")).items,
      );
      setError(undefined);
    } catch (e) {
      setError(errorText(e));
    }
  }, [token]);
  useEffect(() => {
    void load();
  }, [load]);
  // every row asks for the list again when its subscription starts fresh: once for all of them
  const reload = useCoalesced(load);
  useChannel(
    "staff:inventory",
    (m) => {
      const d = m.data as Omit<Alert, "kind">;
      setAlerts((a) => [{ ...d, kind: m.event }, ...a].slice(0, 30));
    },
    { presence: false },
  );
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
              {items.map((i) => (
                <Row key={i.sku} item={i} onChanged={reload} />
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

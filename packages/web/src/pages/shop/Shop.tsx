import { useChannel } from "@switchboard/react";
import type {
  CatalogEntry,
  CatalogPage,
  StockEvent,
} from "@switchboard/server/contracts/inventory";
import { productChannel } from "@switchboard/server/names/inventory";
import { useCallback, useEffect, useState } from "react";
import { api, errorText } from "../../app/api.js";
import { useCoalesced, useResync } from "../../app/live.js";
import { Link } from "../../app/router.js";
import { SkeletonCards } from "../../components/Skeleton.js";
import { LivePrice } from "../../pricing/LivePrice.js";

/** One product of the storefront: its name and availability. */
export type CatalogItem = CatalogEntry;

export function StockBadge({
  item,
}: {
  item: Pick<CatalogItem, "available" | "inStock" | "lowStock">;
}) {
  if (!item.inStock)
    return (
      <span className="pill pill-cancelled" data-testid="stock">
        Out of stock
      </span>
    );
  if (item.lowStock)
    return (
      <span className="pill pill-pending" data-testid="stock">
        Only {item.available} left
      </span>
    );
  return (
    <span className="pill pill-completed" data-testid="stock">
      In stock ({item.available})
    </span>
  );
}

function ProductCard({ item, resync }: { item: CatalogItem; resync: () => void }) {
  const [live, setLive] = useState(item);
  useEffect(() => setLive(item), [item]);
  // watching a list is not viewing the product: presence off
  const { subscription } = useChannel(
    productChannel(item.sku),
    (m) => {
      if (m.event === "stock") setLive((l) => ({ ...l, ...(m.data as StockEvent) }));
    },
    { presence: false },
  );
  // the catalog is fetched again (once for all cards) when a card's subscription starts fresh
  useResync(subscription, resync);
  return (
    <li className="card product-card">
      <Link href={`/shop/${encodeURIComponent(item.sku)}`} className="card-link">
        <div className="product-art" aria-hidden="true">
          {(item.name ?? item.sku).slice(0, 1)}
        </div>
        <strong>{item.name ?? item.sku}</strong>
        <span className="muted small">{item.sku}</span>
        <LivePrice sku={item.sku} />
        <StockBadge item={live} />
      </Link>
    </li>
  );
}

/** The storefront: every product with live availability. */
export function Shop() {
  const [items, setItems] = useState<CatalogItem[]>();
  const [error, setError] = useState<string>();
  const load = useCallback(async () => {
    try {
      setItems((await api<CatalogPage>(null, "GET", "/api/inventory/catalog?limit=100")).items);
      setError(undefined);
    } catch (e) {
      setError(errorText(e));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);
  const resync = useCoalesced(load);
  return (
    <section className="page">
      <h1>Shop</h1>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {items?.length === 0 && (
        <div className="empty">
          <p>
            No products yet. Staff add them in the console (or run <code>npx switchboard seed</code>
            ).
          </p>
        </div>
      )}
      {!items && !error && <SkeletonCards label="Loading products" count={6} />}
      <ul className="cards">
        {items?.map((i) => (
          <ProductCard key={i.sku} item={i} resync={resync} />
        ))}
      </ul>
    </section>
  );
}

import { useChannel } from "@switchboard/react";
import type {
  CatalogEntry,
  CatalogPage,
  StockEvent,
} from "@switchboard/server/contracts/inventory";
import type { CatalogProduct } from "@switchboard/server/contracts/pricing";
import { productChannel } from "@switchboard/server/names/inventory";
import { useCallback, useEffect, useRef, useState } from "react";
import { api, errorText } from "../../app/api.js";
import { useCoalesced, useResync } from "../../app/live.js";
import { Link } from "../../app/router.js";
import { useErrorState } from "../../app/useErrorState.js";
import { SkeletonCards } from "../../components/Skeleton.js";
import { LivePrice } from "../../pricing/LivePrice.js";
import { type CatalogFilter, useCatalogSearch } from "../../pricing/useCatalog.js";

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

/**
 * A catalog product: name, category, a line of its description, live price, and its live stock
 * (inventory's `stock` events on product:{stockSku}; the page's list is only the first answer).
 */
function CatalogCard({
  product,
  stock,
  resync,
}: {
  product: CatalogProduct;
  stock?: CatalogItem;
  resync: () => void;
}) {
  const [live, setLive] = useState(stock);
  /** The newest stock event applied (a late, older one is dropped). */
  const seen = useRef(0);
  useEffect(() => setLive(stock), [stock]);
  // watching a list is not viewing the product: presence off
  const { subscription } = useChannel(
    productChannel(product.stockSku),
    (m) => {
      if (m.event !== "stock") return;
      const s = m.data as StockEvent;
      if (s.version <= seen.current) return;
      seen.current = s.version;
      setLive((l) => (l ? { ...l, ...s } : l));
    },
    { presence: false },
  );
  useResync(subscription, resync);
  return (
    <li className="card product-card" data-testid="catalog-product">
      <Link href={`/shop/${encodeURIComponent(product.sku)}`} className="card-link">
        {product.images[0] ? (
          <img
            className="product-art product-photo"
            src={product.images[0].thumbUrl}
            alt=""
            loading="lazy"
          />
        ) : (
          <div className="product-art" aria-hidden="true">
            {product.name.slice(0, 1)}
          </div>
        )}
        <strong>{product.name}</strong>
        {product.category && <span className="muted small">{product.category}</span>}
        {product.description && (
          <span className="small">{product.description.split("\n")[0]?.slice(0, 120)}</span>
        )}
        <LivePrice sku={product.sku} />
        {live && <StockBadge item={live} />}
      </Link>
    </li>
  );
}

/** Search, category and order of the catalog. */
function Filters({
  filter,
  setFilter,
  categories,
}: {
  filter: CatalogFilter;
  setFilter: (f: CatalogFilter) => void;
  categories: string[];
}) {
  return (
    <form
      className="catalog-filters"
      aria-label="Search the shop"
      onSubmit={(e) => e.preventDefault()}
    >
      <label>
        Search
        <input
          type="search"
          value={filter.q}
          maxLength={100}
          onChange={(e) => setFilter({ ...filter, q: e.target.value })}
          placeholder="Name or description"
        />
      </label>
      <label>
        Category
        <select
          value={filter.category}
          onChange={(e) => setFilter({ ...filter, category: e.target.value })}
        >
          <option value="">All</option>
          {categories.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      </label>
      <label>
        Sort by
        <select
          value={filter.sort}
          onChange={(e) => setFilter({ ...filter, sort: e.target.value as CatalogFilter["sort"] })}
        >
          <option value="name">Name</option>
          <option value="price">Price, low to high</option>
          <option value="-price">Price, high to low</option>
        </select>
      </label>
    </form>
  );
}

/**
 * The storefront: the catalog (search, category, order, live prices) with availability; while
 * the catalog is empty, every inventory item as before.
 */
export function Shop() {
  const [filter, setFilter] = useState<CatalogFilter>({ q: "", category: "", sort: "name" });
  const catalog = useCatalogSearch(filter);
  const filtering = filter.q.trim() !== "" || filter.category !== "";
  const showCatalog = filtering || (catalog.page?.items.length ?? 0) > 0;
  const [items, setItems] = useState<CatalogItem[]>();
  const [error, setError] = useErrorState<string>();
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
  const stockOf = new Map(items?.map((i) => [i.sku, i]));
  return (
    <section className="page">
      <h1>Shop</h1>
      {(showCatalog || (catalog.page?.categories.length ?? 0) > 0) && (
        <Filters
          filter={filter}
          setFilter={setFilter}
          categories={catalog.page?.categories ?? []}
        />
      )}
      {catalog.error && (
        <p className="error" role="alert">
          {catalog.error}
        </p>
      )}
      {showCatalog && catalog.page && (
        <>
          {catalog.page.items.length === 0 && (
            <p className="empty" role="status">
              Nothing matches. Try other words or another category.
            </p>
          )}
          <ul className="cards" aria-label="Products">
            {catalog.page.items.map((p) => (
              <CatalogCard
                key={p.sku}
                product={p}
                stock={stockOf.get(p.stockSku)}
                resync={resync}
              />
            ))}
          </ul>
        </>
      )}
      {!showCatalog && error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {!showCatalog && items?.length === 0 && (
        <div className="empty">
          <p>
            No products yet. Staff add them in the console (or run <code>npx switchboard seed</code>
            ).
          </p>
        </div>
      )}
      {!items && !error && !catalog.page && <SkeletonCards label="Loading products" count={6} />}
      {!showCatalog && (
        <ul className="cards">
          {items?.map((i) => (
            <ProductCard key={i.sku} item={i} resync={resync} />
          ))}
        </ul>
      )}
    </section>
  );
}

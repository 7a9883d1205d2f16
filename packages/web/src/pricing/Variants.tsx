import { useChannel } from "@switchboard/react";
import type { Item, StockEvent } from "@switchboard/server/contracts/inventory";
import type { CatalogProduct } from "@switchboard/server/contracts/pricing";
import { productChannel } from "@switchboard/server/names/inventory";
import { useCallback, useEffect, useRef, useState } from "react";
import { api } from "../app/api.js";
import { useResync } from "../app/live.js";
import { Link } from "../app/router.js";
import { StockBadge } from "../pages/shop/Shop.js";
import { LivePrice } from "./LivePrice.js";

type Variant = CatalogProduct["variants"][number];

/** One variant: its live price and live stock (inventory's item of its SKU), linking to its page. */
function VariantRow({ variant }: { variant: Variant }) {
  const [stock, setStock] =
    useState<Pick<Item, "available" | "inStock" | "lowStock" | "version">>();
  const seen = useRef(0);
  const load = useCallback(async () => {
    try {
      const i = await api<Item>(
        null,
        "GET",
        `/api/inventory/items/${encodeURIComponent(variant.sku)}`,
      );
      if (i.version >= seen.current) {
        seen.current = i.version;
        setStock(i);
      }
    } catch {
      setStock(undefined); // not kept in inventory: no stock shown
    }
  }, [variant.sku]);
  useEffect(() => {
    void load();
  }, [load]);
  // listing a variant is not viewing it: presence off
  const { subscription } = useChannel(
    productChannel(variant.sku),
    (m) => {
      if (m.event !== "stock") return;
      const s = m.data as StockEvent;
      if (s.version <= seen.current) return;
      seen.current = s.version;
      setStock(s);
    },
    { presence: false },
  );
  useResync(subscription, load);
  return (
    <li className="variant" data-testid="variant" data-sku={variant.sku}>
      <Link href={`/shop/${encodeURIComponent(variant.sku)}`}>{variant.name}</Link>{" "}
      <LivePrice sku={variant.sku} /> {stock && <StockBadge item={stock} />}
    </li>
  );
}

/** A product's variants (each an inventory SKU with its own price and stock). */
export function Variants({ product }: { product: Pick<CatalogProduct, "name" | "variants"> }) {
  if (product.variants.length === 0) return null;
  return (
    <section aria-label={`Variants of ${product.name}`} className="stack">
      <h2>Choose a variant</h2>
      <ul className="variants">
        {product.variants.map((v) => (
          <VariantRow key={v.sku} variant={v} />
        ))}
      </ul>
    </section>
  );
}

import type { CatalogPage, CatalogProduct } from "@switchboard/server/contracts/pricing";
import { useCallback, useEffect, useState } from "react";
import { ApiError, api, errorText } from "../app/api.js";

/** One catalog product (name, description, category); null when the catalog has none. */
export function useCatalogProduct(sku: string): CatalogProduct | null | undefined {
  const [product, setProduct] = useState<CatalogProduct | null>();
  useEffect(() => {
    let current = true;
    api<CatalogProduct>(null, "GET", `/api/catalog/products/${encodeURIComponent(sku)}`).then(
      (p) => current && setProduct(p),
      (e: unknown) =>
        current && setProduct(e instanceof ApiError && e.status === 404 ? null : undefined),
    );
    return () => {
      current = false;
    };
  }, [sku]);
  return product;
}

export interface CatalogFilter {
  q: string;
  category: string;
  sort: "name" | "-name" | "price" | "-price";
}

/** The shop's search: words, a category, an order; reloads as they change (debounced typing). */
export function useCatalogSearch(filter: CatalogFilter) {
  const [page, setPage] = useState<CatalogPage>();
  const [error, setError] = useState<string>();
  const load = useCallback(async () => {
    const params = new URLSearchParams({ sort: filter.sort, limit: "100" });
    if (filter.q.trim()) params.set("q", filter.q.trim());
    if (filter.category) params.set("category", filter.category);
    try {
      setPage(await api<CatalogPage>(null, "GET", `/api/catalog/products?${params}`));
      setError(undefined);
    } catch (e) {
      setError(errorText(e));
    }
  }, [filter.q, filter.category, filter.sort]);
  useEffect(() => {
    const t = setTimeout(() => void load(), 200);
    return () => clearTimeout(t);
  }, [load]);
  return { page, error, reload: load };
}

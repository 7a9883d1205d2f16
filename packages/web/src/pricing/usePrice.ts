import { useChannel } from "@switchboard/react";
import type { Price, PriceEvent } from "@switchboard/server/contracts/pricing";
import { productChannel } from "@switchboard/server/names/pricing";
import { useCallback, useEffect, useState } from "react";
import { ApiError, api } from "../app/api.js";
import { useResync } from "../app/live.js";

/**
 * An item's live price: the REST snapshot, then every `price` event on product:{sku} (a higher
 * `seq` only: a late event or an older snapshot never steps the price back). `null`: the item
 * has no price. `presence` must match the page's other subscription of the channel.
 */
export function usePrice(sku: string, presence: boolean): Price | null | undefined {
  const [price, setPrice] = useState<Price | null>();
  const load = useCallback(async () => {
    try {
      const p = await api<Price>(null, "GET", `/api/pricing/prices/${encodeURIComponent(sku)}`);
      setPrice((prev) => (!prev || prev.sku !== p.sku || p.seq >= prev.seq ? p : prev));
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) setPrice(null);
    }
  }, [sku]);
  const { subscription } = useChannel(
    productChannel(sku),
    (m) => {
      if (m.event !== "price") return;
      const e = m.data as PriceEvent;
      setPrice((p) =>
        p && e.seq <= p.seq
          ? p
          : {
              ...(p ?? { version: 0, updatedAt: e.at }),
              sku: e.sku,
              currency: e.currency,
              base: e.base,
              amount: e.amount,
              factors: e.factors,
              seq: e.seq,
              changedAt: e.at,
            },
      );
    },
    { presence },
  );
  useResync(subscription, load);
  useEffect(() => {
    void load();
  }, [load]);
  return price;
}

import type { Factor, Price } from "@switchboard/server/contracts/pricing";
import { formatEffect, formatPrice } from "./money.js";
import { usePrice } from "./usePrice.js";
import "./pricing.css";

/** Why the price is what it is: one line per factor. */
export function Factors({ price }: { price: Pick<Price, "factors" | "base" | "currency"> }) {
  return (
    <ul className="price-factors" data-testid="price-factors">
      <li>
        <span>List price</span> <span>{formatPrice(price.base, price.currency)}</span>
      </li>
      {price.factors.map((f: Factor, i) => (
        <li key={`${f.rule}-${i}`}>
          <span>
            {f.name} <span className="muted small">{f.reason}</span>
          </span>{" "}
          <span>{formatEffect(f.effect, price.currency)}</span>
        </li>
      ))}
    </ul>
  );
}

/** The amount, struck-through list price when it is lower (a sale), or a plain price. */
export function PriceTag({ price }: { price: Pick<Price, "amount" | "base" | "currency"> }) {
  return (
    <span className="price-tag">
      <span className="price-now" data-testid="price">
        {formatPrice(price.amount, price.currency)}
      </span>
      {price.amount < price.base && (
        <s className="price-was muted" data-testid="price-was">
          {formatPrice(price.base, price.currency)}
        </s>
      )}
    </span>
  );
}

/**
 * An item's live price (updates on product:{sku}), with its explanation on demand. Renders
 * nothing for an item without a price.
 */
export function LivePrice({
  sku,
  presence = false,
  explain = false,
}: {
  sku: string;
  presence?: boolean;
  explain?: boolean;
}) {
  const price = usePrice(sku, presence);
  if (!price) return null;
  if (!explain) return <PriceTag price={price} />;
  return (
    <div className="live-price">
      <PriceTag price={price} />
      {price.factors.length > 0 && (
        <details>
          <summary>Why this price?</summary>
          <Factors price={price} />
        </details>
      )}
    </div>
  );
}

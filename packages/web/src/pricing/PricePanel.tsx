import { useChannel } from "@switchboard/react";
import type { HistoryPage, PriceAlertEvent, Watch } from "@switchboard/server/contracts/pricing";
import { userChannel } from "@switchboard/server/names/pricing";
import { type FormEvent, useCallback, useEffect, useState } from "react";
import { api, errorText } from "../app/api.js";
import { useSession } from "../app/session.js";
import { Factors, PriceTag } from "./LivePrice.js";
import { formatPrice, parseAmount } from "./money.js";
import { PriceChart } from "./PriceChart.js";
import { usePrice } from "./usePrice.js";

/** "Watch price": tell me when it drops below an amount; the alert arrives on user:{sub}. */
function WatchPrice({ sku, currency }: { sku: string; currency: string }) {
  const session = useSession();
  const token = session?.token ?? null;
  const [watch, setWatch] = useState<Watch>();
  const [below, setBelow] = useState("");
  const [note, setNote] = useState<string>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    if (!token) return;
    let current = true;
    void api<{ watches: Watch[] }>(token, "GET", "/api/pricing/watches").then(
      ({ watches }) => current && setWatch(watches.find((w) => w.sku === sku)),
      () => undefined,
    );
    return () => {
      current = false;
    };
  }, [token, sku]);
  useChannel(session ? userChannel(session.user) : "", (m) => {
    if (m.event !== "price_alert") return;
    const a = m.data as PriceAlertEvent;
    if (a.sku === sku) setNote(`Price drop: now ${formatPrice(a.amount, a.currency)}!`);
  });
  if (!session) return null;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const amount = parseAmount(below, currency);
    if (amount === undefined) return setError("Enter an amount such as 19.99");
    try {
      setWatch(await api<Watch>(token, "POST", "/api/pricing/watches", { sku, below: amount }));
      setError(undefined);
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <form className="watch-price" onSubmit={(e) => void submit(e)}>
      <label>
        Tell me when it drops below
        <input
          value={below}
          onChange={(e) => setBelow(e.target.value)}
          inputMode="decimal"
          placeholder="0.00"
        />
      </label>
      <button type="submit" className="secondary">
        Watch price
      </button>
      {watch?.below !== undefined && (
        <p className="muted small" data-testid="watching-price">
          Watching for below {formatPrice(watch.below, watch.currency)}
        </p>
      )}
      {note && (
        <p className="notice" role="status">
          {note}
        </p>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

/** The 30-day trend and the latest changes. */
function PriceHistory({ sku, seq }: { sku: string; seq: number }) {
  const [history, setHistory] = useState<HistoryPage>();
  const load = useCallback(async () => {
    setHistory(
      await api<HistoryPage>(
        null,
        "GET",
        `/api/pricing/history/${encodeURIComponent(sku)}?limit=200`,
      ),
    );
  }, [sku]);
  // a new live price is a new history row
  useEffect(() => {
    void load().catch(() => undefined);
  }, [load, seq]);
  if (!history) return null;
  const { trend } = history;
  return (
    <div className="price-history">
      <p className="muted small" data-testid="price-trend">
        Lowest in 30 days {formatPrice(trend.lowest30Days, trend.currency)} · average{" "}
        {formatPrice(trend.average30Days, trend.currency)} (7 days:{" "}
        {formatPrice(trend.average7Days, trend.currency)})
      </p>
      <PriceChart history={history.items} currency={trend.currency} current={trend.current} />
    </div>
  );
}

/** The product page's price: live, explained, with its trend and a watch control. */
export function PricePanel({ sku }: { sku: string }) {
  const price = usePrice(sku, true);
  if (!price) return null;
  return (
    <section className="price-panel" aria-label="Price">
      <PriceTag price={price} />
      {price.factors.length > 0 && (
        <details>
          <summary>Why this price?</summary>
          <Factors price={price} />
        </details>
      )}
      <PriceHistory sku={sku} seq={price.seq} />
      <WatchPrice sku={sku} currency={price.currency} />
    </section>
  );
}

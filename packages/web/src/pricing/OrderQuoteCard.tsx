import { useChannel } from "@switchboard/react";
import type { OrderQuote } from "@switchboard/server/contracts/pricing";
import { useCallback, useEffect, useState } from "react";
import { ApiError, api, errorText } from "../app/api.js";
import { useResync } from "../app/live.js";
import { useSession } from "../app/session.js";
import { ConfirmButton } from "../components/Confirm.js";
import { formatTime } from "../components/Progress.js";
import { formatPrice } from "./money.js";

const KIND_LABELS: Record<OrderQuote["lines"][number]["kind"], string> = {
  labour: "Labour",
  parts: "Parts",
  fee: "Fee",
  discount: "Discount",
};

/**
 * The order's current quote with its amounts (lines, tax, total, valid until), live on
 * order:{id} (`quote`); the customer approves or declines that exact quote (its version and
 * total: a quote that changed meanwhile is refused, and the new one shows).
 */
export function OrderQuoteCard({
  orderId,
  customer,
  onProposed,
}: {
  orderId: string;
  customer: boolean;
  /** Told whether a quote waits for the customer's decision (the card then offers it). */
  onProposed?: (waiting: boolean) => void;
}) {
  const token = useSession()?.token ?? null;
  const [quote, setQuote] = useState<OrderQuote>();
  const waiting = quote?.status === "proposed";
  useEffect(() => {
    onProposed?.(waiting);
  }, [waiting, onProposed]);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const load = useCallback(async () => {
    try {
      const { quotes } = await api<{ quotes: OrderQuote[] }>(
        token,
        "GET",
        `/api/pricing/order-quotes?orderId=${encodeURIComponent(orderId)}`,
      );
      setQuote(quotes.find((q) => q.status !== "superseded"));
    } catch {
      setQuote(undefined); // pricing off or not allowed: no card
    }
  }, [token, orderId]);
  useEffect(() => {
    void load();
  }, [load]);
  const { subscription } = useChannel(`order:${orderId}`, (m) => {
    if (m.event !== "quote") return;
    const q = m.data as OrderQuote;
    setQuote((prev) =>
      !prev || prev.id !== q.id || q.version >= prev.version
        ? q.status === "superseded"
          ? prev
          : q
        : prev,
    );
  });
  useResync(subscription, load);
  if (!quote) return null;
  const decide = async (decision: "approve" | "decline") => {
    setBusy(true);
    try {
      setQuote(
        await api<OrderQuote>(token, "POST", `/api/pricing/order-quotes/${quote.id}/decision`, {
          decision,
          version: quote.version,
          total: quote.total,
        }),
      );
      setError(undefined);
    } catch (e) {
      setError(
        e instanceof ApiError && e.code === "quote_changed"
          ? "The quote changed meanwhile: here is the new one."
          : errorText(e),
      );
      await load();
    } finally {
      setBusy(false);
    }
  };
  const money = (n: number) => formatPrice(n, quote.currency);
  return (
    <section className="card quote-card" aria-label="Quote" data-testid="order-quote">
      <h2>
        Quote <span className={`pill pill-${quote.status}`}>{quote.status}</span>
      </h2>
      <table>
        <tbody>
          {quote.lines.map((l, i) => (
            <tr key={`${l.kind}-${i}`}>
              <td>
                {KIND_LABELS[l.kind]}: {l.description}
                {l.quantity !== 1 && (
                  <span className="muted small">
                    {" "}
                    ({l.quantity} × {money(l.unitAmount)})
                  </span>
                )}
              </td>
              <td className="num">{money(l.amount)}</td>
            </tr>
          ))}
          {quote.tax !== 0 && (
            <tr>
              <td>Tax ({quote.taxPercent}%)</td>
              <td className="num">{money(quote.tax)}</td>
            </tr>
          )}
          <tr>
            <th scope="row">Total</th>
            <td className="num">
              <strong data-testid="quote-total">{money(quote.total)}</strong>
            </td>
          </tr>
        </tbody>
      </table>
      <p className="muted small">Valid until {formatTime(quote.validUntil)}</p>
      {customer && quote.status === "proposed" && (
        <div className="row">
          <button
            type="button"
            className="primary"
            disabled={busy}
            onClick={() => void decide("approve")}
          >
            Approve {money(quote.total)}
          </button>
          <ConfirmButton
            className="secondary"
            disabled={busy}
            question="Decline the quote?"
            confirm="Yes, decline"
            onConfirm={() => void decide("decline")}
          >
            Decline
          </ConfirmButton>
        </div>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

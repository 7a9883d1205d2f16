/**
 * Money arithmetic without floats: amounts are integer minor units, percentages are integer
 * basis points, and every product goes through BigInt before one rounding (half away from zero),
 * so a price never picks up binary-fraction error.
 */

/** Percent (at most two decimals, already validated) → basis points. */
export function toBps(percent: number): number {
  return Math.round(percent * 100);
}

/** Basis points → percent, for display and the API (exact for two decimals). */
export function toPercent(bps: number): number {
  return bps / 100;
}

/** `amount × bps / 10 000`, rounded half away from zero to a whole minor unit. */
export function shareOf(amount: number, bps: number): number {
  const n = BigInt(amount) * BigInt(bps);
  const q = n / 10000n;
  const r = n % 10000n;
  const half = (r < 0n ? -r : r) * 2n >= 10000n;
  return Number(half ? q + (n < 0n ? -1n : 1n) : q);
}

/** `quantity × unit`, refused (null) when it leaves the safe integer range. */
export function times(quantity: number, unit: number): number | null {
  const n = BigInt(quantity) * BigInt(unit);
  return n > BigInt(Number.MAX_SAFE_INTEGER) || n < -BigInt(Number.MAX_SAFE_INTEGER)
    ? null
    : Number(n);
}

const digitsCache = new Map<string, number>();

/** The currency's minor-unit digits (EUR 2, JPY 0, KWD 3), from the runtime's ISO 4217 data. */
export function minorDigits(currency: string): number {
  let d = digitsCache.get(currency);
  if (d === undefined) {
    d = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions()
      .maximumFractionDigits as number;
    digitsCache.set(currency, d);
  }
  return d;
}

/** "19.99 EUR", "-5.00 EUR", "1999 JPY": built from the integer's digits, never divided. */
export function formatMoney(amount: number, currency: string): string {
  const digits = minorDigits(currency);
  const sign = amount < 0 ? "-" : "";
  const text = String(Math.abs(amount)).padStart(digits + 1, "0");
  const whole = digits ? text.slice(0, -digits) : text;
  const minor = digits ? `.${text.slice(-digits)}` : "";
  return `${sign}${whole}${minor} ${currency}`;
}

/**
 * Prices on screen. Amounts arrive as integer minor units; the display text is built from the
 * integer's digits as a decimal string (Intl formats the string exactly), never by dividing.
 */
const digitsCache = new Map<string, number>();

function minorDigits(currency: string): number {
  let d = digitsCache.get(currency);
  if (d === undefined) {
    d = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions()
      .maximumFractionDigits as number;
    digitsCache.set(currency, d);
  }
  return d;
}

/** "19.99" for 1999 EUR, "1999" for 1999 JPY: the exact decimal, as text. */
export function decimalText(amount: number, currency: string): string {
  const digits = minorDigits(currency);
  const sign = amount < 0 ? "-" : "";
  const text = String(Math.abs(amount)).padStart(digits + 1, "0");
  return digits ? `${sign}${text.slice(0, -digits)}.${text.slice(-digits)}` : `${sign}${text}`;
}

/** "€19.99" (in the browser's locale). */
export function formatPrice(amount: number, currency: string): string {
  const f = new Intl.NumberFormat(undefined, { style: "currency", currency });
  // Intl.NumberFormat takes a decimal string exactly (ES2023); typed as number in older libs
  return f.format(decimalText(amount, currency) as unknown as number);
}

/** "+€2.00" / "−€1.50": a factor's effect. */
export function formatEffect(amount: number, currency: string): string {
  return `${amount < 0 ? "−" : "+"}${formatPrice(Math.abs(amount), currency)}`;
}

/** Parses what staff type ("19.99", "1999" for yen) into minor units, or undefined. */
export function parseAmount(text: string, currency: string): number | undefined {
  const digits = minorDigits(currency);
  const m = /^\s*(\d{1,10})(?:[.,](\d*))?\s*$/.exec(text);
  if (!m) return undefined;
  const minor = (m[2] ?? "").padEnd(digits, "0");
  if (minor.length > digits) return undefined;
  return Number(`${m[1]}${minor}`);
}

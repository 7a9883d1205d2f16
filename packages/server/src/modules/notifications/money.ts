/**
 * Amounts in a notification's data: `amountMinor` (integer minor units) with `currency` (ISO
 * 4217) become `amountText`, formatted for the recipient's locale ("149,00 €" for de, "€149.00"
 * for en), unless the sender gave `amountText` itself. Formatted when each recipient's
 * notification is made, so one send reads right in every recipient's language.
 */

/** Recipients with no locale of their own. */
export const DEFAULT_LOCALE = "en";

const formatters = new Map<string, Intl.NumberFormat>();

function formatter(locale: string, currency: string): Intl.NumberFormat | undefined {
  const key = `${locale}|${currency}`;
  let f = formatters.get(key);
  if (!f) {
    try {
      f = new Intl.NumberFormat(locale, { style: "currency", currency });
    } catch {
      // a contact's locale the runtime does not know, or a currency code that is not one
      try {
        f = new Intl.NumberFormat(DEFAULT_LOCALE, { style: "currency", currency });
      } catch {
        return undefined;
      }
    }
    if (formatters.size > 1000) formatters.clear();
    formatters.set(key, f);
  }
  return f;
}

/**
 * The amount as the locale writes it, or undefined when it is not an amount. The minor units
 * are turned into a decimal string from their digits (never divided as a float), which
 * Intl.NumberFormat formats exactly.
 */
export function formatAmount(
  minor: unknown,
  currency: unknown,
  locale: string | null | undefined,
): string | undefined {
  if (typeof minor !== "number" || !Number.isSafeInteger(minor)) return undefined;
  if (typeof currency !== "string" || !/^[A-Za-z]{3}$/.test(currency)) return undefined;
  const f = formatter(locale || DEFAULT_LOCALE, currency.toUpperCase());
  if (!f) return undefined;
  const digits = f.resolvedOptions().maximumFractionDigits ?? 2;
  const sign = minor < 0 ? "-" : "";
  const text = String(Math.abs(minor)).padStart(digits + 1, "0");
  const decimal = digits ? `${text.slice(0, -digits)}.${text.slice(-digits)}` : text;
  // a decimal string is formatted exactly (Intl.NumberFormat v3, Node ≥ 19)
  return f.format(`${sign}${decimal}` as unknown as number);
}

/** Whether this data asks for a formatted amount (and does not bring its own text). */
export const wantsAmount = (data: Record<string, unknown>): boolean =>
  data.amountText === undefined &&
  typeof data.amountMinor === "number" &&
  typeof data.currency === "string";

/** `data` with `amountText` for this locale (the same object when there is nothing to add). */
export function withAmount(
  data: Record<string, unknown>,
  locale: string | null | undefined,
): Record<string, unknown> {
  if (!wantsAmount(data)) return data;
  const amountText = formatAmount(data.amountMinor, data.currency, locale);
  return amountText === undefined ? data : { ...data, amountText };
}

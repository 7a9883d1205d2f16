import type {
  Adjustment,
  Condition,
  Factor,
  HistoryEntry,
  Lock,
  OrderQuote,
  Price,
  QuoteLine,
  Rule,
  Watch,
} from "./contract.js";
import type {
  LockRow,
  OrderQuoteRow,
  PriceHistoryRow,
  PriceRow,
  RuleRow,
  WatchRow,
} from "./migrations.js";
import { toPercent } from "./money.js";

/** Rows → the contract's shapes (the JSON columns were written by this module from validated input). */

export const factorsOf = (text: string) => JSON.parse(text) as Factor[];

export function priceOf(row: PriceRow): Price {
  return {
    sku: row.sku,
    currency: row.currency,
    base: row.base_amount,
    amount: row.amount,
    factors: factorsOf(row.factors),
    ...(row.floor_amount !== null && { floor: row.floor_amount }),
    ...(row.ceiling_amount !== null && { ceiling: row.ceiling_amount }),
    ...(row.max_step_bps !== null && { maxStepPercent: toPercent(row.max_step_bps) }),
    version: row.version,
    seq: row.seq,
    updatedAt: row.updated_at,
    changedAt: row.changed_at,
  };
}

export function ruleOf(row: RuleRow): Rule {
  return {
    id: row.id,
    name: row.name,
    enabled: row.enabled === 1,
    ...(row.skus !== null && { skus: JSON.parse(row.skus) as string[] }),
    when: JSON.parse(row.conditions) as Condition[],
    adjust: JSON.parse(row.adjust) as Adjustment,
    priority: row.priority,
    stackable: row.stackable === 1,
    ...(row.max_uses !== null && { maxUses: row.max_uses }),
    uses: row.uses,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function historyOf(row: PriceHistoryRow): HistoryEntry {
  return {
    id: row.id,
    at: row.at,
    amount: row.amount,
    base: row.base_amount,
    currency: row.currency,
    cause: row.cause,
    factors: factorsOf(row.factors),
    by: row.by,
  };
}

export function watchOf(row: WatchRow): Watch {
  return {
    id: row.id,
    sku: row.sku,
    ...(row.below !== null && { below: row.below }),
    ...(row.drop_bps !== null && { dropPercent: toPercent(row.drop_bps) }),
    reference: row.reference,
    currency: row.currency,
    armed: row.armed === 1,
    createdAt: row.created_at,
    ...(row.last_alert_at !== null && { lastAlertAt: row.last_alert_at }),
  };
}

export function lockOf(row: LockRow, at: string): Lock {
  return {
    id: row.id,
    sku: row.sku,
    amount: row.amount,
    currency: row.currency,
    factors: factorsOf(row.factors),
    status: row.status === "active" && row.expires_at <= at ? "expired" : row.status,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
    ...(row.used_at !== null && { usedAt: row.used_at }),
  };
}

export function orderQuoteOf(row: OrderQuoteRow): OrderQuote {
  return {
    id: row.id,
    orderId: row.order_id,
    status: row.status,
    currency: row.currency,
    lines: JSON.parse(row.lines) as QuoteLine[],
    subtotal: row.subtotal,
    taxPercent: toPercent(row.tax_bps),
    tax: row.tax,
    total: row.total,
    validUntil: row.valid_until,
    version: row.version,
    createdAt: row.created_at,
    createdBy: row.created_by,
    ...(row.decided_at !== null && { decidedAt: row.decided_at }),
    ...(row.decided_by !== null && { decidedBy: row.decided_by }),
  };
}

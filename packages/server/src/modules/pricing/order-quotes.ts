import type { Transaction } from "kysely";
import type { Identity } from "../../auth/identity.js";
import { SwitchboardError } from "../../errors.js";
import { ulid } from "../../ids.js";
import { isStaffOrServer, now, whoOf } from "../../platform/kit/actor.js";
import { affected } from "../../platform/kit/conditional.js";
import type { OutboxMessage } from "../../store/outbox.js";
import type { Database } from "../../store/schema.js";
import type { OrderQuoteRef } from "../orders/contract.js";
import { ordersServiceOf } from "../orders/index.js";
import {
  MAX_AMOUNT,
  type OrderQuote,
  orderChannel,
  QUOTE_APPROVED_EVENT,
  type QuoteApprovedEvent,
  type QuoteLine,
} from "./contract.js";
import { canCarry, type PricingDeps } from "./deps.js";
import type { OrderQuoteRow } from "./migrations.js";
import { formatMoney, shareOf, times, toBps } from "./money.js";
import type { CreateOrderQuoteInput, DecideQuoteInput } from "./schema.js";
import { orderQuoteOf } from "./views.js";

const HOUR = 60 * 60 * 1000;

/** The quote's own conditional update missed (decided or replaced meanwhile): roll back. */
class QuoteMiss extends Error {}

/** What the order's lifecycle may refuse: then the quote is decided without moving the order. */
const NOT_MOVABLE = new Set(["invalid_transition", "forbidden", "not_found"]);

/**
 * Runs `write` in the transaction that moves the order to `to` (orders' `transition` with
 * `also`: both commit or neither), or alone when the orders module does not run or the order's
 * lifecycle has no such step from where it is. Returns whether the order moved.
 */
async function withOrderMove(
  deps: PricingDeps,
  identity: Identity,
  orderId: string,
  move: { to: string; note: string; quote?: OrderQuoteRef },
  write: (trx: Transaction<Database>) => Promise<void>,
): Promise<boolean> {
  const orders = ordersServiceOf(deps.db);
  if (orders) {
    try {
      await orders.transition(identity, orderId, move, (trx) => write(trx));
      return true;
    } catch (error) {
      if (!(error instanceof SwitchboardError) || !NOT_MOVABLE.has(error.code)) throw error;
    }
  }
  await deps.db.transaction().execute(write);
  return false;
}

/**
 * Quotes with amounts for orders (a repair's diagnosis → quote → approval): staff send lines
 * (labour, parts at their live or locked price, fees, discounts) with tax and a validity; the
 * order's customer approves or declines exactly that quote — its version and total — or is told
 * it changed. Who may see an order's quotes is who may follow order:{id} (the orders module's
 * policy, asked through the namespaces, never its files). Each quote is announced as `quote` on
 * order:{id}, so the tracker shows the amount.
 */
export function createOrderQuoteService(deps: PricingDeps) {
  const { db, settings, outbox } = deps;

  async function assertFollows(identity: Identity, orderId: string): Promise<void> {
    try {
      await deps.namespaces.authorize(identity, orderChannel(orderId), "subscribe");
    } catch {
      throw new SwitchboardError("forbidden", `not allowed to see order ${orderId}`);
    }
  }

  function announce(row: OrderQuoteRow): OutboxMessage[] {
    const channel = orderChannel(row.order_id);
    return canCarry(deps, channel)
      ? [
          {
            channel,
            event: "quote",
            data: orderQuoteOf(row),
            key: `quote:${row.id}:v${row.version}`,
          },
        ]
      : [];
  }

  async function load(id: string): Promise<OrderQuoteRow> {
    const row = await db
      .selectFrom("pricing_order_quotes")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    if (!row) throw new SwitchboardError("not_found", `no quote ${id}`);
    return row;
  }

  return {
    async create(identity: Identity, input: CreateOrderQuoteInput): Promise<OrderQuote> {
      if (!isStaffOrServer(identity))
        throw new SwitchboardError("forbidden", "only staff or the API key send quotes");
      const at = now();
      const lines: QuoteLine[] = [];
      const locks: string[] = [];
      for (const [i, l] of input.lines.entries()) {
        let unit = l.unitAmount;
        if (unit === undefined && l.lockId) {
          const lock = await db
            .selectFrom("pricing_locks")
            .selectAll()
            .where("id", "=", l.lockId)
            .executeTakeFirst();
          if (!lock)
            throw new SwitchboardError("not_found", `line ${i + 1}: no price lock ${l.lockId}`);
          if (lock.status !== "active" || lock.expires_at <= at)
            throw new SwitchboardError(
              lock.status === "used" ? "price_lock_used" : "price_lock_expired",
              `line ${i + 1}: price lock ${l.lockId} cannot be used`,
            );
          if (lock.currency !== input.currency)
            throw new SwitchboardError(
              "currency_mismatch",
              `line ${i + 1}: the lock is in ${lock.currency}, the quote in ${input.currency}`,
              {
                details: { line: i + 1, lock: lock.currency, quote: input.currency },
              },
            );
          unit = lock.amount;
          locks.push(lock.id);
        } else if (unit === undefined && l.sku) {
          const price = await db
            .selectFrom("pricing_prices")
            .select(["amount", "currency"])
            .where("sku", "=", l.sku)
            .executeTakeFirst();
          if (!price)
            throw new SwitchboardError("not_found", `line ${i + 1}: no price for ${l.sku}`);
          if (price.currency !== input.currency)
            throw new SwitchboardError(
              "currency_mismatch",
              `line ${i + 1}: ${l.sku} is priced in ${price.currency}, the quote is in ${input.currency}`,
              {
                details: { line: i + 1, price: price.currency, quote: input.currency },
              },
            );
          unit = price.amount;
        }
        const gross = times(l.quantity, unit as number);
        if (gross === null || gross > MAX_AMOUNT)
          throw new SwitchboardError(
            "amount_out_of_range",
            `line ${i + 1}: ${l.quantity} × ${unit} is too large`,
          );
        lines.push({
          kind: l.kind,
          description: l.description,
          ...(l.sku && { sku: l.sku }),
          quantity: l.quantity,
          unitAmount: unit as number,
          amount: l.kind === "discount" ? -gross : gross,
        });
      }
      const subtotal = lines.reduce((s, l) => s + l.amount, 0);
      if (subtotal < 0 || subtotal > MAX_AMOUNT)
        throw new SwitchboardError(
          "amount_out_of_range",
          `the subtotal ${subtotal} is outside 0–${MAX_AMOUNT}`,
        );
      const taxBps = input.taxPercent !== undefined ? toBps(input.taxPercent) : settings.taxBps;
      const tax = shareOf(subtotal, taxBps);
      const validUntil = input.validUntil
        ? new Date(input.validUntil).toISOString()
        : new Date(Date.parse(at) + settings.quoteValidHours * HOUR).toISOString();
      if (validUntil <= at) throw new SwitchboardError("bad_request", "validUntil is in the past");
      const row: OrderQuoteRow = {
        id: ulid(),
        order_id: input.orderId,
        status: "proposed",
        currency: input.currency,
        lines: JSON.stringify(lines),
        subtotal,
        tax_bps: taxBps,
        tax,
        total: subtotal + tax,
        valid_until: validUntil,
        version: 1,
        created_at: at,
        created_by: whoOf(identity),
        decided_at: null,
        decided_by: null,
      };
      let ids: string[] = [];
      // the order waits for the customer (quote-pending) in the quote's own transaction
      await withOrderMove(
        deps,
        identity,
        input.orderId,
        {
          to: "quote-pending",
          note: `Quote ${formatMoney(row.total, row.currency)}`,
          // carried on order.status_changed: the "quote waiting" notification shows the amount
          quote: { id: row.id, totalMinor: row.total, currency: row.currency },
        },
        async (trx) => {
          for (const id of locks) {
            const r = await trx
              .updateTable("pricing_locks")
              .set({ status: "used", used_at: at })
              .where("id", "=", id)
              .where("status", "=", "active")
              .executeTakeFirst();
            if (affected(r) !== 1)
              throw new SwitchboardError("price_lock_used", `price lock ${id} was used meanwhile`);
          }
          const replaced = await trx
            .selectFrom("pricing_order_quotes")
            .selectAll()
            .where("order_id", "=", input.orderId)
            .where("status", "=", "proposed")
            .execute();
          const messages: OutboxMessage[] = [];
          for (const old of replaced) {
            const r = await trx
              .updateTable("pricing_order_quotes")
              .set({ status: "superseded", version: old.version + 1 })
              .where("id", "=", old.id)
              .where("version", "=", old.version)
              .executeTakeFirst();
            if (affected(r) === 1)
              messages.push(
                ...announce({ ...old, status: "superseded", version: old.version + 1 }),
              );
          }
          await trx.insertInto("pricing_order_quotes").values(row).execute();
          messages.push(...announce(row));
          ids = await outbox.enqueue(trx, messages);
        },
      );
      await outbox.flush(ids);
      return orderQuoteOf(row);
    },

    async list(identity: Identity, orderId: string): Promise<OrderQuote[]> {
      await assertFollows(identity, orderId);
      const rows = await db
        .selectFrom("pricing_order_quotes")
        .selectAll()
        .where("order_id", "=", orderId)
        .orderBy("id", "desc")
        .limit(100)
        .execute();
      return rows.map(orderQuoteOf);
    },

    /** The order's customer approves or declines the exact quote they saw. */
    async decide(identity: Identity, id: string, input: DecideQuoteInput): Promise<OrderQuote> {
      const row = await load(id);
      await assertFollows(identity, row.order_id);
      if (isStaffOrServer(identity))
        throw new SwitchboardError("forbidden", "the order's customer decides on a quote");
      const at = now();
      if (row.status !== "proposed" || row.version !== input.version || row.total !== input.total)
        throw new SwitchboardError(
          "quote_changed",
          `quote ${id} is not the one shown (now ${row.status}, version ${row.version}, total ${row.total})`,
          {
            details: { quote: orderQuoteOf(row) },
          },
        );
      if (row.valid_until <= at)
        throw new SwitchboardError(
          "quote_expired",
          `quote ${id} was valid until ${row.valid_until}`,
          {
            details: { validUntil: row.valid_until },
          },
        );
      const next: OrderQuoteRow = {
        ...row,
        status: input.decision === "approve" ? "approved" : "declined",
        version: row.version + 1,
        decided_at: at,
        decided_by: whoOf(identity),
      };
      let ids: string[] = [];
      const approve = input.decision === "approve";
      const write = async (trx: Transaction<Database>) => {
        const r = await trx
          .updateTable("pricing_order_quotes")
          .set({
            status: next.status,
            version: next.version,
            decided_at: at,
            decided_by: next.decided_by,
          })
          .where("id", "=", id)
          .where("version", "=", row.version)
          .where("status", "=", "proposed")
          .where("valid_until", ">", at)
          .executeTakeFirst();
        if (affected(r) !== 1) throw new QuoteMiss();
        if (approve) {
          const approved: QuoteApprovedEvent = {
            orderId: row.order_id,
            quoteId: id,
            amountMinor: row.total,
            currency: row.currency,
            userId: whoOf(identity),
            at,
          };
          await deps.events.emit(trx, {
            type: QUOTE_APPROVED_EVENT,
            aggregate: orderChannel(row.order_id),
            payload: approved,
          });
        }
        ids = await outbox.enqueue(trx, announce(next));
      };
      try {
        // the order follows its lifecycle (quote-approved / quote-declined) in the same commit
        await withOrderMove(
          deps,
          identity,
          row.order_id,
          {
            to: approve ? "quote-approved" : "quote-declined",
            note: `Quote ${formatMoney(row.total, row.currency)} ${approve ? "approved" : "declined"}`,
          },
          write,
        );
      } catch (error) {
        if (!(error instanceof QuoteMiss)) throw error;
        const current = await load(id);
        throw new SwitchboardError("quote_changed", `quote ${id} changed meanwhile`, {
          details: { quote: orderQuoteOf(current) },
        });
      }
      await outbox.flush(ids);
      return orderQuoteOf(next);
    },
  };
}

export type OrderQuoteService = ReturnType<typeof createOrderQuoteService>;

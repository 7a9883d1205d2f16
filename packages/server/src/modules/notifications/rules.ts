import type { Kysely } from "kysely";
import type { Logger } from "pino";
import { SERVER_IDENTITY } from "../../auth/identity.js";
import { SwitchboardError } from "../../errors.js";
import { now } from "../../platform/kit/actor.js";
import type { Database } from "../../store/schema.js";
import type { NotificationChannel, NotificationPriority, Rule } from "./contract.js";
import { lookup, render } from "./render.js";
import type { RuleInput } from "./schema.js";
import type { Sends } from "./sends.js";

/**
 * A rule turns a domain event into a send, as data: which event, when (payload path → the
 * values that fire it), who (the payload path of the recipient or recipients), with what
 * template and variables (variable → payload path; `=text` is a literal, a list takes the first
 * present). Adding a rule is adding an entry here; operators turn rules on and off and change
 * their template and channels over REST (`/api/notifications/rules`).
 */
export interface RuleDefinition {
  name: string;
  event: string;
  description: string;
  template: string;
  when?: Record<string, readonly unknown[]>;
  recipients: string;
  data: Record<string, string | readonly string[]>;
  /** Over the payload: the same event handled twice makes one notification. */
  dedupeKey?: string;
  priority?: NotificationPriority;
  enabled?: boolean;
}

const orderData = {
  orderId: "order.id",
  title: ["order.title", "=Your order"],
  statusLabel: "order.statusLabel",
  status: "order.status",
} as const;

export const RULES: readonly RuleDefinition[] = [
  {
    name: "order-ready",
    event: "order.status_changed",
    description: "An order or repair is ready for pickup",
    template: "order.ready_for_pickup",
    when: { "change.to": ["ready-pickup"] },
    recipients: "order.customerId",
    data: orderData,
    dedupeKey: "rule:order-ready:{{order.id}}:v{{change.version}}",
    priority: "high",
  },
  {
    name: "order-quote",
    event: "order.status_changed",
    description: "A quote waits for the customer's approval",
    template: "order.quote_waiting",
    when: { "change.to": ["quote-pending"] },
    recipients: "order.customerId",
    data: orderData,
    dedupeKey: "rule:order-quote:{{order.id}}:v{{change.version}}",
    priority: "high",
  },
  {
    name: "order-shipped",
    event: "order.status_changed",
    description: "A store order is shipped or out for delivery",
    template: "order.status",
    when: { "change.to": ["shipped", "out-for-delivery", "delivered"] },
    recipients: "order.customerId",
    data: orderData,
    dedupeKey: "rule:order-shipped:{{order.id}}:v{{change.version}}",
  },
  {
    name: "back-in-stock",
    event: "inventory.back_in_stock",
    description: "A watched item is back in stock (the inventory 'notify me')",
    template: "inventory.back_in_stock",
    recipients: "users",
    data: { sku: "sku", name: ["name", "sku"], available: "available" },
  },
  {
    name: "price-drop",
    event: "pricing.watch_triggered",
    description: "A watched price dropped",
    template: "pricing.price_drop",
    recipients: "userId",
    data: { sku: "sku", amount: "amount", currency: "currency" },
  },
];

function value(payload: unknown, spec: string | readonly string[]): unknown {
  for (const s of typeof spec === "string" ? [spec] : spec) {
    if (s.startsWith("=")) return s.slice(1);
    const v = lookup(payload, s);
    if (v !== undefined && v !== null && v !== "") return v;
  }
  return undefined;
}

export function createRules(db: Kysely<Database>, sends: Sends, logger: Logger, kick: () => void) {
  const byName = new Map(RULES.map((r) => [r.name, r]));

  async function overrides(): Promise<Map<string, Rule>> {
    const rows = await db.selectFrom("notification_rules").selectAll().execute();
    const out = new Map<string, Rule>();
    for (const def of RULES) {
      const row = rows.find((r) => r.name === def.name);
      out.set(def.name, {
        name: def.name,
        event: def.event,
        description: def.description,
        enabled: row ? row.enabled === 1 : (def.enabled ?? true),
        template: row?.template ?? def.template,
        channels: row?.channels ? (JSON.parse(row.channels) as NotificationChannel[]) : null,
      });
    }
    return out;
  }

  return {
    events(): string[] {
      return [...new Set(RULES.map((r) => r.event))];
    },

    list: async (): Promise<Rule[]> => [...(await overrides()).values()],

    async update(name: string, input: RuleInput): Promise<Rule> {
      const def = byName.get(name);
      if (!def) throw new SwitchboardError("unknown_rule", `no rule ${name}`);
      const current = (await overrides()).get(name) as Rule;
      const next = {
        enabled: input.enabled ?? current.enabled,
        template:
          input.template === undefined ? current.template : (input.template ?? def.template),
        channels: input.channels === undefined ? current.channels : input.channels,
      };
      const row = {
        name,
        enabled: next.enabled ? 1 : 0,
        template: next.template,
        channels: next.channels ? JSON.stringify(next.channels) : null,
        updated_at: now(),
      };
      await db
        .insertInto("notification_rules")
        .values(row)
        .onConflict((oc) => oc.column("name").doUpdateSet(row))
        .execute();
      return { ...current, ...next };
    },

    /** Runs every rule of this event (eventId, when known, makes a repeat of the event a no-op). */
    async handle(event: string, payload: unknown, eventId?: string): Promise<number> {
      const rules = RULES.filter((r) => r.event === event);
      if (rules.length === 0) return 0;
      const settings = await overrides();
      let made = 0;
      for (const def of rules) {
        const rule = settings.get(def.name);
        if (!rule?.enabled) continue;
        const fires = Object.entries(def.when ?? {}).every(([path, values]) =>
          values.includes(lookup(payload, path)),
        );
        if (!fires) continue;
        const who = lookup(payload, def.recipients);
        const userIds = (Array.isArray(who) ? who : [who]).filter(
          (u): u is string => typeof u === "string" && u.length > 0 && u.length <= 255,
        );
        if (userIds.length === 0) continue;
        const data = Object.fromEntries(
          Object.entries(def.data).map(([k, spec]) => [k, value(payload, spec)]),
        );
        const dedupeKey = eventId
          ? `rule:${def.name}:${eventId}`
          : def.dedupeKey && render(def.dedupeKey, payload);
        try {
          await sends.accept(SERVER_IDENTITY, {
            userIds,
            type: rule.template,
            data,
            priority: def.priority ?? "normal",
            ...(rule.channels && { channels: rule.channels }),
            ...(dedupeKey && { dedupeKey }),
          });
          made++;
        } catch (error) {
          logger.error({ err: error, rule: def.name }, "notification rule failed");
        }
      }
      if (made) kick();
      return made;
    },
  };
}

export type Rules = ReturnType<typeof createRules>;

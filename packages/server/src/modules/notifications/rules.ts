import type { Kysely, Transaction } from "kysely";
import { DateTime } from "luxon";
import type { Logger } from "pino";
import { SERVER_IDENTITY } from "../../auth/identity.js";
import { SwitchboardError } from "../../errors.js";
import type { ModuleScheduler } from "../../platform/durable/types.js";
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
  /**
   * Not while the recipient is present on this channel (rendered over the payload, e.g. the
   * conversation a chat reply is in): someone watching it live needs no notification.
   */
  unlessPresent?: string;
  /**
   * Decided only after the offline grace (`SWITCHBOARD_NOTIFICATIONS_CHAT_REPLY_GRACE_MS`): the
   * event schedules a task under this key (rendered over the payload; a later event with the
   * same key moves it on and replaces it, so a burst makes one notification about its last
   * event), and when it runs the recipient is skipped if present (`unlessPresent`) or if
   * `readBy` says they have read it meanwhile.
   */
  grace?: {
    key: string;
    readBy(trx: Transaction<Database>, payload: unknown, userId: string): Promise<boolean>;
    /**
     * An in-process event saying the recipient has read (the conversation): the waiting task
     * whose key it renders is cancelled when `covers` says the read reaches the event the task
     * waits on. A lost event (a crash) only leaves the task to find the read itself (`readBy`).
     */
    cancelledBy?: {
      event: string;
      key: string;
      covers(read: unknown, waiting: unknown): boolean;
    };
  };
  /** Variables computed from the payload (formatted times), added to `data`. */
  derive?: (payload: unknown) => Record<string, unknown>;
  /**
   * The emitter announces this event only on the in-process bus (not yet durably): the rule
   * listens there, and loses what a crash loses. Durable events are heard durably only, so a
   * change is never heard twice.
   */
  local?: boolean;
}

/** "Tue 8 Dec 2026, 14:30" in the appointment's own zone (where the customer goes). */
function localTime(iso: unknown, zone: unknown): string {
  if (typeof iso !== "string") return "";
  const at = DateTime.fromISO(iso, { zone: typeof zone === "string" ? zone : "UTC" });
  return at.isValid ? at.toFormat("ccc d LLL yyyy, HH:mm") : iso;
}
const appointmentTimes = (payload: unknown) => ({
  when: localTime(lookup(payload, "startsAt"), lookup(payload, "timeZone")),
  previousWhen: localTime(lookup(payload, "previousStartsAt"), lookup(payload, "timeZone")),
});
const appointmentData = {
  appointmentId: "appointmentId",
  startsAt: "startsAt",
  timeZone: "timeZone",
  serviceId: "serviceId",
} as const;

/** A chat message as a notification's body: one line, at most 200 characters. */
function excerpt(text: unknown): string {
  if (typeof text !== "string") return "";
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

// Order events carry `{order, change}` in process and `{orderId, customerId, to, version…}`
// as durable events (docs/modules.md): each path lists both, the first present wins.
const orderData = {
  orderId: ["order.id", "orderId"],
  title: ["order.title", "title", "=Your order"],
  statusLabel: ["toLabel", "order.statusLabel", "to"],
  status: ["order.status", "to"],
} as const;
/**
 * Whether the event is one the rule's `when` lets through: static per rule (operators switch a
 * rule on and off and change its template, never its conditions), so it also decides at emit
 * time whether the rule's handler gets a delivery at all.
 */
export function ruleFires(def: RuleDefinition, payload: unknown): boolean {
  return Object.entries(def.when ?? {}).every(([path, values]) =>
    values.includes(pick(payload, path)),
  );
}

const orderKey = (rule: string) =>
  `rule:${rule}:{{order.id}}{{orderId}}:v{{change.version}}{{version}}`;

export const RULES: readonly RuleDefinition[] = [
  {
    name: "order-ready",
    event: "order.status_changed",
    description: "An order or repair is ready for pickup",
    template: "order.ready_for_pickup",
    when: { "change.to|to": ["ready-pickup"] },
    recipients: "order.customerId|customerId",
    data: orderData,
    dedupeKey: orderKey("order-ready"),
    priority: "high",
  },
  {
    name: "order-quote",
    event: "order.status_changed",
    description: "A quote waits for the customer's approval",
    template: "order.quote_waiting",
    when: { "change.to|to": ["quote-pending"] },
    recipients: "order.customerId|customerId",
    // the quote's total when pricing proposed it (else the order's own price): formatted in
    // each recipient's locale as amountText when the notification is made (money.ts)
    data: {
      ...orderData,
      amountMinor: ["quote.totalMinor", "amountMinor", "order.amountMinor"],
      currency: ["quote.currency", "currency", "order.currency"],
    },
    derive: (p) =>
      pick(p, "quote.totalMinor|amountMinor|order.amountMinor") === undefined
        ? { amountText: "ready" }
        : {},
    dedupeKey: orderKey("order-quote"),
    priority: "high",
  },
  {
    name: "order-shipped",
    event: "order.status_changed",
    description: "A store order is shipped or out for delivery",
    template: "order.status",
    when: { "change.to|to": ["shipped", "out-for-delivery", "delivered"] },
    recipients: "order.customerId|customerId",
    data: orderData,
    dedupeKey: orderKey("order-shipped"),
  },
  {
    name: "back-in-stock",
    event: "inventory.back_in_stock",
    description: "A watched item is back in stock (the inventory 'notify me')",
    template: "inventory.back_in_stock",
    recipients: "watcherIds|users",
    data: { sku: "sku", name: ["name", "sku"], available: "available" },
    dedupeKey: "rule:back-in-stock:{{sku}}:v{{version}}",
  },
  {
    // metrics' alerts (goal reached, 5- or 1-star rating, long wait, stock-out) to the owner and
    // managers it names (SWITCHBOARD_METRICS_ALERT_RECIPIENTS); metrics turns each kind on or off
    name: "metrics-alert",
    event: "metrics.alert",
    description: "A business alert from live metrics (revenue goal, rating, long wait, stock-out)",
    template: "metrics.alert",
    recipients: "recipients",
    data: { title: "title", body: "body", kind: "kind" },
    priority: "high",
  },
  {
    name: "price-drop",
    event: "pricing.watch_triggered",
    description: "A watched price dropped (the shopper's price watch crossed its line)",
    template: "pricing.price_drop",
    recipients: "userId",
    data: { sku: "sku", amount: ["amountText", "amount"], currency: "currency" },
  },
  {
    name: "chat-reply",
    event: "chat.message_created",
    description: "An agent replied in a chat the customer does not have open",
    template: "chat.reply",
    when: { authorRole: ["agent"] },
    recipients: "customerId",
    unlessPresent: "conversation:{{conversationId}}",
    grace: {
      key: "chat-reply:{{conversationId}}:{{customerId}}",
      // chat's read receipt (read-only): the customer read up to this message or later
      readBy: async (trx, payload, userId) => {
        const seq = lookup(payload, "seq");
        const conversationId = lookup(payload, "conversationId");
        if (typeof seq !== "number" || typeof conversationId !== "string") return false;
        const r = await trx
          .selectFrom("chat_receipts")
          .select("read_seq")
          .where("conversation_id", "=", conversationId)
          .where("user_id", "=", userId)
          .executeTakeFirst();
        return (r?.read_seq ?? 0) >= seq;
      },
      // chat's `chat.read` (in process, after the receipt's commit): read up to this reply
      cancelledBy: {
        event: "chat.read",
        key: "chat-reply:{{conversationId}}:{{userId}}",
        covers: (read, waiting) => {
          const upTo = lookup(read, "upTo");
          const seq = lookup(waiting, "seq");
          return typeof upTo === "number" && typeof seq === "number" && upTo >= seq;
        },
      },
    },
    data: { conversationId: "conversationId", authorName: ["authorName", "=Support"] },
    derive: (p) => ({ text: excerpt(lookup(p, "text")) }),
    dedupeKey: "rule:chat-reply:{{messageId}}",
  },
  {
    name: "appointment-reminder",
    event: "appointment.reminder",
    description: "An appointment is coming up (the appointments module's 24 h and 1 h reminders)",
    template: "appointment.reminder",
    recipients: "customerId",
    data: { ...appointmentData, minutesBefore: "minutesBefore" },
    derive: appointmentTimes,
    dedupeKey: "rule:appointment-reminder:{{appointmentId}}:{{minutesBefore}}:{{startsAt}}",
    priority: "high",
  },
  {
    // appointments offers free pickup times when a repair is ready (its durable
    // `appointment.pickup_offered`); the order's own "ready for pickup" is order-ready's
    name: "pickup-offered",
    event: "appointment.pickup_offered",
    description: "A ready repair can be picked up: the customer is offered free pickup times",
    template: "appointment.pickup_offered",
    recipients: "userId|customerId",
    data: {
      orderId: "orderId",
      title: ["orderTitle", "=Your repair"],
      serviceName: ["serviceName", "=Pickup"],
      startsAt: "startsAt",
    },
    derive: (p) => {
      const first = localTime(lookup(p, "startsAt"), lookup(p, "timeZone"));
      const zone = lookup(p, "timeZone");
      return {
        firstFree: first
          ? `The first free time is ${first} (${typeof zone === "string" ? zone : "UTC"}).`
          : "Choose a time that suits you.",
      };
    },
    dedupeKey: "rule:pickup-offered:{{orderId}}:{{startsAt}}",
    priority: "high",
  },
  {
    name: "appointment-confirmed",
    event: "appointment.confirmed",
    description: "The customer's appointment is booked",
    template: "appointment.confirmed",
    recipients: "customerId",
    data: appointmentData,
    derive: appointmentTimes,
  },
  {
    name: "appointment-rescheduled",
    event: "appointment.rescheduled",
    description: "The customer's appointment moved to another time",
    template: "appointment.rescheduled",
    recipients: "customerId",
    data: { ...appointmentData, previousStartsAt: "previousStartsAt" },
    derive: appointmentTimes,
    priority: "high",
  },
  {
    name: "appointment-cancelled",
    event: "appointment.cancelled",
    description: "The customer's appointment is cancelled",
    template: "appointment.cancelled",
    recipients: "customerId",
    data: appointmentData,
    derive: appointmentTimes,
    priority: "high",
  },
];

/** A path, or alternatives `a|b`: the first present. */
function pick(payload: unknown, paths: string): unknown {
  for (const path of paths.split("|")) {
    const v = lookup(payload, path);
    if (v !== undefined && v !== null) return v;
  }
  return undefined;
}

function value(payload: unknown, spec: string | readonly string[]): unknown {
  for (const s of typeof spec === "string" ? [spec] : spec) {
    if (s.startsWith("=")) return s.slice(1);
    const v = lookup(payload, s);
    if (v !== undefined && v !== null && v !== "") return v;
  }
  return undefined;
}

/** Who is present on a channel, cluster-wide (the broker's presence). */
export type PresenceOf = (channel: string) => Promise<readonly string[]>;

/** The task a rule with a grace schedules; its payload is the event it decides on later. */
export const GRACE_TASK = "notifications.rule-grace";
export interface GracePayload {
  rule: string;
  event: string;
  eventId?: string | undefined;
  payload: unknown;
}

export interface RulesOptions {
  presenceOf?: PresenceOf;
  /** Where a rule's grace waits (absent: rules decide at once). */
  scheduler?: ModuleScheduler;
  /** The offline grace of rules that have one; 0 decides at once. */
  graceMs?: number;
}

export function createRules(
  db: Kysely<Database>,
  sends: Sends,
  logger: Logger,
  kick: () => void,
  options: RulesOptions = {},
) {
  const presenceOf: PresenceOf = options.presenceOf ?? (async () => []);
  const graceMs = options.graceMs ?? 0;
  const byName = new Map(RULES.map((r) => [r.name, r]));

  /** `q`: the handler's transaction when there is one (SQLite has one connection). */
  async function overrides(q: Kysely<Database> = db): Promise<Map<string, Rule>> {
    const rows = await q.selectFrom("notification_rules").selectAll().execute();
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

  /** The task key of a rule's grace, rendered over an event's payload. */
  const graceKey = (key: string, payload: unknown) =>
    `notifications:grace:${render(key, payload)}`.slice(0, 300);

  return {
    definitions: RULES,

    /** The in-process events that cancel a waiting grace (a read), for the module to hear. */
    cancelEvents: [
      ...new Set(RULES.flatMap((r) => (r.grace?.cancelledBy ? [r.grace.cancelledBy.event] : []))),
    ],

    /**
     * A read: cancels each grace task it covers. Compare-and-delete on the task's payload, so a
     * later event that replaced the task meanwhile (a newer reply, not read) keeps its task; a
     * task running now finds its row gone and rolls back (the scheduler's cancel). Returns how
     * many were cancelled.
     */
    async cancelGraces(event: string, read: unknown): Promise<number> {
      let cancelled = 0;
      for (const def of RULES) {
        const by = def.grace?.cancelledBy;
        if (!by || by.event !== event) continue;
        const key = graceKey(by.key, read);
        const task = await db
          .selectFrom("scheduled_tasks")
          .select(["payload"])
          .where("key", "=", key)
          .where("task", "=", GRACE_TASK)
          .executeTakeFirst();
        if (!task) continue;
        const waiting = JSON.parse(task.payload) as GracePayload;
        if (waiting.rule !== def.name || !by.covers(read, waiting.payload)) continue;
        const r = await db
          .deleteFrom("scheduled_tasks")
          .where("key", "=", key)
          .where("payload", "=", task.payload)
          .executeTakeFirst();
        cancelled += Number(r.numDeletedRows);
      }
      return cancelled;
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

    /**
     * Runs the rules of this event (all of them, or the one named). The send is written into
     * `trx` when given (a durable event's handler: it commits with the event marked done). The
     * dedupe key comes from the payload when the rule has one, so the same change heard twice
     * (durably and in process) makes one notification; else from the durable event's id.
     */
    async handle(
      event: string,
      payload: unknown,
      opts: {
        eventId?: string | undefined;
        rule?: string;
        trx?: Transaction<Database>;
        /** The rule's grace has passed (its task runs): decide now. */
        afterGrace?: boolean;
      } = {},
    ): Promise<number> {
      const { eventId } = opts;
      const rules = RULES.filter((r) => r.event === event && (!opts.rule || r.name === opts.rule));
      if (rules.length === 0) return 0;
      const settings = await overrides(opts.trx);
      let made = 0;
      for (const def of rules) {
        const rule = settings.get(def.name);
        if (!rule?.enabled) continue;
        if (!ruleFires(def, payload)) continue;
        const who = pick(payload, def.recipients);
        let userIds = (Array.isArray(who) ? who : [who]).filter(
          (u): u is string => typeof u === "string" && u.length > 0 && u.length <= 255,
        );
        if (userIds.length === 0) continue;
        if (def.grace && graceMs > 0 && options.scheduler && opts.trx && !opts.afterGrace) {
          // decided when the grace ends: one task per key, moved on by each later event
          await options.scheduler.schedule(opts.trx, {
            task: GRACE_TASK,
            runAt: new Date(Date.now() + graceMs),
            key: graceKey(def.grace.key, payload),
            payload: { rule: def.name, event, eventId, payload } satisfies GracePayload,
          });
          continue;
        }
        if (def.unlessPresent && userIds.length > 0) {
          const here = new Set(await presenceOf(render(def.unlessPresent, payload)));
          userIds = userIds.filter((u) => !here.has(u));
        }
        if (def.grace && opts.afterGrace && opts.trx) {
          const trx = opts.trx;
          const unread: string[] = [];
          for (const u of userIds) if (!(await def.grace.readBy(trx, payload, u))) unread.push(u);
          userIds = unread;
        }
        if (userIds.length === 0) continue;
        const data = {
          ...Object.fromEntries(
            Object.entries(def.data).map(([k, spec]) => [k, value(payload, spec)]),
          ),
          ...def.derive?.(payload),
        };
        const dedupeKey = def.dedupeKey
          ? render(def.dedupeKey, payload)
          : eventId && `rule:${def.name}:${eventId}`;
        const accept = () =>
          sends.accept(
            SERVER_IDENTITY,
            {
              userIds,
              type: rule.template,
              data,
              priority: def.priority ?? "normal",
              ...(rule.channels && { channels: rule.channels }),
              ...(dedupeKey && { dedupeKey }),
            },
            opts.trx ? { trx: opts.trx } : {},
          );
        if (opts.trx) {
          // A durable handler: a failure throws, and the event is retried (then dead-lettered).
          await accept();
          made++;
          continue;
        }
        try {
          await accept();
          made++;
        } catch (error) {
          logger.error({ err: error, rule: def.name }, "notification rule failed");
        }
      }
      // A durable handler's sends are not committed yet: its caller kicks after the commit (a
      // kick now would read through db inside the handler, which the handler guard refuses).
      if (made && !opts.trx) kick();
      return made;
    },
  };
}

export type Rules = ReturnType<typeof createRules>;

import type { Kysely, Transaction } from "kysely";
import { SwitchboardError } from "../../errors.js";
import type { ModuleEvents } from "../../platform/durable/types.js";
import type { Outbox } from "../../store/outbox.js";
import type { Database } from "../../store/schema.js";
import type { MetricsSettings } from "./config.js";
import type { ActivityItem, AlertRule, MetricsAlert } from "./contract.js";
import { ALERT_RULES, type AlertRuleName, METRICS_ALERT_EVENT } from "./names.js";

interface RuleDefault {
  description: string;
  threshold: (s: MetricsSettings) => number | null;
}

const DEFAULTS: Record<AlertRuleName, RuleDefault> = {
  "revenue-goal": {
    description: "Today's revenue reached the daily goal (threshold: minor units of the currency)",
    threshold: (s) => s.revenueGoalMinor,
  },
  "rating-5": { description: "A customer gave a chat 5 stars", threshold: () => null },
  "rating-1": { description: "A customer gave a chat 1 star", threshold: () => null },
  "wait-above": {
    description: "A customer waited in the chat queue longer than the threshold (ms)",
    threshold: (s) => s.waitAlertMs,
  },
  "stock-out": { description: "An item ran out of stock", threshold: () => null },
};

/** Every rule as it stands: the owner's change if any, else its default (on). */
export async function listRules(
  q: Kysely<Database>,
  settings: MetricsSettings,
): Promise<AlertRule[]> {
  const rows = await q.selectFrom("metrics_alert_rules").selectAll().execute();
  return ALERT_RULES.map((name) => {
    const row = rows.find((r) => r.name === name);
    const def = DEFAULTS[name];
    const fallback = def.threshold(settings);
    return {
      name,
      description: def.description,
      enabled: row ? row.enabled === 1 : true,
      threshold:
        fallback === null ? null : row?.threshold != null ? Number(row.threshold) : fallback,
    };
  });
}

export async function updateRule(
  db: Kysely<Database>,
  settings: MetricsSettings,
  name: string,
  input: { enabled?: boolean | undefined; threshold?: number | undefined },
): Promise<AlertRule> {
  const current = (await listRules(db, settings)).find((r) => r.name === name);
  if (!current) throw new SwitchboardError("unknown_alert_rule", `no alert rule ${name}`);
  if (input.threshold !== undefined && current.threshold === null)
    throw new SwitchboardError("bad_request", `the ${name} rule has no threshold`);
  const next = {
    enabled: input.enabled ?? current.enabled,
    threshold: input.threshold ?? current.threshold,
  };
  const row = {
    name,
    enabled: next.enabled ? 1 : 0,
    threshold: next.threshold,
    updated_at: new Date().toISOString(),
  };
  await db
    .insertInto("metrics_alert_rules")
    .values(row)
    .onConflict((oc) => oc.column("name").doUpdateSet(row))
    .execute();
  return { ...current, ...next };
}

export interface AlertDeps {
  events: ModuleEvents;
  outbox: Outbox;
  settings: MetricsSettings;
}

/**
 * Raises an alert in the handler's transaction when its rule is on (and, with `onceKey`, only the
 * first time for that key): the durable `metrics.alert` event (notifications' rule turns it into
 * a notification for the recipients) and a feed line, handed to `line` (the handlers' batch
 * writes it with theirs). `threshold` is handed to `applies`.
 */
export async function raise(
  trx: Transaction<Database>,
  deps: AlertDeps,
  eventId: string,
  kind: AlertRuleName,
  applies: (threshold: number | null) => boolean,
  alert: (threshold: number | null) => Omit<MetricsAlert, "kind" | "recipients">,
  onceKey: string | undefined,
  line: (item: ActivityItem) => void,
): Promise<void> {
  const rule = (await listRules(trx, deps.settings)).find((r) => r.name === kind);
  if (!rule?.enabled || !applies(rule.threshold)) return;
  if (onceKey) {
    const first = await trx
      .insertInto("metrics_alert_fired")
      .values({ key: onceKey, at: new Date().toISOString() })
      .onConflict((oc) => oc.column("key").doNothing())
      .returning("key")
      .executeTakeFirst();
    if (!first) return;
  }
  const made = alert(rule.threshold);
  const payload: MetricsAlert = { kind, ...made, recipients: deps.settings.alertRecipients };
  await deps.events.emit(trx, {
    type: METRICS_ALERT_EVENT,
    aggregate: `metrics:${kind}`,
    payload,
  });
  line({
    id: `${eventId}:alert`,
    at: made.at,
    kind: `alert.${kind}`,
    title: made.title,
    data: { ...made.data, body: made.body },
  });
}

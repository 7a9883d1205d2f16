import type { Identity } from "../../auth/identity.js";
import { SwitchboardError } from "../../errors.js";
import { ulid } from "../../ids.js";
import { isStaffOrServer, now } from "../../platform/kit/actor.js";
import { expectOne } from "../../platform/kit/conditional.js";
import type { Rule } from "./contract.js";
import type { PricingDeps } from "./deps.js";
import type { RuleRow } from "./migrations.js";
import type { PriceService } from "./prices.js";
import type { CreateRuleInput, UpdateRuleInput } from "./schema.js";
import { ruleOf } from "./views.js";

/** At most this many rules: evaluation reads all of them for every quote. */
export const MAX_RULES = 500;

function columns(input: CreateRuleInput) {
  return {
    name: input.name,
    enabled: input.enabled ? 1 : 0,
    skus: input.skus ? JSON.stringify([...new Set(input.skus)]) : null,
    conditions: JSON.stringify(input.when),
    adjust: JSON.stringify(input.adjust),
    priority: input.priority,
    stackable: input.stackable ? 1 : 0,
    max_uses: input.maxUses ?? null,
  };
}

/**
 * Dynamic-pricing rules as data: validated by the contract's schema, versioned (two editors: one
 * wins, the other 409), and every change reprices the items it can touch.
 */
export function createRuleService(deps: PricingDeps, prices: PriceService) {
  const { db } = deps;
  /** Told after every rule change (the sampler counts bookings of a service a new rule names). */
  const listeners: (() => void)[] = [];

  function assertStaff(identity: Identity): void {
    if (!isStaffOrServer(identity))
      throw new SwitchboardError("forbidden", "only staff or the API key manage pricing rules");
  }

  /** Reprices what the rule (before and after) can touch; the periodic job is the backstop. */
  async function follow(...touched: (Rule | undefined)[]): Promise<void> {
    prices.rulesChanged();
    for (const l of listeners) l();
    const skus = new Set<string>();
    for (const r of touched) {
      if (!r) continue;
      if (!r.skus) return void (await prices.reprice("all", "rules"));
      for (const s of r.skus) skus.add(s);
    }
    await prices.reprice([...skus], "rules");
  }

  async function load(id: string): Promise<RuleRow> {
    const row = await db
      .selectFrom("pricing_rules")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    if (!row) throw new SwitchboardError("not_found", `no pricing rule ${id}`);
    return row;
  }

  return {
    onChange(listener: () => void): void {
      listeners.push(listener);
    },

    async list(identity: Identity): Promise<Rule[]> {
      assertStaff(identity);
      const rows = await db
        .selectFrom("pricing_rules")
        .selectAll()
        .orderBy("priority", "desc")
        .orderBy("id")
        .execute();
      return rows.map(ruleOf);
    },

    async create(identity: Identity, input: CreateRuleInput): Promise<Rule> {
      assertStaff(identity);
      const count = await db
        .selectFrom("pricing_rules")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow();
      if (Number(count.n) >= MAX_RULES)
        throw new SwitchboardError("bad_request", `at most ${MAX_RULES} pricing rules`);
      const at = now();
      const row: RuleRow = {
        id: ulid(),
        ...columns(input),
        uses: 0,
        version: 1,
        created_at: at,
        updated_at: at,
      };
      await db.insertInto("pricing_rules").values(row).execute();
      const rule = ruleOf(row);
      await follow(rule);
      return rule;
    },

    /** Replaces a rule at the version the editor saw (409 `conflict` otherwise). */
    async update(identity: Identity, id: string, input: UpdateRuleInput): Promise<Rule> {
      assertStaff(identity);
      const before = await load(id);
      if (before.version !== input.expectedVersion)
        throw new SwitchboardError(
          "conflict",
          `rule ${id} is at version ${before.version}, not ${input.expectedVersion}`,
          {
            details: { version: before.version, rule: ruleOf(before) },
          },
        );
      const row: RuleRow = {
        ...before,
        ...columns(input.rule),
        version: before.version + 1,
        updated_at: now(),
      };
      const r = await db
        .updateTable("pricing_rules")
        .set(row)
        .where("id", "=", id)
        .where("version", "=", input.expectedVersion)
        .executeTakeFirst();
      try {
        expectOne(r);
      } catch {
        throw new SwitchboardError("conflict", `rule ${id} was changed by someone else first`, {
          details: { version: (await load(id)).version },
        });
      }
      const rule = ruleOf(row);
      await follow(ruleOf(before), rule);
      return rule;
    },

    async remove(identity: Identity, id: string): Promise<void> {
      assertStaff(identity);
      const before = await load(id);
      await db.deleteFrom("pricing_rules").where("id", "=", id).execute();
      await follow(ruleOf(before));
    },
  };
}

export type RuleService = ReturnType<typeof createRuleService>;

import type { Rule } from "@switchboard/server/contracts/pricing";
import { type FormEvent, useEffect, useState } from "react";
import {
  BOOKINGS,
  type ConditionKind,
  EMPTY_RULE_FORM,
  formFromRule,
  KNOWN_SIGNALS,
  type RuleFormState,
  ruleFromForm,
  WEEKDAYS,
} from "./ruleForm.js";

const KINDS: { kind: ConditionKind; label: string }[] = [
  { kind: "time", label: "Hours of the week" },
  { kind: "dates", label: "Dates" },
  { kind: "signal", label: "A live signal" },
  { kind: "stock", label: "Stock level" },
  { kind: "code", label: "Promotion code" },
  { kind: "always", label: "Always" },
];

/**
 * A form for the common rule shapes (one condition, a % or amount change, items, priority,
 * exclusive, a promotion's usage limit): a new rule, or `editing` a saved one (its fields filled
 * in). `onSubmit` gets the rule body; it resolves to an error text to show, or undefined when
 * the rule was saved. `onDraft` hears every valid draft (undefined while the form has a problem)
 * so the console can preview its quote before it is saved.
 */
export function RuleForm({
  editing,
  onSubmit,
  onCancel,
  onDraft,
}: {
  editing?: Rule | undefined;
  onSubmit: (rule: Record<string, unknown>) => Promise<string | undefined>;
  onCancel?: () => void;
  onDraft?: (rule: Record<string, unknown> | undefined) => void;
}) {
  const [f, setF] = useState<RuleFormState>(
    () => (editing && formFromRule(editing)) || EMPTY_RULE_FORM,
  );
  const [error, setError] = useState<string>();
  const set = <K extends keyof RuleFormState>(key: K, value: RuleFormState[K]) =>
    setF((prev) => ({ ...prev, [key]: value }));
  const built = ruleFromForm(f);
  const draftJson = "rule" in built ? JSON.stringify(built.rule) : undefined;
  useEffect(() => {
    onDraft?.(draftJson === undefined ? undefined : JSON.parse(draftJson));
  }, [draftJson, onDraft]);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if ("error" in built) return setError(built.error);
    const problem = await onSubmit(built.rule);
    setError(problem);
    if (!problem && !editing) setF({ ...EMPTY_RULE_FORM, kind: f.kind });
  };
  return (
    <form
      className="stack rule-form"
      aria-label={editing ? `Edit rule ${editing.name}` : "New rule"}
      onSubmit={(e) => void submit(e)}
    >
      {editing && (
        <p className="muted small" role="status">
          Editing “{editing.name}” (version {editing.version}): saving replaces it.
        </p>
      )}
      <label>
        Rule name
        <input value={f.name} onChange={(e) => set("name", e.target.value)} maxLength={100} />
      </label>
      <label>
        When
        <select value={f.kind} onChange={(e) => set("kind", e.target.value as ConditionKind)}>
          {KINDS.map((k) => (
            <option key={k.kind} value={k.kind}>
              {k.label}
            </option>
          ))}
        </select>
      </label>
      {f.kind === "time" && (
        <fieldset className="row">
          <legend>Days and hours (business time zone)</legend>
          {WEEKDAYS.map((d) => (
            <label key={d} className="inline">
              <input
                type="checkbox"
                checked={f.days.includes(d)}
                onChange={(e) =>
                  set("days", e.target.checked ? [...f.days, d] : f.days.filter((x) => x !== d))
                }
              />
              {d}
            </label>
          ))}
          <label>
            From
            <input type="time" value={f.from} onChange={(e) => set("from", e.target.value)} />
          </label>
          <label>
            To
            <input type="time" value={f.to} onChange={(e) => set("to", e.target.value)} />
          </label>
        </fieldset>
      )}
      {f.kind === "dates" && (
        <div className="row">
          <label>
            First day
            <input
              type="date"
              value={f.dateFrom}
              onChange={(e) => set("dateFrom", e.target.value)}
            />
          </label>
          <label>
            Last day
            <input type="date" value={f.dateTo} onChange={(e) => set("dateTo", e.target.value)} />
          </label>
        </div>
      )}
      {(f.kind === "signal" || f.kind === "stock") && (
        <div className="row">
          {f.kind === "signal" && (
            <label>
              Signal
              <input
                list="rule-signals"
                value={f.signal}
                onChange={(e) => set("signal", e.target.value.toLowerCase())}
              />
              <datalist id="rule-signals">
                {KNOWN_SIGNALS.map((s) => (
                  <option key={s} value={s} />
                ))}
              </datalist>
            </label>
          )}
          {f.kind === "signal" && f.signal === BOOKINGS && (
            <>
              <label>
                Bookings of
                <select
                  value={f.bookingsOf}
                  onChange={(e) => set("bookingsOf", e.target.value as RuleFormState["bookingsOf"])}
                >
                  <option value="all">Every service and resource</option>
                  <option value="service">One service</option>
                  <option value="resource">One resource</option>
                </select>
              </label>
              {f.bookingsOf !== "all" && (
                <label>
                  {f.bookingsOf === "service" ? "Service id" : "Resource id"}
                  <input
                    value={f.bookingsId}
                    onChange={(e) => set("bookingsId", e.target.value.toLowerCase())}
                    size={12}
                  />
                </label>
              )}
            </>
          )}
          <label>
            At least
            <input
              inputMode="numeric"
              value={f.atLeast}
              onChange={(e) => set("atLeast", e.target.value)}
              size={6}
            />
          </label>
          <label>
            Below
            <input
              inputMode="numeric"
              value={f.below}
              onChange={(e) => set("below", e.target.value)}
              size={6}
            />
          </label>
        </div>
      )}
      {f.kind === "code" && (
        <div className="row">
          <label>
            Code
            <input value={f.code} onChange={(e) => set("code", e.target.value)} maxLength={40} />
          </label>
          <label>
            Most uses (empty: no limit)
            <input
              inputMode="numeric"
              value={f.maxUses}
              onChange={(e) => set("maxUses", e.target.value)}
              size={6}
            />
          </label>
        </div>
      )}
      <div className="row">
        <label>
          Change by
          <select
            value={f.adjustBy}
            onChange={(e) => set("adjustBy", e.target.value as RuleFormState["adjustBy"])}
          >
            <option value="percent">Percent</option>
            <option value="amount">Amount</option>
          </select>
        </label>
        <label>
          {f.adjustBy === "percent" ? "Change (%)" : `Change (${f.currency})`}
          <input
            value={f.adjust}
            onChange={(e) => set("adjust", e.target.value)}
            placeholder={f.adjustBy === "percent" ? "20 or -10" : "5.00 or -2.50"}
            size={8}
          />
        </label>
        {f.adjustBy === "amount" && (
          <label>
            Currency
            <input
              value={f.currency}
              onChange={(e) => set("currency", e.target.value.toUpperCase())}
              size={4}
              maxLength={3}
            />
          </label>
        )}
      </div>
      <div className="row">
        <label>
          Only these SKUs (empty: every item)
          <input value={f.skus} onChange={(e) => set("skus", e.target.value)} />
        </label>
        <label>
          Priority
          <input
            inputMode="numeric"
            value={f.priority}
            onChange={(e) => set("priority", e.target.value)}
            size={4}
          />
        </label>
        <label className="inline">
          <input
            type="checkbox"
            checked={f.exclusive}
            onChange={(e) => set("exclusive", e.target.checked)}
          />
          Exclusive (does not stack)
        </label>
      </div>
      <p className="muted small" data-testid="rule-form-json">
        {"rule" in built ? JSON.stringify(built.rule) : built.error}
      </p>
      <div className="row">
        <button type="submit" className="primary">
          {editing ? "Save changes" : "Add rule"}
        </button>
        {editing && onCancel && (
          <button type="button" className="secondary" onClick={onCancel}>
            Cancel editing
          </button>
        )}
      </div>
      {error && (
        <p className="error small" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

import { type FormEvent, useState } from "react";
import {
  type ConditionKind,
  EMPTY_RULE_FORM,
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
 * exclusive, a promotion's usage limit). `onSubmit` gets the rule body; it resolves to an error
 * text to show, or undefined when the rule was added.
 */
export function RuleForm({
  onSubmit,
}: {
  onSubmit: (rule: Record<string, unknown>) => Promise<string | undefined>;
}) {
  const [f, setF] = useState<RuleFormState>(EMPTY_RULE_FORM);
  const [error, setError] = useState<string>();
  const set = <K extends keyof RuleFormState>(key: K, value: RuleFormState[K]) =>
    setF((prev) => ({ ...prev, [key]: value }));
  const built = ruleFromForm(f);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if ("error" in built) return setError(built.error);
    const problem = await onSubmit(built.rule);
    setError(problem);
    if (!problem) setF({ ...EMPTY_RULE_FORM, kind: f.kind });
  };
  return (
    <form className="stack rule-form" aria-label="New rule" onSubmit={(e) => void submit(e)}>
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
      <button type="submit" className="primary">
        Add rule
      </button>
      {error && (
        <p className="error small" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

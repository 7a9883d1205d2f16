import type { AlertRule } from "@switchboard/server/contracts/metrics";
import { useCallback, useEffect, useState } from "react";
import { api } from "../app/api.js";

const LABEL: Record<AlertRule["name"], string> = {
  "revenue-goal": "Daily revenue goal reached",
  "rating-5": "A 5-star rating",
  "rating-1": "A 1-star rating",
  "wait-above": "A chat waited too long",
  "stock-out": "An item ran out of stock",
};

/** The threshold as the owner reads it: the goal in major units, the wait in seconds. */
const SHOWN = {
  "revenue-goal": {
    unit: "goal",
    toInput: (v: number) => v / 100,
    fromInput: (v: number) => Math.round(v * 100),
  },
  "wait-above": {
    unit: "seconds",
    toInput: (v: number) => v / 1000,
    fromInput: (v: number) => Math.round(v * 1000),
  },
} as const;

/**
 * The owner's alert rules (`GET/PUT /api/metrics/alerts`): each on or off, the revenue goal and
 * the wait limit editable. What is shown is the server's answer, never a guess.
 */
export function AlertSettings({ token, currency }: { token: string | null; currency: string }) {
  const [rules, setRules] = useState<AlertRule[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(async () => {
    const r = await api<{ rules: AlertRule[] }>(token, "GET", "/api/metrics/alerts");
    setRules(r.rules);
  }, [token]);
  useEffect(() => {
    void load().catch(() => setError("The alert rules could not be loaded."));
  }, [load]);

  async function save(name: AlertRule["name"], change: { enabled?: boolean; threshold?: number }) {
    try {
      const saved = await api<AlertRule>(token, "PUT", `/api/metrics/alerts/${name}`, change);
      setRules((shown) => shown?.map((r) => (r.name === name ? saved : r)) ?? null);
      setError(null);
    } catch {
      setError(`The "${LABEL[name]}" rule could not be saved.`);
      await load().catch(() => undefined);
    }
  }

  return (
    <div className="card" data-testid="alert-settings">
      <h2>Alerts</h2>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {rules && (
        <ul className="alert-rules">
          {rules.map((r) => {
            const shown = r.name in SHOWN ? SHOWN[r.name as keyof typeof SHOWN] : undefined;
            return (
              <li key={r.name} data-rule={r.name}>
                <label>
                  <input
                    type="checkbox"
                    checked={r.enabled}
                    onChange={(e) => void save(r.name, { enabled: e.target.checked })}
                  />{" "}
                  {LABEL[r.name]}
                </label>
                {shown && r.threshold !== null && (
                  <label className="small">
                    {" "}
                    {shown.unit === "goal" ? `goal (${currency})` : "after (seconds)"}{" "}
                    <input
                      key={`${r.name}:${r.threshold}`}
                      type="number"
                      min={shown.unit === "goal" ? 0.01 : 1}
                      step={shown.unit === "goal" ? 0.01 : 1}
                      defaultValue={shown.toInput(r.threshold)}
                      aria-label={`${LABEL[r.name]} threshold`}
                      onBlur={(e) => {
                        const v = Number(e.target.value);
                        const threshold = shown.fromInput(v);
                        if (Number.isFinite(v) && threshold >= 1 && threshold !== r.threshold)
                          void save(r.name, { threshold });
                      }}
                    />
                  </label>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}

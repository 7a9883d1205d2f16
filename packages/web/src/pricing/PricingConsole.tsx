import { useChannel } from "@switchboard/react";
import type {
  HistoryPage,
  Price,
  PriceEvent,
  PricePage,
  QuoteResult,
  Rule,
  RulePreview,
} from "@switchboard/server/contracts/pricing";
import { STAFF_PRICING_CHANNEL } from "@switchboard/server/names/pricing";
import { type FormEvent, useCallback, useEffect, useMemo, useState } from "react";
import { ApiError, api, errorText } from "../app/api.js";
import { useResync } from "../app/live.js";
import { useSession } from "../app/session.js";
import { formatTime } from "../components/Progress.js";
import { Factors, PriceTag } from "./LivePrice.js";
import { decimalText, formatPrice, parseAmount } from "./money.js";
import { RuleForm } from "./RuleForm.js";
import { formFromRule } from "./ruleForm.js";

function useToken(): string | null {
  return useSession()?.token ?? null;
}

/** One price list row: edit the list price at the version on screen (a stale one is refused). */
function PriceRow({ price, onPick }: { price: Price; onPick: (sku: string) => void }) {
  const token = useToken();
  const [draft, setDraft] = useState(decimalText(price.base, price.currency));
  const [error, setError] = useState<string>();
  useEffect(() => setDraft(decimalText(price.base, price.currency)), [price.base, price.currency]);
  const save = async (e: FormEvent) => {
    e.preventDefault();
    const amount = parseAmount(draft, price.currency);
    if (amount === undefined) return setError("Enter an amount such as 19.99");
    try {
      await api(token, "PUT", `/api/pricing/prices/${encodeURIComponent(price.sku)}`, {
        amount,
        currency: price.currency,
        expectedVersion: price.version,
      });
      setError(undefined);
    } catch (err) {
      setError(
        err instanceof ApiError && err.code === "conflict"
          ? "Someone else changed this price first: the list now shows theirs."
          : errorText(err),
      );
    }
  };
  return (
    <tr data-sku={price.sku}>
      <td>
        <button type="button" className="link" onClick={() => onPick(price.sku)}>
          {price.sku}
        </button>
      </td>
      <td>
        <form className="row" onSubmit={(e) => void save(e)}>
          <input
            aria-label={`List price of ${price.sku}`}
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            inputMode="decimal"
            size={8}
          />
          <span className="muted small">{price.currency}</span>
          <button type="submit" className="secondary" aria-label={`Save price of ${price.sku}`}>
            Save
          </button>
        </form>
        {error && (
          <p className="error small" role="alert">
            {error}
          </p>
        )}
      </td>
      <td data-testid="live-price">
        <PriceTag price={price} />
      </td>
      <td className="num">{price.version}</td>
      <td className="muted small">{formatTime(price.changedAt)}</td>
    </tr>
  );
}

function NewPrice() {
  const token = useToken();
  const [sku, setSku] = useState("");
  const [amount, setAmount] = useState("");
  const [currency, setCurrency] = useState("EUR");
  const [error, setError] = useState<string>();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const minor = parseAmount(amount, currency);
    if (minor === undefined) return setError("Enter an amount such as 19.99");
    try {
      await api(token, "PUT", `/api/pricing/prices/${encodeURIComponent(sku)}`, {
        amount: minor,
        currency,
        expectedVersion: 0,
      });
      setSku("");
      setAmount("");
      setError(undefined);
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <form className="row" onSubmit={(e) => void submit(e)} aria-label="New price">
      <input
        aria-label="SKU"
        placeholder="SKU"
        value={sku}
        onChange={(e) => setSku(e.target.value)}
      />
      <input
        aria-label="Amount"
        placeholder="0.00"
        value={amount}
        onChange={(e) => setAmount(e.target.value)}
      />
      <input
        aria-label="Currency"
        value={currency}
        onChange={(e) => setCurrency(e.target.value.toUpperCase())}
        size={4}
      />
      <button type="submit" className="primary">
        Add price
      </button>
      {error && (
        <p className="error small" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

const EXAMPLE_RULE = JSON.stringify(
  {
    name: "Peak hours",
    when: [{ kind: "time", days: ["mon", "tue", "wed", "thu", "fri"], from: "09:00", to: "12:00" }],
    adjust: { percent: 20 },
  },
  null,
  2,
);

function describeRule(rule: Rule): string {
  const adjust =
    "percent" in rule.adjust
      ? `${rule.adjust.percent > 0 ? "+" : ""}${rule.adjust.percent}%`
      : formatPrice(rule.adjust.amount, rule.adjust.currency);
  const when = rule.when
    .map((c) => {
      switch (c.kind) {
        case "time":
          return `${c.days ? `${c.days.join(",")} ` : ""}${c.from}–${c.to}`;
        case "dates":
          return `${c.from} to ${c.to}`;
        case "code":
          return `code ${c.code}`;
        default:
          return `${c.kind === "stock" ? "stock" : c.name} ${c.atLeast !== undefined ? `≥ ${c.atLeast}` : ""}${c.below !== undefined ? ` < ${c.below}` : ""}`;
      }
    })
    .join(" and ");
  return `${adjust}${when ? ` when ${when}` : ""}${rule.skus ? ` for ${rule.skus.join(", ")}` : ""}`;
}

/** The problem in words, with the path of each bad field the server named. */
function problemText(err: unknown): string {
  const details =
    err instanceof ApiError && Array.isArray(err.details)
      ? (err.details as { path: string; message: string }[])
      : [];
  return [errorText(err), ...details.map((d) => `${d.path}: ${d.message}`)].join(" — ");
}

/**
 * The quote of the item at the instant: with a valid draft rule in the form, what it would be
 * with the draft (in place of the rule being edited) beside what it is without, each explained
 * (POST /api/pricing/rules/preview: nothing is saved); otherwise the quote as the rules stand.
 */
function QuotePreview({
  sku,
  at,
  draft,
  replaces,
  changed,
}: {
  sku: string;
  at: string;
  draft: Record<string, unknown> | undefined;
  replaces: string | undefined;
  /** Changes whenever a price moved or a rule was saved: the quote is asked again. */
  changed: string;
}) {
  const token = useToken();
  const [quote, setQuote] = useState<QuoteResult>();
  const [preview, setPreview] = useState<RulePreview>();
  const [error, setError] = useState<string>();
  const draftJson = draft ? JSON.stringify(draft) : undefined;
  useEffect(() => {
    let current = true;
    const when = at ? new Date(at).toISOString() : undefined;
    // typing in the form changes the draft on every key: ask once it settles
    const timer = setTimeout(
      () => {
        const asked = draftJson
          ? api<RulePreview>(token, "POST", "/api/pricing/rules/preview", {
              rule: JSON.parse(draftJson),
              sku,
              ...(replaces && { replaces }),
              ...(when && { at: when }),
            }).then((p) => {
              if (!current) return;
              setPreview(p);
              setQuote(undefined);
            })
          : api<QuoteResult>(null, "POST", "/api/pricing/quote", {
              sku,
              ...(when && { at: when }),
            }).then((q) => {
              if (!current) return;
              setQuote(q);
              setPreview(undefined);
            });
        asked.then(
          () => current && setError(undefined),
          (e: unknown) => current && setError(problemText(e)),
        );
      },
      draftJson ? 250 : 0,
    );
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [token, sku, at, draftJson, replaces, changed]);
  return (
    <div className="stack" aria-live="polite">
      {error && (
        <p className="error small" role="alert">
          {error}
        </p>
      )}
      {quote && (
        <div data-testid="quote-preview">
          <PriceTag price={{ amount: quote.final, base: quote.base, currency: quote.currency }} />
          <Factors price={quote} />
        </div>
      )}
      {preview && (
        <div className="grid-2" data-testid="draft-preview">
          <div data-testid="draft-preview-without">
            <h4>{replaces ? "With the saved rule" : "Without this rule"}</h4>
            <PriceTag
              price={{
                amount: preview.without.final,
                base: preview.without.base,
                currency: preview.without.currency,
              }}
            />
            <Factors price={preview.without} />
          </div>
          <div data-testid="draft-preview-with">
            <h4>{replaces ? "With your changes" : "With this rule"}</h4>
            <PriceTag
              price={{
                amount: preview.with.final,
                base: preview.with.base,
                currency: preview.with.currency,
              }}
            />
            <Factors price={preview.with} />
          </div>
        </div>
      )}
    </div>
  );
}

/**
 * Rules as data: a form for the common shapes (add, or edit a saved rule at its version), a
 * JSON editor for the rest (both validated by the server, errors shown with their path), and a
 * quote preview of the unsaved draft on an item the staff member picks.
 */
function Rules({
  sku,
  skus,
  changed,
}: {
  sku: string | undefined;
  skus: string[];
  changed: number;
}) {
  const token = useToken();
  const [rules, setRules] = useState<Rule[]>([]);
  const [text, setText] = useState(EXAMPLE_RULE);
  const [error, setError] = useState<string>();
  const [at, setAt] = useState("");
  const [item, setItem] = useState<string>();
  const [editing, setEditing] = useState<Rule>();
  const [jsonEditing, setJsonEditing] = useState<Rule>();
  const [draft, setDraft] = useState<Record<string, unknown>>();
  const [jsonOpen, setJsonOpen] = useState(false);
  // while the JSON editor is open, its text (once it parses to an object) is the draft previewed
  const jsonDraft = useMemo(() => {
    if (!jsonOpen && !jsonEditing) return undefined;
    try {
      const value: unknown = JSON.parse(text);
      return value !== null && typeof value === "object" && !Array.isArray(value)
        ? (value as Record<string, unknown>)
        : undefined;
    } catch {
      return undefined;
    }
  }, [jsonOpen, jsonEditing, text]);
  const previewSku = item && skus.includes(item) ? item : sku;
  const load = useCallback(async () => {
    setRules((await api<{ rules: Rule[] }>(token, "GET", "/api/pricing/rules")).rules);
  }, [token]);
  useEffect(() => {
    void load().catch((e) => setError(errorText(e)));
  }, [load]);
  /** Saves a rule (new, or the one edited at the version on screen); the problem, or undefined. */
  const save = async (body: unknown, edited?: Rule): Promise<string | undefined> => {
    try {
      if (edited)
        await api(token, "PUT", `/api/pricing/rules/${edited.id}`, {
          rule: body,
          expectedVersion: edited.version,
        });
      else await api(token, "POST", "/api/pricing/rules", body);
      await load();
      return undefined;
    } catch (err) {
      if (err instanceof ApiError && err.code === "conflict") {
        await load();
        return "Someone else changed this rule first: open it again to edit their version.";
      }
      return problemText(err);
    }
  };
  const submitForm = async (body: Record<string, unknown>) => {
    const problem = await save(body, editing);
    if (!problem && editing) setEditing(undefined);
    return problem;
  };
  const submitJson = async (e: FormEvent) => {
    e.preventDefault();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return setError("The rule is not valid JSON");
    }
    const problem = await save(body, jsonEditing);
    setError(problem);
    if (!problem) {
      setJsonEditing(undefined);
      setText(EXAMPLE_RULE);
    }
  };
  const edit = (r: Rule) => {
    if (formFromRule(r)) {
      setJsonEditing(undefined);
      setEditing(r);
      return;
    }
    // several conditions: the form cannot show it, the JSON editor can
    setEditing(undefined);
    setJsonEditing(r);
    const { id, uses, version, createdAt, updatedAt, ...body } = r;
    setText(JSON.stringify(body, null, 2));
  };
  const remove = async (id: string) => {
    await api(token, "DELETE", `/api/pricing/rules/${id}`).catch((e) => setError(errorText(e)));
    if (editing?.id === id) setEditing(undefined);
    if (jsonEditing?.id === id) setJsonEditing(undefined);
    await load();
  };
  return (
    <div className="stack">
      <h2>Rules</h2>
      <ul className="rules" data-testid="rules">
        {rules.map((r) => (
          <li key={r.id} data-rule={r.name}>
            <strong>{r.name}</strong> <span className="muted small">{describeRule(r)}</span>{" "}
            {!r.stackable && <span className="pill">exclusive</span>}
            {r.maxUses !== undefined && (
              <span className="pill" data-testid="promo-uses">
                used {r.uses} of {r.maxUses}
              </span>
            )}
            <button
              type="button"
              className="ghost"
              onClick={() => edit(r)}
              aria-label={`Edit rule ${r.name}`}
            >
              Edit
            </button>
            <button
              type="button"
              className="ghost"
              onClick={() => void remove(r.id)}
              aria-label={`Remove rule ${r.name}`}
            >
              Remove
            </button>
          </li>
        ))}
        {rules.length === 0 && (
          <li className="muted">No rules: every live price is its list price.</li>
        )}
      </ul>
      <RuleForm
        key={editing ? `${editing.id}:${editing.version}` : "new"}
        editing={editing}
        onSubmit={submitForm}
        onCancel={() => setEditing(undefined)}
        onDraft={setDraft}
      />
      <details
        className="advanced-rule"
        open={jsonEditing !== undefined || undefined}
        onToggle={(e) => setJsonOpen(e.currentTarget.open)}
      >
        <summary>Advanced: a rule as JSON (several conditions, any shape)</summary>
        <form className="stack" onSubmit={(e) => void submitJson(e)}>
          <label>
            {jsonEditing ? `Rule “${jsonEditing.name}” (JSON)` : "New rule (JSON)"}
            <textarea
              rows={8}
              value={text}
              onChange={(e) => setText(e.target.value)}
              spellCheck={false}
            />
          </label>
          <div className="row">
            <button type="submit" className="secondary">
              {jsonEditing ? "Save JSON rule" : "Add JSON rule"}
            </button>
            {jsonEditing && (
              <button
                type="button"
                className="ghost"
                onClick={() => {
                  setJsonEditing(undefined);
                  setText(EXAMPLE_RULE);
                }}
              >
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
      </details>
      <h3>Quote preview {previewSku ? `for ${previewSku}` : "(pick an item)"}</h3>
      <p className="muted small">
        With a complete rule in the form (or in the JSON editor while it is open), the quote shows
        it applied before you save it.
      </p>
      <div className="row">
        <label>
          Preview item
          <select value={previewSku ?? ""} onChange={(e) => setItem(e.target.value)}>
            {skus.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          At (empty: now, the live price)
          <input type="datetime-local" value={at} onChange={(e) => setAt(e.target.value)} />
        </label>
      </div>
      {previewSku && (
        <QuotePreview
          sku={previewSku}
          at={at}
          draft={jsonDraft ?? draft}
          replaces={jsonDraft ? jsonEditing?.id : editing?.id}
          changed={`${changed}:${rules.map((r) => `${r.id}@${r.version}`).join()}`}
        />
      )}
    </div>
  );
}

function History({ sku, changed }: { sku: string; changed: number }) {
  const [page, setPage] = useState<HistoryPage>();
  useEffect(() => {
    let current = true;
    void api<HistoryPage>(
      null,
      "GET",
      `/api/pricing/history/${encodeURIComponent(sku)}?limit=20`,
    ).then(
      (h) => current && setPage(h),
      () => undefined,
    );
    return () => {
      current = false;
    };
  }, [sku, changed]);
  if (!page) return null;
  return (
    <div className="stack">
      <h2>History of {sku}</h2>
      <p className="muted small">
        Lowest in 30 days {formatPrice(page.trend.lowest30Days, page.trend.currency)}, highest{" "}
        {formatPrice(page.trend.highest30Days, page.trend.currency)}, average{" "}
        {formatPrice(page.trend.average30Days, page.trend.currency)}
      </p>
      <ol className="price-history-list">
        {page.items.map((h) => (
          <li key={h.id}>
            <strong>{formatPrice(h.amount, h.currency)}</strong>{" "}
            <span className="muted small">
              {formatTime(h.at)} · {h.cause} · {h.by}
            </span>
          </li>
        ))}
      </ol>
    </div>
  );
}

/** Staff pricing: the price list (live), rules with a quote preview, and an item's history. */
export function PricingConsole() {
  const token = useToken();
  const [prices, setPrices] = useState<Price[]>();
  const [picked, setPicked] = useState<string>();
  const [changed, setChanged] = useState(0);
  const [error, setError] = useState<string>();
  const load = useCallback(async () => {
    try {
      const page = await api<PricePage>(token, "GET", "/api/pricing/prices?limit=500");
      setPrices((prev) =>
        page.items.map((p) => {
          const mine = prev?.find((q) => q.sku === p.sku);
          return mine && mine.seq > p.seq ? mine : p;
        }),
      );
      setError(undefined);
    } catch (e) {
      setError(errorText(e));
    }
  }, [token]);
  const { subscription } = useChannel(STAFF_PRICING_CHANNEL, (m) => {
    if (m.event !== "price") return;
    const e = m.data as PriceEvent;
    setChanged((c) => c + 1);
    setPrices((list) => {
      const row = list?.find((p) => p.sku === e.sku);
      if (!row) {
        void load();
        return list;
      }
      if (row.seq >= e.seq) return list;
      // a list edit also moved the version: fetch the row's entry again
      if (e.base !== row.base) void load();
      return list?.map((p) =>
        p.sku === e.sku
          ? {
              ...p,
              amount: e.amount,
              base: e.base,
              factors: e.factors,
              seq: e.seq,
              changedAt: e.at,
            }
          : p,
      );
    });
  });
  useResync(subscription, load);
  useEffect(() => {
    void load();
  }, [load]);
  return (
    <section className="page">
      <h1>Pricing</h1>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <NewPrice />
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th>SKU</th>
              <th>List price</th>
              <th>Live price</th>
              <th className="num">Version</th>
              <th>Changed</th>
            </tr>
          </thead>
          <tbody>
            {prices?.map((p) => (
              <PriceRow key={p.sku} price={p} onPick={setPicked} />
            ))}
          </tbody>
        </table>
      </div>
      <div className="grid-2">
        <Rules
          sku={picked ?? prices?.[0]?.sku}
          skus={prices?.map((p) => p.sku) ?? []}
          changed={changed}
        />
        {(picked ?? prices?.[0]?.sku) && (
          <History sku={(picked ?? prices?.[0]?.sku) as string} changed={changed} />
        )}
      </div>
    </section>
  );
}

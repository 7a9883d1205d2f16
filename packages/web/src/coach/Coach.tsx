import { type FormEvent, useRef, useState } from "react";
import { useSession } from "../app/session.js";
import { askCoach, type CoachMeta } from "./stream.js";

interface Turn {
  role: "user" | "coach";
  text: string;
  meta?: CoachMeta;
  error?: string;
  streaming?: boolean;
}

const EXAMPLES = [
  "How did Saturday compare with last week?",
  "Which hours should I discount?",
  "How are our chat ratings?",
];

/**
 * The staff coach: ask about the business, read a streamed answer grounded in its own figures
 * and the playbook, with the figures and passages it used, its confidence and the model.
 */
export function Coach() {
  const token = useSession()?.token ?? null;
  const [turns, setTurns] = useState<Turn[]>([]);
  const [question, setQuestion] = useState("");
  const [busy, setBusy] = useState(false);
  const abort = useRef<AbortController>(undefined);

  const patchLast = (patch: (t: Turn) => Turn) =>
    setTurns((all) => all.map((t, i) => (i === all.length - 1 ? patch(t) : t)));

  const ask = async (e?: FormEvent, text = question) => {
    e?.preventDefault();
    const q = text.trim();
    if (!q || busy) return;
    const history = turns.filter((t) => !t.error).map(({ role, text }) => ({ role, text }));
    setTurns((all) => [
      ...all,
      { role: "user", text: q },
      { role: "coach", text: "", streaming: true },
    ]);
    setQuestion("");
    setBusy(true);
    abort.current = new AbortController();
    try {
      const full = await askCoach(
        token,
        q,
        history,
        {
          meta: (meta) => patchLast((t) => ({ ...t, meta })),
          delta: (piece) => patchLast((t) => ({ ...t, text: t.text + piece })),
        },
        abort.current.signal,
      );
      patchLast((t) => ({ ...t, text: full, streaming: false }));
    } catch (err) {
      patchLast((t) => ({ ...t, streaming: false, error: (err as Error).message }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="page coach">
      <h1>Coach</h1>
      <p className="muted">
        Ask about your business. Answers use your own bookings, orders, sales, prices and chat
        ratings, and your playbook — never made-up numbers.
      </p>
      <ol className="coach-turns" aria-label="Conversation with the coach" aria-live="polite">
        {turns.map((t, i) => (
          <li key={i} className={`coach-turn ${t.role}`} data-testid={`coach-${t.role}`}>
            <p className="coach-text">{t.text || (t.streaming ? "…" : "")}</p>
            {t.error && (
              <p className="error small" role="alert">
                The answer stopped: {t.error}
              </p>
            )}
            {t.meta && (
              <details className="coach-meta small" open={!t.streaming}>
                <summary>
                  <span data-testid="coach-confidence">
                    Confidence {Math.round(t.meta.confidence * 100)}%
                  </span>{" "}
                  · <span data-testid="coach-model">{t.meta.model}</span>
                  {t.meta.cannotAnswer.length > 0 && (
                    <> · no figures for {t.meta.cannotAnswer.join(", ")}</>
                  )}
                </summary>
                <ul className="coach-sources" data-testid="coach-sources">
                  {t.meta.sources.map((s) => (
                    <li key={`${s.kind}:${s.title}`}>
                      {s.kind === "passage" ? "Playbook: " : ""}
                      {s.title}
                      {s.value !== undefined && <strong> = {s.value}</strong>}
                    </li>
                  ))}
                </ul>
              </details>
            )}
          </li>
        ))}
      </ol>
      {turns.length === 0 && (
        <div className="row">
          {EXAMPLES.map((q) => (
            <button
              key={q}
              type="button"
              className="secondary"
              onClick={() => void ask(undefined, q)}
            >
              {q}
            </button>
          ))}
        </div>
      )}
      <form className="row coach-ask" onSubmit={(e) => void ask(e)}>
        <label className="grow">
          <span className="sr-only">Your question</span>
          <input
            value={question}
            onChange={(e) => setQuestion(e.target.value)}
            maxLength={1000}
            placeholder="e.g. Which hours should I discount?"
          />
        </label>
        <button type="submit" className="primary" disabled={busy || !question.trim()}>
          Ask
        </button>
      </form>
    </section>
  );
}

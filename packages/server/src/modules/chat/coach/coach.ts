import type { Bm25Index } from "../bot/bm25.js";
import { retrieve } from "../bot/faq.js";
import type { Passage } from "../bot/knowledge.js";
import { type Responder, wordsOf } from "../bot/responder.js";
import type { BusinessFacts } from "./facts.js";
import { compareDays, dayOf, daysBack, type Figure, hourProfile, localDay } from "./figures.js";
import type { ChatModel, ModelTurn } from "./models.js";
import { HOURS_WORDS, looksEnglish, normalise } from "./words.js";

export interface PassageSource {
  kind: "passage";
  title: string;
  file: string;
  score: number;
}

const REVENUE = /\b(revenue|takings|turnover|income|earn\w*|money|sales figures?)\b/i;
const PROFIT = /\b(profit\w*|margins?|wages?|salar\w*|costs?|expenses?|spend\w*)\b/i;
const PRICES = /\b(prices?|priced|how much)\b/i;
const RATINGS = /\b(ratings?|satisf\w*|reviews?|happy|stars?)\b/i;
const COMPARE = /\b(compare\w*|versus|vs\.?|last week|this week|week before|how did|how was)\b/i;

const money = (minor: number, currency: string) => {
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency }).format(minor / 100);
  } catch {
    return `${minor / 100} ${currency}`;
  }
};

/**
 * The staff coach: answers business questions from the business's own figures and its playbook
 * (a knowledge folder). The figures are gathered here, by rules, and every number quoted is a
 * source; with a model configured, the model writes the words from those figures only; with
 * none, the built-in answerer writes them itself and says plainly what it has no figures for.
 */
export function createCoach(options: {
  facts: BusinessFacts;
  playbook: Bm25Index<Passage>;
  model?: ChatModel;
  minPassageConfidence?: number;
  /** The business's IANA zone: what "today", "Saturday" and a day's figures mean (default UTC). */
  timeZone?: string;
}): Responder & { readonly model: string } {
  const { facts, playbook, model } = options;
  const timeZone = options.timeZone ?? "UTC";
  const minPassage = options.minPassageConfidence ?? 0.35;

  async function gather(question: string, asOf: Date) {
    const today = localDay(asOf, timeZone);
    const parts: string[] = [];
    const figures: Figure[] = [];
    const cannot: string[] = [];
    let empty = true;
    const named = dayOf(question, asOf, timeZone);
    if (named || COMPARE.test(question)) {
      const r = await compareDays(facts, named ?? daysBack(today, 1));
      parts.push(r.text);
      figures.push(...r.figures);
      empty &&= r.empty;
    }
    if (HOURS_WORDS.test(normalise(question))) {
      const r = await hourProfile(facts, today);
      parts.push(r.text);
      figures.push(...r.figures);
      empty &&= r.empty;
    }
    if (PRICES.test(question) && !/discount/i.test(question)) {
      const list = await facts.prices(20);
      if (list.length) {
        parts.push(
          `Prices now: ${list.map((p) => `${p.sku} ${money(p.amountMinor, p.currency)}`).join(", ")}.`,
        );
        for (const p of list)
          figures.push({
            kind: "figure",
            title: `price of ${p.sku}`,
            file: "pricing",
            value: money(p.amountMinor, p.currency),
            score: 1,
          });
        empty = false;
      } else parts.push("There are no prices set yet.");
    }
    if (RATINGS.test(question)) {
      const end = today;
      const start = daysBack(today, 6);
      const r = await facts.ratings(start, end);
      const title = `chat ratings ${start} to ${end}`;
      if (r.count && r.average !== undefined) {
        parts.push(
          `Customers rated ${r.count} chats from ${start} to ${end}: ${r.average} of 5 on average.`,
        );
        figures.push({
          kind: "figure",
          title: `${title} (average)`,
          file: "chat",
          value: r.average,
          score: 1,
        });
        figures.push({
          kind: "figure",
          title: `${title} (count)`,
          file: "chat",
          value: r.count,
          score: 1,
        });
        empty = false;
      } else parts.push(`No chat was rated from ${start} to ${end}.`);
    }
    if (REVENUE.test(question)) {
      const revenue = await facts.revenue(asOf);
      if (revenue.length) {
        for (const r of revenue) {
          const then = r.previous === null ? "nothing recorded" : money(r.previous, r.currency);
          parts.push(
            `Revenue from ${r.from} to ${r.to}: ${money(r.value, r.currency)}, against ${then} the 7 days before.`,
          );
          figures.push({
            kind: "figure",
            title: `revenue ${r.from} to ${r.to} (${r.currency})`,
            file: "metrics",
            value: money(r.value, r.currency),
            score: 1,
          });
        }
        empty = false;
      } else {
        cannot.push("revenue");
        parts.push(
          "I have no revenue figures: no sale with an amount has been recorded, so I will not guess money figures.",
        );
      }
    }
    if (PROFIT.test(question)) {
      cannot.push("costs and profit");
      parts.push(
        "I have no cost or profit figures (costs and wages are not recorded here), so I will not guess them.",
      );
    }
    const { results, sources, confidence: passageConfidence } = retrieve(playbook, question);
    const best = results[0]?.item;
    const passages: PassageSource[] =
      best && passageConfidence >= minPassage
        ? sources.slice(0, 1).map((s) => ({ ...s, kind: "passage" as const }))
        : [];
    if (best && passages.length)
      parts.push(`From your playbook (${best.title}): ${best.text.replace(/\s+/g, " ").trim()}`);
    let recognised = figures.length > 0 || parts.length > 0;
    let overview = false;
    if (!recognised && !looksEnglish(question)) {
      // most likely another language the rules do not read: answer with the figures it surely
      // has (yesterday against a week before), say so, and trust it less
      const r = await compareDays(facts, daysBack(today, 1));
      parts.push(
        `I could not tell which figures you asked for (I read questions in English best). Here is an overview instead — ${r.text}`,
      );
      figures.push(...r.figures);
      empty = r.empty;
      cannot.push("this question");
      recognised = overview = true;
    }
    if (!recognised) {
      cannot.push("this question");
      parts.push(
        `I have no figures for that. From your own numbers I can answer about bookings and no-shows per day (for example "how did Saturday compare with last week?"), quiet and busy hours, new orders, units sold, prices and chat ratings — and I will not make numbers up.`,
      );
    }
    const confidence = overview
      ? empty
        ? 0.2
        : 0.4
      : figures.length > 0
        ? empty
          ? 0.4
          : 0.9
        : passages.length
          ? passageConfidence
          : 0;
    return { text: parts.join("\n\n"), figures, passages, cannot, confidence };
  }

  return {
    name: model ? model.provider : "builtin",
    model: model ? `${model.provider}:${model.model}` : "builtin",

    async answer(question, history, answerOptions = {}) {
      const asOf = answerOptions.asOf ?? new Date();
      const g = await gather(question, asOf);
      const sources = [...g.figures, ...g.passages];
      const base = { sources, confidence: g.confidence, cannotAnswer: g.cannot };
      if (!model) return { ...base, tokens: wordsOf(g.text, 0), model: "builtin" };
      const system = [
        "You coach the owner and staff of a small business. Answer in a few sentences.",
        "Use ONLY the figures below, quoted exactly. If they do not answer the question, say which figures are missing. Never invent or estimate numbers.",
        `Today is ${localDay(asOf, timeZone)} (${timeZone}).`,
        "",
        "FIGURES AND NOTES:",
        g.text,
      ].join("\n");
      const turns: ModelTurn[] = [
        ...history.slice(-10).map(
          (m): ModelTurn => ({
            role: m.role === "bot" ? "assistant" : "user",
            content: m.text,
          }),
        ),
        { role: "user", content: question },
      ];
      return {
        ...base,
        tokens: model.stream(system, turns, answerOptions.signal),
        model: `${model.provider}:${model.model}`,
      };
    },
  };
}

export type Coach = ReturnType<typeof createCoach>;
export type { Figure };

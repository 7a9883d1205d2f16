import type { Bm25Index } from "./bm25.js";
import { confidence } from "./bm25.js";
import type { Passage } from "./knowledge.js";
import { type Responder, type Source, wordsOf } from "./responder.js";

/** Finds the best passages for a question (shared by the FAQ bot and the LLM bot as context). */
export function retrieve(index: Bm25Index<Passage>, question: string) {
  const { results, queryTerms } = index.search(question, 3);
  const sources: Source[] = results.map((r) => ({
    title: r.item.title,
    file: r.item.file,
    score: Math.round(r.score * 100) / 100,
  }));
  return { results, sources, confidence: confidence(results, queryTerms) };
}

/** Answers with the best-matching passage of the knowledge folder, citing it. */
export function createFaqResponder(index: Bm25Index<Passage>, tokenDelayMs = 15): Responder {
  return {
    name: "faq",
    async answer(question) {
      const { results, sources, confidence } = retrieve(index, question);
      const best = results[0]?.item;
      const text = best ? best.text.replace(/\s+/g, " ").trim() : "";
      return {
        tokens: wordsOf(text, tokenDelayMs),
        sources: sources.slice(0, best ? 1 : 0).concat(sources.slice(1, 2)),
        confidence,
      };
    },
  };
}

/** Okapi BM25 over short passages: the ranking search engines use, small enough to own. */

const STOPWORDS = new Set(
  "a an and are as at be but by can do does for from have how i if in into is it its me my no not of on or our so that the their them then there these they this to was we what when where which who why will with you your".split(
    " ",
  ),
);

export function tokenize(text: string): string[] {
  return (
    text
      .toLowerCase()
      .normalize("NFKD")
      .match(/[\p{L}\p{N}]+/gu) ?? []
  )
    .map((t) => t.replace(/(ing|ed|es|s)$/u, (m, _g, offset: number) => (offset > 3 ? "" : m)))
    .filter((t) => t.length > 1 && !STOPWORDS.has(t));
}

export interface Scored<T> {
  item: T;
  score: number;
  /** Query terms (distinct) found in the item. */
  matched: number;
}

export class Bm25Index<T> {
  private readonly docs: { item: T; terms: Map<string, number>; length: number }[] = [];
  private readonly df = new Map<string, number>();
  private avgLength = 0;

  constructor(
    items: T[],
    text: (item: T) => string,
    private readonly k1 = 1.2,
    private readonly b = 0.75,
  ) {
    for (const item of items) {
      const tokens = tokenize(text(item));
      const terms = new Map<string, number>();
      for (const t of tokens) terms.set(t, (terms.get(t) ?? 0) + 1);
      for (const t of terms.keys()) this.df.set(t, (this.df.get(t) ?? 0) + 1);
      this.docs.push({ item, terms, length: tokens.length });
    }
    this.avgLength = this.docs.reduce((s, d) => s + d.length, 0) / Math.max(1, this.docs.length);
  }

  get size(): number {
    return this.docs.length;
  }

  search(query: string, limit = 3): { results: Scored<T>[]; queryTerms: number } {
    const terms = [...new Set(tokenize(query))];
    const n = this.docs.length;
    const results: Scored<T>[] = [];
    for (const doc of this.docs) {
      let score = 0;
      let matched = 0;
      for (const term of terms) {
        const tf = doc.terms.get(term);
        if (!tf) continue;
        matched++;
        const df = this.df.get(term) ?? 0;
        const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
        score +=
          (idf * tf * (this.k1 + 1)) /
          (tf + this.k1 * (1 - this.b + (this.b * doc.length) / this.avgLength));
      }
      if (score > 0) results.push({ item: doc.item, score, matched });
    }
    results.sort((x, y) => y.score - x.score);
    return { results: results.slice(0, limit), queryTerms: terms.length };
  }
}

/**
 * How sure we are that the best passage answers the question: the share of the question's terms
 * it contains, and how clearly it beats the runner-up. 0 when nothing matched.
 */
export function confidence(results: Scored<unknown>[], queryTerms: number): number {
  const [top, second] = results;
  if (!top || queryTerms === 0) return 0;
  const coverage = top.matched / queryTerms;
  const margin = second ? top.score / (top.score + second.score) : 1;
  return Math.round(Math.min(1, 0.7 * coverage + 0.3 * margin) * 100) / 100;
}

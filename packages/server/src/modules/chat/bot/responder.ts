/** A source the bot's answer came from. */
export interface Source {
  title: string;
  file: string;
  score: number;
  /** The coach's sources: a knowledge `passage`, or a `figure` from the business's numbers. */
  kind?: "passage" | "figure";
  /** A figure's value as quoted. */
  value?: number | string;
}

export interface BotAnswer {
  /** The answer, streamed piece by piece. */
  tokens: AsyncIterable<string>;
  sources: Source[];
  /** 0–1: below the configured minimum the bot hands over to a person instead of answering. */
  confidence: number;
  /** Who wrote the words (`builtin`, `openai:gpt-4o-mini`…), when the responder says. */
  model?: string;
  /** Parts of the question the responder has no grounds for (said plainly in the answer). */
  cannotAnswer?: string[];
}

export interface AnswerOptions {
  /** The moment "today" and "last week" count from (a fixed clock in tests, a past week). */
  asOf?: Date;
  signal?: AbortSignal;
}

/** Anything that answers a question: the FAQ bot, an LLM, the staff coach, your own. */
export interface Responder {
  readonly name: string;
  answer(
    question: string,
    history: { role: "customer" | "agent" | "bot"; text: string }[],
    options?: AnswerOptions,
  ): Promise<BotAnswer>;
}

/** Splits text into word-sized pieces (keeping the spaces) to stream it. */
export async function* wordsOf(text: string, delayMs = 0): AsyncIterable<string> {
  for (const piece of text.match(/\S+\s*/g) ?? []) {
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    yield piece;
  }
}

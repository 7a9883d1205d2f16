/** A source the bot's answer came from. */
export interface Source {
  title: string;
  file: string;
  score: number;
}

export interface BotAnswer {
  /** The answer, streamed piece by piece. */
  tokens: AsyncIterable<string>;
  sources: Source[];
  /** 0–1: below the configured minimum the bot hands over to a person instead of answering. */
  confidence: number;
}

/** Anything that answers a customer's question: the built-in FAQ bot, an LLM, your own. */
export interface Responder {
  readonly name: string;
  answer(
    question: string,
    history: { role: "customer" | "agent" | "bot"; text: string }[],
  ): Promise<BotAnswer>;
}

/** Splits text into word-sized pieces (keeping the spaces) to stream it. */
export async function* wordsOf(text: string, delayMs = 0): AsyncIterable<string> {
  for (const piece of text.match(/\S+\s*/g) ?? []) {
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    yield piece;
  }
}

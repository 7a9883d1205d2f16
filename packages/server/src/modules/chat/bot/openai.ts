import type { Bm25Index } from "./bm25.js";
import { retrieve } from "./faq.js";
import type { Passage } from "./knowledge.js";
import type { Responder } from "./responder.js";

export interface OpenAiOptions {
  baseUrl: string;
  apiKey?: string;
  model: string;
}

/** Reads an OpenAI-style `text/event-stream` of chat completion chunks, yielding content deltas. */
export async function* streamCompletion(response: Response): AsyncIterable<string> {
  if (!response.body) return;
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline = buffer.indexOf("\n");
    while (newline >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      newline = buffer.indexOf("\n");
      if (!line.startsWith("data:")) continue;
      const payload = line.slice(5).trim();
      if (payload === "[DONE]") return;
      try {
        const delta = (JSON.parse(payload) as { choices?: { delta?: { content?: string } }[] })
          .choices?.[0]?.delta?.content;
        if (delta) yield delta;
      } catch {
        // a keep-alive or a line we do not understand: skip it
      }
    }
  }
}

/**
 * An OpenAI-compatible chat model (OpenAI, a local llama.cpp/vLLM/Ollama server…), grounded on
 * the same retrieved passages as the FAQ bot, which also give the sources and the confidence.
 */
export function createOpenAiResponder(
  index: Bm25Index<Passage>,
  options: OpenAiOptions,
): Responder {
  const url = `${options.baseUrl.replace(/\/+$/, "")}/chat/completions`;
  return {
    name: "openai",
    async answer(question, history) {
      const { results, sources, confidence } = retrieve(index, question);
      const context = results
        .map((r, i) => `[${i + 1}] ${r.item.title}\n${r.item.text}`)
        .join("\n\n");
      const response = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(options.apiKey && { authorization: `Bearer ${options.apiKey}` }),
        },
        body: JSON.stringify({
          model: options.model,
          stream: true,
          messages: [
            {
              role: "system",
              content: `You are a helpful support assistant. Answer briefly using only these passages; if they do not answer the question, say you will find a colleague.\n\n${context}`,
            },
            ...history.slice(-10).map((m) => ({
              role: m.role === "customer" ? "user" : "assistant",
              content: m.text,
            })),
            { role: "user", content: question },
          ],
        }),
        signal: AbortSignal.timeout(30_000),
      });
      if (!response.ok) throw new Error(`model endpoint answered ${response.status}`);
      return { tokens: streamCompletion(response), sources, confidence };
    },
  };
}

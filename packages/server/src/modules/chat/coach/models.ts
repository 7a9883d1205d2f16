import { type SseEvent, sseEvents } from "./sse.js";

/** A model provider failed: before the answer (HTTP status) or in the middle of it. */
export class ProviderError extends Error {
  constructor(
    readonly provider: string,
    message: string,
    /** True when part of the answer had already streamed. */
    readonly midStream = false,
  ) {
    super(`${provider}: ${message}`);
  }
}

export interface ModelTurn {
  role: "user" | "assistant";
  content: string;
}

/** A streaming chat model behind one wire format. */
export interface ChatModel {
  readonly provider: "openai" | "anthropic" | "gemini";
  readonly model: string;
  stream(system: string, turns: ModelTurn[], signal?: AbortSignal): AsyncIterable<string>;
}

export interface ModelOptions {
  baseUrl: string;
  apiKey?: string;
  model: string;
  /** Longest a whole answer may take. */
  timeoutMs?: number;
}

async function post(
  provider: string,
  url: string,
  headers: Record<string, string>,
  body: unknown,
  options: ModelOptions,
  signal?: AbortSignal,
): Promise<AsyncIterable<SseEvent>> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 60_000);
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream", ...headers },
    body: JSON.stringify(body),
    signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
  }).catch((err: unknown) => {
    throw new ProviderError(provider, `unreachable (${(err as Error).message})`);
  });
  if (!response.ok || !response.body) {
    const text = await response.text().catch(() => "");
    throw new ProviderError(provider, `answered ${response.status} ${text.slice(0, 200)}`.trim());
  }
  return sseEvents(response.body as unknown as AsyncIterable<Uint8Array>);
}

function parse(provider: string, data: string): Record<string, unknown> {
  try {
    return JSON.parse(data) as Record<string, unknown>;
  } catch {
    throw new ProviderError(provider, `sent a line that is not JSON: ${data.slice(0, 80)}`, true);
  }
}

const errorText = (e: unknown): string =>
  typeof e === "object" && e !== null && "message" in e
    ? String((e as { message: unknown }).message)
    : JSON.stringify(e);

/** OpenAI's chat completions stream (also llama.cpp, vLLM, Ollama…): `data:` chunks, `[DONE]`. */
export function openAiModel(options: ModelOptions): ChatModel {
  const url = `${options.baseUrl.replace(/\/+$/, "")}/chat/completions`;
  return {
    provider: "openai",
    model: options.model,
    async *stream(system, turns, signal) {
      const events = await post(
        "openai",
        url,
        options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {},
        {
          model: options.model,
          stream: true,
          messages: [{ role: "system", content: system }, ...turns],
        },
        options,
        signal,
      );
      let done = false;
      for await (const e of events) {
        if (e.data === "[DONE]") {
          done = true;
          break;
        }
        const chunk = parse("openai", e.data);
        if (chunk.error) throw new ProviderError("openai", errorText(chunk.error), true);
        const choice = (chunk.choices as { delta?: { content?: string } }[] | undefined)?.[0];
        if (choice?.delta?.content) yield choice.delta.content;
      }
      if (!done) throw new ProviderError("openai", "the stream ended before [DONE]", true);
    },
  };
}

/**
 * Anthropic's Messages API streaming: `content_block_delta` events carry `text_delta`s,
 * `message_stop` ends it, an `error` event may come at any point (e.g. overloaded_error).
 */
export function anthropicModel(options: ModelOptions): ChatModel {
  const url = `${options.baseUrl.replace(/\/+$/, "")}/messages`;
  return {
    provider: "anthropic",
    model: options.model,
    async *stream(system, turns, signal) {
      const events = await post(
        "anthropic",
        url,
        {
          "anthropic-version": "2023-06-01",
          ...(options.apiKey && { "x-api-key": options.apiKey }),
        },
        { model: options.model, max_tokens: 1024, stream: true, system, messages: turns },
        options,
        signal,
      );
      let stopped = false;
      for await (const e of events) {
        const data = parse("anthropic", e.data);
        const type = e.event ?? String(data.type);
        if (type === "error") throw new ProviderError("anthropic", errorText(data.error), true);
        if (type === "content_block_delta") {
          const delta = data.delta as { type?: string; text?: string } | undefined;
          if (delta?.type === "text_delta" && delta.text) yield delta.text;
        } else if (type === "message_stop") {
          stopped = true;
          break;
        }
      }
      if (!stopped)
        throw new ProviderError("anthropic", "the stream ended before message_stop", true);
    },
  };
}

/**
 * Google's Gemini `streamGenerateContent?alt=sse`: each `data:` is a GenerateContentResponse
 * (candidates[0].content.parts[].text); an `error` object may replace one; a finishReason
 * other than STOP/MAX_TOKENS means the answer was withheld.
 */
export function geminiModel(options: ModelOptions): ChatModel {
  const base = options.baseUrl.replace(/\/+$/, "");
  const url = `${base}/models/${encodeURIComponent(options.model)}:streamGenerateContent?alt=sse`;
  return {
    provider: "gemini",
    model: options.model,
    async *stream(system, turns, signal) {
      const events = await post(
        "gemini",
        url,
        options.apiKey ? { "x-goog-api-key": options.apiKey } : {},
        {
          systemInstruction: { parts: [{ text: system }] },
          contents: turns.map((t) => ({
            role: t.role === "assistant" ? "model" : "user",
            parts: [{ text: t.content }],
          })),
        },
        options,
        signal,
      );
      let finished = false;
      for await (const e of events) {
        const data = parse("gemini", e.data);
        if (data.error) throw new ProviderError("gemini", errorText(data.error), true);
        const candidate = (
          data.candidates as
            | { content?: { parts?: { text?: string }[] }; finishReason?: string }[]
            | undefined
        )?.[0];
        for (const part of candidate?.content?.parts ?? []) if (part.text) yield part.text;
        const reason = candidate?.finishReason;
        if (reason && reason !== "FINISH_REASON_UNSPECIFIED") {
          if (reason !== "STOP" && reason !== "MAX_TOKENS")
            throw new ProviderError("gemini", `stopped: ${reason}`, true);
          finished = true;
        }
      }
      if (!finished)
        throw new ProviderError("gemini", "the stream ended without a finishReason", true);
    },
  };
}

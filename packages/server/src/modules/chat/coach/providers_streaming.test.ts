import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  anthropicModel,
  type ChatModel,
  geminiModel,
  type ModelOptions,
  openAiModel,
  ProviderError,
} from "./models.js";

/** A loopback server speaking one vendor's wire format, scripted per test. */
type Script = (req: IncomingMessage, body: string, res: ServerResponse) => void | Promise<void>;
const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function serve(
  script: Script,
): Promise<{ url: string; seen: { req?: IncomingMessage; body?: string } }> {
  const seen: { req?: IncomingMessage; body?: string } = {};
  const server = createServer(async (req, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    seen.req = req;
    seen.body = body;
    await script(req, body, res);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const sse = (res: ServerResponse, frames: string[], end = true) => {
  res.writeHead(200, { "content-type": "text/event-stream" });
  for (const f of frames) res.write(f);
  if (end) res.end();
  else res.destroy(); // the connection drops mid-answer
};

async function drain(model: ChatModel): Promise<{ text: string; error?: unknown }> {
  let text = "";
  try {
    for await (const t of model.stream("be brief", [{ role: "user", content: "hi" }])) text += t;
    return { text };
  } catch (error) {
    return { text, error };
  }
}

const options = (url: string): ModelOptions => ({ baseUrl: url, apiKey: "k-1", model: "m-1" });
const anthropicEvent = (type: string, data: object) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
const textDelta = (text: string) =>
  anthropicEvent("content_block_delta", { index: 0, delta: { type: "text_delta", text } });
const geminiChunk = (text: string, finishReason?: string) =>
  `data: ${JSON.stringify({ candidates: [{ content: { role: "model", parts: [{ text }] }, ...(finishReason && { finishReason }) }] })}\r\n\r\n`;
const openAiChunk = (content: string) =>
  `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content } }] })}\n\n`;

describe("Anthropic Messages streaming", () => {
  it("sends the Messages request and reads text deltas until message_stop", async () => {
    const { url, seen } = await serve((_req, _body, res) =>
      sse(res, [
        anthropicEvent("message_start", { message: { id: "msg_1", content: [] } }),
        anthropicEvent("content_block_start", {
          index: 0,
          content_block: { type: "text", text: "" },
        }),
        'event: ping\ndata: {"type": "ping"}\n\n',
        textDelta("Bookings "),
        textDelta("rose."),
        anthropicEvent("content_block_stop", { index: 0 }),
        anthropicEvent("message_delta", { delta: { stop_reason: "end_turn" } }),
        anthropicEvent("message_stop", {}),
      ]),
    );
    const result = await drain(anthropicModel(options(url)));
    expect(result).toEqual({ text: "Bookings rose." });
    expect(seen.req?.url).toBe("/messages");
    expect(seen.req?.headers["x-api-key"]).toBe("k-1");
    expect(seen.req?.headers["anthropic-version"]).toBe("2023-06-01");
    const body = JSON.parse(seen.body ?? "{}");
    expect(body).toMatchObject({ model: "m-1", stream: true, system: "be brief" });
    expect(body.messages).toEqual([{ role: "user", content: "hi" }]);
  });

  it("fails on an error event mid-stream, after the part already streamed", async () => {
    const { url } = await serve((_req, _body, res) =>
      sse(res, [
        textDelta("Saturday had "),
        anthropicEvent("error", { error: { type: "overloaded_error", message: "Overloaded" } }),
      ]),
    );
    const { text, error } = await drain(anthropicModel(options(url)));
    expect(text).toBe("Saturday had ");
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).midStream).toBe(true);
    expect((error as Error).message).toContain("Overloaded");
  });

  it("fails when the stream ends before message_stop, and on an HTTP error", async () => {
    const cut = await serve((_req, _body, res) => sse(res, [textDelta("half")], false));
    expect((await drain(anthropicModel(options(cut.url)))).error).toBeInstanceOf(ProviderError);
    const refused = await serve((_req, _body, res) => {
      res.writeHead(529, { "content-type": "application/json" });
      res.end(JSON.stringify({ type: "error", error: { type: "overloaded_error" } }));
    });
    const { error } = await drain(anthropicModel(options(refused.url)));
    expect((error as Error).message).toContain("529");
    expect((error as ProviderError).midStream).toBe(false);
  });
});

describe("Google Gemini streamGenerateContent (alt=sse)", () => {
  it("posts contents with the system instruction and reads candidates' parts", async () => {
    const { url, seen } = await serve((_req, _body, res) =>
      sse(res, [geminiChunk("Quiet hours "), geminiChunk("are 15:00.", "STOP")]),
    );
    expect(await drain(geminiModel(options(url)))).toEqual({ text: "Quiet hours are 15:00." });
    expect(seen.req?.url).toBe("/models/m-1:streamGenerateContent?alt=sse");
    expect(seen.req?.headers["x-goog-api-key"]).toBe("k-1");
    const body = JSON.parse(seen.body ?? "{}");
    expect(body.systemInstruction).toEqual({ parts: [{ text: "be brief" }] });
    expect(body.contents).toEqual([{ role: "user", parts: [{ text: "hi" }] }]);
  });

  it("fails on an error object mid-stream, a withheld answer, or a cut stream", async () => {
    const midway = await serve((_req, _body, res) =>
      sse(res, [
        geminiChunk("Bookings "),
        `data: ${JSON.stringify({ error: { code: 500, message: "Internal error", status: "INTERNAL" } })}\n\n`,
      ]),
    );
    const a = await drain(geminiModel(options(midway.url)));
    expect(a.text).toBe("Bookings ");
    expect((a.error as Error).message).toContain("Internal error");
    const withheld = await serve((_req, _body, res) => sse(res, [geminiChunk("", "SAFETY")]));
    expect(((await drain(geminiModel(options(withheld.url)))).error as Error).message).toContain(
      "SAFETY",
    );
    const cut = await serve((_req, _body, res) => sse(res, [geminiChunk("half")], false));
    expect((await drain(geminiModel(options(cut.url)))).error).toBeInstanceOf(ProviderError);
  });
});

describe("OpenAI-compatible chat completions streaming", () => {
  it("reads content deltas until [DONE], with the bearer key", async () => {
    const { url, seen } = await serve((_req, _body, res) =>
      sse(res, [openAiChunk("Up "), ": keep-alive\n\n", openAiChunk("12%."), "data: [DONE]\n\n"]),
    );
    expect(await drain(openAiModel(options(url)))).toEqual({ text: "Up 12%." });
    expect(seen.req?.url).toBe("/chat/completions");
    expect(seen.req?.headers.authorization).toBe("Bearer k-1");
    expect(JSON.parse(seen.body ?? "{}").messages[0]).toEqual({
      role: "system",
      content: "be brief",
    });
  });

  it("fails on an error chunk mid-stream and on a stream without [DONE]", async () => {
    const midway = await serve((_req, _body, res) =>
      sse(res, [
        openAiChunk("Up "),
        `data: ${JSON.stringify({ error: { message: "rate limited" } })}\n\n`,
      ]),
    );
    const a = await drain(openAiModel(options(midway.url)));
    expect(a.text).toBe("Up ");
    expect((a.error as Error).message).toContain("rate limited");
    const cut = await serve((_req, _body, res) => sse(res, [openAiChunk("half")], false));
    expect((await drain(openAiModel(options(cut.url)))).error).toBeInstanceOf(ProviderError);
    const down = await drain(openAiModel({ baseUrl: "http://127.0.0.1:9", model: "m" }));
    expect((down.error as Error).message).toContain("unreachable");
  });
});

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { chatHarness } from "../../test-support/chat.js";
import { startTestServer, type TestServer } from "../../testing.js";
import { Bm25Index, confidence, tokenize } from "./bot/bm25.js";
import { splitMarkdown } from "./bot/knowledge.js";

let server: TestServer;
const h = chatHarness(() => server);
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  h.cleanup();
  await server?.close();
  for (const close of closers.splice(0)) await close();
});

async function openWaiting(user: string) {
  const c = await h.as(user);
  const { id } = (await c.call("POST", "/api/chat/conversations", { subject: "question" })).body;
  const ws = await c.socket();
  await ws.subscribe(`conversation:${id}`);
  return { c, id, ws };
}

describe("BM25 retrieval", () => {
  const passages = splitMarkdown(
    "faq.md",
    "## Warranty\nTwelve months warranty on every repair.\n## Hours\nOpen Monday to Saturday.\n## Water\nWater damage gets a free diagnosis.",
  );
  const index = new Bm25Index(passages, (p) => `${p.title} ${p.text}`);

  it("ranks the passage that answers the question first", () => {
    const { results, queryTerms } = index.search("is there a warranty on my repair?");
    expect(results[0]?.item.title).toBe("Warranty");
    expect(confidence(results, queryTerms)).toBeGreaterThan(0.5);
  });

  it("gives no confidence when nothing matches", () => {
    const { results, queryTerms } = index.search("quantum chromodynamics");
    expect(results).toEqual([]);
    expect(confidence(results, queryTerms)).toBe(0);
  });

  it("tokenizes without stopwords and folds simple plurals", () => {
    expect(tokenize("The repairs are opening")).toEqual(["repair", "open"]);
  });
});

describe("the bot", () => {
  it("streams a cited answer token by token while no agent is free, then stores it", async () => {
    server = await startTestServer();
    const { c, id, ws } = await openWaiting("alice");
    await c.call("POST", `/api/chat/conversations/${id}/messages`, {
      text: "Is there a warranty on repairs?",
    });
    const final = await ws.next(
      (f) =>
        f.event === "message" && (f.data as { author: { role: string } }).author.role === "bot",
      10_000,
    );
    const deltas = ws.frames.filter((f) => f.event === "bot_delta");
    expect(deltas.length).toBeGreaterThan(5);
    for (const d of deltas) expect(d.offset).toBeUndefined(); // ephemeral
    const data = final.data as {
      id: string;
      text: string;
      meta: { sources: { title: string }[]; confidence: number };
    };
    expect(
      deltas
        .map((d) => (d.data as { delta: string }).delta)
        .join("")
        .trim(),
    ).toBe(data.text);
    expect(deltas.every((d) => (d.data as { messageId: string }).messageId === data.id)).toBe(true);
    expect(data.text).toContain("12-month warranty");
    expect(data.meta.sources[0]?.title).toBe("Is there a warranty on repairs?");
    expect(data.meta.confidence).toBeGreaterThanOrEqual(0.35);
  });

  it("hands over to a person when asked, then stays quiet", async () => {
    server = await startTestServer();
    const { c, id, ws } = await openWaiting("bob");
    await c.call("POST", `/api/chat/conversations/${id}/messages`, {
      text: "I want to talk to a human please",
    });
    const handover = await ws.next(
      (f) =>
        f.event === "message" && (f.data as { author: { role: string } }).author.role === "bot",
      10_000,
    );
    expect(handover.data).toMatchObject({ meta: { handover: true } });
    expect((handover.data as { text: string }).text).toContain("number 1 in line");
    await c.call("POST", `/api/chat/conversations/${id}/messages`, {
      text: "What are your opening hours?",
    });
    await server.app.events.settled();
    await new Promise((r) => setTimeout(r, 300));
    expect(ws.frames.filter((f) => f.event === "bot_delta")).toHaveLength(0);
    expect((await c.call("GET", `/api/chat/conversations/${id}`)).body.status).toBe("waiting");
  });

  it("hands over when it is not confident", async () => {
    server = await startTestServer();
    const { c, id, ws } = await openWaiting("carl");
    await c.call("POST", `/api/chat/conversations/${id}/messages`, {
      text: "Can you explain quantum chromodynamics?",
    });
    const handover = await ws.next(
      (f) =>
        f.event === "message" && (f.data as { author: { role: string } }).author.role === "bot",
      10_000,
    );
    expect(handover.data).toMatchObject({ meta: { handover: true } });
  });

  it("stays out of a conversation an agent has", async () => {
    server = await startTestServer();
    await h.agent("ann");
    const { c, id, ws } = await openWaiting("dora");
    await c.call("POST", `/api/chat/conversations/${id}/messages`, {
      text: "Is there a warranty on repairs?",
    });
    await new Promise((r) => setTimeout(r, 400));
    expect(
      ws.frames.filter(
        (f) =>
          f.event === "bot_delta" ||
          (f.event === "message" && (f.data as { author: { role: string } }).author.role === "bot"),
      ),
    ).toEqual([]);
  });

  it("streams from an OpenAI-compatible endpoint, grounded and cited", async () => {
    const requests: {
      model: string;
      stream: boolean;
      messages: { role: string; content: string }[];
    }[] = [];
    const llm: Server = createServer((req, res) => {
      let body = "";
      req.on("data", (d) => {
        body += d;
      });
      req.on("end", () => {
        requests.push(JSON.parse(body));
        expect(req.url).toBe("/v1/chat/completions");
        expect(req.headers.authorization).toBe("Bearer test-key");
        res.writeHead(200, { "content-type": "text/event-stream" });
        const pieces = ["Every ", "repair ", "has ", "a ", "12-month ", "warranty."];
        let i = 0;
        const timer = setInterval(() => {
          const piece = pieces[i++];
          if (piece === undefined) {
            clearInterval(timer);
            res.end("data: [DONE]\n\n");
            return;
          }
          res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: piece } }] })}\n\n`);
        }, 5);
      });
    });
    await new Promise<void>((r) => llm.listen(0, "127.0.0.1", r));
    closers.push(() => new Promise((r) => llm.close(() => r())));
    const port = (llm.address() as AddressInfo).port;
    server = await startTestServer({
      env: {
        SWITCHBOARD_CHAT_BOT: "openai",
        SWITCHBOARD_CHAT_OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1`,
        SWITCHBOARD_CHAT_OPENAI_API_KEY: "test-key",
        SWITCHBOARD_CHAT_OPENAI_MODEL: "local-model",
      },
    });
    const { c, id, ws } = await openWaiting("eve");
    await c.call("POST", `/api/chat/conversations/${id}/messages`, {
      text: "Is there a warranty on repairs?",
    });
    const final = await ws.next(
      (f) =>
        f.event === "message" && (f.data as { author: { role: string } }).author.role === "bot",
      10_000,
    );
    expect(final.data).toMatchObject({
      text: "Every repair has a 12-month warranty.",
      meta: { responder: "openai" },
    });
    expect(ws.frames.filter((f) => f.event === "bot_delta")).toHaveLength(6);
    expect(requests[0]).toMatchObject({ model: "local-model", stream: true });
    expect(requests[0]?.messages[0]?.content).toContain("12-month warranty"); // the retrieved passage grounds it
  });
});

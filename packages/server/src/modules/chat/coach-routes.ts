import type { OutgoingHttpHeaders } from "node:http";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { SwitchboardError } from "../../errors.js";
import type { AuthHooks } from "../../http/auth.js";
import { errorBodySchema, errorResponses } from "../../http/schemas.js";
import type { Responder } from "./bot/responder.js";
import { ProviderError } from "./coach/models.js";
import { coachAnswerSchema } from "./contract.js";

export const coachBody = z.object({
  question: z.string().trim().min(1).max(1000),
  history: z
    .array(z.object({ role: z.enum(["user", "coach"]), text: z.string().max(4000) }))
    .max(20)
    .default([]),
  asOf: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('Answer as of this moment ("last week" counts from it); default now'),
});

const sse = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/**
 * The staff coach: `POST /api/chat/coach` answers a business question from the business's
 * figures and the playbook. With `Accept: text/event-stream` the answer streams: `meta`
 * (sources, confidence, model), `delta`s, then `done` — or `error` if the model fails midway.
 */
export function registerCoachRoutes(app: FastifyInstance, coach: Responder, auth: AuthHooks): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    "/api/chat/coach",
    {
      onRequest: auth.staff,
      schema: {
        summary: "Ask the staff coach a business question",
        description:
          "Staff only. The answer is grounded in the business's own figures (bookings, no-shows, orders, units sold, prices, chat ratings) and the staff playbook; every figure quoted is a source. It says plainly what it has no figures for (revenue, for one) rather than invent numbers. `Accept: text/event-stream` streams it as Server-Sent Events: `meta` {sources, confidence, model, cannotAnswer}, `delta` {text}…, `done` {text}, or `error` {code, message} when the model provider fails midway.",
        tags: ["chat"],
        security: [{ bearer: [] }],
        body: coachBody,
        response: { 200: coachAnswerSchema, ...errorResponses, 503: errorBodySchema },
      },
    },
    async (request, reply) => {
      const { question, history, asOf } = request.body;
      const abort = new AbortController();
      const answer = await coach
        .answer(
          question,
          history.map((m) => ({ role: m.role === "coach" ? "bot" : "agent", text: m.text })),
          { ...(asOf && { asOf: new Date(asOf) }), signal: abort.signal },
        )
        .catch((err: unknown) => {
          if (err instanceof ProviderError)
            throw new SwitchboardError("unavailable", err.message, { retryAfterMs: 5000 });
          throw err;
        });
      const meta = {
        sources: answer.sources,
        confidence: answer.confidence,
        model: answer.model ?? coach.name,
        cannotAnswer: answer.cannotAnswer ?? [],
      };
      if (!(request.headers.accept ?? "").includes("text/event-stream")) {
        let text = "";
        try {
          for await (const piece of answer.tokens) text += piece;
        } catch (err) {
          if (err instanceof ProviderError)
            throw new SwitchboardError("unavailable", err.message, { retryAfterMs: 5000 });
          throw err;
        }
        return { text, ...meta };
      }
      const res = reply.raw;
      void reply.hijack();
      res.writeHead(200, {
        ...(reply.getHeaders() as OutgoingHttpHeaders),
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache, no-store, no-transform",
        "x-accel-buffering": "no",
      });
      res.on("close", () => abort.abort());
      res.write(sse("meta", meta));
      let text = "";
      try {
        for await (const piece of answer.tokens) {
          text += piece;
          res.write(sse("delta", { text: piece }));
        }
        res.write(sse("done", { text }));
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        request.log.warn({ err }, "coach answer failed midway");
        res.write(sse("error", { code: "unavailable", message, partial: text }));
      }
      res.end();
      return reply;
    },
  );
}

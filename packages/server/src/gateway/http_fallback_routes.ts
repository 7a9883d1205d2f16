import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { SwitchboardError } from "../errors.js";
import { errorBodySchema } from "../http/schemas.js";
import type { HttpFallback } from "./http_fallback.js";
import { IpBuckets, type IpRate } from "./ip_buckets.js";

const postBody = z
  .string()
  .min(1)
  .describe(
    'Line 1: {"stream","key","seq"} from the open event (seq counts POSTs from 1); then one protocol v1 client frame (JSON) per line',
  );

const pollBody = z
  .string()
  .min(1)
  .describe(
    '`{}` to open a long-poll session; then `{"stream","key","ack"}` with ack = the number of the last batch received (0 before any)',
  );

/**
 * GET /ws/stream, POST /ws/poll and POST /ws/send, each request counted against its client
 * address first (a token bucket per address and node): these endpoints are open to anyone, and a
 * request costs the server work before any session limit can apply.
 */
export function registerHttpFallback(
  app: FastifyInstance,
  fallback: HttpFallback,
  ipRate: IpRate,
): void {
  const buckets = new IpBuckets(ipRate);
  const perIp = async (request: FastifyRequest) => {
    const wait = buckets.take(request.ip);
    if (wait > 0) {
      throw new SwitchboardError(
        "rate_limited",
        `too many fallback requests from this address: at most ${ipRate.perSecond}/s`,
        { retryAfterMs: wait },
      );
    }
  };
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    "/ws/stream",
    {
      onRequest: perIp,
      schema: {
        summary: "Open a fallback stream (protocol v1 over HTTP)",
        description:
          "For clients that cannot use WebSocket. A text/event-stream response: first `event: open` with `{stream, key}` for POST /ws/send, then one protocol v1 server frame per event (`data:` line, same JSON as a WebSocket text frame), and at the end `event: close` with `{code, reason}` (WebSocket close codes). The first frame the client POSTs must be `connect` with its token, as over WebSocket.",
        tags: ["realtime"],
        response: {
          200: z.string().describe("text/event-stream"),
          429: errorBodySchema,
          503: errorBodySchema,
        },
      },
    },
    async (_request, reply) => {
      await fallback.open(reply);
    },
  );
  r.post(
    "/ws/poll",
    {
      onRequest: perIp,
      schema: {
        summary: "Long-poll a fallback session (for proxies that buffer event streams)",
        description:
          "A text/plain body. `{}` opens a session: the answer is `event: open` with `{stream, key}`, as on GET /ws/stream. Then each poll `{stream, key, ack}` is answered with the next batch as soon as there is one: `event: batch` with `{n}`, then one protocol v1 server frame per `data:` event, and `event: close` with `{code, reason}` when the session ends. A poll with nothing to send is held up to SWITCHBOARD_HTTP_FALLBACK_POLL_TIMEOUT_MS and answered empty. `ack` is the number of the last batch received: acknowledging the one before gets the same batch again (a lost answer loses nothing). Frames go to POST /ws/send as with a stream. Any node of a cluster takes the poll.",
        tags: ["realtime"],
        body: pollBody,
        response: {
          200: z.string().describe("events in text/event-stream format (may be empty)"),
          400: errorBodySchema,
          403: errorBodySchema,
          404: errorBodySchema,
          429: errorBodySchema,
          503: errorBodySchema,
        },
      },
    },
    async (request, reply) => {
      const body = await fallback.poll(request.body);
      return reply
        .code(200)
        .header("content-type", "text/plain; charset=utf-8")
        .header("cache-control", "no-cache, no-store, no-transform")
        .send(body);
    },
  );
  r.post(
    "/ws/send",
    {
      onRequest: perIp,
      bodyLimit: fallback.maxPostBytes,
      schema: {
        summary: "Send frames on a fallback stream",
        description:
          "A text/plain body (no preflight needed): the stream's head line, then frames, one per line, applied in `seq` order (a repeated seq is ignored, so a POST may be retried). Replies to the frames come on the stream. Any node of a cluster accepts the POST and relays it to the node holding the stream.",
        tags: ["realtime"],
        body: postBody,
        response: {
          202: z.object({ accepted: z.number().int().describe("frames taken") }),
          400: errorBodySchema,
          403: errorBodySchema,
          404: errorBodySchema,
          413: errorBodySchema,
          429: errorBodySchema,
          503: errorBodySchema,
        },
      },
    },
    async (request, reply) => {
      const accepted = await fallback.post(request.body);
      return reply.code(202).send({ accepted });
    },
  );
}

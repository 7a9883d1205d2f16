import { randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import type { OutgoingHttpHeaders } from "node:http";
import { CloseCode } from "@switchboard/protocol";
import type { FastifyInstance, FastifyReply } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { Logger } from "pino";
import { z } from "zod";
import type { Broker, BrokerEvent } from "../broker/types.js";
import type { Config } from "../config.js";
import { SwitchboardError } from "../errors.js";
import { errorBodySchema } from "../http/schemas.js";
import type { Gateway } from "./gateway.js";
import { HttpLink, sseEvent } from "./http_link.js";
import type { Session } from "./session.js";

/**
 * The HTTP fallback transport, for networks that refuse WebSocket upgrades: protocol v1 unchanged,
 * server → client as a `text/event-stream` response (`GET /ws/stream`), client → server as POSTs
 * of newline-separated frames (`POST /ws/send`). A stream is one session of the gateway, exactly
 * as a socket is (auth in the `connect` frame, limits, presence, recovery); only the link differs.
 *
 * No sticky sessions: a stream id names the node that holds it, and a POST that lands on another
 * node is relayed there through the broker (Redis pub/sub in a cluster). POSTs carry a sequence
 * number, so frames are applied in the client's order whichever way they came, and a retried POST
 * is applied once.
 */

const STREAM_ID =
  /^([A-Za-z0-9_:-]{1,80})\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const postHead = z
  .object({
    stream: z.string().regex(STREAM_ID, "must be a stream id from the open event"),
    key: z.string().regex(/^[A-Za-z0-9_-]{32}$/, "must be the key from the open event"),
    seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  })
  .strict();
type PostHead = z.infer<typeof postHead>;
const relayed = postHead.extend({ frames: z.array(z.string()).max(10_000) });

/** POSTs held back waiting for an earlier one, per stream. */
const MAX_OUT_OF_ORDER = 32;
/** How long a missing POST is waited for before the stream is closed (the client reconnects). */
const GAP_TIMEOUT_MS = 10_000;

interface Stream {
  readonly id: string;
  readonly key: Buffer;
  readonly session: Session;
  nextSeq: number;
  readonly waiting: Map<number, string[]>;
  gapTimer: NodeJS.Timeout | undefined;
}

export interface HttpFallbackDeps {
  config: Config;
  gateway: Gateway;
  broker: Broker;
  logger: Logger;
}

export class HttpFallback {
  private readonly streams = new Map<string, Stream>();
  private readonly relayChannel: string;
  private listening: Promise<void> | undefined;
  private readonly logger: Logger;

  constructor(private readonly deps: HttpFallbackDeps) {
    this.relayChannel = relayChannelOf(deps.broker.nodeId);
    this.logger = deps.logger.child({ component: "http-fallback" });
    deps.gateway.onInternalEvent((event) => this.onRelay(event));
  }

  get maxPostBytes(): number {
    return this.deps.config.transports.maxPostBytes;
  }

  /** Streams open on this node. */
  get size(): number {
    return this.streams.size;
  }

  /** Opens a stream: a new session whose frames are this response's events. */
  async open(reply: FastifyReply): Promise<void> {
    const { gateway, broker } = this.deps;
    const refusal = gateway.refusal();
    if (refusal) throw new SwitchboardError("unavailable", refusal, { retryAfterMs: 1000 });
    // POSTs that land on other nodes reach this one through its relay channel.
    this.listening ??= broker.subscribe(this.relayChannel).catch((error: unknown) => {
      this.listening = undefined;
      throw error;
    });
    try {
      await this.listening;
    } catch (error) {
      this.logger.warn({ err: error }, "relay channel unavailable");
      throw new SwitchboardError("unavailable", "the broker is unavailable", {
        retryAfterMs: 1000,
      });
    }
    const res = reply.raw;
    const socket = reply.request.raw.socket;
    void reply.hijack();
    socket.setNoDelay(true);
    socket.setTimeout(0);
    res.writeHead(200, {
      // What hooks set before the hijack (CORS for a page on another origin).
      ...(reply.getHeaders() as OutgoingHttpHeaders),
      "content-type": "text/event-stream; charset=utf-8",
      // Proxies must pass events on as they come, neither caching nor buffering nor recoding them.
      "cache-control": "no-cache, no-store, no-transform",
      "x-accel-buffering": "no",
      connection: "keep-alive",
    });
    const id = `${broker.nodeId}.${randomUUID()}`;
    const key = randomBytes(24).toString("base64url");
    const session = gateway.open(new HttpLink(res, gateway.batcher));
    const stream: Stream = {
      id,
      key: Buffer.from(key),
      session,
      nextSeq: 1,
      waiting: new Map(),
      gapTimer: undefined,
    };
    this.streams.set(id, stream);
    res.on("close", () => {
      this.streams.delete(id);
      clearTimeout(stream.gapTimer);
      gateway.ended(session);
    });
    res.write(sseEvent("open", { stream: id, key }));
  }

  /** Takes one POST body: a head line `{stream, key, seq}`, then one frame per line. */
  async post(body: string): Promise<number> {
    const newline = body.indexOf("\n");
    const head = parseHead(newline < 0 ? body : body.slice(0, newline));
    const frames = newline < 0 ? [] : body.slice(newline + 1).split("\n");
    const lines = frames.filter((line) => line.length > 0);
    const max = this.deps.config.transports.maxFramesPerPost;
    if (lines.length > max) {
      throw new SwitchboardError("too_large", `at most ${max} frames per POST`);
    }
    const owner = STREAM_ID.exec(head.stream)?.[1] as string;
    if (owner === this.deps.broker.nodeId) {
      this.deliver(head, lines);
    } else {
      await this.deps.broker.broadcast({
        kind: "signal",
        channel: relayChannelOf(owner),
        event: "post",
        data: { ...head, frames: lines },
        ts: Date.now(),
      });
    }
    return lines.length;
  }

  private onRelay(event: BrokerEvent): void {
    if (event.kind !== "signal" || event.channel !== this.relayChannel || event.event !== "post")
      return;
    const parsed = relayed.safeParse(event.data);
    if (!parsed.success) return;
    const { frames, ...head } = parsed.data;
    try {
      this.deliver(head, frames);
    } catch (error) {
      // The POST was answered 202 by the node that relayed it; the client finds out from its stream.
      this.logger.debug({ err: error, stream: head.stream }, "relayed POST refused");
    }
  }

  /** Applies a POST's frames in sequence order; a repeat is ignored, one ahead waits its turn. */
  private deliver(head: PostHead, frames: string[]): void {
    const stream = this.streams.get(head.stream);
    if (!stream) {
      throw new SwitchboardError("not_found", "no such stream: it ended; open a new one");
    }
    const key = Buffer.from(head.key);
    if (key.length !== stream.key.length || !timingSafeEqual(key, stream.key)) {
      throw new SwitchboardError("forbidden", "wrong key for this stream");
    }
    if (head.seq < stream.nextSeq || stream.waiting.has(head.seq)) return;
    if (head.seq > stream.nextSeq) {
      if (stream.waiting.size >= MAX_OUT_OF_ORDER) {
        stream.session.close(CloseCode.ProtocolViolation, "too many POSTs out of order", false);
        return;
      }
      stream.waiting.set(head.seq, frames);
      stream.gapTimer ??= setTimeout(() => {
        stream.session.close(CloseCode.Internal, "a POST never arrived", true);
      }, GAP_TIMEOUT_MS);
      return;
    }
    this.apply(stream, frames);
    for (let next = stream.waiting.get(stream.nextSeq); next; ) {
      stream.waiting.delete(stream.nextSeq);
      this.apply(stream, next);
      next = stream.waiting.get(stream.nextSeq);
    }
    if (stream.waiting.size === 0 && stream.gapTimer) {
      clearTimeout(stream.gapTimer);
      stream.gapTimer = undefined;
    }
  }

  private apply(stream: Stream, frames: string[]): void {
    stream.nextSeq++;
    for (const frame of frames) this.deps.gateway.receive(stream.session, Buffer.from(frame));
  }
}

function relayChannelOf(nodeId: string): string {
  return `#relay:${nodeId}`;
}

function parseHead(line: string): PostHead {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new SwitchboardError("bad_request", "the first line must be JSON: {stream, key, seq}");
  }
  const parsed = postHead.safeParse(value);
  if (!parsed.success) {
    throw new SwitchboardError("bad_request", "the first line must be {stream, key, seq}", {
      details: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    });
  }
  return parsed.data;
}

const postBody = z
  .string()
  .min(1)
  .describe(
    'Line 1: {"stream","key","seq"} from the open event (seq counts POSTs from 1); then one protocol v1 client frame (JSON) per line',
  );

/** GET /ws/stream and POST /ws/send. */
export function registerHttpFallback(app: FastifyInstance, fallback: HttpFallback): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    "/ws/stream",
    {
      schema: {
        summary: "Open a fallback stream (protocol v1 over HTTP)",
        description:
          "For clients that cannot use WebSocket. A text/event-stream response: first `event: open` with `{stream, key}` for POST /ws/send, then one protocol v1 server frame per event (`data:` line, same JSON as a WebSocket text frame), and at the end `event: close` with `{code, reason}` (WebSocket close codes). The first frame the client POSTs must be `connect` with its token, as over WebSocket.",
        tags: ["realtime"],
        response: {
          200: z.string().describe("text/event-stream"),
          503: errorBodySchema,
        },
      },
    },
    async (_request, reply) => {
      await fallback.open(reply);
    },
  );
  r.post(
    "/ws/send",
    {
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

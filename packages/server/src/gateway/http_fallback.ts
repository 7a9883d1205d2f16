import { randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import type { OutgoingHttpHeaders } from "node:http";
import { CloseCode } from "@switchboard/protocol";
import type { FastifyReply } from "fastify";
import type { Logger } from "pino";
import { z } from "zod";
import type { Broker, BrokerEvent } from "../broker/types.js";
import type { Config } from "../config.js";
import { SwitchboardError } from "../errors.js";
import type { Gateway } from "./gateway.js";
import { HttpLink, sseEvent } from "./http_link.js";
import { type PollAnswer, PollLink } from "./poll_link.js";
import type { Session } from "./session.js";

/**
 * The HTTP fallback transport, for networks that refuse WebSocket upgrades: protocol v1 unchanged,
 * server → client as a `text/event-stream` response (`GET /ws/stream`) or, where a proxy holds
 * streaming responses back, as long polls (`POST /ws/poll`, poll_link.ts); client → server as
 * POSTs of newline-separated frames (`POST /ws/send`). A stream is one session of the gateway,
 * exactly as a socket is (auth in the `connect` frame, limits, presence, recovery); only the
 * link differs.
 *
 * No sticky sessions: a stream id names the node that holds it, and a POST that lands on another
 * node is relayed there through the broker (Redis pub/sub in a cluster). POSTs carry a sequence
 * number, so frames are applied in the client's order whichever way they came, and a retried POST
 * is applied once. A poll that lands on another node is relayed the same way, and its answer
 * comes back over the relay channel of the node that holds the poll's request.
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
const pollHead = z
  .object({
    stream: postHead.shape.stream,
    key: postHead.shape.key,
    ack: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    /** The client leaves: the session ends now (a WebSocket's close, which a poll has not). */
    close: z.literal(true).optional(),
  })
  .strict();
type PollHead = z.infer<typeof pollHead>;
/** A poll body: `{}` opens a long-poll session; `{stream, key, ack}` fetches its next batch. */
const pollBody = z.union([z.object({}).strict(), pollHead]);
const relayedPoll = pollHead.extend({ from: z.string().min(1).max(200), poll: z.string().uuid() });
const relayedAnswer = z.object({
  poll: z.string().uuid(),
  body: z.string().optional(),
  error: z
    .object({ code: z.enum(["bad_request", "forbidden", "not_found"]), message: z.string() })
    .optional(),
});
type RelayedAnswer = z.infer<typeof relayedAnswer>;

/** POSTs held back waiting for an earlier one, per stream. */
const MAX_OUT_OF_ORDER = 32;
/** How long a missing POST is waited for before the stream is closed (the client reconnects). */
const GAP_TIMEOUT_MS = 10_000;

interface Stream {
  readonly id: string;
  readonly key: Buffer;
  readonly session: Session;
  /** Set when the session's frames go out by long polling instead of an event stream. */
  readonly poll: PollLink | undefined;
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
  /** Polls this node holds for streams on other nodes, waiting for the answer to come back. */
  private readonly relayedPolls = new Map<string, (answer: RelayedAnswer) => void>();

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
    await this.listen();
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
      poll: undefined,
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

  /** POSTs and polls that land on other nodes reach this one through its relay channel. */
  private async listen(): Promise<void> {
    this.listening ??= this.deps.broker.subscribe(this.relayChannel).catch((error: unknown) => {
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
  }

  /** How long a poll is held: below the request timeout, so the server never cuts one itself. */
  private get pollTimeoutMs(): number {
    const { transports, http } = this.deps.config;
    return Math.max(1000, Math.min(transports.pollTimeoutMs, http.requestTimeoutMs - 5000));
  }

  /**
   * Takes one POST /ws/poll body: `{}` opens a long-poll session (answered at once with its
   * `open` event); `{stream, key, ack}` answers with the next batch once there is one, or empty
   * when the poll times out.
   */
  async poll(body: string): Promise<string> {
    const parsed = parsePollBody(body);
    if (!("stream" in parsed)) return this.openPoll();
    const head = parsed as PollHead;
    const owner = STREAM_ID.exec(head.stream)?.[1] as string;
    if (owner === this.deps.broker.nodeId) {
      return new Promise((resolve, reject) => {
        try {
          this.takePoll(head, resolve);
        } catch (error) {
          reject(error);
        }
      });
    }
    await this.listen();
    const id = randomUUID();
    const answered = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.relayedPolls.delete(id);
        resolve(""); // the other node never answered: the client polls again
      }, this.pollTimeoutMs + 5000);
      this.relayedPolls.set(id, ({ body, error }) => {
        clearTimeout(timer);
        this.relayedPolls.delete(id);
        if (error) reject(new SwitchboardError(error.code, error.message));
        else resolve(body ?? "");
      });
    });
    await this.deps.broker.broadcast({
      kind: "signal",
      channel: relayChannelOf(owner),
      event: "poll",
      data: { ...head, from: this.deps.broker.nodeId, poll: id },
      ts: Date.now(),
    });
    return answered;
  }

  private async openPoll(): Promise<string> {
    const { gateway, broker } = this.deps;
    const refusal = gateway.refusal();
    if (refusal) throw new SwitchboardError("unavailable", refusal, { retryAfterMs: 1000 });
    await this.listen();
    const id = `${broker.nodeId}.${randomUUID()}`;
    const key = randomBytes(24).toString("base64url");
    let session: Session | undefined;
    const link = new PollLink(gateway.batcher, this.pollTimeoutMs, () => {
      this.streams.delete(id);
      if (session) gateway.ended(session);
    });
    session = gateway.open(link);
    this.streams.set(id, {
      id,
      key: Buffer.from(key),
      session,
      poll: link,
      nextSeq: 1,
      waiting: new Map(),
      gapTimer: undefined,
    });
    return sseEvent("open", { stream: id, key });
  }

  /** A poll for a stream held here (it came straight, or relayed by another node). */
  private takePoll(head: PollHead, answer: PollAnswer): void {
    const stream = this.streamFor(head.stream, head.key);
    if (!stream.poll) {
      throw new SwitchboardError("bad_request", "this stream is an event stream, not polled");
    }
    stream.session.lastSeenAt = Date.now();
    if (head.close) {
      stream.poll.terminate();
      answer("");
      return;
    }
    stream.poll.poll(head.ack, answer);
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
    if (event.kind !== "signal" || event.channel !== this.relayChannel) return;
    if (event.event === "poll") this.onRelayedPoll(event.data);
    else if (event.event === "polled") {
      const parsed = relayedAnswer.safeParse(event.data);
      if (parsed.success) this.relayedPolls.get(parsed.data.poll)?.(parsed.data);
    }
    if (event.event !== "post") return;
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

  /** A poll another node took for a stream here: its answer goes back to that node. */
  private onRelayedPoll(data: unknown): void {
    const parsed = relayedPoll.safeParse(data);
    if (!parsed.success) return;
    const { from, poll, ...head } = parsed.data;
    const reply = (answer: Omit<RelayedAnswer, "poll">) =>
      void this.deps.broker
        .broadcast({
          kind: "signal",
          channel: relayChannelOf(from),
          event: "polled",
          data: { poll, ...answer },
          ts: Date.now(),
        })
        .catch((err: unknown) => this.logger.debug({ err }, "poll answer not relayed"));
    try {
      this.takePoll(head, (body) => reply({ body }));
    } catch (error) {
      const e = error instanceof SwitchboardError ? error : undefined;
      const code = e?.code === "bad_request" || e?.code === "forbidden" ? e.code : "not_found";
      reply({ error: { code, message: e?.message ?? "refused" } });
    }
  }

  /** The stream named, if the key is its own. */
  private streamFor(id: string, key: string): Stream {
    const stream = this.streams.get(id);
    if (!stream) {
      throw new SwitchboardError("not_found", "no such stream: it ended; open a new one");
    }
    const given = Buffer.from(key);
    if (given.length !== stream.key.length || !timingSafeEqual(given, stream.key)) {
      throw new SwitchboardError("forbidden", "wrong key for this stream");
    }
    return stream;
  }

  /** Applies a POST's frames in sequence order; a repeat is ignored, one ahead waits its turn. */
  private deliver(head: PostHead, frames: string[]): void {
    const stream = this.streamFor(head.stream, head.key);
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

function parsePollBody(body: string): z.infer<typeof pollBody> {
  let value: unknown;
  try {
    value = JSON.parse(body.trim());
  } catch {
    throw new SwitchboardError("bad_request", "the body must be JSON: {} or {stream, key, ack}");
  }
  const parsed = pollBody.safeParse(value);
  if (!parsed.success) {
    throw new SwitchboardError("bad_request", "the body must be {} or {stream, key, ack}", {
      details: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    });
  }
  return parsed.data;
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

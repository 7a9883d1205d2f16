import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import {
  type ClientFrame,
  CloseCode,
  type DecodeResult,
  decodeClientFrame,
  PROTOCOL_NAME,
  type SubscribeFrame,
} from "@switchboard/protocol";
import type { Logger } from "pino";
import { type WebSocket, WebSocketServer } from "ws";
import type { Identity } from "../auth/identity.js";
import type { TokenVerifier } from "../auth/tokens.js";
import type { Broker, BrokerEvent } from "../broker/types.js";
import type { Config } from "../config.js";
import { closeCodeFor, SwitchboardError, toSwitchboardError } from "../errors.js";
import type { Metrics } from "../metrics.js";
import { type CommandContext, execute } from "./commands.js";
import type { LocalChannel } from "./fanout.js";
import { decodeFirstFrame } from "./first_frames.js";
import type { Namespaces } from "./namespaces.js";
import type { RpcRegistry } from "./rpc.js";
import { Session, type SessionHost, type SessionLink } from "./session.js";
import { ChannelSubscriptions } from "./subscriptions.js";
import { type CompressionSettings, OutFrame, WriteBatcher } from "./wire.js";
import { WsLink } from "./ws_link.js";

export interface GatewayDeps {
  config: Config;
  broker: Broker;
  namespaces: Namespaces;
  rpc: RpcRegistry;
  verifyToken: TokenVerifier;
  metrics: Metrics;
  logger: Logger;
}

const PING_FRAME = new OutFrame(Buffer.from('{"type":"ping"}'));
const TICK_MS = 250;
const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Takes over an upgrade request for a path a module serves (the Pusher endpoint's /app/{key}). */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/**
 * The real-time side of the server: sessions (over WebSocket, or the HTTP fallback's stream and
 * POSTs), subscriptions, fan-out, liveness, drain.
 */
export class Gateway implements CommandContext {
  readonly config: Config;
  readonly broker: Broker;
  readonly namespaces: Namespaces;
  readonly rpc: RpcRegistry;
  readonly verifyToken: TokenVerifier;
  readonly sessions = new Set<Session>();
  readonly subscriptions: ChannelSubscriptions;
  private readonly byId = new Map<string, Session>();
  /** Authenticated sockets per user on this node (the per-user connection cap). */
  private readonly perUser = new Map<string, number>();
  private readonly cleanups = new Set<Promise<void>>();
  private readonly wss: WebSocketServer;
  private readonly metrics: Metrics;
  private readonly logger: Logger;
  private readonly ticker: NodeJS.Timeout;
  private nextPingAt: number;
  private draining = false;
  readonly batcher: WriteBatcher;
  private readonly compression: CompressionSettings | undefined;
  /** Broker events on channels that are not client channels (the HTTP fallback's relay). */
  private internalHandler: ((event: BrokerEvent) => void) | undefined;
  private readonly sessionHost: SessionHost;
  private readonly upgradeRoutes: { prefix: string; handler: UpgradeHandler }[] = [];

  constructor(deps: GatewayDeps) {
    this.config = deps.config;
    this.broker = deps.broker;
    this.namespaces = deps.namespaces;
    this.rpc = deps.rpc;
    this.verifyToken = deps.verifyToken;
    this.metrics = deps.metrics;
    this.logger = deps.logger.child({ component: "gateway" });
    this.batcher = new WriteBatcher(deps.config.writeDelayMs);
    const max = deps.config.limits.maxFrameBytes;
    const compression = deps.config.compression;
    this.compression = compression.enabled
      ? { thresholdBytes: compression.thresholdBytes, level: compression.level }
      : undefined;
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      // Negotiation and inflating what clients send are ws's; what the server sends is deflated
      // here, once per message for every socket, which needs server_no_context_takeover.
      perMessageDeflate: compression.enabled
        ? {
            serverNoContextTakeover: true,
            clientNoContextTakeover: true,
            serverMaxWindowBits: 15,
            clientMaxWindowBits: compression.clientMaxWindowBits,
            threshold: compression.thresholdBytes,
            zlibDeflateOptions: { level: compression.level },
          }
        : false,
      // Frames between the limit and this cap are answered with `too_large`; above it ws closes with 1009.
      maxPayload: Math.max(max * 4, 256 * 1024),
      handleProtocols: (protocols) => (protocols.has(PROTOCOL_NAME) ? PROTOCOL_NAME : false),
    });
    this.sessionHost = {
      batcher: this.batcher,
      limits: deps.config.limits,
      metrics: deps.metrics,
      onSlowConsumer: (session) => this.dropSlowConsumer(session),
    };
    this.subscriptions = new ChannelSubscriptions(deps);
    this.broker.onEvent((event) => {
      if (event.channel.charCodeAt(0) === INTERNAL_CHANNEL_MARK) this.internalHandler?.(event);
      else this.subscriptions.onBrokerEvent(event);
    });
    this.nextPingAt = Date.now() + deps.config.pingIntervalSeconds * 1000;
    this.ticker = setInterval(() => this.tick(), TICK_MS);
    this.ticker.unref();
  }

  // ---- connections ----

  /** Upgrades whose path starts with `prefix` go to `handler` instead of the native protocol. */
  routeUpgrades(prefix: string, handler: UpgradeHandler): void {
    this.upgradeRoutes.push({ prefix, handler });
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (req.url ?? "").split("?")[0] ?? "";
    const route = this.upgradeRoutes.find((r) => path.startsWith(r.prefix));
    if (route) {
      route.handler(req, socket, head);
      return;
    }
    if (path !== "/ws" || !this.config.transports.websocket) {
      rejectUpgrade(socket, 404, "Not Found");
      return;
    }
    if (this.refusal() !== undefined) {
      rejectUpgrade(socket, 503, "Service Unavailable");
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
  }

  /** Why a new connection would be refused now (draining, or the connection limit), if it would. */
  refusal(): string | undefined {
    if (this.draining) return "server restarting";
    if (this.sessions.size >= this.config.limits.maxConnections) {
      this.metrics.count(this.metrics.errors, "unavailable");
      return "connection limit reached";
    }
    return undefined;
  }

  /** Receives broker events on channels starting with `#` (not client channels). */
  onInternalEvent(handler: (event: BrokerEvent) => void): void {
    this.internalHandler = handler;
  }

  /** A session over another link (the HTTP fallback): the caller feeds `receive` and `ended`. */
  open(link: SessionLink): Session {
    const session = new Session(link, this.sessionHost, randomUUID(), Date.now());
    this.sessions.add(session);
    this.metrics.connections++;
    return session;
  }

  /** One client frame, as it came (the fallback's POSTs feed them here one by one). */
  receive(session: Session, data: Buffer): void {
    this.onFrame(session, data, false);
  }

  /** The link of a session ended (the client went, or the server closed it). */
  ended(session: Session): void {
    this.remove(session);
  }

  private accept(ws: WebSocket): void {
    const negotiated = this.compression && ws.extensions.includes("permessage-deflate");
    const link = new WsLink(ws, this.batcher, negotiated ? this.compression : undefined);
    const session = this.open(link);
    this.sessionOf.set(ws, session);
    ws.on("message", this.socketListeners.message);
    ws.on("error", this.socketListeners.error);
    ws.on("close", this.socketListeners.close);
  }

  /**
   * The socket of each session, and listeners shared by every socket (`this` is the socket):
   * three closures per connection cost more than one weak-map entry.
   */
  private readonly sessionOf = new WeakMap<WebSocket, Session>();
  private readonly socketListeners = (() => {
    const gateway = this;
    return {
      message(this: WebSocket, data: Buffer, isBinary: boolean) {
        const session = gateway.sessionOf.get(this);
        if (session) gateway.onFrame(session, data, isBinary);
      },
      error(this: WebSocket, error: Error) {
        gateway.logger.debug(
          { err: error, session: gateway.sessionOf.get(this)?.id },
          "socket error",
        );
      },
      close(this: WebSocket) {
        const session = gateway.sessionOf.get(this);
        if (session) gateway.remove(session);
      },
    };
  })();

  private onFrame(session: Session, data: Buffer, isBinary: boolean): void {
    const now = Date.now();
    session.lastSeenAt = now;
    if (session.closing) return;
    if (isBinary) {
      this.replyError(
        session,
        undefined,
        new SwitchboardError("bad_request", "binary frames are not supported; send JSON text"),
      );
      return;
    }
    const { maxFrameBytes } = this.config.limits;
    // An oversize frame is never parsed: only its head and tail are read, to find a command id.
    const text =
      data.length > maxFrameBytes
        ? `${data.toString("latin1", 0, 256)} ${data.toString("latin1", data.length - 256)}`
        : data.toString("utf8");
    // connect and subscribe (every connection's first frames) are checked without zod when
    // they plainly pass; the schemas decide everything else and say what is wrong.
    const first = data.length > maxFrameBytes ? undefined : decodeFirstFrame(text);
    const decoded: DecodeResult = first
      ? { ok: true, frame: first }
      : decodeClientFrame(text, maxFrameBytes, data.length);
    if (!decoded.ok) {
      this.metrics.count(this.metrics.framesIn, "invalid");
      const error = new SwitchboardError(decoded.code, decoded.message, {
        details: decoded.details,
      });
      if (decoded.code === "too_large" && decoded.id === undefined) {
        this.closeWithError(session, error);
        return;
      }
      if (!session.identity && !session.connecting) {
        this.closeWithError(session, error, CloseCode.ProtocolViolation, decoded.id);
        return;
      }
      this.replyError(session, decoded.id, error);
      return;
    }
    const frame = decoded.frame;
    this.metrics.count(this.metrics.framesIn, frame.type);
    if (frame.type === "pong") return;
    if (!session.identity && !session.connecting && frame.type !== "connect") {
      this.closeWithError(
        session,
        new SwitchboardError("unauthorized", "the first frame must be connect"),
        CloseCode.ProtocolViolation,
        frame.id,
      );
      return;
    }
    const wait = session.takeToken(now);
    if (wait > 0) {
      if (session.limitedTooLong(now)) {
        this.closeWithError(
          session,
          new SwitchboardError("rate_limited", "rate limited for too long"),
        );
        return;
      }
      this.replyError(
        session,
        frame.id,
        new SwitchboardError("rate_limited", "too many commands", { retryAfterMs: wait }),
      );
      return;
    }
    if (frame.type === "connect") session.connecting = true;
    const run = () => this.run(session, frame);
    // rpc calls may be slow (module work): they wait for earlier commands but do not hold up later ones.
    if (frame.type === "rpc") void session.queue.then(run);
    else session.queue = session.queue.then(run);
  }

  private async run(
    session: Session,
    frame: Exclude<ClientFrame, { type: "pong" }>,
  ): Promise<void> {
    if (session.closing) return;
    try {
      await execute(this, session, frame);
    } catch (error) {
      if (frame.type === "connect" && !session.identity) {
        session.connecting = false;
        const e = toSwitchboardError(error);
        if (e.code === "internal") this.logger.error({ err: error }, "connect failed");
        // unauthorized: 4401; rate_limited (the per-user connection cap: reconnecting will not
        // help): 4429; anything else: 4500.
        this.closeWithError(session, e, closeCodeFor(e.code), frame.id);
        return;
      }
      this.replyError(session, frame.id, error);
    }
  }

  private replyError(session: Session, id: number | undefined, error: unknown): void {
    const e = toSwitchboardError(error);
    if (e.code === "internal")
      this.logger.error({ err: error, session: session.id }, "command failed");
    this.metrics.count(this.metrics.errors, e.code);
    session.send({ type: "error", ...(id !== undefined && { id }), ...e.toBody() });
  }

  /** Answers the error, then closes with the given code (by default the one for its error code). */
  private closeWithError(
    session: Session,
    error: SwitchboardError,
    code: number = closeCodeFor(error.code),
    id?: number,
  ): void {
    this.replyError(session, id, error);
    session.close(code, error.message, code >= 4500);
  }

  authenticate(session: Session, identity: Identity, resume?: string): void {
    // A socket that closed while its token was checked is gone already: nothing to count.
    if (this.sessions.has(session)) this.countUser(identity, resume);
    session.identity = identity;
    session.connecting = false;
    if (resume && SESSION_ID.test(resume)) {
      const previous = this.byId.get(resume);
      if (previous && previous !== session && previous.identity?.user === identity.user) {
        previous.close(CloseCode.SessionReplaced, "session resumed by another connection", false);
        session.id = resume;
      } else if (!previous) {
        session.id = resume;
      }
    }
    this.byId.set(session.id, session);
  }

  /**
   * One user may hold at most maxConnectionsPerUser sockets here; a resume that replaces one of
   * theirs does not count twice.
   */
  private countUser(identity: Identity, resume?: string): void {
    if (identity.server) return;
    const held = this.perUser.get(identity.user) ?? 0;
    const previous = resume && SESSION_ID.test(resume) ? this.byId.get(resume) : undefined;
    const replacing = previous?.identity?.user === identity.user ? 1 : 0;
    const max = this.config.limits.maxConnectionsPerUser;
    if (held - replacing >= max) {
      throw new SwitchboardError("rate_limited", `at most ${max} connections per user`);
    }
    this.perUser.set(identity.user, held + 1);
  }

  private remove(session: Session): void {
    if (!this.sessions.delete(session)) return;
    const user = session.identity && !session.identity.server ? session.identity.user : undefined;
    if (user !== undefined) {
      const held = (this.perUser.get(user) ?? 1) - 1;
      if (held > 0) this.perUser.set(user, held);
      else this.perUser.delete(user);
    }
    session.closing = true;
    this.metrics.connections--;
    if (this.byId.get(session.id) === session) this.byId.delete(session.id);
    if (session.subscriptions.size === 0) return;
    const cleanup = Promise.all(
      [...session.subscriptions.keys()].map((channel) =>
        this.unsubscribe(session, channel).catch((err) =>
          this.logger.warn({ err, channel }, "cleanup after close failed"),
        ),
      ),
    ).then(() => undefined);
    this.cleanups.add(cleanup);
    void cleanup.finally(() => this.cleanups.delete(cleanup));
  }

  private dropSlowConsumer(session: Session): void {
    this.metrics.slowConsumersDropped++;
    this.metrics.count(this.metrics.errors, "slow_consumer");
    this.logger.warn(
      { session: session.id, user: session.identity?.user },
      "slow consumer dropped",
    );
    session.drop("slow consumer");
  }

  // ---- subscriptions (see subscriptions.ts) ----

  subscribe(session: Session, frame: SubscribeFrame): Promise<void> {
    return this.subscriptions.subscribe(session, frame);
  }

  unsubscribe(session: Session, channel: string): Promise<void> {
    return this.subscriptions.unsubscribe(session, channel);
  }

  revalidate(session: Session): Promise<void> {
    return this.subscriptions.revalidate(session);
  }

  /** Channels with local subscribers. */
  get channels(): Map<string, LocalChannel> {
    return this.subscriptions.channels;
  }

  channelStats(): { channel: string; subscribers: number }[] {
    return this.subscriptions.channelStats();
  }

  // ---- liveness and shutdown ----

  private tick(): void {
    const now = Date.now();
    const pingDue = now >= this.nextPingAt;
    if (pingDue) this.nextPingAt = now + this.config.pingIntervalSeconds * 1000;
    const deadAfter = this.config.pingIntervalSeconds * 1000 + this.config.pingGraceMs;
    let pings = 0;
    for (const session of this.sessions) {
      if (session.closing) continue;
      const identity = session.identity;
      if (!identity) {
        if (now - session.openedAt > this.config.connectTimeoutMs) {
          this.closeWithError(
            session,
            new SwitchboardError("unauthorized", "no connect frame in time"),
          );
        }
        continue;
      }
      if (now - session.lastSeenAt > deadAfter) {
        session.close(CloseCode.PingTimeout, "ping timeout", true);
        continue;
      }
      if (identity.exp !== undefined) {
        const expMs = identity.exp * 1000;
        if (now >= expMs) {
          session.close(CloseCode.TokenExpired, "token expired", true);
          continue;
        }
        if (expMs - now <= 30_000 && session.refreshRequestedFor !== identity.exp) {
          session.refreshRequestedFor = identity.exp;
          session.send({ type: "refresh", exp: identity.exp });
        }
      }
      if (pingDue && session.write(PING_FRAME)) pings++;
    }
    if (pings) this.metrics.count(this.metrics.framesOut, "ping", pings);
  }

  /** Stops accepting, tells every client to reconnect elsewhere, waits for them to go. */
  async shutdown(timeoutMs: number): Promise<void> {
    this.draining = true;
    clearInterval(this.ticker);
    for (const session of this.sessions) {
      session.close(CloseCode.ServerRestart, "server restarting", true);
    }
    const deadline = Date.now() + timeoutMs;
    while (this.sessions.size > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const session of [...this.sessions]) {
      session.link.terminate();
      this.remove(session);
    }
    await Promise.all([...this.cleanups]);
    this.subscriptions.close();
    this.wss.close();
  }
}

/** `#`: channel names of clients never start with it (see channelSchema). */
const INTERNAL_CHANNEL_MARK = 0x23;

export function rejectUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

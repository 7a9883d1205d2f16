import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import { type WebSocket, WebSocketServer } from "ws";
import type { Broker } from "../../broker/types.js";
import type { Config } from "../../config.js";
import { rejectUpgrade } from "../../gateway/gateway.js";
import { WriteBatcher } from "../../gateway/wire.js";
import type { PusherApps } from "./apps.js";
import { channelKind, USER_CHANNEL_PREFIX, verifyChannelAuth, verifyUserAuth } from "./auth.js";
import {
  CONNECTION,
  connectionsOf,
  countOf,
  fromPusher,
  PusherChannels,
  presenceMember,
  type WebhookSink,
} from "./channels.js";
import type { PusherApp, PusherSettings } from "./config.js";
import {
  channelDataSchema,
  clientFrameSchema,
  signinDataSchema,
  subscribeDataSchema,
  unsubscribeDataSchema,
  userDataSchema,
} from "./contract.js";
import { PusherCode, pusherChannel } from "./names.js";
import { CONTROL_CHANNEL, TERMINATE_EVENT } from "./service.js";
import { PusherSocket } from "./socket.js";

export interface PusherEndpointDeps {
  settings: PusherSettings;
  limits: Config["limits"];
  broker: Broker;
  logger: Logger;
  webhook: WebhookSink;
  apps: PusherApps;
}

/** Protocol versions pusher-js and the other Pusher clients speak that this endpoint serves. */
const PROTOCOLS = new Set(["5", "6", "7"]);
/** How long a client has to answer the server's ping before the socket is closed (4201). */
const PONG_GRACE_MS = 30_000;
const TICK_MS = 1000;

/**
 * The Pusher Channels WebSocket endpoint, `/app/{key}?protocol=7`: handshake, subscriptions
 * (public, private, presence, encrypted, cache), client events, ping/pong and Pusher's error
 * codes. Frames are checked with the contract's schemas; bad input gets `pusher:error` and never
 * throws.
 */
export class PusherEndpoint {
  readonly sockets = new Set<PusherSocket>();
  readonly channels: PusherChannels;
  private readonly wss: WebSocketServer;
  private readonly batcher = new WriteBatcher();
  private readonly ticker: NodeJS.Timeout;
  private readonly cleanups = new Set<Promise<void>>();
  private draining = false;
  /** Fan-out deliveries to Pusher sockets (the benchmark reads it beside the native count). */
  deliveries = 0;

  constructor(private readonly deps: PusherEndpointDeps) {
    this.channels = new PusherChannels(deps.broker, deps.webhook, deps.logger);
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      // Frames past the event limit get `pusher:error` 4303; beyond this cap ws closes with 1009.
      maxPayload: Math.max(deps.settings.maxEventBytes * 4, deps.limits.maxFrameBytes, 256 * 1024),
    });
    deps.broker.onEvent((event) => {
      if (event.channel === CONTROL_CHANNEL) {
        if (event.kind === "signal" && event.event === TERMINATE_EVENT) {
          const { app, user } = event.data as { app?: unknown; user?: unknown };
          this.terminate(app, user);
        }
        return;
      }
      this.deliveries += this.channels.onBrokerEvent(event);
    });
    // A disabled or removed app's connections end at once (4003: do not reconnect unchanged).
    deps.apps.onChange((app) => {
      if (app.enabled) return;
      for (const socket of this.sockets)
        if (socket.app === app) socket.error(PusherCode.AppDisabled, "the app is disabled", true);
    });
    this.ticker = setInterval(() => this.tick(), TICK_MS);
    this.ticker.unref();
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.draining) {
      rejectUpgrade(socket, 503, "Service Unavailable");
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req));
  }

  /** The handshake: Pusher clients read refusals as `pusher:error` + a close with its code. */
  private accept(ws: WebSocket, req: IncomingMessage): void {
    const refuse = (code: number, message: string) => {
      ws.send(JSON.stringify({ event: "pusher:error", data: { code, message } }));
      ws.close(code, message);
      setTimeout(() => ws.terminate(), 2000).unref();
    };
    ws.on("error", (err) => this.deps.logger.debug({ err }, "pusher socket error"));
    const url = new URL(req.url ?? "/", "http://localhost");
    const match = /^\/app\/([^/]+)\/?$/.exec(url.pathname);
    if (!match) {
      refuse(PusherCode.PathNotFound, "the path must be /app/{key}");
      return;
    }
    let key: string;
    try {
      key = decodeURIComponent(match[1] ?? "");
    } catch {
      key = "";
    }
    const app = this.deps.apps.getByKey(key);
    if (!app) {
      refuse(PusherCode.AppNotFound, "no app has this key");
      return;
    }
    if (!app.enabled) {
      refuse(PusherCode.AppDisabled, "the app is disabled");
      return;
    }
    const protocol = url.searchParams.get("protocol");
    if (!protocol) {
      refuse(PusherCode.NoProtocol, "no protocol version given");
      return;
    }
    if (!PROTOCOLS.has(protocol)) {
      refuse(PusherCode.UnsupportedProtocol, `protocol ${protocol} is not supported`);
      return;
    }
    if (this.sockets.size >= this.deps.limits.maxConnections) {
      refuse(PusherCode.OverCapacity, "over capacity");
      return;
    }
    const now = Date.now();
    const socket = new PusherSocket(ws, app, this.batcher, now);
    this.sockets.add(socket);
    ws.on("message", (data: Buffer, isBinary: boolean) => this.onFrame(socket, data, isBinary));
    ws.on("close", () => this.remove(socket));
    // Admission goes through the socket's queue: frames sent before it are handled after it.
    this.enqueue(socket, () => this.admit(socket));
  }

  /**
   * Counts the connection in the app's cluster-wide set, then checks the quota: counted first,
   * so two nodes admitting at once can refuse one too many, never admit one too many.
   */
  private async admit(socket: PusherSocket): Promise<void> {
    const { app } = socket;
    try {
      await this.deps.broker.presenceAdd(connectionsOf(app), socket.id, CONNECTION);
      socket.counted = true;
      if (app.maxConnections !== null) {
        const count = await countOf(this.deps.broker, connectionsOf(app));
        if (count > app.maxConnections) {
          socket.error(PusherCode.OverQuota, "the app is over its connection quota", true);
          return;
        }
      }
    } catch (err) {
      this.deps.logger.warn({ err }, "pusher connection not admitted");
      socket.error(PusherCode.Reconnect, "the server could not take the connection now", true);
      return;
    }
    socket.send({
      event: "pusher:connection_established",
      data: JSON.stringify({
        socket_id: socket.id,
        activity_timeout: this.deps.settings.activityTimeoutSeconds,
      }),
    });
  }

  private remove(socket: PusherSocket): void {
    if (!this.sockets.delete(socket)) return;
    socket.closing = true;
    const cleanup = socket.queue.then(async () => {
      await this.channels.leaveAll(socket);
      if (socket.counted)
        await this.deps.broker
          .presenceRemove(connectionsOf(socket.app), socket.id)
          .catch((err) => this.deps.logger.warn({ err }, "pusher connection count not released"));
    });
    this.cleanups.add(cleanup);
    void cleanup.finally(() => this.cleanups.delete(cleanup));
  }

  private onFrame(socket: PusherSocket, data: Buffer, isBinary: boolean): void {
    socket.lastSeenAt = Date.now();
    socket.pingedAt = undefined;
    if (socket.closing) return;
    if (isBinary) {
      socket.error(PusherCode.InvalidMessage, "binary frames are not supported");
      return;
    }
    if (data.length > this.deps.settings.maxEventBytes + 1024) {
      socket.error(PusherCode.MessageTooLarge, "frame over the size limit");
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(data.toString("utf8"));
    } catch {
      socket.error(PusherCode.InvalidMessage, "the frame is not JSON");
      return;
    }
    const frame = clientFrameSchema.safeParse(parsed);
    if (!frame.success) {
      socket.error(PusherCode.InvalidMessage, "the frame needs an event name");
      return;
    }
    const { event, channel } = frame.data;
    const payload = frame.data.data;
    switch (event) {
      case "pusher:ping": {
        socket.send({ event: "pusher:pong", data: {} });
        return;
      }
      case "pusher:pong":
        return;
      case "pusher:subscribe":
        this.enqueue(socket, () => this.subscribe(socket, payload));
        return;
      case "pusher:unsubscribe":
        this.enqueue(socket, () => this.unsubscribe(socket, payload));
        return;
      case "pusher:signin":
        this.signin(socket, payload);
        return;
    }
    if (event.startsWith("client-")) this.clientEvent(socket, event, channel, payload);
    else socket.error(PusherCode.InvalidMessage, `unknown event ${event.slice(0, 50)}`);
  }

  /** A socket's subscribe/unsubscribe run one at a time, in the order sent. */
  private enqueue(socket: PusherSocket, step: () => Promise<void>): void {
    socket.queue = socket.queue.then(async () => {
      if (socket.closing || !this.sockets.has(socket)) return;
      try {
        await step();
      } catch (err) {
        this.deps.logger.warn({ err, socket: socket.id }, "pusher command failed");
        socket.error(PusherCode.Reconnect, "the server could not do this now; try again");
      }
    });
  }

  private subscriptionError(socket: PusherSocket, channel: string, error: string, status: number) {
    socket.send({
      event: "pusher:subscription_error",
      channel,
      data: { type: "AuthError", error, status },
    });
  }

  private async subscribe(socket: PusherSocket, payload: unknown): Promise<void> {
    const parsed = subscribeDataSchema.safeParse(payload);
    if (!parsed.success) {
      socket.error(PusherCode.InvalidMessage, "subscribe needs a valid channel name");
      return;
    }
    const { channel, auth, channel_data: channelData } = parsed.data;
    if (socket.channels.has(channel)) return;
    if (socket.channels.size >= this.deps.limits.maxSubscriptions) {
      socket.error(PusherCode.InvalidMessage, "too many subscriptions on this connection");
      return;
    }
    const kind = channelKind(channel);
    if (kind === "public") return this.channels.subscribe(socket, channel);
    if (kind === "user") {
      // Only the socket signed in as that user hears what `sendToUser` sends them.
      if (socket.user === undefined || channel !== `${USER_CHANNEL_PREFIX}${socket.user}`) {
        socket.error(PusherCode.Unauthorized, `sign in as this user to subscribe to ${channel}`);
        this.subscriptionError(socket, channel, "not signed in as this user", 403);
        return;
      }
      return this.channels.subscribe(socket, channel);
    }
    const signed =
      kind === "presence"
        ? verifyChannelAuth(socket.app, auth, socket.id, channel, channelData ?? "")
        : verifyChannelAuth(socket.app, auth, socket.id, channel);
    if (!signed) {
      socket.error(PusherCode.Unauthorized, `invalid signature for ${channel}`);
      this.subscriptionError(socket, channel, "invalid signature", 401);
      return;
    }
    if (kind !== "presence") return this.channels.subscribe(socket, channel);
    let data: unknown;
    try {
      data = JSON.parse(channelData ?? "");
    } catch {
      data = undefined;
    }
    const member = channelDataSchema.safeParse(data);
    if (!member.success) {
      socket.error(PusherCode.InvalidMessage, "presence channel_data needs a user_id");
      this.subscriptionError(socket, channel, "channel_data needs a user_id", 400);
      return;
    }
    return this.channels.subscribe(
      socket,
      channel,
      presenceMember(member.data.user_id, member.data.user_info),
    );
  }

  private async unsubscribe(socket: PusherSocket, payload: unknown): Promise<void> {
    const parsed = unsubscribeDataSchema.safeParse(payload);
    if (!parsed.success) {
      socket.error(PusherCode.InvalidMessage, "unsubscribe needs a channel name");
      return;
    }
    await this.channels.unsubscribe(socket, parsed.data.channel);
  }

  /** User authentication (pusher:signin): the app's endpoint signed `socket_id::user::user_data`. */
  private signin(socket: PusherSocket, payload: unknown): void {
    const parsed = signinDataSchema.safeParse(payload);
    if (
      !parsed.success ||
      !verifyUserAuth(socket.app, parsed.data.auth, socket.id, parsed.data.user_data)
    ) {
      socket.error(PusherCode.Unauthorized, "invalid sign-in signature");
      return;
    }
    let user: unknown;
    try {
      user = JSON.parse(parsed.data.user_data);
    } catch {
      user = undefined;
    }
    const data = userDataSchema.safeParse(user);
    if (!data.success) {
      socket.error(PusherCode.InvalidMessage, "user_data needs an id");
      return;
    }
    socket.user = data.data.id;
    socket.send({ event: "pusher:signin_success", data: { user_data: parsed.data.user_data } });
  }

  /** `client-` events: on private and presence channels the socket holds, when enabled. */
  private clientEvent(
    socket: PusherSocket,
    event: string,
    channel: string | undefined,
    data: unknown,
  ): void {
    const { settings } = this.deps;
    if (!socket.app.clientEvents) {
      socket.error(PusherCode.ClientEventRejected, "client events are not enabled");
      return;
    }
    const held = channel === undefined ? undefined : socket.channels.get(channel);
    if (!held?.ready) {
      socket.error(PusherCode.ClientEventRejected, "not subscribed to this channel");
      return;
    }
    const kind = channelKind(held.name);
    if (kind !== "private" && kind !== "presence") {
      socket.error(
        PusherCode.ClientEventRejected,
        "client events are only allowed on private and presence channels",
      );
      return;
    }
    if (JSON.stringify(data ?? null).length > settings.maxEventBytes) {
      socket.error(PusherCode.MessageTooLarge, "client event over the size limit");
      return;
    }
    if (!socket.takeClientEvent(Date.now())) {
      socket.error(PusherCode.ClientEventRateLimit, "client events sent too fast");
      return;
    }
    const from = fromPusher(socket.id, held.userId);
    void this.deps.broker
      .broadcast({ kind: "signal", channel: held.channel, event, data, ts: Date.now(), from })
      .then(() =>
        this.deps.webhook(socket.app, {
          name: "client_event",
          channel: held.name,
          event,
          data: typeof data === "string" ? data : JSON.stringify(data ?? null),
          socket_id: socket.id,
          ...(held.userId !== undefined && { user_id: held.userId }),
        }),
      )
      .catch((err) => {
        this.deps.logger.warn({ err }, "client event not delivered");
        socket.error(PusherCode.Reconnect, "the client event could not be delivered");
      });
  }

  /** Liveness: ping a quiet client, close one that does not answer; drop slow consumers. */
  private tick(): void {
    const now = Date.now();
    const idleMs = this.deps.settings.activityTimeoutSeconds * 1000;
    for (const socket of this.sockets) {
      if (socket.closing) continue;
      if (socket.buffered > this.deps.limits.slowConsumerBytes) {
        socket.close(PusherCode.Reconnect, "slow consumer");
        continue;
      }
      if (socket.pingedAt !== undefined) {
        if (now - socket.pingedAt > PONG_GRACE_MS)
          socket.close(PusherCode.PongNotReceived, "pong reply not received");
      } else if (now - socket.lastSeenAt > idleMs) {
        socket.pingedAt = now;
        socket.send({ event: "pusher:ping", data: {} });
      }
    }
  }

  /** Hears terminate_connections from any node (call once at start-up). */
  async start(): Promise<void> {
    await this.deps.broker.subscribe(CONTROL_CHANNEL);
  }

  /** Closes the connections `user` signed in on here; they must not reconnect unchanged (4009). */
  private terminate(appId: unknown, user: unknown): void {
    for (const socket of this.sockets)
      if (socket.app.id === appId && socket.user !== undefined && socket.user === user)
        socket.error(PusherCode.Unauthorized, "the app ended this user's connections", true);
  }

  /** The Switchboard channel of a Pusher channel of `app` (for the HTTP API and tests). */
  channelOf(app: PusherApp, name: string): string {
    return pusherChannel(app.id, name);
  }

  /** Stops accepting; every client is told to reconnect at once (4200), then cleaned up. */
  async shutdown(timeoutMs: number): Promise<void> {
    this.draining = true;
    clearInterval(this.ticker);
    this.channels.stop();
    for (const socket of this.sockets) socket.close(PusherCode.Reconnect, "server restarting");
    const deadline = Date.now() + timeoutMs;
    while (this.sockets.size > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    for (const socket of [...this.sockets]) {
      socket.ws.terminate();
      this.remove(socket);
    }
    await Promise.all([...this.cleanups]);
    this.wss.close();
  }
}

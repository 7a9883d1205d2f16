import type {
  ClientFrame,
  ConnectFrame,
  HistoryFrame,
  PresenceFrame,
  PublishFrame,
  RefreshFrame,
  RpcFrame,
  SignalFrame,
  SubscribeFrame,
  UnsubscribeFrame,
} from "@switchboard/protocol";
import { type Identity, isStaff } from "../auth/identity.js";
import type { TokenVerifier } from "../auth/tokens.js";
import { type Broker, publisherKey } from "../broker/types.js";
import type { Config } from "../config.js";
import { SwitchboardError } from "../errors.js";
import type { Namespaces } from "./namespaces.js";
import type { RpcRegistry } from "./rpc.js";
import { HISTORY_BYTES_PER_TOKEN, type Session } from "./session.js";

/** What command handlers need from the gateway. */
export interface CommandContext {
  config: Config;
  broker: Broker;
  namespaces: Namespaces;
  rpc: RpcRegistry;
  verifyToken: TokenVerifier;
  /** Binds a session to its identity (and a resumed session id). */
  authenticate(session: Session, identity: Identity, resume?: string): void;
  subscribe(session: Session, frame: SubscribeFrame): Promise<void>;
  unsubscribe(session: Session, channel: string): Promise<void>;
  /** Re-checks every subscription after a token refresh; drops those no longer allowed. */
  revalidate(session: Session): Promise<void>;
}

const DEFAULT_HISTORY_LIMIT = 100;

/** Counts a channel this session does not hold against its new-channel cap, or throws. */
export function countNewChannel(session: Session, channel: string, now: number): void {
  if (session.subscriptions.has(channel)) return;
  const wait = session.takeChannel(now);
  if (wait > 0)
    throw new SwitchboardError("rate_limited", "too many new channels from this connection", {
      retryAfterMs: wait,
    });
}
/** The presence reply lists at most this many members; `count` is always the full count. */
export const MAX_PRESENCE_MEMBERS = 1000;

function identityOf(session: Session): Identity {
  if (!session.identity) throw new SwitchboardError("unauthorized", "connect first");
  return session.identity;
}

async function connect(ctx: CommandContext, session: Session, frame: ConnectFrame): Promise<void> {
  if (session.identity) throw new SwitchboardError("conflict", "already connected");
  const identity = await ctx.verifyToken(frame.token);
  ctx.authenticate(session, identity, frame.session);
  const { limits } = ctx.config;
  session.send({
    type: "connected",
    id: frame.id,
    session: session.id,
    user: { id: identity.user, ...(identity.name !== undefined && { name: identity.name }) },
    role: identity.role,
    ping: ctx.config.pingIntervalSeconds,
    ...(identity.exp !== undefined && { exp: identity.exp }),
    limits: {
      maxFrameBytes: limits.maxFrameBytes,
      maxSubscriptions: limits.maxSubscriptions,
      ratePerSecond: limits.ratePerSecond,
      rateBurst: limits.rateBurst,
    },
  });
}

async function unsubscribe(
  ctx: CommandContext,
  session: Session,
  frame: UnsubscribeFrame,
): Promise<void> {
  if (!session.subscriptions.has(frame.channel)) {
    throw new SwitchboardError("not_found", `not subscribed to ${frame.channel}`);
  }
  await ctx.unsubscribe(session, frame.channel);
  session.send({ type: "ok", id: frame.id });
}

async function publish(ctx: CommandContext, session: Session, frame: PublishFrame): Promise<void> {
  const identity = identityOf(session);
  const { namespace } = await ctx.namespaces.authorize(identity, frame.channel, "publish");
  if (!namespace.options.clientPublish) {
    throw new SwitchboardError("forbidden", `clients may not publish on ${namespace.name}:*`);
  }
  const result = await ctx.broker.publish(frame.channel, {
    event: frame.event,
    data: frame.data,
    from: { user: identity.user },
    history: namespace.options.history,
    ...(frame.key !== undefined && {
      key: publisherKey({ kind: "user", user: identity.user }, frame.key),
    }),
  });
  session.send({
    type: "published",
    id: frame.id,
    channel: frame.channel,
    epoch: result.epoch,
    offset: result.offset,
    ...(result.duplicate && { duplicate: true }),
  });
}

async function signal(ctx: CommandContext, session: Session, frame: SignalFrame): Promise<void> {
  const identity = identityOf(session);
  const { namespace } = await ctx.namespaces.authorize(identity, frame.channel, "signal");
  const allowed = namespace.options.signals;
  if (allowed && !allowed.includes(frame.event))
    throw new SwitchboardError(
      "bad_request",
      `${namespace.name}:* takes no "${frame.event.slice(0, 64)}" signal`,
      { details: { allowed } },
    );
  await ctx.broker.broadcast({
    kind: "signal",
    channel: frame.channel,
    event: frame.event,
    data: frame.data,
    ts: Date.now(),
    from: { user: identity.user },
  });
  session.send({ type: "ok", id: frame.id });
}

async function presence(
  ctx: CommandContext,
  session: Session,
  frame: PresenceFrame,
): Promise<void> {
  countNewChannel(session, frame.channel, Date.now());
  const identity = identityOf(session);
  const { namespace } = await ctx.namespaces.authorize(identity, frame.channel, "presence");
  if (!namespace.options.presence) {
    throw new SwitchboardError("bad_request", `presence is off for ${namespace.name}:*`);
  }
  if (namespace.options.presenceMembers === "staff" && !isStaff(identity) && !identity.server) {
    // A count only: who is looking is for staff.
    const count = await ctx.broker.presenceCount(frame.channel);
    session.send({ type: "presence", id: frame.id, channel: frame.channel, members: [], count });
    return;
  }
  const members = await ctx.broker.presence(frame.channel);
  session.send({
    type: "presence",
    id: frame.id,
    channel: frame.channel,
    members: members.slice(0, MAX_PRESENCE_MEMBERS),
    count: members.length,
  });
}

async function history(ctx: CommandContext, session: Session, frame: HistoryFrame): Promise<void> {
  const identity = identityOf(session);
  if (frame.since && frame.before !== undefined)
    throw new SwitchboardError("bad_request", "history takes since or before, not both");
  const now = Date.now();
  // Replies are charged by size after they are sent: one that overdrew the bucket makes the next
  // history wait, even when both came in one burst and were admitted together.
  const debt = session.debtWait(now);
  if (debt > 0)
    throw new SwitchboardError("rate_limited", "history is charged by size; wait", {
      retryAfterMs: debt,
    });
  countNewChannel(session, frame.channel, now);
  const { namespace } = await ctx.namespaces.authorize(identity, frame.channel, "history");
  const result = await ctx.broker.history(
    frame.channel,
    {
      limit: frame.limit ?? DEFAULT_HISTORY_LIMIT,
      maxBytes: ctx.config.limits.maxHistoryReplyBytes,
      ...(frame.since && { since: frame.since }),
      ...(frame.before !== undefined && { before: frame.before }),
    },
    namespace.options.history,
  );
  const bytes = session.send({
    type: "history",
    id: frame.id,
    channel: frame.channel,
    epoch: result.epoch,
    offset: result.offset,
    publications: result.publications,
    complete: result.complete,
    more: result.more,
  });
  session.charge(Math.floor(bytes / HISTORY_BYTES_PER_TOKEN));
}

async function rpc(ctx: CommandContext, session: Session, frame: RpcFrame): Promise<void> {
  const data = await ctx.rpc.call(frame.method, frame.params, {
    identity: identityOf(session),
    session: session.id,
  });
  session.send({ type: "result", id: frame.id, data: data ?? null });
}

async function refresh(ctx: CommandContext, session: Session, frame: RefreshFrame): Promise<void> {
  const current = identityOf(session);
  const identity = await ctx.verifyToken(frame.token);
  if (identity.user !== current.user) {
    throw new SwitchboardError("forbidden", "a refreshed token must be for the same user");
  }
  session.identity = identity;
  session.refreshRequestedFor = undefined;
  session.send({ type: "ok", id: frame.id });
  await ctx.revalidate(session);
}

/** Runs one validated command. Throws SwitchboardError for the caller to answer. */
export async function execute(
  ctx: CommandContext,
  session: Session,
  frame: ClientFrame,
): Promise<void> {
  switch (frame.type) {
    case "connect":
      return connect(ctx, session, frame);
    case "subscribe":
      identityOf(session);
      return ctx.subscribe(session, frame);
    case "unsubscribe":
      return unsubscribe(ctx, session, frame);
    case "publish":
      return publish(ctx, session, frame);
    case "signal":
      return signal(ctx, session, frame);
    case "presence":
      return presence(ctx, session, frame);
    case "history":
      return history(ctx, session, frame);
    case "rpc":
      return rpc(ctx, session, frame);
    case "refresh":
      return refresh(ctx, session, frame);
    case "pong":
      return;
  }
}

import { z } from "zod";
import { isValidChannel, MAX_CHANNEL_LENGTH } from "./channel.js";
import { ROLES } from "./claims.js";
import { DEFAULT_LIMITS } from "./codes.js";

const commandId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
export const channelSchema = z
  .string()
  .max(MAX_CHANNEL_LENGTH)
  .refine(isValidChannel, { message: "channel must be namespace:rest of [A-Za-z0-9_-=@.:]" });
const eventName = z.string().min(1).max(128);
/** How deep a JSON value may nest (objects and arrays): deeper data is refused at validation. */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether a value nests at most `max` deep. Iterative, so a value nested thousands deep (which
 * JSON.parse accepts) cannot overflow the stack here; it stops at the first level too deep.
 */
export function withinDepth(value: unknown, max: number = MAX_JSON_DEPTH): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (typeof v !== "object" || v === null) continue;
    if (depth >= max) return false;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return true;
}

/** Any JSON value nested at most MAX_JSON_DEPTH deep. */
export const jsonValue = z
  .unknown()
  .refine((v) => withinDepth(v), { message: `nested deeper than ${MAX_JSON_DEPTH} levels` });

/** Any JSON value; absent means null. */
const jsonData = jsonValue.default(null);
export const streamPositionSchema = z.object({
  epoch: z.string().min(1).max(64),
  offset: z.number().int().nonnegative(),
});
export type StreamPosition = z.infer<typeof streamPositionSchema>;

export const connectFrameSchema = z.object({
  type: z.literal("connect"),
  id: commandId,
  token: z.string().min(1).max(8192),
  client: z.object({ name: z.string().max(64), version: z.string().max(32) }).optional(),
  session: z.string().min(1).max(64).optional(),
});

export const subscribeFrameSchema = z.object({
  type: z.literal("subscribe"),
  id: commandId,
  channel: channelSchema,
  recover: streamPositionSchema.optional(),
  presence: z.boolean().optional(),
});

export const unsubscribeFrameSchema = z.object({
  type: z.literal("unsubscribe"),
  id: commandId,
  channel: channelSchema,
});

export const publishFrameSchema = z.object({
  type: z.literal("publish"),
  id: commandId,
  channel: channelSchema,
  event: eventName,
  data: jsonData,
  key: z.string().min(1).max(128).optional(),
});

export const signalFrameSchema = z.object({
  type: z.literal("signal"),
  id: commandId,
  channel: channelSchema,
  event: eventName,
  data: jsonData,
});

export const presenceFrameSchema = z.object({
  type: z.literal("presence"),
  id: commandId,
  channel: channelSchema,
});

export const historyFrameSchema = z.object({
  type: z.literal("history"),
  id: commandId,
  channel: channelSchema,
  since: streamPositionSchema.optional(),
  /** Page backwards: the latest publications with an offset below this one (not with `since`). */
  before: z.number().int().positive().optional(),
  limit: z.number().int().positive().max(DEFAULT_LIMITS.maxHistoryLimit).optional(),
});

export const rpcFrameSchema = z.object({
  type: z.literal("rpc"),
  id: commandId,
  method: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9_.:-]+$/),
  params: jsonData,
});

export const refreshFrameSchema = z.object({
  type: z.literal("refresh"),
  id: commandId,
  token: z.string().min(1).max(8192),
});

export const pongFrameSchema = z.object({ type: z.literal("pong") });

export const clientFrameSchema = z.discriminatedUnion("type", [
  connectFrameSchema,
  subscribeFrameSchema,
  unsubscribeFrameSchema,
  publishFrameSchema,
  signalFrameSchema,
  presenceFrameSchema,
  historyFrameSchema,
  rpcFrameSchema,
  refreshFrameSchema,
  pongFrameSchema,
]);

export type ClientFrame = z.infer<typeof clientFrameSchema>;
export type ClientFrameInput = z.input<typeof clientFrameSchema>;
export type ClientFrameType = ClientFrame["type"];
export type ConnectFrame = z.infer<typeof connectFrameSchema>;
export type SubscribeFrame = z.infer<typeof subscribeFrameSchema>;
export type UnsubscribeFrame = z.infer<typeof unsubscribeFrameSchema>;
export type PublishFrame = z.infer<typeof publishFrameSchema>;
export type SignalFrame = z.infer<typeof signalFrameSchema>;
export type PresenceFrame = z.infer<typeof presenceFrameSchema>;
export type HistoryFrame = z.infer<typeof historyFrameSchema>;
export type RpcFrame = z.infer<typeof rpcFrameSchema>;
export type RefreshFrame = z.infer<typeof refreshFrameSchema>;
export const CLIENT_FRAME_TYPES: readonly ClientFrameType[] = clientFrameSchema.options.map(
  (o) => o.shape.type.value,
);

// ---- server → client ----

export interface PublicationInfo {
  /** The user who published over a socket; absent for server-side publishes. */
  user: string;
}

/** One message in a channel's stream. */
export interface Publication {
  offset: number;
  event: string;
  data: unknown;
  /** Server time (ms since epoch) when the publication was accepted. */
  ts: number;
  from?: PublicationInfo;
}

export const publicationSchema = z.object({
  offset: z.number().int().positive(),
  event: z.string(),
  data: z.unknown(),
  ts: z.number(),
  from: z.object({ user: z.string() }).optional(),
});

export const memberSchema = z.object({
  user: z.string(),
  name: z.string().optional(),
  role: z.enum(ROLES),
});
export type Member = z.infer<typeof memberSchema>;
export const presenceMemberSchema = memberSchema.extend({ connections: z.number().int() });
export type PresenceMember = z.infer<typeof presenceMemberSchema>;

export const limitsSchema = z.object({
  maxFrameBytes: z.number().int(),
  maxSubscriptions: z.number().int(),
  ratePerSecond: z.number(),
  rateBurst: z.number(),
});
export type Limits = z.infer<typeof limitsSchema>;

const reply = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  z.object({ type: z.literal(type), id: z.number().int(), ...shape });

export const connectedFrameSchema = reply("connected", {
  session: z.string(),
  user: z.object({ id: z.string(), name: z.string().optional() }),
  role: z.enum(ROLES),
  /** Seconds between server pings. */
  ping: z.number(),
  /** Token expiry (seconds since epoch), when the token has one. */
  exp: z.number().optional(),
  limits: limitsSchema,
});
export const subscribedFrameSchema = reply("subscribed", {
  channel: z.string(),
  epoch: z.string(),
  offset: z.number().int().nonnegative(),
  recovered: z.boolean(),
  publications: z.array(publicationSchema),
});
export const okFrameSchema = reply("ok", {});
export const publishedFrameSchema = reply("published", {
  channel: z.string(),
  epoch: z.string(),
  offset: z.number().int().positive(),
  duplicate: z.boolean().optional(),
});
export const presenceReplyFrameSchema = reply("presence", {
  channel: z.string(),
  members: z.array(presenceMemberSchema),
  count: z.number().int(),
});
export const historyReplyFrameSchema = reply("history", {
  channel: z.string(),
  epoch: z.string(),
  offset: z.number().int().nonnegative(),
  publications: z.array(publicationSchema),
  /** True when `publications` holds everything after `since` (nothing lost to trimming or a new epoch). */
  complete: z.boolean(),
  /**
   * True when the reply stopped short (its byte cap or `limit`) of publications that are there:
   * with `since`, ask again from the last one returned; without, ask with `before` the first.
   */
  more: z.boolean().optional(),
});
export const resultFrameSchema = reply("result", { data: z.unknown() });
export const errorFrameSchema = z.object({
  type: z.literal("error"),
  id: z.number().int().optional(),
  /** A transport code (TRANSPORT_ERROR_CODES) or a module's own; unknown ones are kept as they are. */
  code: z.string().min(1).max(64),
  message: z.string(),
  details: z.unknown().optional(),
  retryAfterMs: z.number().optional(),
});

export const messageFrameSchema = z.object({
  type: z.literal("message"),
  channel: z.string(),
  event: z.string(),
  data: z.unknown(),
  offset: z.number().int().positive().optional(),
  epoch: z.string().optional(),
  ts: z.number(),
  from: z.object({ user: z.string() }).optional(),
});
export const joinFrameSchema = z.object({
  type: z.literal("join"),
  channel: z.string(),
  member: memberSchema,
});
export const leaveFrameSchema = z.object({
  type: z.literal("leave"),
  channel: z.string(),
  member: memberSchema,
});
export const pingFrameSchema = z.object({ type: z.literal("ping") });
export const refreshRequestFrameSchema = z.object({
  type: z.literal("refresh"),
  /** When the current token expires (seconds since epoch). */
  exp: z.number(),
});
export const unsubscribedFrameSchema = z.object({
  type: z.literal("unsubscribed"),
  channel: z.string(),
  code: z.string(),
  reason: z.string(),
});
export const disconnectFrameSchema = z.object({
  type: z.literal("disconnect"),
  code: z.number().int(),
  reason: z.string(),
  reconnect: z.boolean(),
});

export const serverFrameSchema = z.discriminatedUnion("type", [
  connectedFrameSchema,
  subscribedFrameSchema,
  okFrameSchema,
  publishedFrameSchema,
  presenceReplyFrameSchema,
  historyReplyFrameSchema,
  resultFrameSchema,
  errorFrameSchema,
  messageFrameSchema,
  joinFrameSchema,
  leaveFrameSchema,
  pingFrameSchema,
  refreshRequestFrameSchema,
  unsubscribedFrameSchema,
  disconnectFrameSchema,
]);

export type ServerFrame = z.infer<typeof serverFrameSchema>;
export type ConnectedFrame = z.infer<typeof connectedFrameSchema>;
export type SubscribedFrame = z.infer<typeof subscribedFrameSchema>;
export type OkFrame = z.infer<typeof okFrameSchema>;
export type PublishedFrame = z.infer<typeof publishedFrameSchema>;
export type PresenceReplyFrame = z.infer<typeof presenceReplyFrameSchema>;
export type HistoryReplyFrame = z.infer<typeof historyReplyFrameSchema>;
export type ResultFrame = z.infer<typeof resultFrameSchema>;
export type ErrorFrame = z.infer<typeof errorFrameSchema>;
export type MessageFrame = z.infer<typeof messageFrameSchema>;
export type JoinFrame = z.infer<typeof joinFrameSchema>;
export type LeaveFrame = z.infer<typeof leaveFrameSchema>;
export type PingFrame = z.infer<typeof pingFrameSchema>;
export type RefreshRequestFrame = z.infer<typeof refreshRequestFrameSchema>;
export type UnsubscribedFrame = z.infer<typeof unsubscribedFrameSchema>;
export type DisconnectFrame = z.infer<typeof disconnectFrameSchema>;
export type ReplyFrame = Extract<ServerFrame, { id: number }>;

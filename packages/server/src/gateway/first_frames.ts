import {
  type ConnectFrame,
  isValidChannel,
  MAX_CHANNEL_LENGTH,
  type SubscribeFrame,
} from "@switchboard/protocol";

/**
 * The two frames every connection starts with (`connect`, then `subscribe`), checked without
 * zod: in a connect storm the schemas' parse was a measurable share of the server's CPU per
 * connection. Only a frame that plainly passes the protocol's schemas (connectFrameSchema,
 * subscribeFrameSchema: the same bounds, no key they do not name) is returned, built as zod
 * would build it; anything else, including every invalid frame, returns undefined and goes
 * through decodeClientFrame, which decides and says why. Frames of other types are not even
 * parsed here (the caller's JSON.parse would otherwise run twice).
 */
export function decodeFirstFrame(text: string): ConnectFrame | SubscribeFrame | undefined {
  if (text.startsWith('{"type":"connect"')) {
    const v = parse(text);
    return v && connectFrame(v);
  }
  if (text.startsWith('{"type":"subscribe"')) {
    const v = parse(text);
    return v && subscribeFrame(v);
  }
  return undefined;
}

function parse(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === "object" && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** z.number().int().positive().max(MAX_SAFE_INTEGER) */
const isCommandId = (v: unknown): v is number =>
  typeof v === "number" && Number.isSafeInteger(v) && v > 0;

const isText = (v: unknown, min: number, max: number): v is string =>
  typeof v === "string" && v.length >= min && v.length <= max;

function onlyKeys(v: Record<string, unknown>, allowed: ReadonlySet<string>): boolean {
  for (const key in v) if (!allowed.has(key)) return false;
  return true;
}

const CONNECT_KEYS: ReadonlySet<string> = new Set(["type", "id", "token", "client", "session"]);
const CLIENT_KEYS: ReadonlySet<string> = new Set(["name", "version"]);
const SUBSCRIBE_KEYS: ReadonlySet<string> = new Set([
  "type",
  "id",
  "channel",
  "recover",
  "presence",
]);
const POSITION_KEYS: ReadonlySet<string> = new Set(["epoch", "offset"]);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function connectFrame(v: Record<string, unknown>): ConnectFrame | undefined {
  const { id, token, client, session } = v;
  if (v.type !== "connect" || !isCommandId(id) || !isText(token, 1, 8192)) return undefined;
  if (!onlyKeys(v, CONNECT_KEYS)) return undefined;
  const frame: ConnectFrame = { type: "connect", id, token };
  if (client !== undefined) {
    if (!isRecord(client) || !onlyKeys(client, CLIENT_KEYS)) return undefined;
    const { name, version } = client;
    if (!isText(name, 0, 64) || !isText(version, 0, 32)) return undefined;
    frame.client = { name, version };
  }
  if (session !== undefined) {
    if (!isText(session, 1, 64)) return undefined;
    frame.session = session;
  }
  return frame;
}

function subscribeFrame(v: Record<string, unknown>): SubscribeFrame | undefined {
  const { id, channel, recover, presence } = v;
  if (v.type !== "subscribe" || !isCommandId(id)) return undefined;
  if (typeof channel !== "string" || channel.length > MAX_CHANNEL_LENGTH) return undefined;
  if (!isValidChannel(channel) || !onlyKeys(v, SUBSCRIBE_KEYS)) return undefined;
  const frame: SubscribeFrame = { type: "subscribe", id, channel };
  if (recover !== undefined) {
    if (!isRecord(recover) || !onlyKeys(recover, POSITION_KEYS)) return undefined;
    const { epoch, offset } = recover;
    if (!isText(epoch, 1, 64)) return undefined;
    if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0) return undefined;
    frame.recover = { epoch, offset };
  }
  if (presence !== undefined) {
    if (typeof presence !== "boolean") return undefined;
    frame.presence = presence;
  }
  return frame;
}

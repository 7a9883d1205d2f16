/**
 * How the load generator speaks to each server. Every server does the same job — a client
 * subscribes to a channel, a publisher publishes `{t}` (a CLOCK_MONOTONIC timestamp in ms,
 * comparable across processes on one machine), every subscriber receives it — but each has
 * its own wire format:
 * - bench: the anchors' tiny protocol (raw ws, uWebSockets.js), see bench/anchors/raw-ws.mjs
 * - socketio: Engine.IO v4 / Socket.IO v5 packets over a WebSocket (what socket.io-client sends
 *   with transports: ["websocket"])
 * - switchboard: protocol v1 (packages/protocol), subprotocol switchboard.v1
 * - pusher: subscribers speak Pusher Channels 7 at /app/{key} (what pusher-js sends), the
 *   publisher publishes natively on the mapped channel `pusher:{app}:{name}`, so the same
 *   publication fans out through the Pusher endpoint instead of the native one
 */
import type { WsClient } from "./wsclient.js";

export type DialectName = "bench" | "socketio" | "switchboard" | "pusher";

export interface Pending {
  resolve: (frame: Record<string, unknown>) => void;
  reject: (err: Error) => void;
}

export interface Conn {
  ws: WsClient;
  /** Once true, frames carrying a timestamp go to the latency path without JSON parsing. */
  fast: boolean;
  nextId: number;
  pending: Map<number, Pending>;
  /** Socket.IO: waiters for the next Engine.IO open / namespace connect packet. */
  waiters: Map<string, Pending>;
  token?: string;
  /** Control frames seen that nobody waited for (errors, disconnects): kept for diagnostics. */
  stray: string[];
  strayCount: number;
}

export interface Dialect {
  path: string;
  protocol?: string;
  /** The dialect of the publisher's connection, when it is not this one (Pusher: native). */
  publisher?: Dialect;
  /** Opens the session and subscribes `channel` when given; resolves with the subscribe reply. */
  handshake(c: Conn, channel: string | null, timeoutMs: number): Promise<Record<string, unknown>>;
  /** A frame that was not taken by the latency path. */
  control(c: Conn, text: string): void;
  publish(c: Conn, channel: string, t: number): void;
}

/** Sends `text` and waits for the reply carrying command `id`. */
export function request(
  c: Conn,
  id: number,
  text: string,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      c.pending.delete(id);
      reject(new Error(`no reply to command ${id} within ${timeoutMs} ms`));
    }, timeoutMs);
    c.pending.set(id, {
      resolve: (f) => {
        clearTimeout(timer);
        resolve(f);
      },
      reject: (e) => {
        clearTimeout(timer);
        reject(e);
      },
    });
    c.ws.send(text);
  });
}

function waitFor(c: Conn, key: string, timeoutMs: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      c.waiters.delete(key);
      reject(new Error(`no ${key} packet within ${timeoutMs} ms`));
    }, timeoutMs);
    c.waiters.set(key, {
      resolve: (f) => {
        clearTimeout(timer);
        resolve(f);
      },
      reject: (e) => {
        clearTimeout(timer);
        reject(e);
      },
    });
  });
}

function settle(c: Conn, id: unknown, frame: Record<string, unknown>, text: string): void {
  const p = typeof id === "number" ? c.pending.get(id) : undefined;
  if (!p) {
    // Switchboard acknowledges every publish; those replies are expected and not kept.
    if (frame.type === "published") return;
    c.strayCount++;
    if (c.stray.length < 5) c.stray.push(text.slice(0, 300));
    return;
  }
  c.pending.delete(id as number);
  if (frame.type === "error") p.reject(new Error(`server error: ${text.slice(0, 300)}`));
  else p.resolve(frame);
}

function parse(text: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const bench: Dialect = {
  path: "/",
  async handshake(c, channel, timeoutMs) {
    if (channel === null) return {};
    const id = c.nextId++;
    return request(c, id, JSON.stringify({ type: "subscribe", id, channel }), timeoutMs);
  },
  control(c, text) {
    const f = parse(text);
    if (f) settle(c, f.id, f, text);
  },
  publish(c, channel, t) {
    c.ws.send(`{"type":"publish","channel":${JSON.stringify(channel)},"data":{"t":${t}}}`);
  },
};

const socketio: Dialect = {
  path: "/socket.io/?EIO=4&transport=websocket",
  async handshake(c, channel, timeoutMs) {
    await waitFor(c, "open", timeoutMs);
    const connected = waitFor(c, "connect", timeoutMs);
    c.ws.send("40");
    await connected;
    if (channel === null) return {};
    const id = c.nextId++;
    return request(c, id, `42${id}${JSON.stringify(["subscribe", channel])}`, timeoutMs);
  },
  control(c, text) {
    const eio = text.charCodeAt(0) - 48;
    if (eio === 2) {
      c.ws.send("3"); // Engine.IO ping → pong
    } else if (eio === 0) {
      c.waiters.get("open")?.resolve(parse(text.slice(1)) ?? {});
      c.waiters.delete("open");
    } else if (eio === 4) {
      const sio = text.charCodeAt(1) - 48;
      if (sio === 0) {
        c.waiters.get("connect")?.resolve(parse(text.slice(2)) ?? {});
        c.waiters.delete("connect");
      } else if (sio === 3) {
        const m = /^43(\d+)(.*)$/s.exec(text);
        if (m) settle(c, Number(m[1]), { type: "ack", args: m[2] }, text);
      } else if (sio === 4) {
        c.waiters.get("connect")?.reject(new Error(`connect_error: ${text.slice(2, 300)}`));
        c.waiters.delete("connect");
      } else if (c.stray.length < 5) c.stray.push(text.slice(0, 300));
    } else if (c.stray.length < 5) c.stray.push(text.slice(0, 300));
  },
  publish(c, channel, t) {
    c.ws.send(`42["publish",${JSON.stringify(channel)},{"t":${t}}]`);
  },
};

const switchboard: Dialect = {
  path: "/ws",
  protocol: "switchboard.v1",
  async handshake(c, channel, timeoutMs) {
    const cid = c.nextId++;
    const connect = {
      type: "connect",
      id: cid,
      token: c.token,
      client: { name: "bench", version: "1" },
    };
    // As the SDK does: the subscribe goes right behind connect, without waiting for its reply
    // (the server runs a session's commands in order, so it is checked once connect passed).
    const connected = request(c, cid, JSON.stringify(connect), timeoutMs);
    if (channel === null) return connected.then(() => ({}));
    const id = c.nextId++;
    const subscribed = request(
      c,
      id,
      JSON.stringify({ type: "subscribe", id, channel }),
      timeoutMs,
    );
    // A refused connect leaves the subscribe unanswered: the connect's error is the one reported.
    subscribed.catch(() => {});
    await connected;
    return subscribed;
  },
  control(c, text) {
    const f = parse(text);
    if (!f) return;
    if (f.type === "ping") {
      c.ws.send('{"type":"pong"}');
      return;
    }
    if (f.type === "message" || f.type === "refresh" || f.type === "join" || f.type === "leave")
      return;
    settle(c, f.id, f, text);
  },
  publish(c, channel, t) {
    const id = c.nextId++;
    c.ws.send(
      `{"type":"publish","id":${id},"channel":${JSON.stringify(channel)},"event":"tick","data":{"t":${t}}}`,
    );
  },
};

/** Pusher channel names have no `:`: `product:bench` is `product-bench`. */
const pusherName = (channel: string) => channel.replaceAll(":", "-");
/** Must match bench/lib/servers.ts (PUSHER_BENCH_APP, PUSHER_BENCH_KEY). */
const PUSHER_APP = "bench";
const PUSHER_KEY = "bench-key";

const pusher: Dialect = {
  path: `/app/${PUSHER_KEY}?protocol=7&client=bench&version=1`,
  publisher: switchboard,
  async handshake(c, channel, timeoutMs) {
    await waitFor(c, "pusher:connection_established", timeoutMs);
    if (channel === null) return {};
    const ok = waitFor(c, "pusher_internal:subscription_succeeded", timeoutMs);
    c.ws.send(
      JSON.stringify({ event: "pusher:subscribe", data: { channel: pusherName(channel) } }),
    );
    return ok;
  },
  control(c, text) {
    const f = parse(text);
    if (!f) return;
    if (typeof f.type === "string") {
      switchboard.control(c, text); // the publisher's native replies
      return;
    }
    const event = typeof f.event === "string" ? f.event : "";
    if (event === "pusher:ping") {
      c.ws.send('{"event":"pusher:pong","data":{}}');
      return;
    }
    const w = c.waiters.get(event);
    if (w) {
      c.waiters.delete(event);
      if (event === "pusher:error") w.reject(new Error(`pusher:error ${text.slice(0, 300)}`));
      else w.resolve(f);
      return;
    }
    if (event === "pusher:error" || event === "pusher:subscription_error") {
      c.strayCount++;
      if (c.stray.length < 5) c.stray.push(text.slice(0, 300));
    }
  },
  publish(c, channel, t) {
    switchboard.publish(c, `pusher:${PUSHER_APP}:${pusherName(channel)}`, t);
  },
};

export const DIALECTS: Record<DialectName, Dialect> = { bench, socketio, switchboard, pusher };

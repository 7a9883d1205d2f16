import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import PusherServer from "pusher";
import type * as PusherJsTypes from "pusher-js";
import PusherJs from "pusher-js";
import WebSocket from "ws";
import { startTestServer, type TestServer, type TestServerOptions } from "../../testing.js";

/**
 * Tests of the Pusher module drive it with the real third-party pieces: pusher-js (its Node
 * build) as the client, the `pusher` server SDK to trigger and to sign, and an app's own auth
 * endpoint on loopback made with that SDK, as a Laravel or Express app would have it.
 */
/** pusher-js's Node build exports its class as the module itself; its typings say `default`. */
const PusherClient = PusherJs as unknown as typeof PusherJsTypes.default.default;
export type Pusher = InstanceType<typeof PusherClient>;

export const APP = { id: "app1", key: "app1-key", secret: "app1-secret-0123456789" };
export const OTHER_APP = { id: "app2", key: "app2-key", secret: "app2-secret-0123456789" };
export const ENCRYPTION_KEY = randomBytes(32).toString("base64");

export function pusherEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    SWITCHBOARD_PUSHER_APPS: [APP, OTHER_APP].map((a) => `${a.id}:${a.key}:${a.secret}`).join(","),
    SWITCHBOARD_PUSHER_CLIENT_EVENTS: "true",
    ...extra,
  };
}

export async function startPusherServer(
  options: TestServerOptions & { extraEnv?: Record<string, string> } = {},
): Promise<TestServer> {
  const { extraEnv, ...rest } = options;
  return startTestServer({ ...rest, env: { ...pusherEnv(extraEnv), ...rest.env } });
}

/** The `pusher` server SDK pointed at a test server. */
export function sdk(server: TestServer, app = APP): PusherServer {
  return new PusherServer({
    appId: app.id,
    key: app.key,
    secret: app.secret,
    host: "127.0.0.1",
    port: String(server.port),
    useTLS: false,
    encryptionMasterKeyBase64: ENCRYPTION_KEY,
  });
}

/**
 * The app's auth endpoint (POST socket_id, channel_name; user_id from the client's params),
 * signing with the SDK as the app's backend would. `refuse` lists channels it will not sign.
 */
export async function startAuthEndpoint(
  signer: PusherServer,
  refuse: string[] = [],
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString();
    });
    req.on("end", () => {
      const form = new URLSearchParams(body);
      const socketId = form.get("socket_id") ?? "";
      const channel = form.get("channel_name") ?? "";
      const user = form.get("user_id") ?? "anon";
      res.setHeader("content-type", "application/json");
      if (req.url?.startsWith("/user-auth")) {
        res.end(JSON.stringify(signer.authenticateUser(socketId, { id: user, name: user })));
        return;
      }
      if (refuse.includes(channel)) {
        res.statusCode = 403;
        res.end(JSON.stringify({ error: "forbidden" }));
        return;
      }
      const auth = channel.startsWith("presence-")
        ? signer.authorizeChannel(socketId, channel, {
            user_id: user,
            user_info: { name: `User ${user}` },
          })
        : signer.authorizeChannel(socketId, channel);
      res.end(JSON.stringify(auth));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export interface ClientOptions {
  authUrl?: string;
  user?: string;
  key?: string;
}

/** A pusher-js client on the test server's WebSocket port, ws only, no stats. */
export function client(server: TestServer, options: ClientOptions = {}): Pusher {
  const params = { user_id: options.user ?? "anon" };
  return new PusherClient(options.key ?? APP.key, {
    cluster: "local",
    wsHost: "127.0.0.1",
    wsPort: server.port,
    forceTLS: false,
    enabledTransports: ["ws"],
    disableStats: true,
    ...(options.authUrl && {
      channelAuthorization: {
        endpoint: `${options.authUrl}/auth`,
        transport: "ajax",
        params,
      },
      userAuthentication: {
        endpoint: `${options.authUrl}/user-auth`,
        transport: "ajax",
        params,
      },
    }),
  });
}

/** Waits for `pusher` to reach `state` (connected…), with a generous limit for a busy machine. */
export function stateOf(pusher: Pusher, state: string, timeoutMs = 30_000): Promise<void> {
  if (pusher.connection.state === state) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`still ${pusher.connection.state}, not ${state}`)),
      timeoutMs,
    );
    const on = (change: { current: string }) => {
      if (change.current !== state) return;
      clearTimeout(timer);
      pusher.connection.unbind("state_change", on);
      resolve();
    };
    pusher.connection.bind("state_change", on);
  });
}

/** Resolves with the first `event` on `channel` (or rejects after the limit). */
export function nextEvent<T = unknown>(
  pusher: Pusher,
  channel: string,
  event: string,
  timeoutMs = 30_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const ch = pusher.channel(channel) ?? pusher.subscribe(channel);
    const timer = setTimeout(() => reject(new Error(`no ${event} on ${channel}`)), timeoutMs);
    const on = (data: T) => {
      clearTimeout(timer);
      ch.unbind(event, on);
      resolve(data);
    };
    ch.bind(event, on);
  });
}

/** Subscribes and waits for pusher:subscription_succeeded (rejects on subscription_error). */
export function subscribed<T = unknown>(
  pusher: Pusher,
  channel: string,
  timeoutMs = 30_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const ch = pusher.subscribe(channel);
    const timer = setTimeout(() => reject(new Error(`not subscribed to ${channel}`)), timeoutMs);
    ch.bind("pusher:subscription_succeeded", (data: T) => {
      clearTimeout(timer);
      resolve(data);
    });
    ch.bind("pusher:subscription_error", (error: unknown) => {
      clearTimeout(timer);
      reject(Object.assign(new Error(`subscription_error on ${channel}`), { cause: error }));
    });
  });
}

/** Polls `check` until it holds (bounded in count and time). */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("condition not met in time");
}

/** A bare WebSocket speaking the Pusher protocol by hand (for malformed and forged frames). */
export class RawPusher {
  readonly frames: { event: string; channel?: string; data?: unknown }[] = [];
  closed?: { code: number; reason: string };
  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data: Buffer) => {
      const f = JSON.parse(data.toString()) as { event: string; channel?: string; data?: unknown };
      if (typeof f.data === "string") {
        try {
          f.data = JSON.parse(f.data);
        } catch {
          // a plain string stays as it is
        }
      }
      this.frames.push(f);
    });
    ws.on("close", (code: number, reason: Buffer) => {
      this.closed = { code, reason: reason.toString() };
    });
  }

  static async open(server: TestServer, path = `/app/${APP.key}?protocol=7`): Promise<RawPusher> {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}${path}`);
    const raw = new RawPusher(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    return raw;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** The first frame (from `from` on) that matches, waiting for it. */
  async next(
    match: (f: { event: string; channel?: string; data?: unknown }) => boolean,
    from = 0,
  ): Promise<{ event: string; channel?: string; data?: unknown }> {
    let found: { event: string; channel?: string; data?: unknown } | undefined;
    await until(() => {
      found = this.frames.slice(from).find(match);
      return found !== undefined;
    });
    return found as { event: string; channel?: string; data?: unknown };
  }

  async socketId(): Promise<string> {
    const f = await this.next((x) => x.event === "pusher:connection_established");
    return (f.data as { socket_id: string }).socket_id;
  }

  async waitClosed(): Promise<{ code: number; reason: string }> {
    await until(() => this.closed !== undefined);
    return this.closed as { code: number; reason: string };
  }

  close(): void {
    this.ws.terminate();
  }
}

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type * as PusherJsTypes from "pusher-js";
import PusherJs from "pusher-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restCall } from "../../test-support/rest.js";
import type { TestServer } from "../../testing.js";
import type { PusherAppView } from "./app-routes.js";
import {
  APP,
  client,
  nextEvent,
  type Pusher,
  RawPusher,
  sdk,
  startAuthEndpoint,
  startPusherServer,
  stateOf,
  subscribed,
  until,
} from "./test-kit.js";

/**
 * Pusher apps managed over REST and their options enforced on the socket and the HTTP API:
 * enabled, client events, subscription counts, webhook URLs, a connection quota; plus user
 * sign-in with `#server-to-user-` channels and the SDK's `sendToUser`. Real pusher-js clients
 * and the real `pusher` SDK, over real sockets.
 */
describe("Pusher apps and their options", () => {
  let server: TestServer;
  let auth: Awaited<ReturnType<typeof startAuthEndpoint>>;
  let admin: string;
  let agent: string;
  const pushers: Pusher[] = [];
  const raws: RawPusher[] = [];

  beforeAll(async () => {
    // Client events off by default: apps turn them on for themselves.
    server = await startPusherServer({ extraEnv: { SWITCHBOARD_PUSHER_CLIENT_EVENTS: "false" } });
    auth = await startAuthEndpoint(sdk(server));
    admin = await server.token({ sub: "root", role: "admin" });
    agent = await server.token({ sub: "ann", role: "agent" });
  }, 120_000);

  afterAll(async () => {
    for (const p of pushers) p.disconnect();
    for (const r of raws) r.close();
    await auth?.close();
    await server?.close();
  }, 60_000);

  const rest = (method: string, path: string, body?: unknown, token: string | null = admin) =>
    restCall(server, method, path, { body, token });
  const create = async (body: Record<string, unknown> = {}) => {
    const r = await rest("POST", "/api/pusher/apps", body);
    expect(r.status).toBe(201);
    return r.body as PusherAppView;
  };
  const connect = (app: { key: string }, options: { user?: string; authUrl?: string } = {}) => {
    const p = client(server, { key: app.key, ...options });
    pushers.push(p);
    return p;
  };
  const raw = async (key: string) => {
    const r = await RawPusher.open(server, `/app/${key}?protocol=7`);
    raws.push(r);
    return r;
  };

  it("lists env apps, creates, changes and removes apps; admin or API key only", async () => {
    const list = await rest("GET", "/api/pusher/apps");
    expect(list.status).toBe(200);
    const env = (list.body.apps as PusherAppView[]).find((a) => a.id === APP.id);
    expect(env).toMatchObject({ key: APP.key, source: "env", enabled: true, clientEvents: false });

    expect((await rest("GET", "/api/pusher/apps", undefined, agent)).status).toBe(403);
    expect((await rest("GET", "/api/pusher/apps", undefined, null)).status).toBe(401);
    expect((await restCall(server, "GET", "/api/pusher/apps")).status).toBe(200); // API key

    const made = await create({ id: "shop-1", name: "Shop", maxConnections: 50 });
    expect(made).toMatchObject({ id: "shop-1", name: "Shop", source: "api", version: 1 });
    expect(made.key).toMatch(/^[0-9a-f]{20}$/);
    expect(made.secret.length).toBeGreaterThanOrEqual(32);
    expect((await rest("POST", "/api/pusher/apps", { id: "shop-1" })).body.code).toBe("conflict");

    const changed = await rest("PATCH", "/api/pusher/apps/shop-1", {
      clientEvents: true,
      webhookUrls: ["http://127.0.0.1:9/hook"],
      expectedVersion: 1,
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ clientEvents: true, version: 2 });
    const stale = await rest("PATCH", "/api/pusher/apps/shop-1", { name: "x", expectedVersion: 1 });
    expect(stale.status).toBe(409);
    expect(stale.body.details).toEqual({ version: 2 });

    expect((await rest("POST", `/api/pusher/apps/${APP.id}/rotate`)).body.code).toBe(
      "pusher_app_from_env",
    );
    expect((await rest("DELETE", `/api/pusher/apps/${APP.id}`)).status).toBe(409);
    expect((await rest("DELETE", "/api/pusher/apps/shop-1")).status).toBe(204);
    expect((await rest("GET", "/api/pusher/apps/shop-1")).body.code).toBe("pusher_unknown_app");
  });

  it("refuses bad input with codes", async () => {
    const bad = [
      { id: "no spaces" },
      { id: "x".repeat(65) },
      { webhookUrls: ["ftp://example.com"] },
      { webhookUrls: "http://example.com" },
      { maxConnections: 0 },
      { maxConnections: 1.5 },
      { enabled: "yes" },
      { name: "" },
    ];
    for (const body of bad) {
      const r = await rest("POST", "/api/pusher/apps", body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.code).toBe("bad_request");
    }
    expect((await rest("POST", "/api/pusher/apps", "{not json")).status).toBe(400);
    expect((await rest("PATCH", "/api/pusher/apps/nope", { name: "n" })).status).toBe(404);
    expect((await rest("PATCH", "/api/pusher/apps/a%20b", { name: "n" })).status).toBe(400);
  });

  it("two racing edits at one version: one wins, the other is told to reload", async () => {
    const app = await create();
    const replies = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        rest("PATCH", `/api/pusher/apps/${app.id}`, { name: `n${i}`, expectedVersion: 1 }),
      ),
    );
    expect(replies.map((r) => r.status).sort()).toEqual([200, 409, 409, 409, 409, 409]);
    expect((await rest("GET", `/api/pusher/apps/${app.id}`)).body.version).toBe(2);
  });

  it("rotation: the old key stops connecting, the old secret stops signing", async () => {
    const app = await create();
    const before = connect(app);
    await stateOf(before, "connected");
    const rotated = (await rest("POST", `/api/pusher/apps/${app.id}/rotate`, {}))
      .body as PusherAppView;
    expect(rotated.key).not.toBe(app.key);
    expect(rotated.secret).not.toBe(app.secret);
    const old = await raw(app.key);
    expect(await old.waitClosed()).toMatchObject({ code: 4001 });
    await expect(sdk(server, app).trigger("news", "e", {})).rejects.toMatchObject({ status: 401 });
    const onNew = nextEvent(connect(rotated), "news", "e");
    await until(async () => {
      const r = await sdk(server, rotated).get({ path: "/channels/news" });
      return ((await r.json()) as { occupied: boolean }).occupied;
    });
    await sdk(server, rotated).trigger("news", "e", { n: 1 });
    expect(await onNew).toEqual({ n: 1 });
    expect(before.connection.state).toBe("connected"); // open connections stay
  });

  it("disabling an app closes its connections (4003), refuses new ones and its HTTP API", async () => {
    const app = await create();
    const open = await raw(app.key);
    await open.socketId();
    await rest("PATCH", `/api/pusher/apps/${app.id}`, { enabled: false });
    expect(await open.waitClosed()).toMatchObject({ code: 4003 });
    expect(await (await raw(app.key)).waitClosed()).toMatchObject({ code: 4003 });
    await expect(sdk(server, app).trigger("news", "e", {})).rejects.toMatchObject({ status: 403 });
    await rest("PATCH", `/api/pusher/apps/${app.id}`, { enabled: true });
    await (await raw(app.key)).socketId();
  });

  it("client events follow each app's own switch", async () => {
    const on = await create({ clientEvents: true });
    const off = await create({ clientEvents: false });
    for (const [app, allowed] of [
      [on, true],
      [off, false],
    ] as const) {
      const signer = await startAuthEndpoint(sdk(server, app));
      try {
        const a = connect(app, { authUrl: signer.url, user: "a" });
        const b = connect(app, { authUrl: signer.url, user: "b" });
        await subscribed(a, "private-room");
        await subscribed(b, "private-room");
        const errors: { code: number }[] = [];
        b.connection.bind("error", (e: { data?: { code: number } }) => {
          if (e.data) errors.push(e.data);
        });
        const heard: unknown[] = [];
        a.channel("private-room").bind("client-hi", (d: unknown) => heard.push(d));
        b.channel("private-room").trigger("client-hi", { x: 1 });
        if (allowed) await until(() => heard.length === 1);
        else {
          await until(() => errors.some((e) => e.code === 4304));
          expect(heard).toEqual([]);
        }
      } finally {
        await signer.close();
      }
    }
  });

  it("holds the connection quota across racing connects, and frees a place on close", async () => {
    const app = await create({ maxConnections: 2 });
    const sockets = await Promise.all(Array.from({ length: 6 }, () => raw(app.key)));
    await until(() =>
      sockets.every(
        (s) =>
          s.closed !== undefined ||
          s.frames.some((f) => f.event === "pusher:connection_established"),
      ),
    );
    const admitted = sockets.filter((s) => s.closed === undefined);
    expect(admitted.length).toBeLessThanOrEqual(2);
    for (const s of sockets.filter((x) => x.closed !== undefined))
      expect(s.closed?.code).toBe(4004);
    // fill the quota exactly, then one more is refused
    while (admitted.length < 2) {
      const s = await raw(app.key);
      await until(() => s.closed !== undefined || s.frames.length > 0);
      if (s.closed === undefined) admitted.push(s);
    }
    const extra = await raw(app.key);
    expect(await extra.waitClosed()).toMatchObject({ code: 4004 });
    admitted[0]?.close();
    await until(async () => {
      const r = await rest("GET", `/api/pusher/apps/${app.id}`);
      return r.body.connections === 1;
    });
    await (await raw(app.key)).socketId();
  });

  it("sends each app's webhooks to its own URLs", async () => {
    const got: { key: string; body: string }[] = [];
    const receiver: Server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => {
        body += c.toString();
      });
      req.on("end", () => {
        got.push({ key: String(req.headers["x-pusher-key"]), body: `${req.url} ${body}` });
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    const { port } = receiver.address() as AddressInfo;
    try {
      const one = await create({ webhookUrls: [`http://127.0.0.1:${port}/one`] });
      const two = await create({ webhookUrls: [`http://127.0.0.1:${port}/two`] });
      await subscribed(connect(one), "hooked");
      await subscribed(connect(two), "hooked");
      await until(() => got.length >= 2);
      const byPath = Object.fromEntries(got.map((g) => [g.body.split(" ")[0], g]));
      expect(byPath["/one"]?.key).toBe(one.key);
      expect(byPath["/two"]?.key).toBe(two.key);
      expect(byPath["/one"]?.body).toContain("channel_occupied");
    } finally {
      receiver.closeAllConnections();
      receiver.close();
    }
  });

  it("announces subscription counts when the app asks for them", async () => {
    const app = await create({ subscriptionCount: true });
    const a = connect(app);
    await subscribed(a, "counted");
    const counts: number[] = [];
    a.channel("counted").bind("pusher:subscription_count", (d: { subscription_count: number }) =>
      counts.push(d.subscription_count),
    );
    const b = connect(app);
    await subscribed(b, "counted");
    await until(() => counts.at(-1) === 2);
    expect(
      (a.channel("counted") as unknown as { subscriptionCount: number }).subscriptionCount,
    ).toBe(2);
    b.unsubscribe("counted");
    await until(() => counts.at(-1) === 1);

    // not for apps that did not ask
    const quiet = await create();
    const q = connect(quiet);
    await subscribed(q, "counted");
    const heard: unknown[] = [];
    q.channel("counted").bind("pusher:subscription_count", (d: unknown) => heard.push(d));
    await subscribed(connect(quiet), "counted");
    await new Promise((r) => setTimeout(r, 1000));
    expect(heard).toEqual([]);
  });

  it("sends to a signed-in user (sendToUser) and to nobody else", async () => {
    const zed = connect(APP, { authUrl: auth.url, user: "zed" });
    const amy = connect(APP, { authUrl: auth.url, user: "amy" });
    zed.signin();
    amy.signin();
    await until(() => zed.user.user_data?.id === "zed" && amy.user.user_data?.id === "amy");
    const forZed: unknown[] = [];
    const forAmy: unknown[] = [];
    zed.user.bind("parcel", (d: unknown) => forZed.push(d));
    amy.user.bind("parcel", (d: unknown) => forAmy.push(d));
    // the user channel is subscribed after sign-in: wait until the server counts it
    await until(async () => {
      const r = await sdk(server).get({
        path: "/channels/%23server-to-user-zed",
        params: { info: "subscription_count" },
      });
      return ((await r.json()) as { subscription_count?: number }).subscription_count === 1;
    });
    await sdk(server).sendToUser("zed", "parcel", { id: 7 });
    await until(() => forZed.length === 1);
    expect(forZed).toEqual([{ id: 7 }]);
    await new Promise((r) => setTimeout(r, 300));
    expect(forAmy).toEqual([]);

    // a socket not signed in, or signed in as someone else, may not listen to zed's channel
    const sneak = await raw(APP.key);
    await sneak.socketId();
    sneak.send({ event: "pusher:subscribe", data: { channel: "#server-to-user-zed", auth: "" } });
    const refused = await sneak.next((f) => f.event === "pusher:subscription_error");
    expect(refused.data).toMatchObject({ status: 403 });
    expect(sneak.frames.some((f) => f.event === "pusher:error")).toBe(true);
    // user channels are not in the channel list
    const list = await (await sdk(server).get({ path: "/channels" })).json();
    expect(Object.keys((list as { channels: object }).channels)).not.toContain(
      "#server-to-user-zed",
    );
  });

  it("signs channels and sign-ins for Switchboard token holders when the app allows it", async () => {
    const PusherClient = PusherJs as unknown as typeof PusherJsTypes.default.default;
    const app = await create({ jwtAuth: true });
    const viaJwt = (token: string, appId = app.id, key = app.key) => {
      const headers = { Authorization: `Bearer ${token}` };
      const p = new PusherClient(key, {
        cluster: "local",
        wsHost: "127.0.0.1",
        wsPort: server.port,
        forceTLS: false,
        enabledTransports: ["ws"],
        disableStats: true,
        channelAuthorization: {
          endpoint: `${server.url}/api/pusher/apps/${appId}/auth`,
          transport: "ajax",
          headers,
        },
        userAuthentication: {
          endpoint: `${server.url}/api/pusher/apps/${appId}/user-auth`,
          transport: "ajax",
          headers,
        },
      });
      pushers.push(p);
      return p;
    };
    const alice = viaJwt(await server.token({ sub: "alice", role: "customer", name: "Alice" }));
    await subscribed(alice, "private-user-alice");
    await expect(subscribed(alice, "private-user-bob")).rejects.toThrow(/subscription_error/);
    await expect(subscribed(alice, "private-encrypted-alice")).rejects.toThrow(
      /subscription_error/,
    );
    const members = await subscribed<{ me: { id: string; info: { name: string } } }>(
      alice,
      "presence-room.alice",
    );
    expect(members.me).toEqual({ id: "alice", info: { name: "Alice" } });
    const sam = viaJwt(await server.token({ sub: "sam", role: "agent", name: "Sam" }));
    await subscribed(sam, "presence-room.alice");
    await subscribed(sam, "private-anything");

    // sign-in as the token's user: sendToUser reaches them
    alice.signin();
    await until(() => alice.user.user_data?.id === "alice");
    const got: unknown[] = [];
    alice.user.bind("ping", (d: unknown) => got.push(d));
    await until(async () => {
      const r = await sdk(server, app).get({
        path: "/channels/%23server-to-user-alice",
        params: { info: "subscription_count" },
      });
      return ((await r.json()) as { subscription_count?: number }).subscription_count === 1;
    });
    await sdk(server, app).sendToUser("alice", "ping", { n: 1 });
    await until(() => got.length === 1);

    // an app that did not turn it on is not signed for; bad input gets codes
    const closed = await create();
    const other = viaJwt(
      await server.token({ sub: "alice", role: "customer" }),
      closed.id,
      closed.key,
    );
    await expect(subscribed(other, "private-user-alice")).rejects.toThrow(/subscription_error/);
    const token = await server.token({ sub: "alice", role: "customer" });
    const call = (body: unknown, t: string | null = token) =>
      restCall(server, "POST", `/api/pusher/apps/${app.id}/auth`, { body, token: t });
    expect((await call({ socket_id: "1.2", channel_name: "private-user-alice" })).status).toBe(200);
    expect(
      (await call({ socket_id: "1.2", channel_name: "private-user-alice" }, null)).status,
    ).toBe(401);
    for (const bad of [
      {},
      { socket_id: "x", channel_name: "private-user-alice" },
      { socket_id: "1.2", channel_name: "bad name!" },
      { socket_id: "1.2" },
    ])
      expect((await call(bad)).status, JSON.stringify(bad)).toBe(400);
    const form = await fetch(`${server.url}/api/pusher/apps/${app.id}/auth`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: "socket_id=1.2&channel_name=presence-x.alice",
    });
    expect(form.status).toBe(200);
    expect(((await form.json()) as { channel_data: string }).channel_data).toBe(
      JSON.stringify({ user_id: "alice", user_info: {} }),
    );
    expect(
      (
        await restCall(server, "POST", `/api/pusher/apps/${app.id}/user-auth`, {
          body: { socket_id: "1.2" },
        })
      ).status,
    ).toBe(403); // the API key is not a user
  });
});

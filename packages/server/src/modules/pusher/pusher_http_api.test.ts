import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { TestServer } from "../../testing.js";
import { md5, sign } from "./auth.js";
import {
  APP,
  client,
  nextEvent,
  OTHER_APP,
  type Pusher,
  sdk,
  startAuthEndpoint,
  startPusherServer,
  stateOf,
  subscribed,
  until,
} from "./test-kit.js";

let server: TestServer;
let auth: Awaited<ReturnType<typeof startAuthEndpoint>>;
const pushers: Pusher[] = [];

beforeEach(async () => {
  server = await startPusherServer();
  auth = await startAuthEndpoint(sdk(server));
});
afterEach(async () => {
  for (const p of pushers.splice(0)) p.disconnect();
  await auth.close();
  await server.close();
});

function connect(user?: string): Pusher {
  const p = client(server, { authUrl: auth.url, ...(user && { user }) });
  pushers.push(p);
  return p;
}

/** A request signed by hand (to send what the SDK never would: stale, tampered, repeated). */
async function signedFetch(
  method: string,
  path: string,
  options: {
    body?: string;
    secret?: string;
    timestamp?: number;
    extra?: Record<string, string>;
  } = {},
): Promise<Response> {
  const params: Record<string, string> = {
    auth_key: APP.key,
    auth_timestamp: String(options.timestamp ?? Math.floor(Date.now() / 1000)),
    auth_version: "1.0",
    ...(options.body !== undefined && { body_md5: md5(options.body) }),
    ...options.extra,
  };
  const query = Object.keys(params)
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join("&");
  const signature = sign(options.secret ?? APP.secret, `${method}\n${path}\n${query}`);
  return fetch(`${server.url}${path}?${query}&auth_signature=${signature}`, {
    method,
    ...(options.body !== undefined && {
      body: options.body,
      headers: { "content-type": "application/json" },
    }),
  });
}

describe("the pusher server SDK against the HTTP API", () => {
  it("triggers on one channel and on several, leaving out socket_id", async () => {
    const a = connect();
    const b = connect();
    await subscribed(a, "news");
    await subscribed(b, "news");
    await subscribed(b, "sport");
    const gotA = nextEvent(a, "news", "headline");
    const gotB = nextEvent(b, "news", "headline");
    await sdk(server).trigger("news", "headline", { title: "one" });
    expect(await gotA).toEqual({ title: "one" });
    expect(await gotB).toEqual({ title: "one" });

    const seenByA: unknown[] = [];
    a.channel("news").bind("update", (d: unknown) => seenByA.push(d));
    const bNews = nextEvent(b, "news", "update");
    const bSport = nextEvent(b, "sport", "update");
    await sdk(server).trigger(
      ["news", "sport"],
      "update",
      { n: 2 },
      {
        socket_id: a.connection.socket_id,
      },
    );
    expect(await bNews).toEqual({ n: 2 });
    expect(await bSport).toEqual({ n: 2 });
    const marker = nextEvent(a, "news", "marker");
    await sdk(server).trigger("news", "marker", {});
    await marker;
    expect(seenByA).toEqual([]);
  });

  it("triggers a batch", async () => {
    const a = connect();
    await subscribed(a, "one");
    await subscribed(a, "private-two");
    const one = nextEvent(a, "one", "e1");
    const two = nextEvent(a, "private-two", "e2");
    await sdk(server).triggerBatch([
      { channel: "one", name: "e1", data: { i: 1 } },
      { channel: "private-two", name: "e2", data: { i: 2 } },
    ]);
    expect(await one).toEqual({ i: 1 });
    expect(await two).toEqual({ i: 2 });
  });

  it("delivers end-to-end encrypted events that only the client can read", async () => {
    const a = connect();
    await subscribed(a, "private-encrypted-vault");
    const got = nextEvent(a, "private-encrypted-vault", "secret");
    await sdk(server).trigger("private-encrypted-vault", "secret", { code: 1234 });
    expect(await got).toEqual({ code: 1234 });
  });

  it("reports channels, their counts and presence users", async () => {
    const ann = connect("ann");
    const bo = connect("bo");
    await subscribed(ann, "presence-lobby");
    await subscribed(bo, "presence-lobby");
    await subscribed(ann, "plain");
    const s = sdk(server);
    const list = await (await s.get({ path: "/channels" })).json();
    expect(Object.keys(list.channels).sort()).toEqual(["plain", "presence-lobby"]);
    const presence = await (
      await s.get({
        path: "/channels",
        params: { filter_by_prefix: "presence-", info: "user_count" },
      })
    ).json();
    expect(presence).toEqual({ channels: { "presence-lobby": { user_count: 2 } } });
    const info = await (
      await s.get({
        path: "/channels/presence-lobby",
        params: { info: "user_count,subscription_count" },
      })
    ).json();
    expect(info).toEqual({ occupied: true, user_count: 2, subscription_count: 2 });
    const users = await (await s.get({ path: "/channels/presence-lobby/users" })).json();
    expect(users.users.map((u: { id: string }) => u.id).sort()).toEqual(["ann", "bo"]);
    const empty = await (await s.get({ path: "/channels/nobody-here" })).json();
    expect(empty).toEqual({ occupied: false });
  });

  it("ends a signed-in user's connections on request", async () => {
    const p = connect("zed");
    await stateOf(p, "connected");
    p.signin();
    await until(() => p.user.user_data?.id === "zed");
    const other = connect("amy");
    await stateOf(other, "connected");
    other.signin();
    await until(() => other.user.user_data?.id === "amy");
    await sdk(server).terminateUserConnections("zed");
    // 4009 is in Pusher's "do not reconnect unchanged" range: pusher-js gives up
    await until(() => ["failed", "unavailable", "disconnected"].includes(p.connection.state));
    expect(other.connection.state).toBe("connected");
  });
});

describe("documentation", () => {
  it("lists every Pusher HTTP API route in the OpenAPI document", async () => {
    const doc = (await (await fetch(`${server.url}/docs/json`)).json()) as {
      paths: Record<string, unknown>;
    };
    for (const path of [
      "/apps/{app_id}/events",
      "/apps/{app_id}/batch_events",
      "/apps/{app_id}/channels",
      "/apps/{app_id}/channels/{channel_name}",
      "/apps/{app_id}/channels/{channel_name}/users",
      "/apps/{app_id}/users/{user_id}/terminate_connections",
      "/api/pusher/apps",
      "/api/pusher/apps/{id}",
      "/api/pusher/apps/{id}/rotate",
      "/api/pusher/apps/{id}/auth",
      "/api/pusher/apps/{id}/user-auth",
    ])
      expect(Object.keys(doc.paths)).toContain(path);
  });
});

describe("signatures and bad input", () => {
  it("refuses a wrong secret, another app's key, a stale timestamp and a tampered body", async () => {
    const body = JSON.stringify({ name: "e", data: "{}", channel: "x" });
    expect((await signedFetch("POST", "/apps/app1/events", { body })).status).toBe(200);
    expect(
      (await signedFetch("POST", "/apps/app1/events", { body, secret: OTHER_APP.secret })).status,
    ).toBe(401);
    const stale = Math.floor(Date.now() / 1000) - 601;
    const r = await signedFetch("POST", "/apps/app1/events", { body, timestamp: stale });
    expect(r.status).toBe(401);
    expect(await r.json()).toMatchObject({ code: "pusher_bad_signature" });
    const future = Math.floor(Date.now() / 1000) + 700;
    expect(
      (await signedFetch("POST", "/apps/app1/events", { body, timestamp: future })).status,
    ).toBe(401);
    // signed for one body, sent with another
    const good = await signedFetch("GET", "/apps/app1/channels");
    expect(good.status).toBe(200);
    const url = (good.url as string).replace("/apps/app1/channels", "/apps/app1/channels/x");
    expect((await fetch(url)).status).toBe(401);
    const wrongApp = sdk(server, { ...OTHER_APP, id: "app1" });
    await expect(wrongApp.trigger("x", "e", {})).rejects.toMatchObject({ status: 401 });
    await expect(sdk(server, { ...APP, id: "nope" }).trigger("x", "e", {})).rejects.toMatchObject({
      status: 404,
    });
    const unsigned = await fetch(`${server.url}/apps/app1/events`, {
      method: "POST",
      body,
      headers: { "content-type": "application/json" },
    });
    expect(unsigned.status).toBe(401);
  });

  it("answers bad bodies with 400 and oversize data with 413, and keeps serving", async () => {
    for (const body of [
      "{not json",
      JSON.stringify({ name: "e", data: { not: "a string" }, channel: "x" }),
      JSON.stringify({ name: "e", data: "{}" }),
      JSON.stringify({ name: "e", data: "{}", channel: "bad name!" }),
      JSON.stringify({
        name: "e",
        data: "{}",
        channels: Array.from({ length: 101 }, (_, i) => `c${i}`),
      }),
      JSON.stringify({ batch: [] }),
    ]) {
      const path = body.includes("batch") ? "/apps/app1/batch_events" : "/apps/app1/events";
      const r = await signedFetch("POST", path, { body });
      expect(r.status, body.slice(0, 60)).toBe(400);
    }
    const big = JSON.stringify({ name: "e", data: "x".repeat(10_241), channel: "x" });
    expect((await signedFetch("POST", "/apps/app1/events", { body: big })).status).toBe(413);
    const repeated = await signedFetch("GET", "/apps/app1/channels", {
      extra: { info: "user_count" },
    });
    expect(repeated.status).toBe(400); // user_count needs a presence- prefix
    const a = connect();
    await subscribed(a, "still-up");
    const got = nextEvent(a, "still-up", "ok");
    await sdk(server).trigger("still-up", "ok", { fine: true });
    expect(await got).toEqual({ fine: true });
  });
});

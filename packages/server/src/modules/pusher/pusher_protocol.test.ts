import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { closeAll, RawClient } from "../../test-support/ws-client.js";
import type { TestServer } from "../../testing.js";
import { sign } from "./auth.js";
import { pusherChannel } from "./names.js";
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

let server: TestServer;
let auth: Awaited<ReturnType<typeof startAuthEndpoint>>;
const pushers: Pusher[] = [];
const natives: RawClient[] = [];

beforeEach(async () => {
  server = await startPusherServer();
  auth = await startAuthEndpoint(sdk(server));
});
afterEach(async () => {
  for (const p of pushers.splice(0)) p.disconnect();
  closeAll(natives.splice(0));
  await auth.close();
  await server.close();
});

function connect(user?: string): Pusher {
  const p = client(server, { authUrl: auth.url, ...(user && { user }) });
  pushers.push(p);
  return p;
}

describe("pusher-js against the Pusher endpoint", () => {
  it("connects with a socket id and hears a publication on a public channel", async () => {
    const p = connect();
    await stateOf(p, "connected");
    expect(p.connection.socket_id).toMatch(/^\d+\.\d+$/);
    await subscribed(p, "orders");
    const got = nextEvent(p, "orders", "created");
    await server.publish(pusherChannel(APP.id, "orders"), "created", { id: 7 });
    expect(await got).toEqual({ id: 7 });
  });

  it("subscribes to private channels through the app's auth endpoint", async () => {
    const p = connect();
    await subscribed(p, "private-orders");
    const got = nextEvent(p, "private-orders", "paid");
    await server.publish(pusherChannel(APP.id, "private-orders"), "paid", "text as is");
    expect(await got).toBe("text as is");
  });

  it("tracks presence members with their info, member_added and member_removed", async () => {
    const ann = connect("ann");
    const members = await subscribed<{ count: number; me: { id: string } }>(ann, "presence-room");
    expect(members.count).toBe(1);
    expect(members.me.id).toBe("ann");
    const added = nextEvent<{ id: string; info: unknown }>(
      ann,
      "presence-room",
      "pusher:member_added",
    );
    const bo = connect("bo");
    const seen = await subscribed<{ count: number; members: Record<string, unknown> }>(
      bo,
      "presence-room",
    );
    expect(seen.count).toBe(2);
    expect(seen.members).toEqual({ ann: { name: "User ann" }, bo: { name: "User bo" } });
    expect(await added).toEqual({ id: "bo", info: { name: "User bo" } });
    const removed = nextEvent<{ id: string }>(ann, "presence-room", "pusher:member_removed");
    bo.unsubscribe("presence-room");
    expect((await removed).id).toBe("bo");
  });

  it("passes client events on private channels to the others, not back to the sender", async () => {
    const a = connect("a");
    const b = connect("b");
    await subscribed(a, "private-chat");
    await subscribed(b, "private-chat");
    const echoed: unknown[] = [];
    a.channel("private-chat").bind("client-typing", (d: unknown) => echoed.push(d));
    const got = nextEvent(b, "private-chat", "client-typing");
    a.channel("private-chat").trigger("client-typing", { who: "a" });
    expect(await got).toEqual({ who: "a" });
    // a publication after it arrives at `a`: had the echo come, it would have come first
    const after = nextEvent(a, "private-chat", "after");
    await server.publish(pusherChannel(APP.id, "private-chat"), "after", {});
    await after;
    expect(echoed).toEqual([]);
  });

  it("names the sender's user_id on presence client events", async () => {
    const a = connect("ann");
    const b = connect("bo");
    await subscribed(a, "presence-desk");
    await subscribed(b, "presence-desk");
    const got = new Promise<{ data: unknown; user: string | undefined }>((resolve) =>
      b
        .channel("presence-desk")
        .bind("client-wave", (data: unknown, meta?: { user_id?: string }) =>
          resolve({ data, user: meta?.user_id }),
        ),
    );
    a.channel("presence-desk").trigger("client-wave", { hi: 1 });
    expect(await got).toEqual({ data: { hi: 1 }, user: "ann" });
  });

  it("shares a channel with native clients: each hears the other", async () => {
    const native = await RawClient.connect(
      server.wsUrl,
      await server.token({ sub: "staff-1", role: "agent" }),
    );
    natives.push(native);
    const channel = pusherChannel(APP.id, "private-orders");
    await native.subscribe(channel);
    const p = connect("ann");
    await subscribed(p, "private-orders");
    p.channel("private-orders").trigger("client-note", { from: "pusher" });
    const heard = await native.next((f) => f.type === "message" && f.event === "client-note");
    expect(heard).toMatchObject({ channel, data: { from: "pusher" } });
    const got = nextEvent(p, "private-orders", "note");
    await native.request({ type: "publish", channel, event: "note", data: { from: "native" } });
    expect(await got).toEqual({ from: "native" });
  });

  it("keeps the last event of a cache channel and sends cache_miss when there is none", async () => {
    const a = connect();
    const miss = nextEvent(a, "cache-prices", "pusher:cache_miss");
    await subscribed(a, "cache-prices");
    await miss;
    await server.app.broker.publish(pusherChannel(APP.id, "cache-prices"), {
      event: "price",
      data: { eur: 12 },
      history: { size: 1, ttlMs: 60_000 },
    });
    const b = connect();
    const last = nextEvent(b, "cache-prices", "price");
    await subscribed(b, "cache-prices");
    expect(await last).toEqual({ eur: 12 });
  });

  it("reconnects after a server restart and subscribes again", async () => {
    const p = connect();
    await subscribed(p, "orders");
    const first = p.connection.socket_id;
    await server.restart();
    await until(
      () => p.connection.state === "connected" && p.connection.socket_id !== first,
      60_000,
    );
    await until(() => p.channel("orders")?.subscribed === true, 60_000);
    const got = nextEvent(p, "orders", "again");
    await until(async () => {
      await server.publish(pusherChannel(APP.id, "orders"), "again", { n: 1 });
      return true;
    });
    expect(await got).toEqual({ n: 1 });
  });
});

describe("the wire, frame by frame", () => {
  it("answers pusher:ping with pusher:pong", async () => {
    const raw = await RawPusher.open(server);
    await raw.socketId();
    raw.send({ event: "pusher:ping", data: {} });
    await raw.next((f) => f.event === "pusher:pong");
    raw.close();
  });

  it("checks the signature in the subscribe, not just its presence", async () => {
    const raw = await RawPusher.open(server);
    const socketId = await raw.socketId();
    raw.send({
      event: "pusher:subscribe",
      data: {
        channel: "private-x",
        auth: `${APP.key}:${sign("wrong-secret", `${socketId}:private-x`)}`,
      },
    });
    const error = await raw.next((f) => f.event === "pusher:error");
    expect(error.data).toMatchObject({ code: 4009 });
    await raw.next((f) => f.event === "pusher:subscription_error" && f.channel === "private-x");
    // a signature for another socket is refused too
    raw.send({
      event: "pusher:subscribe",
      data: { channel: "private-y", auth: `${APP.key}:${sign(APP.secret, "1.2:private-y")}` },
    });
    await raw.next((f) => f.event === "pusher:subscription_error" && f.channel === "private-y");
    // the right one works
    raw.send({
      event: "pusher:subscribe",
      data: {
        channel: "private-x",
        auth: `${APP.key}:${sign(APP.secret, `${socketId}:private-x`)}`,
      },
    });
    await raw.next((f) => f.event === "pusher_internal:subscription_succeeded");
    raw.close();
  });

  it("refuses a presence subscription whose channel_data was not signed", async () => {
    const raw = await RawPusher.open(server);
    const socketId = await raw.socketId();
    const signed = JSON.stringify({ user_id: "ann" });
    raw.send({
      event: "pusher:subscribe",
      data: {
        channel: "presence-x",
        auth: `${APP.key}:${sign(APP.secret, `${socketId}:presence-x:${signed}`)}`,
        channel_data: JSON.stringify({ user_id: "admin" }),
      },
    });
    await raw.next((f) => f.event === "pusher:subscription_error");
    raw.close();
  });

  it("refuses a wrong app key (4001), a missing protocol (4008) and a bad path (4005)", async () => {
    for (const [path, code] of [
      ["/app/nope?protocol=7", 4001],
      [`/app/${APP.key}`, 4008],
      [`/app/${APP.key}?protocol=2`, 4007],
      [`/app/${APP.key}/extra?protocol=7`, 4005],
    ] as const) {
      const raw = await RawPusher.open(server, path);
      const error = await raw.next((f) => f.event === "pusher:error");
      expect(error.data).toMatchObject({ code });
      expect((await raw.waitClosed()).code).toBe(code);
    }
  });

  it("answers malformed, oversize and forbidden frames with Pusher codes and stays up", async () => {
    const raw = await RawPusher.open(server);
    await raw.socketId();
    const bad: [unknown, number][] = [
      ["not json", 4302],
      ["[1,2]", 4302],
      [{ data: {} }, 4302],
      [{ event: 42 }, 4302],
      [{ event: "pusher:subscribe", data: { channel: "bad name!" } }, 4302],
      [{ event: "pusher:subscribe", data: "x" }, 4302],
      [{ event: "pusher:bogus" }, 4302],
      [{ event: "client-x", channel: "orders", data: {} }, 4304],
      [{ event: "client-x", channel: "never-subscribed", data: {} }, 4304],
      [{ event: "client-x", data: "x".repeat(20_000) }, 4303],
      [{ event: "pusher:signin", data: { auth: "k:s", user_data: "{}" } }, 4009],
    ];
    for (const [frame, code] of bad) {
      const from = raw.frames.length;
      raw.send(frame);
      const error = await raw.next((f) => f.event === "pusher:error", from);
      expect(error.data, JSON.stringify(frame).slice(0, 80)).toMatchObject({ code });
    }
    raw.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    await raw.next((f) => f.event === "pusher:error" && (f.data as { code: number }).code === 4302);
    raw.send({ event: "pusher:subscribe", data: { channel: "orders" } });
    await raw.next((f) => f.event === "pusher_internal:subscription_succeeded");
    expect(raw.closed).toBeUndefined();
    raw.close();
  });

  it("rate-limits client events per socket (4301) without closing", async () => {
    const raw = await RawPusher.open(server);
    const socketId = await raw.socketId();
    raw.send({
      event: "pusher:subscribe",
      data: {
        channel: "private-r",
        auth: `${APP.key}:${sign(APP.secret, `${socketId}:private-r`)}`,
      },
    });
    await raw.next((f) => f.event === "pusher_internal:subscription_succeeded");
    for (let i = 0; i < 40; i++)
      raw.send({ event: "client-spam", channel: "private-r", data: { i } });
    const error = await raw.next((f) => f.event === "pusher:error");
    expect(error.data).toMatchObject({ code: 4301 });
    expect(raw.closed).toBeUndefined();
    raw.close();
  });
});

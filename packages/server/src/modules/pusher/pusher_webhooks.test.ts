import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../../testing.js";
import { sign } from "./auth.js";
import { type WebhookEvent, webhookBodySchema } from "./contract.js";
import {
  APP,
  client,
  nextEvent,
  OTHER_APP,
  type Pusher,
  pusherEnv,
  sdk,
  startAuthEndpoint,
  startPusherServer,
  subscribed,
  until,
} from "./test-kit.js";

/**
 * A webhook receiver on loopback, as an app would run one: it checks each request with the
 * `pusher` SDK's own webhook helper, and answers 500 to the first `failFirst` requests.
 */
async function startReceiver(server: () => TestServer, failFirst = 0) {
  const requests: { valid: boolean; events: WebhookEvent[]; status: number }[] = [];
  const http: Server = createServer((req, res) => {
    let rawBody = "";
    req.on("data", (c: Buffer) => {
      rawBody += c.toString();
    });
    req.on("end", () => {
      const hook = sdk(server()).webhook({
        headers: req.headers as Record<string, string>,
        rawBody,
      });
      const valid = hook.isValid();
      const status = requests.length < failFirst ? 500 : 200;
      // the body must also be what the contract says a webhook is
      const events = valid ? webhookBodySchema.shape.events.parse(hook.getEvents()) : [];
      requests.push({ valid, events, status });
      res.statusCode = status;
      res.end();
    });
  });
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/pusher/webhook`,
    requests,
    /** Events of the requests answered 200, in order. */
    delivered: () => requests.filter((r) => r.valid && r.status === 200).flatMap((r) => r.events),
    close: () =>
      new Promise<void>((r) => {
        http.closeAllConnections();
        http.close(() => r());
      }),
  };
}

let server: TestServer;
let peer: TestServer | undefined;
let auth: Awaited<ReturnType<typeof startAuthEndpoint>>;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
const pushers: Pusher[] = [];

beforeEach(async () => {
  receiver = await startReceiver(() => server, 1);
  server = await startPusherServer({
    extraEnv: { SWITCHBOARD_PUSHER_WEBHOOK_URLS: receiver.url },
  });
  auth = await startAuthEndpoint(sdk(server));
});
afterEach(async () => {
  for (const p of pushers.splice(0)) p.disconnect();
  await auth.close();
  await peer?.close();
  peer = undefined;
  await server.close();
  await receiver.close();
});

function connect(node: TestServer, user: string): Pusher {
  const p = client(node, { authUrl: auth.url, user });
  pushers.push(p);
  return p;
}

const names = (events: WebhookEvent[], channel: string) =>
  events.filter((e) => e.channel === channel).map((e) => e.name);

describe("webhooks", () => {
  it("are signed, batched, retried after a failure, and tell occupancy, members and client events", async () => {
    const ann = connect(server, "ann");
    const bo = connect(server, "bo");
    await subscribed(ann, "presence-room");
    await subscribed(bo, "presence-room");
    const heard = nextEvent(ann, "presence-room", "client-hi");
    bo.channel("presence-room").trigger("client-hi", { n: 1 });
    await heard;
    bo.unsubscribe("presence-room");
    ann.unsubscribe("presence-room");
    await until(() => names(receiver.delivered(), "presence-room").includes("channel_vacated"));
    const events = receiver.delivered().filter((e) => e.channel === "presence-room");
    expect(events.map((e) => e.name)).toEqual([
      "channel_occupied",
      "member_added",
      "member_added",
      "client_event",
      "member_removed",
      "member_removed",
      "channel_vacated",
    ]);
    expect(events.filter((e) => e.name === "member_added").map((e) => e.user_id)).toEqual([
      "ann",
      "bo",
    ]);
    expect(events.find((e) => e.name === "client_event")).toMatchObject({
      event: "client-hi",
      data: JSON.stringify({ n: 1 }),
      user_id: "bo",
      socket_id: bo.connection.socket_id,
    });
    // the first request was answered 500 and came again, the same batch
    expect(receiver.requests[0]?.status).toBe(500);
    expect(receiver.requests[1]?.events).toEqual(receiver.requests[0]?.events);
    expect(receiver.requests.every((r) => r.valid)).toBe(true);
    // fewer requests than events: they travel in batches
    expect(receiver.requests.length).toBeLessThan(events.length + 1);
  });

  it("send cache_miss for an empty cache channel", async () => {
    const a = connect(server, "a");
    await subscribed(a, "cache-rates");
    await until(() => names(receiver.delivered(), "cache-rates").includes("cache_miss"));
  });

  it("fire channel_vacated only when the last subscriber in the cluster is gone", async () => {
    peer = await startTestServer({
      shareWith: server,
      env: pusherEnv({ SWITCHBOARD_PUSHER_WEBHOOK_URLS: receiver.url }),
    });
    const a = connect(server, "a");
    const b = connect(peer, "b");
    await subscribed(a, "shared");
    await subscribed(b, "shared");
    a.unsubscribe("shared");
    // b is still there: a publication reaches it, and no vacated came meanwhile
    const got = nextEvent(b, "shared", "ping");
    await sdk(server).trigger("shared", "ping", {});
    await got;
    // generous limits: on a loaded machine the durable pipeline may take a while
    await until(() => names(receiver.delivered(), "shared").length >= 1, 90_000);
    b.unsubscribe("shared");
    await until(() => names(receiver.delivered(), "shared").includes("channel_vacated"), 90_000);
    expect(names(receiver.delivered(), "shared")).toEqual(["channel_occupied", "channel_vacated"]);
  }, 240_000);
});

describe("a webhook that does not verify", () => {
  it("is told apart by the SDK helper: a changed body, another secret, another key", () => {
    const body = JSON.stringify({
      time_ms: 1,
      events: [{ name: "channel_occupied", channel: "x" }],
    });
    const s = sdk({ port: 1 } as TestServer);
    const check = (rawBody: string, signature: string, key = APP.key) =>
      s
        .webhook({
          headers: {
            "x-pusher-key": key,
            "x-pusher-signature": signature,
            "content-type": "application/json",
          },
          rawBody,
        })
        .isValid();
    expect(check(body, sign(APP.secret, body))).toBe(true);
    expect(check(body.replace("x", "y"), sign(APP.secret, body))).toBe(false);
    expect(check(body, sign(OTHER_APP.secret, body))).toBe(false);
    expect(check(body, sign(APP.secret, body), OTHER_APP.key)).toBe(false);
  });
});

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../config.js";
import { restCall } from "../../test-support/rest.js";
import type { TestServer } from "../../testing.js";
import type { PusherAppView } from "./app-routes.js";
import type { PusherSettings } from "./config.js";
import { type WebhookEvent, webhookBodySchema } from "./contract.js";
import { APP, OTHER_APP, pusherEnv, RawPusher, sdk, startPusherServer, until } from "./test-kit.js";

/** The problems loadConfig reports for the Pusher variables given (none: []). */
function problems(extra: Record<string, string>): string[] {
  try {
    loadConfig(pusherEnv(extra));
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe("per-app Pusher options in the configuration", () => {
  it("reads SWITCHBOARD_PUSHER_APP_OPTIONS for env apps", () => {
    const c = loadConfig(
      pusherEnv({
        SWITCHBOARD_PUSHER_APP_OPTIONS: JSON.stringify({
          [APP.id]: {
            webhookEvents: ["member_added", "member_removed"],
            clientEventsPerSecond: 3,
            authEndpoint: "/broadcasting/auth",
          },
        }),
      }),
    );
    const pusher = c.moduleSettings.pusher as PusherSettings;
    expect(pusher.appOptions).toEqual({
      [APP.id]: {
        webhookEvents: ["member_added", "member_removed"],
        clientEventsPerSecond: 3,
        authEndpoint: "/broadcasting/auth",
      },
    });
  });

  it("refuses bad per-app options with the variable named", () => {
    const bad = [
      "not json",
      JSON.stringify({ nobody: { clientEventsPerSecond: 3 } }), // not an env app
      JSON.stringify({ [APP.id]: { webhookEvents: ["channel_opened"] } }),
      JSON.stringify({ [APP.id]: { webhookEvents: [] } }),
      JSON.stringify({ [APP.id]: { webhookEvents: ["cache_miss", "cache_miss"] } }),
      JSON.stringify({ [APP.id]: { clientEventsPerSecond: 0 } }),
      JSON.stringify({ [APP.id]: { clientEventsPerSecond: 2.5 } }),
      JSON.stringify({ [APP.id]: { clientEventsPerSecond: "10" } }),
      JSON.stringify({ [APP.id]: { rate: 10 } }), // unknown option: a typo is not ignored
      JSON.stringify({ [APP.id]: { webhookUrls: ["ftp://example.com"] } }),
      JSON.stringify({ [APP.id]: { authEndpoint: "" } }),
      JSON.stringify({ [APP.id]: { jwtAuth: "yes" } }),
      JSON.stringify([APP.id]),
    ];
    for (const value of bad) {
      const found = problems({ SWITCHBOARD_PUSHER_APP_OPTIONS: value });
      expect(found.join("\n"), value).toMatch(/SWITCHBOARD_PUSHER_APP_OPTIONS/);
    }
    expect(problems({ SWITCHBOARD_PUSHER_WEBHOOK_EVENTS: "channel_occupied,nope" })).toHaveLength(
      1,
    );
  });
});

/**
 * Each app's webhook event list and client-event rate hold for that app only: one env app takes
 * them from SWITCHBOARD_PUSHER_APP_OPTIONS, the other from the server's defaults until REST
 * changes them (in force at once, also for an open socket). A loopback receiver checks every
 * request with the `pusher` SDK's webhook helper.
 */
describe("per-app webhook events and client-event rates", () => {
  let server: TestServer;
  let receiver: Server;
  let admin: string;
  const got: { key: string; events: WebhookEvent[] }[] = [];
  const raws: RawPusher[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let rawBody = "";
      req.on("data", (c: Buffer) => {
        rawBody += c.toString();
      });
      req.on("end", () => {
        const key = String(req.headers["x-pusher-key"]);
        const app = key === APP.key ? APP : OTHER_APP;
        const hook = sdk(server, app).webhook({
          headers: req.headers as Record<string, string>,
          rawBody,
        });
        res.statusCode = hook.isValid() ? 200 : 401;
        if (hook.isValid())
          got.push({ key, events: webhookBodySchema.shape.events.parse(hook.getEvents()) });
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    const { port } = receiver.address() as AddressInfo;
    server = await startPusherServer({
      extraEnv: {
        SWITCHBOARD_PUSHER_WEBHOOK_URLS: `http://127.0.0.1:${port}/hook`,
        SWITCHBOARD_PUSHER_CLIENT_EVENTS_PER_SECOND: "10",
        SWITCHBOARD_PUSHER_APP_OPTIONS: JSON.stringify({
          [APP.id]: { webhookEvents: ["channel_occupied"], clientEventsPerSecond: 2 },
        }),
      },
    });
    admin = await server.token({ sub: "root", role: "admin" });
  }, 120_000);

  afterAll(async () => {
    for (const r of raws) r.close();
    await server?.close();
    receiver?.closeAllConnections();
    receiver?.close();
  }, 60_000);

  const open = async (app: typeof APP) => {
    const raw = await RawPusher.open(server, `/app/${app.key}?protocol=7`);
    raws.push(raw);
    return { raw, socketId: await raw.socketId() };
  };
  /** Occupies and vacates a public channel of `app`. */
  const visit = async (app: typeof APP, channel: string) => {
    const { raw } = await open(app);
    raw.send({ event: "pusher:subscribe", data: { channel } });
    await raw.next((f) => f.event === "pusher_internal:subscription_succeeded");
    raw.send({ event: "pusher:unsubscribe", data: { channel } });
  };
  const eventsOf = (app: typeof APP, channel: string) =>
    got
      .filter((g) => g.key === app.key)
      .flatMap((g) => g.events)
      .filter((e) => e.channel === channel)
      .map((e) => e.name);

  it("sends each app only the webhook events in its own list", async () => {
    const apps = (await restCall(server, "GET", "/api/pusher/apps")).body.apps as PusherAppView[];
    expect(apps.find((a) => a.id === APP.id)).toMatchObject({
      webhookEvents: ["channel_occupied"],
      clientEventsPerSecond: 2,
    });
    expect(apps.find((a) => a.id === OTHER_APP.id)?.webhookEvents).toHaveLength(6);

    await visit(APP, "limited");
    await visit(OTHER_APP, "limited");
    await until(() => eventsOf(OTHER_APP, "limited").includes("channel_vacated"));
    await until(() => eventsOf(APP, "limited").includes("channel_occupied"));
    await new Promise((r) => setTimeout(r, 1500)); // app1's vacated would have come with app2's
    expect(eventsOf(APP, "limited")).toEqual(["channel_occupied"]);
    expect(eventsOf(OTHER_APP, "limited")).toEqual(["channel_occupied", "channel_vacated"]);

    const changed = await restCall(server, "PATCH", `/api/pusher/apps/${OTHER_APP.id}`, {
      token: admin,
      body: { webhookEvents: ["channel_vacated"] },
    });
    expect(changed.status).toBe(200);
    await visit(OTHER_APP, "changed");
    await until(() => eventsOf(OTHER_APP, "changed").includes("channel_vacated"));
    expect(eventsOf(OTHER_APP, "changed")).toEqual(["channel_vacated"]);

    for (const body of [
      { webhookEvents: ["nope"] },
      { webhookEvents: [] },
      { webhookEvents: "channel_vacated" },
      { clientEventsPerSecond: 0 },
      { clientEventsPerSecond: 1001 },
      { clientEventsPerSecond: 1.5 },
    ]) {
      const r = await restCall(server, "PATCH", `/api/pusher/apps/${OTHER_APP.id}`, {
        token: admin,
        body,
      });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.code).toBe("bad_request");
    }
    // null: back to the server's list
    const reset = await restCall(server, "PATCH", `/api/pusher/apps/${OTHER_APP.id}`, {
      token: admin,
      body: { webhookEvents: null },
    });
    expect((reset.body as PusherAppView).webhookEvents).toHaveLength(6);
  });

  it("rate-limits client events per socket at the app's own rate", async () => {
    /** Sends `n` client events at once on a private channel; the 4301 errors it got. */
    const burst = async (raw: RawPusher, channel: string, n: number) => {
      const from = raw.frames.length;
      for (let i = 0; i < n; i++)
        raw.send({ event: "client-typing", channel, data: JSON.stringify({ i }) });
      // a ping after them: its pong says every event before it was handled
      raw.send({ event: "pusher:ping", data: {} });
      await raw.next((f) => f.event === "pusher:pong", from);
      return raw.frames
        .slice(from)
        .filter((f) => f.event === "pusher:error" && (f.data as { code: number }).code === 4301)
        .length;
    };
    const privateSocket = async (app: typeof APP) => {
      const { raw, socketId } = await open(app);
      const channel = "private-rate";
      const { auth } = sdk(server, app).authorizeChannel(socketId, channel);
      raw.send({ event: "pusher:subscribe", data: { channel, auth } });
      await raw.next((f) => f.event === "pusher_internal:subscription_succeeded");
      return raw;
    };
    const slow = await privateSocket(APP); // 2 per second
    const fast = await privateSocket(OTHER_APP); // the server's 10
    expect(await burst(slow, "private-rate", 5)).toBeGreaterThanOrEqual(2);
    expect(await burst(fast, "private-rate", 5)).toBe(0);

    // a lower rate holds for the open socket at once
    const changed = await restCall(server, "PATCH", `/api/pusher/apps/${OTHER_APP.id}`, {
      token: admin,
      body: { clientEventsPerSecond: 1 },
    });
    expect(changed.status).toBe(200);
    expect(await burst(fast, "private-rate", 5)).toBeGreaterThanOrEqual(3);
  });
});

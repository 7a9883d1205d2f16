import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ulid } from "ulid";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, createApp } from "../../app.js";
import { defaultConfig } from "../../config.js";
import { dropPrefix, REDIS_URL, redisAvailable } from "../../test-support/services.js";
import type { TestServer } from "../../testing.js";
import {
  client,
  nextEvent,
  type Pusher,
  pusherEnv,
  sdk,
  startAuthEndpoint,
  subscribed,
  until,
} from "./test-kit.js";

const up = await redisAvailable();

/**
 * Two nodes in one process on one Redis (the broker a cluster runs on): Pusher clients on
 * different nodes share channels, presence and client events; the HTTP API on either node sees
 * the whole cluster.
 */
describe.runIf(up)("Pusher clients on two nodes of a Redis cluster", () => {
  const prefix = `sbtest:${ulid()}:`;
  const dataDir = mkdtempSync(join(tmpdir(), "switchboard-pusher-cluster-"));
  const apps: App[] = [];
  const nodes: TestServer[] = [];
  const pushers: Pusher[] = [];
  let auth: Awaited<ReturnType<typeof startAuthEndpoint>>;

  beforeAll(async () => {
    for (let i = 0; i < 2; i++) {
      const config = defaultConfig(
        {
          port: 0,
          host: "127.0.0.1",
          logLevel: "silent",
          dataDir,
          jwtSecret: "cluster-secret-0123456789abcdef0123456789",
          redisUrl: REDIS_URL,
          redisPrefix: prefix,
          drainTimeoutMs: 2000,
        },
        { env: pusherEnv() },
      );
      const app = await createApp(config);
      const { port, url } = await app.listen();
      apps.push(app);
      // What the kit's helpers read of a server: its port and URL.
      nodes.push({ port, url } as TestServer);
    }
    auth = await startAuthEndpoint(sdk(nodes[0] as TestServer));
  }, 120_000);

  afterAll(async () => {
    for (const p of pushers) p.disconnect();
    await auth?.close();
    for (const app of apps) await app.close();
    await dropPrefix(prefix);
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  const connect = (node: number, user: string) => {
    const p = client(nodes[node] as TestServer, { authUrl: auth.url, user });
    pushers.push(p);
    return p;
  };

  it("shares presence, triggers and client events across nodes", async () => {
    const ann = connect(0, "ann");
    await subscribed(ann, "presence-floor");
    const added = nextEvent<{ id: string }>(ann, "presence-floor", "pusher:member_added");
    const bo = connect(1, "bo");
    const members = await subscribed<{ count: number }>(bo, "presence-floor");
    expect(members.count).toBe(2);
    expect((await added).id).toBe("bo");

    const onBo = nextEvent(bo, "presence-floor", "shift");
    await sdk(nodes[0] as TestServer).trigger("presence-floor", "shift", { starts: "9:00" });
    expect(await onBo).toEqual({ starts: "9:00" });

    const whisper = nextEvent(ann, "presence-floor", "client-hello");
    bo.channel("presence-floor").trigger("client-hello", { from: "bo" });
    expect(await whisper).toEqual({ from: "bo" });

    const info = await (
      await sdk(nodes[1] as TestServer).get({
        path: "/channels/presence-floor",
        params: { info: "user_count,subscription_count" },
      })
    ).json();
    expect(info).toEqual({ occupied: true, user_count: 2, subscription_count: 2 });

    const removed = nextEvent<{ id: string }>(ann, "presence-floor", "pusher:member_removed");
    bo.disconnect();
    expect((await removed).id).toBe("bo");
    await until(async () => {
      const r = await sdk(nodes[1] as TestServer).get({ path: "/channels/presence-floor/users" });
      const body = (await r.json()) as { users: { id: string }[] };
      return body.users.length === 1;
    });
  });
});

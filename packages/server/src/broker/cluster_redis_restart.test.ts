import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintToken } from "../auth/tokens.js";
import { type ServerProcess, startServerProcess } from "../test-support/process.js";
import { PrivateRedis } from "../test-support/redis-server.js";
import { redisAvailable } from "../test-support/services.js";
import { closeAll, RawClient } from "../test-support/ws-client.js";

const up = await redisAvailable(); // the redis-server binary comes with the service

describe.runIf(up)("Redis restarted under a running cluster", () => {
  const secret = randomBytes(32).toString("hex");
  const apiKey = `sb_${randomBytes(16).toString("hex")}`;
  const dataDir = mkdtempSync(join(tmpdir(), "switchboard-redis-restart-"));
  let redis: PrivateRedis;
  const nodes: ServerProcess[] = [];
  const clients: RawClient[] = [];

  const publish = (node: ServerProcess, data: unknown) =>
    fetch(`${node.url}/api/publish`, {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ channel: "product:restart", event: "n", data }),
    });
  const ready = async (node: ServerProcess) => (await fetch(`${node.url}/ready`)).status;
  async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error("condition not met in time");
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    const env = {
      REDIS_URL: redis.url,
      SWITCHBOARD_JWT_SECRET: secret,
      SWITCHBOARD_API_KEY: apiKey,
      SWITCHBOARD_DATA_DIR: dataDir,
    };
    nodes.push(...(await Promise.all([startServerProcess(env), startServerProcess(env)])));
  }, 180_000);

  afterAll(async () => {
    closeAll(clients);
    for (const n of nodes) n.kill();
    await Promise.all(nodes.map((n) => n.exited));
    await redis?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("fails publishes loudly while Redis is down, reports not ready, and tells subscribers of the gap", async () => {
    const [a, b] = nodes as [ServerProcess, ServerProcess];
    const reader = await RawClient.connect(
      `${a.url.replace("http", "ws")}/ws`,
      await mintToken(secret, { sub: "reader" }),
    );
    clients.push(reader);
    const sub = await reader.subscribe("product:restart");
    expect((await publish(b, "before")).status).toBe(201);
    expect(await reader.next((f) => f.type === "message")).toMatchObject({
      data: "before",
      offset: 1,
    });

    await redis.crash();
    // the outage: publishes error (never vanish), readiness drops, the socket stays up
    await until(async () => (await ready(a)) === 503, 10_000);
    const during = await publish(b, "during");
    expect(during.status).toBe(503);
    expect(await during.json()).toMatchObject({ code: "unavailable" });
    expect(reader.socket.readyState).toBe(reader.socket.OPEN);

    await redis.up();
    await until(async () => (await ready(a)) === 200 && (await ready(b)) === 200, 15_000);
    // Redis came back empty: the stream has a new epoch. The subscriber is told, not left with a silent gap.
    const notice = await reader.next((f) => f.type === "unsubscribed", 10_000);
    expect(notice).toMatchObject({ channel: "product:restart", code: "resubscribe" });
    const again = await reader.subscribe("product:restart", {
      recover: { epoch: sub.epoch, offset: 1 },
    });
    expect(again.recovered).toBe(false);
    expect(again.epoch).not.toBe(sub.epoch);
    expect((await publish(b, "after")).status).toBe(201);
    // Reads do not create streams: `again` was given offset 0 under an epoch of the moment, and
    // the first publish starts the stream (offset 1 follows offset 0 whatever the epoch).
    expect(again.offset).toBe(0);
    expect(await reader.next((f) => f.type === "message" && f.data === "after")).toMatchObject({
      offset: 1,
    });
  }, 60_000);
});

import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintToken } from "../auth/tokens.js";
import { startServerProcess } from "../test-support/process.js";
import { PrivateRedis } from "../test-support/redis-server.js";
import { dropPrefix, REDIS_URL, redisAvailable } from "../test-support/services.js";
import { closeAll, RawClient } from "../test-support/ws-client.js";
import { ShardedBroker } from "./sharded.js";

const up = await redisAvailable();

describe.runIf(up)("two server processes on two Redis shards (REDIS_URL lists both)", () => {
  let second: PrivateRedis;
  beforeAll(async () => {
    second = await PrivateRedis.start();
  }, 30_000);
  afterAll(async () => {
    await second?.stop();
  });

  it("delivers across nodes in order and recovers, for channels on either shard", async () => {
    const secret = randomBytes(32).toString("hex");
    const prefix = `sbtest:${randomBytes(6).toString("hex")}:`;
    const dataDir = mkdtempSync(join(tmpdir(), "switchboard-shards-"));
    const env = {
      REDIS_URL: `${REDIS_URL},${second.url}`,
      SWITCHBOARD_REDIS_PREFIX: prefix,
      SWITCHBOARD_JWT_SECRET: secret,
      SWITCHBOARD_DATA_DIR: dataDir,
      SWITCHBOARD_MODULES: "none",
    };
    const nodes = await Promise.all([startServerProcess(env), startServerProcess(env)]);
    const sockets: RawClient[] = [];
    try {
      const wsUrl = (url: string) => `${url.replace("http", "ws")}/ws`;
      const token = (sub: string) => mintToken(secret, { sub, role: "agent" });
      const [a, b] = nodes.map((n) => n.url) as [string, string];
      const ann = await RawClient.connect(wsUrl(a), await token("ann"));
      const bo = await RawClient.connect(wsUrl(b), await token("bo"));
      sockets.push(ann, bo);
      // Channels that land on each shard (the same hash every node computes).
      const shards = await ShardedBroker.connect([REDIS_URL, second.url], { prefix: "unused:" });
      const names = Array.from({ length: 40 }, (_, i) => `staff:s${i}`);
      const picked = [0, 1].map((k) => names.find((n) => shards.shardIndexOf(n) === k) as string);
      await shards.close();
      for (const channel of picked) {
        await ann.subscribe(channel);
        for (let i = 1; i <= 5; i++) {
          await bo.request({ type: "publish", channel, event: "n", data: i });
        }
        const got = [];
        for (let i = 0; i < 5; i++) {
          got.push(await ann.next((f) => f.type === "message" && f.channel === channel, 20_000));
        }
        expect(got.map((m) => m.data)).toEqual([1, 2, 3, 4, 5]);
        // A client that reconnects to the other node recovers from the channel's shard (the
        // stream's epoch is the one its messages carry: it began with the first publish).
        const late = await RawClient.connect(wsUrl(b), await token("cy"));
        sockets.push(late);
        const recovered = await late.subscribe(channel, {
          recover: { epoch: got[1]?.epoch, offset: 2 },
        });
        expect(recovered).toMatchObject({ recovered: true, offset: 5 });
      }
      // Both Redis servers hold streams of this run: the nodes did shard.
      for (const url of [REDIS_URL, second.url]) {
        const r = new Redis(url);
        const keys = await r.keys(`${prefix}*`);
        r.disconnect();
        expect(keys.some((k) => k.includes("staff:s"))).toBe(true);
      }
    } finally {
      closeAll(sockets);
      for (const n of nodes) n.kill();
      await Promise.all(nodes.map((n) => n.exited));
      await dropPrefix(prefix);
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});

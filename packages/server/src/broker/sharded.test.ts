import { ulid } from "ulid";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../config.js";
import { PrivateRedis } from "../test-support/redis-server.js";
import { dropPrefix, REDIS_URL, redisAvailable } from "../test-support/services.js";
import { describeBrokerContract } from "./broker.contract.js";
import { ShardedBroker } from "./sharded.js";

const up = await redisAvailable();

describe.runIf(up)("sharded Redis broker (two real Redis servers)", () => {
  let second: PrivateRedis;
  beforeAll(async () => {
    second = await PrivateRedis.start();
  }, 30_000);
  afterAll(async () => {
    await second?.stop();
  });

  describeBrokerContract("redis, 2 shards", async () => {
    const prefix = `sbtest:${ulid()}:`;
    const nodes: ShardedBroker[] = [];
    return {
      node: async () => {
        const node = await ShardedBroker.connect([REDIS_URL, second.url], { prefix });
        nodes.push(node);
        return node;
      },
      close: async () => {
        await Promise.all(nodes.map((n) => n.close()));
        await dropPrefix(prefix);
      },
    };
  });

  it("spreads channels over the shards, each channel's state on its own shard", async () => {
    const prefix = `sbtest:${ulid()}:`;
    const a = await ShardedBroker.connect([REDIS_URL, second.url], { prefix });
    const b = await ShardedBroker.connect([REDIS_URL, second.url], { prefix });
    try {
      const channels = Array.from({ length: 200 }, (_, i) => `product:p${i}`);
      const counts = [0, 0];
      for (const c of channels) counts[a.shardIndexOf(c)] = (counts[a.shardIndexOf(c)] ?? 0) + 1;
      // Both shards take a fair part (FNV-1a over 200 names).
      expect(Math.min(...counts)).toBeGreaterThan(60);
      // Every node maps a channel to the same shard, so a publish on A reaches B's subscriber.
      const got: unknown[] = [];
      b.onEvent((e) => {
        if (e.kind === "publication") got.push(e.publication.data);
      });
      a.onEvent(() => {});
      const history = { size: 10, ttlMs: 60_000 };
      for (const c of channels.slice(0, 20)) await b.subscribe(c);
      for (const [i, c] of channels.slice(0, 20).entries())
        await a.publish(c, { event: "e", data: i, history });
      const deadline = Date.now() + 20_000;
      while (got.length < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect([...got].sort((x, y) => Number(x) - Number(y))).toEqual(
        Array.from({ length: 20 }, (_, i) => i),
      );
      expect(await a.ready()).toBe(true);
    } finally {
      await a.close();
      await b.close();
      await dropPrefix(prefix);
    }
  });

  it("reads a comma-separated REDIS_URL as shards, and refuses a malformed list", () => {
    const c = loadConfig({ REDIS_URL: "redis://127.0.0.1:6379,redis://127.0.0.1:6380" });
    expect(c.redisUrls).toEqual(["redis://127.0.0.1:6379", "redis://127.0.0.1:6380"]);
    expect(c.redisUrl).toBe("redis://127.0.0.1:6379");
    for (const bad of ["redis://a,,redis://b", "redis://a, redis://b", "redis://a,http://b"]) {
      expect(() => loadConfig({ REDIS_URL: bad })).toThrow(/REDIS_URL/);
    }
  });
});

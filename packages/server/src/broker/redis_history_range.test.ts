import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrivateRedis } from "../test-support/redis-server.js";
import { RedisBroker } from "./redis.js";
import type { HistoryOptions } from "./types.js";

/**
 * What history reads cost Redis, measured on a private redis-server (nothing else talks to it):
 * the bytes Redis sends out, from its own counters.
 */
let redis: PrivateRedis;
let broker: RedisBroker;
let probe: Redis;

const HISTORY: HistoryOptions = { size: 1000, ttlMs: 3_600_000 };

async function outputBytes(): Promise<number> {
  const info = await probe.info("stats");
  return Number(/total_net_output_bytes:(\d+)/.exec(info)?.[1]);
}

async function keyCount(): Promise<number> {
  return probe.dbsize();
}

beforeAll(async () => {
  redis = await PrivateRedis.start();
  broker = await RedisBroker.connect({ url: redis.url, prefix: "rt:" });
  probe = new Redis(redis.url);
}, 60_000);

afterAll(async () => {
  probe?.disconnect();
  await broker?.close();
  await redis?.stop();
});

describe("Redis history reads fetch only the range asked for", () => {
  it("moves a small reply's bytes for a small read of a long history, recovery too", async () => {
    const text = "r".repeat(1000);
    for (let i = 1; i <= 1000; i++)
      await broker.publish("big:long", { event: "m", data: { i, text }, history: HISTORY });
    const { epoch } = await broker.position("big:long");

    const before = await outputBytes();
    for (let i = 0; i < 10; i++) {
      const h = await broker.history("big:long", { limit: 1 }, HISTORY);
      expect(h.publications.map((p) => p.offset)).toEqual([1000]);
      const r = await broker.history(
        "big:long",
        { since: { epoch, offset: 995 }, limit: 1000 },
        HISTORY,
      );
      expect(r.publications.map((p) => p.offset)).toEqual([996, 997, 998, 999, 1000]);
      expect(r.complete).toBe(true);
    }
    const moved = (await outputBytes()) - before;
    // 10 × (1 + 5) publications of ~1 KB, plus the replies' framing; reading the whole list
    // (LRANGE 0 -1) moved ~20 MB here.
    expect(moved).toBeLessThan(200 * 1024);
  });

  it("stops at the byte cap inside Redis", async () => {
    const before = await outputBytes();
    const h = await broker.history("big:long", { limit: 1000, maxBytes: 10 * 1024 }, HISTORY);
    expect(h.publications.length).toBeLessThanOrEqual(11);
    expect(h.more).toBe(true);
    expect((await outputBytes()) - before).toBeLessThan(40 * 1024);
  });

  it("creates no key for reads of channels nobody published on", async () => {
    const keys = await keyCount();
    for (let i = 0; i < 50; i++) {
      await broker.position(`big:new-${i}`);
      await broker.history(`big:new-${i}`, { limit: 10 }, HISTORY);
      await broker.history(
        `big:new-${i}`,
        { since: { epoch: "abc", offset: 3 }, limit: 10 },
        HISTORY,
      );
    }
    expect(await keyCount()).toBe(keys);
  });

  it("forgets a stream that keeps no history in minutes, not a day", async () => {
    await broker.publish("big:nohist", { event: "m", data: 1, history: { size: 0, ttlMs: 1000 } });
    const ttl = await probe.pttl("rt:{big:nohist}:meta");
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(5 * 60_000);
  });
});

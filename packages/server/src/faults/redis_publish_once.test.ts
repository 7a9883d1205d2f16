import { ulid } from "ulid";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisBroker } from "../broker/redis.js";
import { until } from "../test-support/faults.js";
import { dropPrefix, REDIS_URL, redisAvailable } from "../test-support/services.js";
import { startTcpProxy, type TcpProxy } from "../test-support/tcp-proxy.js";

const up = await redisAvailable();
const HISTORY = { size: 100, ttlMs: 60_000 };

/**
 * Redis ran the publish, its reply was lost, the link was cut: ioredis used to send the
 * unanswered command again on the new link, and the publication was stored (and delivered)
 * twice under two offsets. Now the caller gets `unavailable` and decides (with a key, a retry
 * is harmless).
 */
describe.runIf(up)("a publish whose reply is lost in a Redis blip", () => {
  const prefix = `sbfault:${ulid()}:`;
  let proxy: TcpProxy;
  let node: RedisBroker;
  let observer: RedisBroker;

  beforeAll(async () => {
    proxy = await startTcpProxy({ port: Number(new URL(REDIS_URL).port || 6379) });
    node = await RedisBroker.connect({ url: proxy.via(REDIS_URL), prefix });
    observer = await RedisBroker.connect({ url: REDIS_URL, prefix });
  });
  afterAll(async () => {
    await node?.close();
    await observer?.close();
    await proxy?.close();
    await dropPrefix(prefix);
  });

  it("is stored once, and the caller hears that it may not have gone through", async () => {
    const channel = "product:blip";
    await node.publish(channel, { event: "n", data: "before", history: HISTORY });
    proxy.swallowReplies(true);
    const outcome = node.publish(channel, { event: "n", data: "blip", history: HISTORY }).then(
      (r) => ({ ok: true as const, offset: r.offset }),
      (e: { code?: string }) => ({ ok: false as const, code: e.code }),
    );
    await new Promise((r) => setTimeout(r, 150)); // Redis has run it; the reply is gone
    proxy.cut();
    proxy.swallowReplies(false);
    expect(await outcome).toEqual({ ok: false, code: "unavailable" });
    await until(() => node.ready(), 10_000, "the node reconnected");
    await node.publish(channel, { event: "n", data: "after", history: HISTORY });
    const h = await observer.history(channel, { limit: 100 }, HISTORY);
    expect(h.publications.map((p) => p.data)).toEqual(["before", "blip", "after"]);
    expect(h.publications.map((p) => p.offset)).toEqual([1, 2, 3]);
  });
});

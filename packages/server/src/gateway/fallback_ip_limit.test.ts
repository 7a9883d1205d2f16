import { afterEach, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../testing.js";
import { IpBuckets } from "./ip_buckets.js";

const servers: TestServer[] = [];

afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

const send = (base: string, body: string) =>
  fetch(`${base}/ws/send`, { method: "POST", headers: { "content-type": "text/plain" }, body });

describe("per-address limit on the HTTP fallback's endpoints", () => {
  it("answers 429 rate_limited with Retry-After past the burst, for concurrent requests too", async () => {
    const node = await startTestServer({
      // A refill so slow (one token per 1,000 s) that a busy machine's slow requests cannot
      // earn one back during the test.
      config: { transports: { ipRate: { perSecond: 0.001, burst: 10 } } },
    });
    servers.push(node);
    // 30 POSTs at once (bogus heads: they are counted before they are read).
    const results = await Promise.all(
      Array.from({ length: 30 }, () => send(node.url, "not a head")),
    );
    const limited = results.filter((r) => r.status === 429);
    const passed = results.filter((r) => r.status === 400);
    expect(passed.length).toBe(10);
    expect(limited.length).toBe(20);
    const first = limited[0] as Response;
    expect(Number(first.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await first.json()).toMatchObject({ code: "rate_limited" });
    // Opening streams and polls count against the same bucket.
    expect((await fetch(`${node.url}/ws/stream`)).status).toBe(429);
    const poll = await fetch(`${node.url}/ws/poll`, { method: "POST", body: "{}" });
    expect(poll.status).toBe(429);
    for (const r of results) if (!r.bodyUsed) await r.body?.cancel();
  });

  it("is off with a rate of 0", async () => {
    const node = await startTestServer({
      config: { transports: { ipRate: { perSecond: 0, burst: 1 } } },
    });
    servers.push(node);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => send(node.url, "not a head")),
    );
    expect(results.every((r) => r.status === 400)).toBe(true);
  });

  it("refills at the rate, counts addresses apart, and forgets full buckets", () => {
    const buckets = new IpBuckets({ perSecond: 10, burst: 2 });
    const t = 1_000_000;
    expect(buckets.take("a", t)).toBe(0);
    expect(buckets.take("a", t)).toBe(0);
    expect(buckets.take("a", t)).toBe(100);
    expect(buckets.take("b", t)).toBe(0);
    expect(buckets.take("a", t + 100)).toBe(0);
    expect(buckets.size).toBe(2);
    // Later, both buckets are full again: the sweep forgets them.
    expect(buckets.take("c", t + 5000)).toBe(0);
    expect(buckets.size).toBe(1);
  });
});

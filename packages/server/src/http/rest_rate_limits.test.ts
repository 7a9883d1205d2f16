import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { dropPrefix, REDIS_URL, redisAvailable } from "../test-support/services.js";
import { startTestServer, type TestServer } from "../testing.js";

const servers: TestServer[] = [];
const prefixes: string[] = [];
afterEach(async () => {
  for (const s of servers.splice(0).reverse()) await s.close();
  for (const p of prefixes.splice(0)) await dropPrefix(p);
});

const LIMIT = 20;

async function start(config: Parameters<typeof startTestServer>[0] = {}) {
  const server = await startTestServer({
    ...config,
    config: { http: { rateLimit: LIMIT, rateWindowMs: 60_000 }, ...config.config },
  });
  servers.push(server);
  return server;
}

async function get(url: string, token?: string) {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  return { status: res.status, retryAfter: res.headers.get("retry-after"), body: text };
}

async function burst(url: string, count: number, token?: string) {
  const results = await Promise.all(Array.from({ length: count }, () => get(url, token)));
  return {
    ok: results.filter((r) => r.status === 200).length,
    limited: results.filter((r) => r.status === 429),
  };
}

describe("REST rate limits", () => {
  it("stops an anonymous flood with 429 rate_limited and Retry-After, counting each caller apart", async () => {
    const server = await start();
    const catalog = `${server.url}/api/inventory/catalog`;
    const anonymous = await burst(catalog, LIMIT + 15);
    expect(anonymous.ok).toBe(LIMIT);
    expect(anonymous.limited).toHaveLength(15);
    const refused = anonymous.limited[0];
    expect(JSON.parse(refused?.body ?? "{}")).toMatchObject({
      code: "rate_limited",
      retryAfterMs: expect.any(Number),
    });
    expect(Number(refused?.retryAfter)).toBeGreaterThan(0);

    // On routes that take credentials, a user is counted as themself, not as the address the
    // flood came from.
    const mine = `${server.url}/api/chat/conversations`;
    const alice = await server.token({ sub: "alice" });
    expect((await burst(mine, LIMIT, alice)).ok).toBe(LIMIT);
    expect((await get(mine, alice)).status).toBe(429);
    const bob = await server.token({ sub: "bob" });
    expect((await get(mine, bob)).status).toBe(200);

    // The operator's backend (API key) is not limited; health checks never are.
    expect((await burst(catalog, LIMIT * 2, server.apiKey)).ok).toBe(LIMIT * 2);
    expect((await burst(`${server.url}/health`, LIMIT * 2)).ok).toBe(LIMIT * 2);
  });

  it("holds across nodes when the counters are in Redis", async () => {
    if (!(await redisAvailable())) return;
    const prefix = `sbtest-rl-${randomBytes(4).toString("hex")}:`;
    prefixes.push(prefix);
    const config = { redisUrl: REDIS_URL, redisPrefix: prefix };
    const a = await start({ config });
    const b = await start({ config, shareWith: a });
    const carol = await a.token({ sub: "carol" });
    expect((await burst(`${a.url}/api/chat/conversations`, 15, carol)).ok).toBe(15);
    const onB = await burst(`${b.url}/api/chat/conversations`, 15, carol);
    expect(onB.ok).toBe(LIMIT - 15);
    expect(onB.limited).toHaveLength(15 - (LIMIT - 15));
  });

  it("can be turned off", async () => {
    const server = await start({ config: { http: { rateLimit: 0 } } });
    expect((await burst(`${server.url}/api/inventory/catalog`, LIMIT * 2)).ok).toBe(LIMIT * 2);
  });
});

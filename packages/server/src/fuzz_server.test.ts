import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RawClient } from "./test-support/ws-client.js";
import { startTestServer, type TestServer } from "./testing.js";

/**
 * Random requests through a running server: REST routes with random bodies and queries, and
 * random frames over one socket. Nothing may crash it or answer 5xx / `internal`.
 */
let server: TestServer;
let token: string;

beforeAll(async () => {
  server = await startTestServer({
    config: {
      http: { rateLimit: 10_000_000 },
      limits: {
        ratePerSecond: 1_000_000,
        rateBurst: 1_000_000,
        maxNewChannelsPerMinute: 1_000_000,
      },
    },
  });
  token = await server.token({ sub: "fuzzer", role: "agent" });
}, 60_000);
afterAll(async () => {
  await server?.close();
});

const value = fc.oneof(
  fc.json({ maxDepth: 4 }).map((s) => JSON.parse(s) as unknown),
  fc.integer({ min: 60, max: 400 }).map((n) => JSON.parse(`${"[".repeat(n)}${"]".repeat(n)}`)),
  fc.string({ maxLength: 3000 }),
);
const segment = fc.oneof(
  fc.constantFrom("1", "x", "%00", "..", "product:1", "01ABC", "-1", "9999999999999999"),
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
);
const PATHS = [
  "/api/publish",
  "/api/channels/{s}/history",
  "/api/channels/{s}/presence",
  "/api/inventory/items/{s}",
  "/api/inventory/reservations",
  "/api/inventory/reservations/{s}/release",
  "/api/orders",
  "/api/orders/{s}",
  "/api/orders/{s}/transitions",
  "/api/chat/conversations",
  "/api/chat/conversations/{s}/messages",
  "/api/chat/agents/me",
];

describe("fuzzing a running server (fast-check)", () => {
  it("answers 1,200 random REST requests without a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("GET", "POST", "PUT", "DELETE"),
        fc.constantFrom(...PATHS),
        segment,
        fc.option(value),
        fc.string({ maxLength: 20 }).map(encodeURIComponent),
        fc.boolean(),
        async (method, path, s, body, query, authed) => {
          const res = await fetch(
            `${server.url}${path.replace("{s}", s)}?q=${query}&limit=${query}`,
            {
              method,
              headers: {
                ...(authed && { authorization: `Bearer ${token}` }),
                ...(body !== null && method !== "GET" && { "content-type": "application/json" }),
              },
              ...(body !== null && method !== "GET" && { body: JSON.stringify(body) ?? "null" }),
            },
          );
          await res.arrayBuffer();
          expect(res.status).toBeLessThan(500);
        },
      ),
      { numRuns: 1200 },
    );
  }, 600_000);

  it("answers 1,200 random frames on one socket without `internal` or a crash", async () => {
    const c = await RawClient.connect(server.wsUrl, token);
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(
            "subscribe",
            "unsubscribe",
            "publish",
            "signal",
            "presence",
            "history",
            "rpc",
            "refresh",
          ),
          fc.oneof(
            fc.constantFrom("product:1", "staff:f", "user:fuzzer", "conversation:x"),
            fc.string({ maxLength: 30 }),
          ),
          value,
          fc.string({ maxLength: 40 }),
          async (type, channel, data, word) => {
            const reply = await c.request(
              {
                type,
                channel,
                data,
                params: data,
                event: word || "e",
                method: word || "m",
                token: word || "t",
                limit: 5,
              },
              20_000,
            );
            expect(reply.code).not.toBe("internal");
          },
        ),
        { numRuns: 1200 },
      );
      expect(c.socket.readyState).toBe(c.socket.OPEN);
      const health = await fetch(`${server.url}/health`);
      expect(health.status).toBe(200);
    } finally {
      c.close();
    }
  }, 600_000);
});

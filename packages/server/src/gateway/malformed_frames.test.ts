import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeAll, RawClient } from "../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../testing.js";

let server: TestServer;
const clients: RawClient[] = [];

beforeAll(async () => {
  server = await startTestServer({
    config: { limits: { ratePerSecond: 1_000_000, rateBurst: 1_000_000 } },
  });
});
afterAll(async () => {
  closeAll(clients);
  await server.close();
});

async function connected(sub: string, role: "customer" | "agent" = "agent"): Promise<RawClient> {
  const c = await RawClient.connect(server.wsUrl, await server.token({ sub, role }));
  clients.push(c);
  return c;
}

describe("malformed frames", () => {
  it.each([
    ["not JSON", "{nope", undefined],
    ["an array", "[]", undefined],
    ["a number", "42", undefined],
    ["unknown type", '{"type":"launch","id":7}', 7],
    ["missing fields", '{"type":"publish","id":8}', 8],
    ["wrong field types", '{"type":"subscribe","id":9,"channel":5}', 9],
    [
      "bad recover position",
      '{"type":"subscribe","id":10,"channel":"product:1","recover":{"epoch":"","offset":-1}}',
      10,
    ],
    ["unknown rpc method", '{"type":"rpc","id":11,"method":"nope.nothing","params":{}}', 11],
  ])("answers %s with an error and keeps the connection", async (_name, text, id) => {
    const c = await connected("fuzz");
    c.send(text);
    const error = await c.next((f) => f.type === "error");
    expect(error.id).toBe(id);
    expect(typeof error.code).toBe("string");
    expect(error.message).toBeTruthy();
    expect(JSON.stringify(error)).not.toMatch(/at .*\.ts:\d+/); // no stack traces on the wire
    expect(await c.request({ type: "history", channel: "staff:x", limit: 1 })).toMatchObject({
      type: "history",
    });
  });

  it("answers binary frames with bad_request", async () => {
    const c = await connected("fuzz");
    c.socket.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await c.next((f) => f.type === "error")).toMatchObject({ code: "bad_request" });
  });

  it("survives a fuzzed frame stream while another client keeps receiving", async () => {
    const watcher = await connected("watcher", "customer");
    await watcher.subscribe("product:fuzz");
    const fuzzer = await connected("fuzzer");
    const runs = process.env.CI ? 2000 : 500;
    const frames = fc.sample(
      fc.oneof(
        fc.string({ maxLength: 200 }),
        fc.json({ maxDepth: 3 }),
        fc
          .record({
            type: fc.constantFrom(
              "subscribe",
              "unsubscribe",
              "publish",
              "signal",
              "presence",
              "history",
              "rpc",
              "refresh",
              "connect",
              "pong",
              "x",
            ),
            // Ids below 1,000 stay free for the client's own requests: a fuzzed frame's late error
            // must not be mistaken for the reply the test waits for.
            id: fc.oneof(
              fc.integer({ min: -5, max: 0 }),
              fc.integer({ min: 1000, max: 1e9 }),
              fc.constant("1"),
              fc.constant(null),
            ),
            channel: fc.oneof(
              fc.constantFrom(
                "product:fuzz",
                "staff:fuzz",
                "user:fuzzer",
                "nope:1",
                "",
                "product:",
              ),
              fc.string({ maxLength: 30 }),
            ),
            event: fc.oneof(fc.string({ maxLength: 10 }), fc.integer()),
            data: fc.jsonValue({ maxDepth: 2 }),
            recover: fc.anything({ maxDepth: 1 }),
            since: fc.anything({ maxDepth: 1 }),
            limit: fc.oneof(fc.integer(), fc.double()),
            method: fc.string({ maxLength: 20 }),
            token: fc.string({ maxLength: 20 }),
          })
          .map((o) => JSON.stringify(o)),
      ),
      runs,
    );
    let published = 0;
    for (const [i, text] of frames.entries()) {
      fuzzer.send(text);
      if (i % 50 === 0) {
        await server.publish("product:fuzz", "tick", i);
        published++;
      }
    }
    // the fuzzer's own connection is still served
    expect(
      await fuzzer.request({ type: "history", channel: "staff:x", limit: 1 }, 10_000),
    ).toMatchObject({ type: "history" });
    const got = await watcher.collect(
      (f) => f.type === "message" && f.event === "tick",
      published,
      10_000,
    );
    expect(got.map((f) => f.data)).toEqual(Array.from({ length: published }, (_, k) => k * 50));
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });
});

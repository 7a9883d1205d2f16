import { ulid } from "ulid";
import { afterEach, describe, expect, it } from "vitest";
import { dropPrefix, REDIS_URL, redisAvailable } from "../test-support/services.js";
import { RawClient } from "../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../testing.js";

const up = await redisAvailable();

describe.runIf(up)("lone surrogates in a token on a Redis cluster", () => {
  let server: TestServer | undefined;
  let prefix = "";
  afterEach(async () => {
    await server?.close();
    if (prefix) await dropPrefix(prefix);
  });

  it("cannot leave a viewer counted forever", async () => {
    prefix = `sbtest:${ulid()}:`;
    server = await startTestServer({ redis: { url: REDIS_URL, prefix } });
    const s = server;
    // A lone surrogate in `sub` is refused at connect.
    const bad = await RawClient.open(s.wsUrl);
    const refused = await bad.request({
      type: "connect",
      token: await s.token({ sub: "x\ud800" }),
    });
    expect(refused).toMatchObject({ type: "error", code: "unauthorized" });
    bad.close();

    // In `name` it is repaired: the viewer comes and goes, and the count follows.
    const viewer = await RawClient.connect(s.wsUrl, await s.token({ sub: "v1", name: "A\ud800B" }));
    await viewer.subscribe("product:surrogate");
    const count = () => s.app.broker.presenceCount("product:surrogate");
    expect(await count()).toBe(1);
    const members = await s.app.broker.presence("product:surrogate");
    expect(members[0]?.name).toBe("A\ufffdB");
    viewer.close();
    const deadline = Date.now() + 15_000;
    while ((await count()) !== 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(await count()).toBe(0);
  });
});

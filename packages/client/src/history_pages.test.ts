import { describe, expect, it } from "vitest";
import { setupFixture } from "./test-support/fixture.js";

const fx = setupFixture();

describe("history pages", () => {
  it("follows `more` through a history larger than one reply, both ways", async () => {
    const server = await fx.server({ config: { limits: { maxHistoryReplyBytes: 16 * 1024 } } });
    const text = "h".repeat(900);
    for (let i = 1; i <= 150; i++) await server.publish("staff:pages", "m", { i, text });
    const client = await fx.agent(server, "pager");

    const back: number[] = [];
    let pages = 0;
    for await (const page of client.historyPages("staff:pages", { limit: 1000 })) {
      pages++;
      back.unshift(...page.publications.map((p) => p.offset));
    }
    expect(pages).toBeGreaterThan(5);
    expect(back).toEqual(Array.from({ length: 150 }, (_, i) => i + 1));

    const { epoch } = await client.history("staff:pages", { limit: 1 });
    const forward: number[] = [];
    for await (const page of client.historyPages("staff:pages", {
      since: { epoch, offset: 0 },
      limit: 1000,
    }))
      forward.push(...page.publications.map((p) => p.offset));
    expect(forward).toEqual(back);
  });
});

import { describe, expect, it } from "vitest";
import { describeBrokerContract } from "./broker.contract.js";
import { MemoryHub } from "./memory.js";

describeBrokerContract("memory", async () => {
  const hub = new MemoryHub();
  return {
    node: async () => hub.node(),
    close: async () => {
      for (const node of [...hub.nodes]) await node.close();
      hub.close();
    },
  };
});

describe("memory broker: data known to serialize", () => {
  it("pages history by size the same whether data was measured at publish or on read", async () => {
    const hub = new MemoryHub();
    const history = { size: 100, ttlMs: 60_000 };
    const checked = hub.node();
    const trusted = hub.node();
    try {
      const text = "x".repeat(200);
      for (let i = 0; i < 10; i++) {
        await checked.publish("product:checked", { event: "e", data: { i, text }, history });
        await trusted.publish("product:trusted", {
          event: "e",
          data: { i, text },
          history,
          serializes: true,
        });
      }
      const page = async (channel: string) =>
        (await checked.history(channel, { limit: 100, maxBytes: 1000 }, history)).publications.map(
          (p) => (p.data as { i: number }).i,
        );
      const a = await page("product:checked");
      expect(a.length).toBeGreaterThan(1);
      expect(a.length).toBeLessThan(10);
      expect(await page("product:trusted")).toEqual(a);
      // data that cannot be serialized is still refused when not vouched for
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      await expect(
        checked.publish("product:checked", { event: "e", data: cyclic, history }),
      ).rejects.toThrow();
    } finally {
      await checked.close();
      await trusted.close();
      hub.close();
    }
  });
});

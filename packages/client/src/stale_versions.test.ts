import { describe, expect, it } from "vitest";
import { dropStale } from "./stale.js";
import type { ChannelMessage } from "./subscription_types.js";
import { setupFixture, waitFor } from "./test-support/fixture.js";

const fx = setupFixture();

describe("dropping stale versions (issue 23: events out of order after a partial outage)", () => {
  it("keeps an entity on its newest version when an older one arrives after a newer one", async () => {
    const server = await fx.server();
    const client = await fx.agent(server, "sam");
    const sub = client.subscribe("staff:orders");
    const all: ChannelMessage[] = [];
    const applied: ChannelMessage[] = [];
    sub.on("message", (m) => all.push(m));
    sub.on(
      "message",
      dropStale((m) => applied.push(m)),
    );
    await waitFor(() => sub.status === "subscribed");
    // node B's "packed" v3 went out before node A's leftover "paid" v2; another order is apart;
    // an unversioned message always passes
    await server.publish("staff:orders", "status", { id: "o1", to: "packed", version: 3 });
    await server.publish("staff:orders", "status", { id: "o1", to: "paid", version: 2 });
    await server.publish("staff:orders", "status", { id: "o2", to: "paid", version: 2 });
    await server.publish("staff:orders", "status", { id: "o1", to: "packed", version: 3 });
    await server.publish("staff:orders", "note", { text: "no version" });
    await server.publish("staff:orders", "status", { id: "o1", to: "shipped", version: 4 });
    await waitFor(() => all.length === 6);
    expect(applied.map((m) => m.data)).toEqual([
      { id: "o1", to: "packed", version: 3 },
      { id: "o2", to: "paid", version: 2 },
      { text: "no version" },
      { id: "o1", to: "shipped", version: 4 },
    ]);
  });
});

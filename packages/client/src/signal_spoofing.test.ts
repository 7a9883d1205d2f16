import { describe, expect, it } from "vitest";
import type { ChannelMessage } from "./subscription_types.js";
import { setupFixture, waitFor } from "./test-support/fixture.js";

const fx = setupFixture();

describe("signals cannot pass for state events", () => {
  it("drops events without an offset that the channel does not carry as signals", async () => {
    const server = await fx.server();
    // staff:* lets any staff member signal any event: the client must not trust the name.
    const reader = await fx.agent(server, "reader");
    const spoofer = await fx.agent(server, "spoofer");
    const got: ChannelMessage[] = [];
    const sub = reader.subscribe("staff:room", { signals: ["typing"] });
    sub.on("message", (m) => got.push(m));
    await waitFor(() => sub.status === "subscribed");

    await spoofer.signal("staff:room", "message", { text: "I am a real message" });
    await spoofer.signal("staff:room", "read", { upTo: 99 });
    await spoofer.signal("staff:room", "typing", { typing: true });
    await server.publish("staff:room", "message", { text: "real" });
    await waitFor(() => got.some((m) => m.offset !== undefined));
    expect(got.map((m) => [m.event, m.offset])).toEqual([
      ["typing", undefined],
      ["message", 1],
    ]);

    // Without the option every signal is delivered, as before.
    const open: ChannelMessage[] = [];
    const other = await fx.agent(server, "other");
    const all = other.subscribe("staff:room");
    all.on("message", (m) => open.push(m));
    await waitFor(() => all.status === "subscribed");
    await spoofer.signal("staff:room", "custom", {});
    await waitFor(() => open.length === 1);
    expect(open[0]?.event).toBe("custom");
  });
});

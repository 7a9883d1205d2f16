import { describe, expect, it } from "vitest";
import { nextEvent, setupFixture, waitFor } from "./test-support/fixture.js";

const fx = setupFixture();

/** Whether the server still counts `channel` as subscribed on this node. */
function serverHas(
  server: { app: { gateway: { channelStats(): { channel: string }[] } } },
  channel: string,
) {
  return server.app.gateway.channelStats().some((c) => c.channel === channel);
}

describe("shared, ref-counted subscriptions", () => {
  it("returns the same subscription per channel and keeps it until the last holder releases it", async () => {
    const server = await fx.server();
    const client = await fx.agent(server, "alice");
    const a = client.subscribe("staff:floor");
    const b = client.subscribe("staff:floor");
    expect(b).toBe(a);
    await waitFor(() => a.status === "subscribed");

    a.unsubscribe();
    expect(a.status).toBe("subscribed");
    const stillLive = nextEvent(b, "message");
    await server.publish("staff:floor", "after-first-release", 1);
    expect(await stillLive).toMatchObject({ event: "after-first-release" });

    const ended = nextEvent(b, "unsubscribed");
    b.unsubscribe();
    expect(await ended).toEqual({ code: "client", reason: "unsubscribed" });
    expect(client.getSubscription("staff:floor")).toBeUndefined();
    await waitFor(() => !serverHas(server, "staff:floor"), { message: "server-side unsubscribe" });
  });

  it("subscribe/unsubscribe/subscribe in one tick (React StrictMode) ends subscribed once", async () => {
    const server = await fx.server();
    const client = await fx.agent(server, "alice");
    const first = client.subscribe("staff:floor");
    first.unsubscribe();
    const second = client.subscribe("staff:floor");
    expect(second).not.toBe(first);
    await waitFor(() => second.status === "subscribed");
    const got = nextEvent(second, "message");
    await server.publish("staff:floor", "hello", 1);
    expect(await got).toMatchObject({ event: "hello", offset: 1 });
    expect(first.status).toBe("unsubscribed");
  });

  it("a subscription released while its subscribe is in flight does not linger on the server", async () => {
    const server = await fx.server();
    const client = await fx.agent(server, "alice");
    const sub = client.subscribe("staff:floor");
    sub.unsubscribe();
    await new Promise((r) => setTimeout(r, 200));
    expect(serverHas(server, "staff:floor")).toBe(false);
  });

  it("stops for good when the server revokes the permission", async () => {
    const server = await fx.server();
    let role: "agent" | "customer" = "agent";
    const client = fx.client({
      url: server.wsUrl,
      refreshBeforeMs: 0,
      // exp within the server's 30 s window makes it ask for a refresh right away.
      token: () => server.token({ sub: "alice", role }, { expiresInSeconds: 25 }),
    });
    client.connect();
    const sub = client.subscribe("staff:floor");
    await waitFor(() => sub.status === "subscribed");
    role = "customer";
    const ended = await nextEvent(sub, "unsubscribed", () => true, 5000);
    expect(ended.code).toBe("revoked");
    expect(sub.status).toBe("unsubscribed");
    expect(client.getSubscription("staff:floor")).toBeUndefined();
    expect(client.state).toBe("connected");
  });
});

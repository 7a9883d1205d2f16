import { describe, expect, it } from "vitest";
import type { LogEntry } from "./debug_log.js";
import type { SwitchboardError } from "./errors.js";
import { setupFixture, waitFor } from "./test-support/fixture.js";

const fx = setupFixture();

/** The frames in and out, in the order the client saw them, as `out:connect`, `in:connected`… */
function wire(entries: LogEntry[]): string[] {
  return entries
    .filter((e) => e.kind === "in" || e.kind === "out")
    .map((e) => `${e.kind}:${(e.data?.frame as { type?: string } | undefined)?.type}`)
    .filter((f) => f !== "in:ping" && f !== "out:pong");
}

describe("subscribes go right behind connect", () => {
  it("writes the subscribes held before connecting behind connect, not after its reply", async () => {
    const server = await fx.server();
    const entries: LogEntry[] = [];
    const client = fx.client({
      url: server.wsUrl,
      token: await server.token({ sub: "alice", role: "agent" }),
      logger: (e) => entries.push(e),
    });
    const floor = client.subscribe("staff:floor");
    const orders = client.subscribe("staff:orders");
    client.connect();
    await waitFor(() => floor.status === "subscribed" && orders.status === "subscribed");
    expect(wire(entries).slice(0, 6)).toEqual([
      "out:connect",
      "out:subscribe",
      "out:subscribe",
      "in:connected",
      "in:subscribed",
      "in:subscribed",
    ]);
    // and they work: a publication reaches both
    const got: string[] = [];
    floor.on("message", (m) => got.push(m.channel));
    orders.on("message", (m) => got.push(m.channel));
    await server.publish("staff:floor", "tick", {});
    await server.publish("staff:orders", "tick", {});
    await waitFor(() => got.length === 2);
  });

  it("resubscribes behind connect after a restart, once per channel, and recovers", async () => {
    const server = await fx.server();
    const entries: LogEntry[] = [];
    const client = fx.client({
      url: server.wsUrl,
      // while the server is down the SDK would try its HTTP fallback too, which sends after
      // the reply to connect as before
      transports: ["websocket"],
      token: await server.token({ sub: "alice", role: "agent" }),
      logger: (e) => entries.push(e),
    });
    client.connect();
    const floor = client.subscribe("staff:floor");
    const offsets: number[] = [];
    floor.on("message", (m) => offsets.push(m.offset ?? -1));
    await waitFor(() => floor.status === "subscribed");
    await server.publish("staff:floor", "tick", { i: 1 });
    await waitFor(() => offsets.length === 1);
    await server.stop();
    await waitFor(() => client.state !== "connected");
    entries.length = 0;
    await server.restart();
    await waitFor(() => client.state === "connected" && floor.status === "subscribed");
    await server.publish("staff:floor", "tick", { i: 2 });
    await waitFor(() => offsets.length === 2);
    expect(offsets).toEqual([1, 2]);
    const frames = wire(entries);
    const connect = frames.indexOf("out:connect");
    expect(frames.slice(connect, connect + 3)).toEqual([
      "out:connect",
      "out:subscribe",
      "in:connected",
    ]);
    expect(frames.filter((f) => f === "out:subscribe")).toHaveLength(1);
    expect(frames).not.toContain("in:error");
  });

  it("sends over the HTTP fallback only once connected, as before", async () => {
    const server = await fx.server();
    const entries: LogEntry[] = [];
    const client = fx.client({
      url: server.wsUrl,
      transports: ["http"],
      token: await server.token({ sub: "alice", role: "agent" }),
      logger: (e) => entries.push(e),
    });
    const floor = client.subscribe("staff:floor");
    client.connect();
    await waitFor(() => floor.status === "subscribed");
    expect(wire(entries).slice(0, 3)).toEqual(["out:connect", "in:connected", "out:subscribe"]);
  });

  it("a refused connect takes its pipelined subscribes with it, and they wait for the next one", async () => {
    const server = await fx.server();
    const errors: string[] = [];
    const client = fx.client({ url: server.wsUrl, token: "not-a-jwt" });
    client.on("error", (e) => errors.push((e as SwitchboardError).code));
    const floor = client.subscribe("staff:floor");
    const subErrors: string[] = [];
    floor.on("error", (e) => subErrors.push((e as SwitchboardError).code));
    client.connect();
    await waitFor(() => errors.includes("unauthorized"));
    expect(floor.status).toBe("subscribing");
    expect(subErrors).toEqual([]);
    client.setToken(await server.token({ sub: "alice", role: "agent" }));
    client.connect(); // a refused token is not retried by itself
    await waitFor(() => floor.status === "subscribed");
  });
});

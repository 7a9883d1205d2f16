import { describe, expect, it } from "vitest";
import { LivenessWatchdog } from "./liveness.js";
import { nextEvent, setupFixture, waitFor } from "./test-support/fixture.js";
import { silentServer } from "./test-support/silent_server.js";

const fx = setupFixture();

describe("liveness", () => {
  it("declares a silent connection dead after ping + grace and reconnects", async () => {
    const server = await silentServer(fx);
    const client = fx.client({ url: server.url, token: "t", livenessGraceMs: 1000 });
    client.connect();
    await waitFor(() => client.state === "connected");
    const connectedAt = Date.now();
    const dropped = await nextEvent(client, "disconnected", () => true, 4000);
    const silentFor = Date.now() - connectedAt;
    expect(dropped).toMatchObject({ willReconnect: true });
    expect(dropped.reason).toMatch(/liveness/);
    expect(silentFor).toBeGreaterThanOrEqual(1900);
    expect(silentFor).toBeLessThan(3000);
    await waitFor(() => server.connections.length === 2 && client.state === "connected", {
      timeoutMs: 1500,
    });
  });

  it("stays connected to a real server that pings every second", async () => {
    const server = await fx.server({ pingIntervalSeconds: 1 });
    const client = await fx.agent(server, "alice", { livenessGraceMs: 1000 });
    let drops = 0;
    client.on("disconnected", () => drops++);
    await new Promise((r) => setTimeout(r, 3500));
    expect(drops).toBe(0);
    expect(client.state).toBe("connected");
  });

  it("reports staleness once the silence exceeds the limit (checked when a tab wakes up)", () => {
    let now = 0;
    let dead = 0;
    const watchdog = new LivenessWatchdog(
      () => dead++,
      () => now,
    );
    watchdog.start(11_000);
    now = 5_000;
    watchdog.touch();
    now = 15_000;
    expect(watchdog.isStale()).toBe(false);
    now = 16_000;
    expect(watchdog.isStale()).toBe(true);
    watchdog.stop();
    expect(watchdog.isStale()).toBe(false);
    expect(dead).toBe(0);
  });
});

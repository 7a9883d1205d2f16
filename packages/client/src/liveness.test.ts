import { afterEach, describe, expect, it, vi } from "vitest";
import { LivenessWatchdog, WALL_CLOCK_CHECK_MS } from "./liveness.js";
import { nextEvent, setupFixture, waitFor } from "./test-support/fixture.js";
import { silentServer } from "./test-support/silent_server.js";

const fx = setupFixture();

afterEach(() => {
  vi.restoreAllMocks();
});

/**
 * A sleeping machine: the wall clock (Date.now) moves on, the timer clock (setTimeout) stands
 * still, so timers due later stay due later. Node's timers run on a monotonic clock, as the
 * browser's do; moving Date.now alone is the same situation.
 */
function sleepFor(ms: number): void {
  const realNow = Date.now.bind(Date);
  vi.spyOn(Date, "now").mockImplementation(() => realNow() + ms);
}

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

  it("notices within seconds of waking up that the connection died while the machine slept", async () => {
    const server = await silentServer(fx);
    // 1 s pings + 60 s grace: the watchdog's own deadline is a minute away when the machine wakes.
    const client = fx.client({ url: server.url, token: "t", livenessGraceMs: 60_000 });
    client.connect();
    await waitFor(() => client.state === "connected");
    sleepFor(120_000);
    const dropped = await nextEvent(client, "disconnected", () => true, WALL_CLOCK_CHECK_MS + 5000);
    expect(dropped).toMatchObject({
      willReconnect: true,
      reason: expect.stringMatching(/liveness/),
    });
    await waitFor(() => server.connections.length === 2 && client.state === "connected");
  });

  it("replaces a connection that went silent before writing a command into it", async () => {
    const server = await silentServer(fx);
    const client = fx.client({ url: server.url, token: "t", livenessGraceMs: 60_000 });
    client.connect();
    await waitFor(() => client.state === "connected");
    sleepFor(120_000);
    // Just awake, before any timer has run: the application publishes at once.
    client.publish("staff:floor", "note", "just woke up").catch(() => {});
    await waitFor(() => server.received[1]?.some((f) => f.type === "publish") === true);
    expect(server.received[0]?.map((f) => f.type)).toEqual(["connect"]);
    // Queued while reconnecting, so it got a key: safe to resend if this connection drops too.
    expect(server.received[1]?.find((f) => f.type === "publish")).toHaveProperty("key");
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

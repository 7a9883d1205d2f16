// @vitest-environment jsdom
import "./test-support/node-realm.js";
import { afterEach, describe, expect, it, vi } from "vitest";
import { setupFixture, waitFor } from "./test-support/fixture.js";
import { silentServer } from "./test-support/silent_server.js";

const fx = setupFixture();

function setVisibility(state: "visible" | "hidden"): void {
  Object.defineProperty(document, "visibilityState", { configurable: true, get: () => state });
  document.dispatchEvent(new Event("visibilitychange"));
}

describe("browser network and visibility events", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("goes disconnected on 'offline' without retrying, and reconnects at once on 'online'", async () => {
    const server = await fx.server();
    const client = await fx.agent(server, "alice", {
      reconnect: { baseMs: 60_000, capMs: 60_000 },
    });
    const sub = client.subscribe("staff:floor");
    await waitFor(() => sub.status === "subscribed");
    const states: string[] = [];
    client.on("state", (s) => states.push(s));

    window.dispatchEvent(new Event("offline"));
    expect(client.state).toBe("disconnected");
    await server.publish("staff:floor", "while-offline", 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(client.state).toBe("disconnected");

    const recovered = new Promise((resolve) => sub.on("recovered", resolve));
    window.dispatchEvent(new Event("online"));
    // No backoff wait (it would be up to a minute here): the network is back, so try now.
    await waitFor(() => client.state === "connected", { timeoutMs: 2000 });
    expect(await recovered).toMatchObject({ publications: 1 });
    expect(states).toEqual(["disconnected", "connecting", "connected"]);
  });

  it("skips a long backoff when the page becomes visible again", async () => {
    const server = await fx.server();
    const client = await fx.agent(server, "alice", {
      reconnect: { baseMs: 60_000, capMs: 60_000 },
    });
    // Make the backoff draw its longest wait, so only the visibility event can explain a reconnect.
    vi.spyOn(Math, "random").mockReturnValue(0.999);
    await server.stop();
    await waitFor(() => client.state === "disconnected"); // waiting out the backoff
    await server.restart();
    setVisibility("hidden");
    await new Promise((r) => setTimeout(r, 100));
    expect(client.state).toBe("disconnected");
    setVisibility("visible");
    await waitFor(() => client.state === "connected", { timeoutMs: 2000 });
  });

  it("replaces a connection that went silent while the tab was hidden", async () => {
    const server = await silentServer(fx);
    // A long grace: the watchdog's own timer will not fire during this test, as if the
    // browser had frozen it in a background tab.
    const client = fx.client({ url: server.url, token: "t", livenessGraceMs: 60_000 });
    client.connect();
    await waitFor(() => client.state === "connected");
    setVisibility("hidden");
    const realNow = Date.now.bind(Date);
    vi.spyOn(Date, "now").mockImplementation(() => realNow() + 120_000); // two minutes later
    setVisibility("visible");
    await waitFor(() => server.connections.length === 2 && client.state === "connected", {
      timeoutMs: 2000,
    });
  });

  it("replaces a stale connection when a frozen page resumes, or comes back from the bfcache", async () => {
    const server = await silentServer(fx);
    const client = fx.client({ url: server.url, token: "t", livenessGraceMs: 60_000 });
    client.connect();
    await waitFor(() => client.state === "connected");
    const realNow = Date.now.bind(Date);
    let asleepFor = 120_000;
    vi.spyOn(Date, "now").mockImplementation(() => realNow() + asleepFor);
    // A frozen page runs nothing until `resume`; the page stays as visible as it was.
    document.dispatchEvent(new Event("resume"));
    await waitFor(() => server.connections.length === 2 && client.state === "connected", {
      timeoutMs: 2000,
    });
    asleepFor += 120_000;
    const restored = new Event("pageshow");
    Object.defineProperty(restored, "persisted", { value: true });
    window.dispatchEvent(restored);
    await waitFor(() => server.connections.length === 3 && client.state === "connected", {
      timeoutMs: 2000,
    });
  });

  it("keeps a fresh connection when the tab becomes visible", async () => {
    const server = await silentServer(fx);
    const client = fx.client({ url: server.url, token: "t", livenessGraceMs: 60_000 });
    client.connect();
    await waitFor(() => client.state === "connected");
    setVisibility("visible");
    await new Promise((r) => setTimeout(r, 200));
    expect(server.connections).toHaveLength(1);
  });

  it("removes its window listeners when closed", async () => {
    const server = await fx.server();
    const client = await fx.agent(server, "alice");
    client.close();
    window.dispatchEvent(new Event("online"));
    await new Promise((r) => setTimeout(r, 100));
    expect(client.state).toBe("closed");
  });
});

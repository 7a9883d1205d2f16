import { afterEach, describe, expect, it, vi } from "vitest";
import { type LogEntry, redactFrame } from "./debug_log.js";
import { setupFixture, waitFor } from "./test-support/fixture.js";

const fx = setupFixture();

afterEach(() => {
  vi.restoreAllMocks();
});

describe("debug output", () => {
  it("a logger sees state changes, frames in and out (token redacted) and reconnect decisions", async () => {
    const server = await fx.server();
    const token = await server.token({ sub: "alice", role: "agent" });
    const entries: LogEntry[] = [];
    const client = fx.client({ url: server.wsUrl, token, logger: (e) => entries.push(e) });
    client.connect();
    await waitFor(() => client.state === "connected");
    await client.publish("staff:floor", "note", { text: "hi" });
    await server.stop();
    await waitFor(() => client.state !== "connected");
    await server.restart();
    await waitFor(() => client.state === "connected");
    await client.close();

    expect(JSON.stringify(entries)).not.toContain(token);
    const frames = (kind: "in" | "out") =>
      entries.filter((e) => e.kind === kind).map((e) => e.data?.frame as { type: string });
    expect(frames("out")).toContainEqual(
      expect.objectContaining({ type: "connect", token: "[redacted]" }),
    );
    expect(frames("out")).toContainEqual(
      expect.objectContaining({ type: "publish", data: { text: "hi" } }),
    );
    expect(frames("in").map((f) => f.type)).toEqual(
      expect.arrayContaining(["connected", "published", "disconnect"]),
    );
    const states = entries.filter((e) => e.kind === "state").map((e) => e.message);
    expect(states.slice(0, 3)).toEqual([
      "disconnected → connecting",
      "connecting → connected",
      "connected → disconnected",
    ]);
    expect(states.at(-1)).toBe("connected → closed");
    const decisions = entries.filter((e) => e.kind === "reconnect").map((e) => e.message);
    expect(decisions[0]).toMatch(/^socket ended \(1012 .*\): will reconnect$/);
    expect(decisions[1]).toMatch(/^next attempt in \d+ ms \(attempt 1\)$/);
    expect(entries.filter((e) => e.kind === "close")).toEqual([
      { kind: "close", message: "closed (nothing to wait for)", data: { code: 1000, rejected: 0 } },
    ]);
  });

  it("debug: true prints the same to console.debug", async () => {
    const printed: unknown[][] = [];
    vi.spyOn(console, "debug").mockImplementation((...args: unknown[]) => {
      printed.push(args);
    });
    const server = await fx.server();
    const token = await server.token({ sub: "alice", role: "agent" });
    const client = fx.client({ url: server.wsUrl, token: () => token, debug: true });
    client.connect();
    await waitFor(() => client.state === "connected");
    const lines = printed.map((args) => String(args[0]));
    expect(lines).toContain("[switchboard] connecting → connected");
    expect(lines).toContain("[switchboard] → connect");
    expect(JSON.stringify(printed)).not.toContain(token);
    await client.close(); // while console.debug is still captured
  });

  it("is silent by default, and a logger that throws does not break the connection", async () => {
    const printed = vi.spyOn(console, "debug").mockImplementation(() => {});
    const server = await fx.server();
    const quiet = await fx.agent(server, "alice");
    const loud = await fx.agent(server, "bob", {
      logger: () => {
        throw new Error("broken logger");
      },
    });
    await expect(loud.publish("staff:floor", "note", 1)).resolves.toMatchObject({ offset: 1 });
    await expect(quiet.publish("staff:floor", "note", 2)).resolves.toMatchObject({ offset: 2 });
    expect(printed).not.toHaveBeenCalled();
  });

  it("redacts the token of connect and refresh frames, and nothing else", () => {
    expect(redactFrame({ type: "refresh", id: 3, token: "eyJ.secret.sig" })).toEqual({
      type: "refresh",
      id: 3,
      token: "[redacted]",
    });
    const publish = { type: "publish", channel: "staff:floor", data: { token: "app data" } };
    expect(redactFrame(publish)).toEqual(publish);
  });
});

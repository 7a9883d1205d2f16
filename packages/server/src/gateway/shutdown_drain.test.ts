import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CloseCode } from "@switchboard/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { mintToken } from "../auth/tokens.js";
import { type ServerProcess, spawnServer, startServerProcess } from "../test-support/process.js";
import { closeAll, RawClient } from "../test-support/ws-client.js";

const clients: RawClient[] = [];
let proc: ServerProcess | undefined;
const dirs: string[] = [];

afterEach(() => {
  closeAll(clients);
  proc?.kill();
  proc = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), "switchboard-proc-"));
  dirs.push(d);
  return d;
}

// Each test starts the server as a process (tsx compiles it): generous on a busy machine.
describe("process lifecycle", { timeout: 180_000 }, () => {
  it("drains on SIGTERM: every client gets disconnect 1012 with reconnect, and the process exits 0", async () => {
    const secret = randomBytes(32).toString("hex");
    proc = await startServerProcess({
      SWITCHBOARD_JWT_SECRET: secret,
      SWITCHBOARD_DATA_DIR: dataDir(),
      SWITCHBOARD_DRAIN_TIMEOUT_MS: "3000",
    });
    const wsUrl = `${proc.url.replace("http", "ws")}/ws`;
    for (const sub of ["alice", "bob"]) {
      const c = await RawClient.connect(wsUrl, await mintToken(secret, { sub }));
      await c.subscribe("product:1");
      clients.push(c);
    }
    const started = Date.now();
    proc.kill("SIGTERM");
    for (const c of clients) {
      const closed = await c.closed;
      expect(closed.code).toBe(CloseCode.ServerRestart);
      expect(c.frames.find((f) => f.type === "disconnect")).toMatchObject({
        code: 1012,
        reconnect: true,
      });
    }
    expect(await proc.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(proc.output()).toContain('"msg":"stopped"');
  });

  it("refuses to start on bad configuration and names the variable", async () => {
    const child = spawnServer({ PORT: "eighty", SWITCHBOARD_DATA_DIR: dataDir() });
    let err = "";
    child.stderr?.on("data", (d) => {
      err += d.toString();
    });
    const code = await new Promise((resolve) => child.on("exit", resolve));
    expect(code).toBe(1);
    expect(err).toContain("PORT");
    expect(err).toContain("eighty");
  });

  it("requires a JWT secret in production", async () => {
    const child = spawnServer({ NODE_ENV: "production", SWITCHBOARD_DATA_DIR: dataDir() });
    let err = "";
    child.stderr?.on("data", (d) => {
      err += d.toString();
    });
    expect(await new Promise((resolve) => child.on("exit", resolve))).toBe(1);
    expect(err).toContain("SWITCHBOARD_JWT_SECRET");
  });

  it("never logs tokens", async () => {
    const secret = randomBytes(32).toString("hex");
    proc = await startServerProcess({
      SWITCHBOARD_JWT_SECRET: secret,
      SWITCHBOARD_DATA_DIR: dataDir(),
      LOG_LEVEL: "trace",
    });
    const token = await mintToken(secret, { sub: "alice" });
    const c = await RawClient.connect(`${proc.url.replace("http", "ws")}/ws`, token);
    clients.push(c);
    await fetch(`${proc.url}/api/channels`, { headers: { authorization: `Bearer ${token}` } });
    await c.request({ type: "refresh", token: "garbage" });
    proc.kill("SIGTERM");
    await proc.exited;
    expect(proc.output()).not.toContain(token);
    expect(proc.output()).not.toContain(secret);
  });
});

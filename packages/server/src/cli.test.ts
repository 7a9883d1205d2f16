import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import SQLite from "better-sqlite3";
import { jwtVerify } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { startTestServer } from "./testing.js";

const CLI = fileURLToPath(new URL("./cli.ts", import.meta.url));
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Runs the CLI as its own process (asynchronously: an in-process test server must keep answering). */
function cli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const script = `import(${JSON.stringify(CLI)}).then(async (m) => { process.exitCode = await m.run(process.argv.slice(1)); })`;
  const child = spawn(
    process.execPath,
    ["--conditions=@switchboard/source", "--import", "tsx", "-e", script, ...args],
    {
      env: { PATH: process.env.PATH ?? "", ...env },
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => {
    stdout += d;
  });
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  // Generous: tsx compiles the CLI in each child, and other tests keep this machine busy.
  const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
  return new Promise((resolve) =>
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), "switchboard-cli-"));
  dirs.push(d);
  return d;
}

describe("switchboard CLI", { timeout: 300_000 }, () => {
  it("mints a token the configured secret verifies", async () => {
    const secret = "s".repeat(40);
    const r = await cli(
      ["token", "--sub", "alice", "--role", "agent", "--name", "Alice", "--ttl", "60"],
      {
        SWITCHBOARD_JWT_SECRET: secret,
        SWITCHBOARD_DATA_DIR: dataDir(),
      },
    );
    expect(r.code, r.stderr).toBe(0);
    const { payload } = await jwtVerify(r.stdout.trim(), new TextEncoder().encode(secret));
    expect(payload).toMatchObject({ sub: "alice", role: "agent", name: "Alice" });
    expect((payload.exp as number) - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(60);
  });

  it("uses the same generated development secret as the server", async () => {
    const dir = dataDir();
    expect((await cli(["token", "--sub", "a"], { SWITCHBOARD_DATA_DIR: dir })).code).toBe(0);
    expect(existsSync(join(dir, "dev-jwt-secret"))).toBe(true);
  });

  it("refuses bad arguments with a message and exit code 2", async () => {
    const r = await cli(["token", "--role", "wizard"], { SWITCHBOARD_DATA_DIR: dataDir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("sub");
    expect(r.stderr).toContain("role");
    expect((await cli(["explode"], {})).code).toBe(2);
  });

  it("migrates the SQLite database in the data dir", async () => {
    const dir = dataDir();
    const r = await cli(["migrate"], { SWITCHBOARD_DATA_DIR: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("up to date");
    const db = new SQLite(join(dir, "switchboard.db"), { readonly: true });
    const tables = db.prepare("select name from sqlite_master where type = 'table'").all() as {
      name: string;
    }[];
    db.close();
    expect(tables.map((t) => t.name)).toEqual(
      expect.arrayContaining([
        "orders",
        "order_history",
        "event_deliveries",
        "leases",
        "idempotency_keys",
      ]),
    );
    expect((await cli(["migrate"], { SWITCHBOARD_DATA_DIR: dir })).code).toBe(0); // idempotent
  });

  it("seeds a running server with demo products and orders, once", async () => {
    const server = await startTestServer();
    try {
      const env = {
        PORT: String(server.port),
        HOST: "127.0.0.1",
        SWITCHBOARD_API_KEY: server.apiKey,
        SWITCHBOARD_DATA_DIR: dataDir(),
      };
      const first = await cli(["seed"], env);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toContain("SCR-IP14");
      const again = await cli(["seed"], env);
      expect(again.stdout).toContain("none added");
      const orders = await fetch(`${server.url}/api/orders?customerId=alice`, {
        headers: { authorization: `Bearer ${server.apiKey}` },
      });
      expect(((await orders.json()) as { items: unknown[] }).items).toHaveLength(2);
      const item = await fetch(`${server.url}/api/inventory/items/CASE-CLR`, {
        headers: { authorization: `Bearer ${server.apiKey}` },
      });
      expect(await item.json()).toMatchObject({ onHand: 25, available: 25 });
    } finally {
      await server.close();
    }
  });
});

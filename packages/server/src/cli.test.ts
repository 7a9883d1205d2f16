import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import SQLite from "better-sqlite3";
import { jwtVerify } from "jose";
import { afterEach, describe, expect, it } from "vitest";

const CLI = fileURLToPath(new URL("./cli.ts", import.meta.url));
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function cli(args: string[], env: Record<string, string>) {
  const script = `import(${JSON.stringify(CLI)}).then(async (m) => { process.exitCode = await m.run(process.argv.slice(1)); })`;
  const r = spawnSync(
    process.execPath,
    ["--conditions=@switchboard/source", "--import", "tsx", "-e", script, ...args],
    {
      env: { PATH: process.env.PATH ?? "", ...env },
      encoding: "utf8",
      timeout: 30_000,
    },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), "switchboard-cli-"));
  dirs.push(d);
  return d;
}

describe("switchboard CLI", () => {
  it("mints a token the configured secret verifies", async () => {
    const secret = "s".repeat(40);
    const r = cli(
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

  it("uses the same generated development secret as the server", () => {
    const dir = dataDir();
    expect(cli(["token", "--sub", "a"], { SWITCHBOARD_DATA_DIR: dir }).code).toBe(0);
    expect(existsSync(join(dir, "dev-jwt-secret"))).toBe(true);
  });

  it("refuses bad arguments with a message and exit code 2", () => {
    const r = cli(["token", "--role", "wizard"], { SWITCHBOARD_DATA_DIR: dataDir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("sub");
    expect(r.stderr).toContain("role");
    expect(cli(["explode"], {}).code).toBe(2);
  });

  it("migrates the SQLite database in the data dir", () => {
    const dir = dataDir();
    const r = cli(["migrate"], { SWITCHBOARD_DATA_DIR: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("up to date");
    const db = new SQLite(join(dir, "switchboard.db"), { readonly: true });
    const tables = db.prepare("select name from sqlite_master where type = 'table'").all() as {
      name: string;
    }[];
    db.close();
    expect(tables.map((t) => t.name)).toEqual(
      expect.arrayContaining(["orders", "order_history", "outbox", "leases", "idempotency_keys"]),
    );
    expect(cli(["migrate"], { SWITCHBOARD_DATA_DIR: dir }).code).toBe(0); // idempotent
  });
});

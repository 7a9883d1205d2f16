import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { spawnServer } from "./test-support/process.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function run(env: Record<string, string>) {
  const dataDir = mkdtempSync(join(tmpdir(), "switchboard-devnet-"));
  dirs.push(dataDir);
  const child = spawnServer({ SWITCHBOARD_DATA_DIR: dataDir, ...env });
  let out = "";
  child.stdout?.on("data", (d) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d) => {
    out += d.toString();
  });
  // Generous: tsx compiles the server on a machine other tests keep busy.
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("exit", (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  return { code, out };
}

describe("a development server on a network interface", () => {
  it("refuses to start (it would mint admin tokens for anyone), and says how to proceed", async () => {
    const { code, out } = await run({ HOST: "0.0.0.0", NODE_ENV: "development" });
    expect(code).toBe(1);
    expect(out).toContain("HOST: is not a loopback address");
    expect(out).toContain("SWITCHBOARD_ALLOW_DEV_ON_NETWORK=true");
    expect(out).not.toContain("switchboard listening");
    expect(out).not.toMatch(/API key: {5}sb_dev_/);
  }, 90_000);
});

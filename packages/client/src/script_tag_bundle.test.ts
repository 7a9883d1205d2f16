import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runInNewContext } from "node:vm";
import { afterAll, describe, expect, it } from "vitest";
import type { Switchboard } from "./client.js";

const SCRIPT = fileURLToPath(new URL("../scripts/bundle.mjs", import.meta.url));
const README = fileURLToPath(new URL("../README.md", import.meta.url));
const ROOT_README = fileURLToPath(new URL("../../../README.md", import.meta.url));
const ROOT_PACKAGE = fileURLToPath(new URL("../../../package.json", import.meta.url));

interface Size {
  bytes: number;
  gzip: number;
}

const dir = mkdtempSync(join(tmpdir(), "switchboard-bundle-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function build(): { code: string; scriptTag: Size; esm: Size } {
  const file = join(dir, "switchboard.min.js");
  const run = spawnSync(process.execPath, [SCRIPT, "--out", file, "--json"], { encoding: "utf8" });
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  return { code: readFileSync(file, "utf8"), ...JSON.parse(run.stdout) };
}

/** "23.9 KB" as written in a README, in bytes. */
const kb = (text: string | undefined) => Number(text) * 1024;

describe("the script-tag build", () => {
  const built = build();

  it("is one self-contained script that defines the global Switchboard", () => {
    type Global = typeof Switchboard & {
      Switchboard: typeof Switchboard;
      SDK_VERSION: string;
      SwitchboardError: new (code: string, message: string) => Error & { code: string };
    };
    const sandbox: { Switchboard?: Global } = {};
    runInNewContext(built.code, sandbox);
    const Global = sandbox.Switchboard;
    if (!Global) throw new Error("no global Switchboard");
    expect(Object.keys(sandbox)).toEqual(["Switchboard"]);
    expect(Global.Switchboard).toBe(Global);
    expect(Global.SDK_VERSION).toBe("0.1.0");
    // (The sandbox has its own Error, so no instanceof across the two.)
    expect(new Global.SwitchboardError("bad_request", "x")).toMatchObject({
      name: "SwitchboardError",
      code: "bad_request",
    });
    const client = new Global({ url: "ws://127.0.0.1:9/ws", token: "t" });
    expect(client.state).toBe("disconnected");
    // Neither `ws` nor zod made it in; no module syntax a <script> would choke on.
    expect(built.code).not.toMatch(/\bfrom\s*["']|\brequire\(|ZodError/);
  });

  it("is made by `npm run build`", () => {
    const { scripts } = JSON.parse(readFileSync(ROOT_PACKAGE, "utf8")) as {
      scripts: { build: string };
    };
    expect(scripts.build).toContain("node packages/client/scripts/bundle.mjs");
  });

  it("has the sizes the READMEs give, within 10 %", () => {
    const readme = readFileSync(README, "utf8");
    const row = (label: string) => {
      const match = new RegExp(`\\| ${label}[^|]*\\| ([\\d.]+) KB\\s*\\| ([\\d.]+) KB\\s*\\|`).exec(
        readme,
      );
      return { bytes: kb(match?.[1]), gzip: kb(match?.[2]) };
    };
    const close = (stated: Size, actual: Size) => {
      expect(Math.abs(stated.bytes - actual.bytes) / actual.bytes).toBeLessThan(0.1);
      expect(Math.abs(stated.gzip - actual.gzip) / actual.gzip).toBeLessThan(0.1);
    };
    close(row("`dist/switchboard.min.js`"), built.scriptTag);
    close(row("ESM"), built.esm);
    const root =
      /ESM ([\d.]+) KB minified, ([\d.]+) KB gzip; script-tag build ([\d.]+) KB\s+minified, ([\d.]+) KB gzip/.exec(
        readFileSync(ROOT_README, "utf8"),
      );
    close({ bytes: kb(root?.[1]), gzip: kb(root?.[2]) }, built.esm);
    close({ bytes: kb(root?.[3]), gzip: kb(root?.[4]) }, built.scriptTag);
  });
});

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** This run's own copy of the built web app (see below). */
    webDist: string;
  }
}

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

/**
 * Before the browser tests (vitest runs this only when one of them is selected):
 * 1. Chromium: scripts/ensure-chromium.mjs installs it when it can; under CI=true a missing
 *    browser fails the run right here, saying what is missing (locally the tests skip, loudly).
 * 2. The web app: built when packages/web/dist is missing or older than its sources (the app's,
 *    and the SDK's and hooks' it bundles), so the browser never tests a stale build; then copied
 *    to a folder of this run's own, which the test servers serve — a build or `npm install`
 *    elsewhere during the run cannot swap files from under the browser.
 */
export default function setup(project: TestProject): () => void {
  const chromium = spawnSync(process.execPath, [join(ROOT, "scripts/ensure-chromium.mjs")], {
    stdio: "inherit",
  });
  if (chromium.status !== 0) {
    throw new Error(
      "browser tests: Chromium is missing and could not be installed (see the message above)",
    );
  }
  const copy = mkdtempSync(join(tmpdir(), "switchboard-web-"));
  const build = spawnSync(
    process.execPath,
    [join(ROOT, "packages/web/scripts/build.mjs"), "--if-stale", "--copy-to", copy],
    { stdio: "inherit" },
  );
  if (build.status !== 0) {
    rmSync(copy, { recursive: true, force: true });
    throw new Error("browser tests: the web app did not build (see above)");
  }
  project.provide("webDist", copy);
  return () => rmSync(copy, { recursive: true, force: true });
}

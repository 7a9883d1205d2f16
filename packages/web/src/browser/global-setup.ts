import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
} from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Before the browser tests (vitest runs this only when one of them is selected):
 * 1. Chromium: scripts/ensure-chromium.mjs installs it when it can; under CI=true a missing
 *    browser fails the run right here, saying what is missing (locally the tests skip, loudly).
 * 2. The web app: built when packages/web/dist is missing or older than its sources (the web
 *    app's, and the SDK's and hooks' it bundles), so the browser never tests a stale build.
 *    Builds go to a temporary folder swapped in at the end, under a lock, so test runs in
 *    parallel processes never see a half-written dist.
 */
const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const WEB = join(ROOT, "packages/web");
const DIST = join(WEB, "dist");
const LOCK = join(WEB, ".build-lock");

const SOURCES = [
  join(WEB, "index.html"),
  join(WEB, "vite.config.ts"),
  join(WEB, "package.json"),
  join(WEB, "src"),
  join(ROOT, "packages/react/src"),
  join(ROOT, "packages/client/src"),
  join(ROOT, "packages/protocol/src"),
];
const NOT_BUNDLED = /(\.test\.tsx?$|[\\/]browser[\\/]|[\\/]test-support[\\/])/;

function newestSource(path: string): number {
  if (!existsSync(path)) return 0;
  const s = statSync(path);
  if (!s.isDirectory()) return NOT_BUNDLED.test(path) ? 0 : s.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestSource(join(path, entry)));
  return newest;
}

export function webBuildIsStale(): boolean {
  const index = join(DIST, "index.html");
  if (!existsSync(index)) return true;
  const built = statSync(index).mtimeMs;
  return SOURCES.some((s) => newestSource(s) > built);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function withLock<T>(fn: () => T): Promise<T> {
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // a lock left by a killed run is stale after two minutes
      const held = statSync(LOCK, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > 120_000)
        rmSync(LOCK, { recursive: true, force: true });
      await sleep(250);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

function build(): void {
  const vite = join(dirname(createRequire(import.meta.url).resolve("vite/package.json")), "bin");
  const out = join(WEB, `.dist-${process.pid}`);
  console.log("browser tests: building the web app (packages/web/dist is missing or stale)…");
  const started = Date.now();
  const r = spawnSync(
    process.execPath,
    [join(vite, "vite.js"), "build", "--logLevel", "warn", "--outDir", out],
    { cwd: WEB, stdio: "inherit" },
  );
  if (r.status !== 0) {
    rmSync(out, { recursive: true, force: true });
    throw new Error("browser tests: `vite build` of packages/web failed (see above)");
  }
  const old = join(WEB, `.dist-old-${process.pid}`);
  if (existsSync(DIST)) renameSync(DIST, old);
  renameSync(out, DIST);
  rmSync(old, { recursive: true, force: true });
  const now = new Date();
  utimesSync(join(DIST, "index.html"), now, now);
  console.log(`browser tests: web app built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

export default async function setup(): Promise<void> {
  const chromium = spawnSync(process.execPath, [join(ROOT, "scripts/ensure-chromium.mjs")], {
    stdio: "inherit",
  });
  if (chromium.status !== 0) {
    throw new Error(
      "browser tests: Chromium is missing and could not be installed (see the message above)",
    );
  }
  if (webBuildIsStale()) await withLock(() => webBuildIsStale() && build());
}

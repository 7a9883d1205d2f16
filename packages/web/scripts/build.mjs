#!/usr/bin/env node
// Builds the web app into packages/web/dist without ever leaving it half-written: Vite writes a
// temporary folder that replaces dist in one rename, under a lock (several builds at once —
// `npm install` in two terminals, a test run — wait for each other instead of racing). A server
// running meanwhile keeps serving the old build until the swap.
//
//   node scripts/build.mjs                      build
//   node scripts/build.mjs --if-stale           build only when dist is missing or older than its sources
//   node scripts/build.mjs --if-stale --copy-to DIR
//                                               …then copy the build to DIR (the browser tests
//                                               serve their own copy: a build during the run
//                                               cannot pull files from under them)
import { spawnSync } from "node:child_process";
import {
  cpSync,
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

const WEB = fileURLToPath(new URL("..", import.meta.url));
const ROOT = join(WEB, "../..");
const DIST = join(WEB, "dist");
const LOCK = join(WEB, ".build-lock");

/** What the bundle is made of: the app's sources and the SDK's and hooks' it bundles. */
const SOURCES = [
  join(WEB, "index.html"),
  join(WEB, "vite.config.ts"),
  join(WEB, "package.json"),
  join(WEB, "src"),
  join(ROOT, "packages/react/src"),
  join(ROOT, "packages/client/src"),
  join(ROOT, "packages/protocol/src"),
  // the modules' contracts and names (the app imports their types and channel names)
  join(ROOT, "packages/server/src/modules"),
];
const NOT_BUNDLED = /(\.test\.tsx?$|[\\/]browser[\\/]|[\\/]test-support[\\/])/;
const SERVER_MODULES = join(ROOT, "packages/server/src/modules");
const WIRE_FILE = /[\\/](contract|names)\.ts$/;

function newest(path) {
  if (!existsSync(path)) return 0;
  const s = statSync(path);
  if (!s.isDirectory()) {
    if (path.startsWith(SERVER_MODULES) && !WIRE_FILE.test(path)) return 0;
    return NOT_BUNDLED.test(path) ? 0 : s.mtimeMs;
  }
  let max = 0;
  for (const entry of readdirSync(path)) max = Math.max(max, newest(join(path, entry)));
  return max;
}

export function isStale() {
  const index = join(DIST, "index.html");
  if (!existsSync(index)) return true;
  const built = statSync(index).mtimeMs;
  return SOURCES.some((s) => newest(s) > built);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function lock() {
  for (;;) {
    try {
      mkdirSync(LOCK);
      return () => rmSync(LOCK, { recursive: true, force: true });
    } catch {
      // a lock left behind by a killed build is stale after two minutes
      const held = statSync(LOCK, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > 120_000)
        rmSync(LOCK, { recursive: true, force: true });
      await sleep(200);
    }
  }
}

function build() {
  const vite = join(
    dirname(createRequire(import.meta.url).resolve("vite/package.json")),
    "bin/vite.js",
  );
  const out = join(WEB, `.dist-${process.pid}`);
  const r = spawnSync(process.execPath, [vite, "build", "--logLevel", "warn", "--outDir", out], {
    cwd: WEB,
    stdio: "inherit",
  });
  if (r.status !== 0) {
    rmSync(out, { recursive: true, force: true });
    throw new Error("vite build of packages/web failed (see above)");
  }
  const old = join(WEB, `.dist-old-${process.pid}`);
  if (existsSync(DIST)) renameSync(DIST, old);
  renameSync(out, DIST);
  rmSync(old, { recursive: true, force: true });
  const now = new Date();
  utimesSync(join(DIST, "index.html"), now, now); // "built after its sources", even if clocks lag
}

/**
 * Builds (with onlyIfStale: only when needed), then copies the build to copyTo if given, all
 * under the lock. Resolves true when it built.
 */
export async function buildWeb({ onlyIfStale = false, copyTo } = {}) {
  if (onlyIfStale && !isStale() && !copyTo) return false;
  const unlock = await lock();
  try {
    // another build may have finished while we waited for the lock
    const needed = !onlyIfStale || isStale();
    if (needed) {
      const started = Date.now();
      if (onlyIfStale)
        console.log("web build: dist is missing or older than its sources; building…");
      build();
      if (onlyIfStale)
        console.log(`web build: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    if (copyTo) cpSync(DIST, copyTo, { recursive: true });
    return needed;
  } finally {
    unlock();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const at = process.argv.indexOf("--copy-to");
    await buildWeb({
      onlyIfStale: process.argv.includes("--if-stale"),
      ...(at > 0 && { copyTo: process.argv[at + 1] }),
    });
  } catch (error) {
    console.error(`web build: ${error.message}`);
    process.exit(1);
  }
}

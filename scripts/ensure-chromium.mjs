#!/usr/bin/env node
// Browser tests drive Debian's Chromium with playwright-core. This makes sure it is there:
// installs it when it can (root with apt-get), and otherwise says exactly what is missing.
// Under CI=true a missing browser fails the run; locally the browser tests skip, loudly.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
if (existsSync(CHROMIUM)) process.exit(0);

const canInstall = process.getuid?.() === 0 && existsSync("/usr/bin/apt-get");
if (canInstall) {
  console.log(
    `ensure-chromium: ${CHROMIUM} is missing; installing Debian's chromium (about 25 s)…`,
  );
  try {
    execFileSync("apt-get", ["install", "-y", "--no-install-recommends", "chromium"], {
      stdio: "inherit",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
  } catch {
    try {
      execFileSync("apt-get", ["update"], { stdio: "inherit" });
      execFileSync("apt-get", ["install", "-y", "--no-install-recommends", "chromium"], {
        stdio: "inherit",
        env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
      });
    } catch {
      // reported below
    }
  }
  if (existsSync(CHROMIUM)) process.exit(0);
}
const message = `ensure-chromium: no browser at ${CHROMIUM}. Install it with \`apt-get install -y chromium\` (as root), or set CHROMIUM_PATH to a Chromium binary.`;
if (process.env.CI) {
  console.error(`${message}\nCI=true: the browser tests cannot run, so the test run fails.`);
  process.exit(1);
}
console.warn(`\n⚠️  ${message}\n   The browser tests will be SKIPPED.\n`);

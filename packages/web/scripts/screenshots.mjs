#!/usr/bin/env node
// Runs the browser tests, then copies the screenshots they took (packages/web/test-results/
// screenshots, git-ignored) into docs/screenshots, which the README shows: `npm run screenshots`.
// Never part of `npm test`, so a test run leaves the tree clean. Only shots taken by this run
// are copied; a test that did not run (or did not reach its screenshot) fails the command.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const from = fileURLToPath(new URL("../test-results/screenshots/", import.meta.url));
const to = fileURLToPath(new URL("../../../docs/screenshots/", import.meta.url));
const SHOWN = [
  "customer-shop-catalog", // the storefront: the catalog with search, categories, live prices
  "customer-product", // storefront product page: live stock and viewers
  "customer-tracker-quote", // repair tracker waiting for the quote's approval
  "customer-chat", // chat widget
  "customer-phone", // the tracker at phone width
  "customer-disconnected", // the connection badge while the server is down
  "staff-order-board",
  "staff-inventory",
  "staff-dashboard",
  "agent-inbox",
  "inbox-note-preview", // the inbox: previews, an open chat with a private note
  "inbox-customer-panel", // the inbox: customers by name, an open chat with the customer panel
  "staff-business-dashboard", // the owner's business figures
  "pusher-apps", // admins' Pusher apps screen
];

const root = fileURLToPath(new URL("../../..", import.meta.url));
const vitest = join(
  dirname(createRequire(import.meta.url).resolve("vitest/package.json")),
  "vitest.mjs",
);
const started = Date.now();
const run = spawnSync(process.execPath, [vitest, "run", "--project", "browser"], {
  cwd: root,
  stdio: "inherit",
});
if (run.status !== 0) {
  console.error("screenshots: the browser tests failed; docs/screenshots left as they were");
  process.exit(1);
}
const fresh = (name) => {
  const file = `${from}${name}.png`;
  return existsSync(file) && statSync(file).mtimeMs >= started;
};
const missing = SHOWN.filter((name) => !fresh(name));
if (missing.length) {
  console.error(`screenshots: this run took none of ${missing.join(", ")}; nothing copied`);
  process.exit(1);
}
for (const name of SHOWN) copyFileSync(`${from}${name}.png`, `${to}${name}.png`);
console.log(`screenshots: ${SHOWN.length} copied to docs/screenshots`);

#!/usr/bin/env node
// Copies the screenshots the browser tests just took (packages/web/test-results/screenshots,
// git-ignored) into docs/screenshots, which the README shows. Run by `npm run screenshots`
// after the browser tests; never by `npm test`, so a test run leaves the tree clean.
import { copyFileSync, existsSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const from = fileURLToPath(new URL("../test-results/screenshots/", import.meta.url));
const to = fileURLToPath(new URL("../../../docs/screenshots/", import.meta.url));
const SHOWN = [
  "customer-product", // storefront product page: live stock and viewers
  "customer-tracker-quote", // repair tracker waiting for the quote's approval
  "customer-chat", // chat widget
  "customer-phone", // the tracker at phone width
  "customer-disconnected", // the connection badge while the server is down
  "staff-order-board",
  "staff-inventory",
  "staff-dashboard",
  "agent-inbox",
];

const started = Date.now() - 60 * 60 * 1000;
const missing = [];
for (const name of SHOWN) {
  const file = `${from}${name}.png`;
  if (!existsSync(file) || statSync(file).mtimeMs < started) {
    missing.push(name);
    continue;
  }
  copyFileSync(file, `${to}${name}.png`);
}
console.log(`screenshots: ${SHOWN.length - missing.length} copied to docs/screenshots`);
if (missing.length) {
  console.error(`screenshots: none from the last hour for ${missing.join(", ")}`);
  process.exit(1);
}

#!/usr/bin/env node
// The `switchboard` command. Runs the built server (npm install builds it; `npm run build` rebuilds).
import { existsSync } from "node:fs";

const cli = new URL("../dist/cli.js", import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write(
    "switchboard: the server is not built yet; run `npm run build` in the repository root\n",
  );
  process.exit(1);
}
const { run } = await import(cli.href);
const code = await run(process.argv.slice(2));
if (code >= 0) process.exitCode = code;

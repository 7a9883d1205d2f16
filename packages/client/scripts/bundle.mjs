#!/usr/bin/env node
// The script-tag build: one minified IIFE, dist/switchboard.min.js, that sets the global
// `Switchboard` (src/global.ts). Made by `npm run build` after tsc; esbuild comes with Vite.
//
//   node packages/client/scripts/bundle.mjs            write dist/switchboard.min.js
//   node packages/client/scripts/bundle.mjs --out F    write it to F instead (the browser tests)
//   node packages/client/scripts/bundle.mjs --sizes    also print its size and the ESM build's
//                                                      (what a bundler makes of `import`), for the READMEs
//   node packages/client/scripts/bundle.mjs --json     the same sizes as one line of JSON (tests)
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const PACKAGE = fileURLToPath(new URL("..", import.meta.url));
export const BUNDLE_FILE = join(PACKAGE, "dist/switchboard.min.js");

const common = {
  bundle: true,
  minify: true,
  write: false,
  platform: "browser",
  // Private class fields and `??=` stay as they are: every browser since 2022 runs them, and
  // lowering them to WeakMaps would cost a quarter of the size.
  target: "es2022",
  // Build from the TypeScript sources (the protocol package's too), never from a stale dist.
  conditions: ["@switchboard/source"],
  legalComments: "none",
  logLevel: "warning",
};

async function make(entry, format) {
  const result = await build({ ...common, entryPoints: [join(PACKAGE, entry)], format });
  const code = result.outputFiles[0]?.text ?? "";
  return { code, bytes: Buffer.byteLength(code), gzip: gzipSync(code, { level: 9 }).length };
}

/** The IIFE for a `<script>` tag. Written to `outfile` (default dist/switchboard.min.js). */
export async function bundleScriptTag(outfile = BUNDLE_FILE) {
  const built = await make("src/global.ts", "iife");
  mkdirSync(dirname(outfile), { recursive: true });
  writeFileSync(outfile, built.code);
  return { file: outfile, bytes: built.bytes, gzip: built.gzip };
}

/** What an application bundler makes of `import { Switchboard } from "@switchboard/client"`. */
export async function measureEsm() {
  const { bytes, gzip } = await make("src/index.ts", "esm");
  return { bytes, gzip };
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const at = process.argv.indexOf("--out");
  const tag = await bundleScriptTag(at > 0 ? process.argv[at + 1] : undefined);
  if (process.argv.includes("--json")) {
    const esm = await measureEsm();
    console.log(JSON.stringify({ scriptTag: tag, esm }));
  } else if (process.argv.includes("--sizes")) {
    const esm = await measureEsm();
    console.log(`script tag  ${tag.file}: ${kb(tag.bytes)} min, ${kb(tag.gzip)} gzip`);
    console.log(`ESM bundle  (minified): ${kb(esm.bytes)} min, ${kb(esm.gzip)} gzip`);
  }
}

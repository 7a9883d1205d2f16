import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { envSchema } from "./config.js";
import { builtInModules } from "./modules/index.js";
import { moduleVariables } from "./platform/module-config.js";

const DOC = readFileSync(new URL("../../../docs/configuration.md", import.meta.url), "utf8");

/** The variables docs/configuration.md documents: the first cell of each table row. */
const documented = new Set(
  [...DOC.matchAll(/^\|\s*`([A-Z][A-Z0-9_]+)`\s*\|/gm)].map((m) => m[1] as string),
);

const declared = [
  ...Object.keys(envSchema.shape),
  ...builtInModules().flatMap((m) => moduleVariables(m)),
];

describe("docs/configuration.md", () => {
  it("documents every variable the core and the modules declare", () => {
    expect(declared.filter((v) => !documented.has(v))).toEqual([]);
  });

  it("documents no variable that nothing reads", () => {
    expect([...documented].filter((v) => !declared.includes(v))).toEqual([]);
  });
});

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * The import rules of docs/architecture.md, checked on the sources rather than trusted: modules
 * do not reach into each other; the core knows a module only by its registration; a contract is
 * zod and the protocol only; the other packages never import server code; only config.ts reads
 * process.env.
 */
const PACKAGES = fileURLToPath(new URL("../../../", import.meta.url));
const SERVER = join(PACKAGES, "server", "src");
const MODULES = join(SERVER, "modules");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" || e.name === "dist" ? [] : sources(path);
    return /\.tsx?$/.test(e.name) && !e.name.endsWith(".d.ts") ? [path] : [];
  });
}

interface Import {
  spec: string;
  /** The file a relative import resolves to; undefined for a package import. */
  target?: string;
  typeOnly: boolean;
}

function importsOf(file: string): Import[] {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest);
  const found: Import[] = [];
  const add = (spec: string, typeOnly: boolean) =>
    found.push({
      spec,
      typeOnly,
      ...(spec.startsWith(".") && {
        target: resolve(dirname(file), spec).replace(/\.js$/, ".ts"),
      }),
    });
  const visit = (node: ts.Node) => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      const clause = ts.isImportDeclaration(node) ? node.importClause : undefined;
      const typeOnly = ts.isImportDeclaration(node)
        ? !!clause &&
          (clause.isTypeOnly ||
            (!clause.name &&
              !!clause.namedBindings &&
              ts.isNamedImports(clause.namedBindings) &&
              clause.namedBindings.elements.every((e) => e.isTypeOnly)))
        : node.isTypeOnly;
      add(node.moduleSpecifier.text, typeOnly);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      add(node.arguments[0].text, false);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function readsProcessEnv(file: string): boolean {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest);
  let reads = false;
  const visit = (node: ts.Node) => {
    if (
      ts.isPropertyAccessExpression(node) &&
      node.name.text === "env" &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === "process"
    )
      reads = true;
    ts.forEachChild(node, visit);
  };
  visit(source);
  return reads;
}

const isTest = (file: string) =>
  /\.test\.tsx?$/.test(file) ||
  file.includes(`${sep}test-support${sep}`) ||
  file.includes(`${sep}test-fixtures${sep}`) ||
  file.includes(`${sep}browser${sep}`) ||
  file.endsWith(`${sep}testing.ts`);

/** The module a file of modules/<name>/ belongs to (undefined outside a module folder). */
const moduleOf = (file: string) => {
  const rest = relative(MODULES, file);
  const [name, ...inside] = rest.split(sep);
  return !rest.startsWith("..") && inside.length > 0 ? name : undefined;
};
const show = (file: string) => relative(PACKAGES, file);

/** What another module, or a client, may import of a module: its surface, not its insides. */
const SURFACE = /[\\/]modules[\\/][^\\/]+[\\/](index|contract|names)\.ts$/;

describe("import boundaries", () => {
  const server = sources(SERVER);

  it("a module imports no other module's insides (only its index, contract or names)", () => {
    const wrong = server.flatMap((file) => {
      const mine = moduleOf(file);
      if (!mine) return [];
      return importsOf(file)
        .filter((i) => i.target && moduleOf(i.target) && moduleOf(i.target) !== mine)
        .filter((i) => !SURFACE.test(i.target as string))
        .map((i) => `${show(file)} → ${i.spec}`);
    });
    expect(wrong).toEqual([]);
  });

  it("the core knows modules only by their registration (modules/index.ts, modules/types.ts)", () => {
    const allowed = [join(MODULES, "index.ts"), join(MODULES, "types.ts")];
    const wrong = server
      .filter((file) => !file.startsWith(MODULES) && !isTest(file))
      .flatMap((file) =>
        importsOf(file)
          .filter((i) => i.target?.startsWith(MODULES) && !allowed.includes(i.target))
          .map((i) => `${show(file)} → ${i.spec}`),
      );
    expect(wrong).toEqual([]);
  });

  it("a contract imports only zod, the protocol and its names; names import nothing", () => {
    const wrong = server.flatMap((file) => {
      if (file.endsWith(`${sep}names.ts`) && SURFACE.test(file))
        return importsOf(file).map((i) => `${show(file)} → ${i.spec}`);
      if (!file.endsWith(`${sep}contract.ts`) || file.endsWith(".contract.ts")) return [];
      return importsOf(file)
        .filter((i) => !["zod", "@switchboard/protocol", "./names.js"].includes(i.spec))
        .map((i) => `${show(file)} → ${i.spec}`);
    });
    expect(wrong).toEqual([]);
  });

  it("the other packages import no server code: names, and contracts' types, only", () => {
    const others = ["protocol", "client", "react", "web"].flatMap((p) =>
      sources(join(PACKAGES, p, "src")).filter((f) => !isTest(f)),
    );
    const wrong = others.flatMap((file) =>
      importsOf(file)
        .filter((i) => {
          if (i.target) return i.target.startsWith(join(PACKAGES, "server"));
          if (!i.spec.startsWith("@switchboard/server")) return false;
          if (i.spec.startsWith("@switchboard/server/names/")) return false;
          return !(i.spec.startsWith("@switchboard/server/contracts/") && i.typeOnly);
        })
        .map((i) => `${show(file)} → ${i.spec}${i.typeOnly ? " (types)" : ""}`),
    );
    expect(wrong).toEqual([]);
  });

  it("only config.ts reads process.env in the server", () => {
    const readers = server.filter((f) => !isTest(f) && readsProcessEnv(f)).map(show);
    expect(readers).toEqual(["server/src/config.ts"]);
  });
});

import { RESERVED_CLAIMS } from "@switchboard/protocol";
import { z } from "zod";
import type { Namespaces } from "../gateway/namespaces.js";
import type { SwitchboardModule } from "../modules/types.js";
import { ErrorCatalog } from "./error-codes.js";

const MODULE_NAME = /^[a-z][a-z0-9-]{0,31}$/;

/**
 * Checks what the running modules declare and puts it together: one catalog of error codes, the
 * namespaces defined, one schema of the token claims they read. Two modules claiming the same
 * name (module, code, namespace, claim) stop start-up with both names.
 */
export function composeModules(
  modules: readonly SwitchboardModule[],
  namespaces: Namespaces,
): { errors: ErrorCatalog; claims: z.ZodObject | undefined } {
  const errors = new ErrorCatalog();
  const claimOwner = new Map<string, string>();
  const claimShape: Record<string, z.ZodType> = {};
  const seen = new Set<string>();
  for (const module of modules) {
    if (!MODULE_NAME.test(module.name))
      throw new Error(`module name "${module.name}" must be lower-case letters, digits and -`);
    if (seen.has(module.name)) throw new Error(`module ${module.name} is registered twice`);
    seen.add(module.name);
    errors.declare(module.name, module.errors ?? {});
    for (const declaration of module.namespaces ?? []) namespaces.define(declaration, module.name);
    for (const [claim, schema] of Object.entries(module.claims?.shape ?? {})) {
      const other = claimOwner.get(claim);
      if (RESERVED_CLAIMS.includes(claim) || other)
        throw new Error(
          `module ${module.name}: claim ${claim} is already ${other ? `read by module ${other}` : "a reserved claim"}`,
        );
      claimOwner.set(claim, module.name);
      claimShape[claim] = schema;
    }
  }
  return { errors, claims: claimOwner.size ? z.object(claimShape) : undefined };
}

/** After every register(): each namespace a module declared must have a policy by now. */
export function assertPolicies(namespaces: Namespaces): void {
  const missing = namespaces.withoutPolicy();
  if (missing.length)
    throw new Error(
      `namespace ${missing.join(", ")}: declared without a policy, and register() set none`,
    );
}

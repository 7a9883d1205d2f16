import { type Compilable, CompiledQuery, type Kysely, type QueryResult } from "kysely";
import { SwitchboardError } from "../../errors.js";
import type { Database } from "../../store/schema.js";

/**
 * A hot query built once: Kysely builds and compiles a query's SQL on every call, which on the
 * hold path cost more than SQLite running it. `shape` is the query for sample values; what is run
 * is its SQL text (the dialect's, compiled once per key) with the call's parameters. The sample's
 * parameters must be exactly what `params` gives for the sample — checked when the text is
 * built, so a change in how Kysely orders parameters fails loudly instead of binding wrongly.
 * One instance per database (the text is its dialect's).
 */
export function precompiled<P extends unknown[], R>(
  build: (db: Kysely<Database>, ...args: P) => Compilable<R>,
  params: (...args: P) => readonly unknown[],
) {
  const texts = new Map<string, string>();
  return {
    /** Runs on `on` (the database or a transaction) the query `build(...args)` would make. */
    run(on: Kysely<Database>, key: string, ...args: P): Promise<QueryResult<R>> {
      let text = texts.get(key);
      const values = params(...args);
      if (text === undefined) {
        const compiled = build(on, ...args).compile();
        const same =
          compiled.parameters.length === values.length &&
          compiled.parameters.every((v, i) => v === values[i]);
        if (!same) throw new Error(`precompiled ${key}: parameters out of order`);
        text = compiled.sql;
        texts.set(key, text);
      }
      return on.executeQuery(CompiledQuery.raw(text, [...values]) as CompiledQuery<R>);
    },
  };
}

/**
 * An expected refusal (a taken slot) made without a stack trace: under a rush for one slot nearly
 * every request ends in one, and capturing the stack was a visible share of the CPU. The answer
 * (code, message, details) is the same.
 */
export function refusal(
  code: ConstructorParameters<typeof SwitchboardError>[0],
  message: string,
  details: unknown,
): SwitchboardError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new SwitchboardError(code, message, { details });
  } finally {
    Error.stackTraceLimit = limit;
  }
}

import { z } from "zod";

/**
 * Zod building blocks for environment variables, shared by the core config and every module's
 * config section: an empty value counts as unset, numbers are coerced from text.
 */
export const emptyAsUndefined = (v: unknown) => (v === "" ? undefined : v);

/** An optional variable (absent or empty: undefined). */
export const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess(emptyAsUndefined, schema.optional());

/** A variable with a default (absent or empty: the default, a parsed value). */
export const withDefault = <T extends z.ZodType>(schema: T, value: NonNullable<z.output<T>>) =>
  // zod cannot see through the generic that `value` is the schema's own output type
  z.preprocess(emptyAsUndefined, schema.default(value as never));

/** An integer between min and max. */
export const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** A comma-separated list whose items each match `item`. */
export const list = (item: RegExp, what: string) =>
  z
    .string()
    .transform((v) => v.split(",").map((s) => s.trim()))
    .pipe(z.array(z.string().regex(item, `each item must be ${what}`)).min(1));

/** An http(s) URL. */
export const httpUrl = () => z.url({ protocol: /^https?$/, error: "must be an http(s) URL" });

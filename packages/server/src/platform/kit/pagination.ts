import { type RawBuilder, type SelectQueryBuilder, sql } from "kysely";
import { z } from "zod";
import { SwitchboardError } from "../../errors.js";

export { type Page, pageSchema } from "@switchboard/protocol";

export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
}

/**
 * The `limit` and `cursor` query fields of a list route (spread into its query schema), so every
 * list takes the same parameters and says so in OpenAPI.
 */
export function pageQuery({ defaultLimit = 50, maxLimit = 200, cursorMax = 64 } = {}) {
  return {
    limit: z.coerce.number().int().min(1).max(maxLimit).default(defaultLimit),
    cursor: z.string().max(cursorMax).optional().describe("nextCursor of the previous page"),
  };
}

/** Splits the `limit + 1` rows a page query read into the page and whether there is more. */
export function takePage<T>(rows: T[], limit: number): { items: T[]; more: boolean } {
  return { items: rows.slice(0, limit), more: rows.length > limit };
}

/**
 * Keyset pagination on one unique text column (a ULID, a SKU): orders by it, starts after the
 * cursor, reads one row more than the page to learn whether another page follows. Filters stay
 * on the query passed in.
 */
export async function keysetPage<DB, TB extends keyof DB, O, K extends keyof O & string>(
  query: SelectQueryBuilder<DB, TB, O>,
  key: K,
  order: "asc" | "desc",
  page: PageRequest,
): Promise<{ rows: O[]; nextCursor?: string }> {
  let q = query.orderBy(sql.ref(key), order).limit(page.limit + 1);
  // An empty cursor is the first page, as `?cursor=` with nothing after it always was.
  if (page.cursor) q = q.where(sql.ref(key), order === "desc" ? "<" : ">", page.cursor);
  const { items, more } = takePage(await q.execute(), page.limit);
  const last = items.at(-1);
  return { rows: items, ...(more && last !== undefined && { nextCursor: String(last[key]) }) };
}

/** One key of a multi-key order: an SQL expression, its direction, and its value on a row. */
export interface SortKey<O> {
  /** An expression that is never NULL (coalesce a nullable column; order its nullness first). */
  expr: RawBuilder<unknown>;
  order: "asc" | "desc";
  value: (row: O) => string | number;
}

/** The cursor text of a sort position: base64url of its key values (opaque to clients). */
export function encodeCursor(values: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(values)).toString("base64url");
}

/** The key values of a cursor, or a `bad_request` naming the field: never trusted blindly. */
export function decodeCursor(cursor: string, keys: number): (string | number)[] {
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    values = undefined;
  }
  if (
    !Array.isArray(values) ||
    values.length !== keys ||
    !values.every((v) => typeof v === "string" || (typeof v === "number" && Number.isFinite(v)))
  )
    throw new SwitchboardError("bad_request", "cursor must be the nextCursor of the previous page");
  return values as (string | number)[];
}

/**
 * Keyset pagination on several keys (a name or a price, then a unique tiebreaker such as the
 * SKU): orders by them, starts strictly after the cursor's position — (k1, k2, …) compared
 * lexicographically, each key in its own direction — so a page never repeats or skips a row
 * when rows are added or removed between pages, as an offset would. The last key must be
 * unique. The cursor is opaque (`encodeCursor`).
 */
export async function keysetPageBy<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  keys: readonly SortKey<O>[],
  page: PageRequest,
): Promise<{ rows: O[]; nextCursor?: string }> {
  let q = query;
  for (const key of keys) q = q.orderBy(key.expr, key.order);
  if (page.cursor) {
    const values = decodeCursor(page.cursor, keys.length);
    const after = keys.map((key, i) =>
      sql.join(
        [
          ...keys.slice(0, i).map((k, j) => sql`${k.expr} = ${values[j]}`),
          sql`${key.expr} ${sql.raw(key.order === "desc" ? "<" : ">")} ${values[i]}`,
        ],
        sql` and `,
      ),
    );
    q = q.where(
      sql<boolean>`(${sql.join(
        after.map((a) => sql`(${a})`),
        sql` or `,
      )})`,
    );
  }
  const { items, more } = takePage(await q.limit(page.limit + 1).execute(), page.limit);
  const last = items.at(-1);
  return {
    rows: items,
    ...(more && last !== undefined && { nextCursor: encodeCursor(keys.map((k) => k.value(last))) }),
  };
}

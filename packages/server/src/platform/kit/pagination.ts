import { type SelectQueryBuilder, sql } from "kysely";
import { z } from "zod";

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

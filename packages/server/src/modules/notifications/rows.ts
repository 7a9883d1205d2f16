import { CompiledQuery, PostgresAdapter, type Transaction } from "kysely";
import { valuesList } from "../../store/outbox.js";
import type { Database } from "../../store/schema.js";

/** SQL texts by table, columns, row count, tail and dialect: a group's size repeats often. */
const texts = new Map<string, string>();
const MAX_TEXTS = 400;

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * A multi-row insert written as SQL text (cached) with its values as parameters. The query
 * builder makes a node per value and compiles them per call; for the notifications of a group
 * (16 columns a row) building and compiling took several percent of the server's CPU per
 * notification. `tail` is
 * static SQL after the values (`on conflict do nothing returning "id"`), never built from input.
 */
export async function insertRows<T extends object, R = unknown>(
  trx: Transaction<Database>,
  table: keyof Database & string,
  columns: readonly (keyof T & string)[],
  rows: readonly T[],
  tail = "",
): Promise<R[]> {
  if (rows.length === 0) return [];
  const postgres = trx.getExecutor().adapter instanceof PostgresAdapter;
  const key = `${table}|${columns.join(",")}|${rows.length}|${tail}|${postgres ? "pg" : "sqlite"}`;
  let text = texts.get(key);
  if (text === undefined) {
    const values = valuesList(postgres ? "postgres" : "sqlite", rows.length, columns.length);
    text = `insert into ${quote(table)} (${columns.map(quote).join(", ")}) values ${values}${tail ? ` ${tail}` : ""}`;
    if (texts.size >= MAX_TEXTS) texts.clear();
    texts.set(key, text);
  }
  const parameters: unknown[] = new Array(rows.length * columns.length);
  let i = 0;
  for (const row of rows) {
    const values = row as Record<string, unknown>;
    for (const c of columns) parameters[i++] = values[c] ?? null;
  }
  const result = await trx.executeQuery<R>(CompiledQuery.raw(text, parameters));
  return result.rows as R[];
}

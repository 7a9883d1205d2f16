/** `Dialect` as the durable tables know it. */
type Dialect = "sqlite" | "postgres";

const valuesLists = new Map<string, string>();
/**
 * `(?, ?), (?, ?)` (SQLite) or `($1, $2), ($3, $4)` (PostgreSQL) for `rows` rows of `columns`
 * values, built once per shape: a hot insert then skips the query builder and its compiler, and
 * its text is the same for every batch of that size (one prepared statement, reused).
 */
export function valuesList(dialect: Dialect, rows: number, columns: number): string {
  const key = `${dialect}:${rows}:${columns}`;
  let text = valuesLists.get(key);
  if (text === undefined) {
    const lists: string[] = [];
    for (let r = 0, n = 1; r < rows; r++) {
      const marks: string[] = [];
      for (let c = 0; c < columns; c++, n++) marks.push(dialect === "postgres" ? `$${n}` : "?");
      lists.push(`(${marks.join(", ")})`);
    }
    text = lists.join(", ");
    valuesLists.set(key, text);
  }
  return text;
}

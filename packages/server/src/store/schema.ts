/**
 * The database's tables, as Kysely sees them. Each module adds its own tables to this interface
 * by declaration merging from its own folder:
 *
 *   declare module "../../store/schema.js" { interface Database { orders: OrderRow } }
 *
 * so the core never imports a module's types. Timestamps are ISO-8601 UTC strings and JSON is
 * text in both dialects, so the same queries run on SQLite and PostgreSQL.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging
export interface Database {}

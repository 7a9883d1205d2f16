import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, sql } from "kysely";
import pg from "pg";
import type { Logger } from "pino";
import type { Config } from "../config.js";
import { guardedDialect } from "../platform/durable/handler-guard.js";
import type { Database } from "./schema.js";
import { WalCheckpointer } from "./wal-checkpointer.js";

export type Dialect = "sqlite" | "postgres";

export interface Store {
  db: Kysely<Database>;
  dialect: Dialect;
  /** Where the data lives, for logs (never includes a password). */
  location: string;
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** SQLite file only: where the background checkpoint worker reports problems. */
  logger?: Logger;
  /** PostgreSQL only: use this schema (created if missing) instead of `public`. Tests isolate with it. */
  schema?: string;
}

function sqlitePath(config: Pick<Config, "databaseUrl" | "dataDir">): string {
  const url = config.databaseUrl;
  if (url?.startsWith("sqlite:") || url?.startsWith("file:")) {
    const path = url.replace(/^(sqlite|file):(\/\/)?/, "");
    return path === ":memory:" ? path : resolve(path);
  }
  return resolve(join(config.dataDir, "switchboard.db"));
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "postgres";
  }
}

const STATEMENT_CACHE_SIZE = 2000;

/**
 * Kysely prepares every query anew; preparing costs about as much as running a small one. The
 * same SQL text gets the same prepared statement back (Kysely runs one query at a time on this
 * connection, so a statement is never used twice at once). Least recently used goes first:
 * multi-row inserts and `in (…)` lists make a text per row count, and under load those evicted
 * the hot single-row statements (`begin`, `commit`) when the oldest went first.
 */
function withStatementCache(database: SQLite.Database) {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => database.close(),
    prepare(sqlText: string): SQLite.Statement {
      let statement = cache.get(sqlText);
      if (statement) {
        // Map keeps insertion order: moved to the end, the first key is the least recently used
        cache.delete(sqlText);
        cache.set(sqlText, statement);
        return statement;
      }
      statement = database.prepare(sqlText);
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
      cache.set(sqlText, statement);
      return statement;
    },
  };
}

/** SQLite file in the data dir by default; PostgreSQL when DATABASE_URL is postgres://. */
export async function openStore(
  config: Pick<Config, "databaseUrl" | "dataDir">,
  options: StoreOptions = {},
): Promise<Store> {
  const url = config.databaseUrl;
  if (url?.startsWith("postgres")) {
    if (options.schema && !/^[a-z_][a-z0-9_]{0,62}$/.test(options.schema)) {
      throw new Error("schema must be a plain lowercase identifier");
    }
    const pool = new pg.Pool({
      connectionString: url,
      max: 10,
      // A database that does not answer must fail requests (503), not queue them forever.
      connectionTimeoutMillis: 5000,
      ...(options.schema && { options: `-c search_path=${options.schema}` }),
    });
    // A restart or failover ends every session (57P01, ECONNRESET). pg emits that as an `error`
    // event on the client; the pool listens only while a client is idle, so a client checked out
    // (inside a transaction) would take the process down. Every client gets a listener for its
    // whole life; the query in flight fails on its own and the request answers 503.
    const lost = (err: Error & { code?: string }) =>
      options.logger?.warn({ err: err.message, code: err.code }, "database connection lost");
    pool.on("connect", (client) => client.on("error", lost));
    pool.on("error", lost);
    const db = new Kysely<Database>({ dialect: guardedDialect(new PostgresDialect({ pool })) });
    if (options.schema)
      await sql`create schema if not exists ${sql.id(options.schema)}`.execute(db);
    return {
      db,
      dialect: "postgres",
      location: redact(url),
      ready: async () => {
        try {
          await sql`select 1`.execute(db);
          return true;
        } catch {
          return false;
        }
      },
      close: () => db.destroy(),
    };
  }
  const path = sqlitePath(config);
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const database = new SQLite(path);
  // WAL: readers never wait for the writer; NORMAL sync is durable across process crashes.
  database.pragma("journal_mode = WAL");
  database.pragma("synchronous = NORMAL");
  database.pragma("busy_timeout = 5000");
  database.pragma("foreign_keys = ON");
  const checkpointer =
    path === ":memory:"
      ? null
      : await WalCheckpointer.start(path, options.logger, () => {
          // the worker is gone: SQLite checkpoints inline again rather than grow the WAL
          if (database.open) database.pragma("wal_autocheckpoint = 1000");
        });
  if (checkpointer) database.pragma("wal_autocheckpoint = 0");
  const db = new Kysely<Database>({
    dialect: guardedDialect(new SqliteDialect({ database: withStatementCache(database) })),
  });
  return {
    db,
    dialect: "sqlite",
    location: path,
    ready: async () => database.open,
    close: async () => {
      await db.destroy();
      await checkpointer?.stop();
    },
  };
}

import { type Kysely, type Migration, type MigrationResultSet, Migrator, sql } from "kysely";

/**
 * Migrations are named `<owner>/<NNN>_<what>` (e.g. `orders/001_create_orders`). Owners are
 * independent, so a module added later may sort before ones already applied: unordered
 * application is allowed, order within an owner is by name.
 */
export type MigrationSet = Record<string, Migration>;

export async function migrate(
  // biome-ignore lint/suspicious/noExplicitAny: Kysely's Migrator takes a database of any schema
  db: Kysely<any>,
  sets: MigrationSet[],
  options: { postgres?: boolean } = {},
): Promise<MigrationResultSet> {
  const migrations: MigrationSet = {};
  for (const set of sets) {
    for (const [name, migration] of Object.entries(set)) {
      if (!/^[a-z0-9-]+\/\d{3}_[a-z0-9_]+$/.test(name))
        throw new Error(`bad migration name ${name}`);
      if (migrations[name]) throw new Error(`migration ${name} defined twice`);
      migrations[name] = migration;
    }
  }
  // On PostgreSQL, name the schema: Kysely otherwise looks for its bookkeeping tables in any
  // schema, and another Switchboard in the same database would make it skip creating ours.
  const schema = options.postgres
    ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema
    : undefined;
  const migrator = new Migrator({
    ...(schema && { migrationTableSchema: schema }),
    db,
    provider: { getMigrations: async () => migrations },
    allowUnorderedMigrations: true,
    migrationTableName: "switchboard_migrations",
    migrationLockTableName: "switchboard_migrations_lock",
  });
  const result = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === "Error")?.migrationName;
    throw new Error(
      `migration ${failed ?? ""} failed: ${result.error instanceof Error ? result.error.message : String(result.error)}`,
    );
  }
  return result;
}

import { type Kysely, type Migration, type MigrationResultSet, Migrator } from "kysely";

/**
 * Migrations are named `<owner>/<NNN>_<what>` (e.g. `orders/001_create_orders`). Owners are
 * independent, so a module added later may sort before ones already applied: unordered
 * application is allowed, order within an owner is by name.
 */
export type MigrationSet = Record<string, Migration>;

// biome-ignore lint/suspicious/noExplicitAny: Kysely's Migrator takes a database of any schema
export async function migrate(db: Kysely<any>, sets: MigrationSet[]): Promise<MigrationResultSet> {
  const migrations: MigrationSet = {};
  for (const set of sets) {
    for (const [name, migration] of Object.entries(set)) {
      if (!/^[a-z0-9-]+\/\d{3}_[a-z0-9_]+$/.test(name))
        throw new Error(`bad migration name ${name}`);
      if (migrations[name]) throw new Error(`migration ${name} defined twice`);
      migrations[name] = migration;
    }
  }
  const migrator = new Migrator({
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

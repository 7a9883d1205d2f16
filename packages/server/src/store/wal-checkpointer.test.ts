import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { openStore, type Store } from "./db.js";

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => {});
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function open(): Promise<{ store: Store; file: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), "sb-wal-"));
  dirs.push(dataDir);
  const store = await openStore({ databaseUrl: undefined, dataDir });
  stores.push(store);
  return { store, file: join(dataDir, "switchboard.db") };
}

async function writeRows(store: Store, count: number): Promise<void> {
  await sql`create table if not exists blobs (id integer primary key, body text not null)`.execute(
    store.db,
  );
  const body = "x".repeat(1000);
  for (let i = 0; i < count; i += 100) {
    const values = Array.from({ length: 100 }, () => sql`(${body})`);
    await sql`insert into blobs (body) values ${sql.join(values)}`.execute(store.db);
  }
}

describe("background WAL checkpoints (SQLite file)", () => {
  it("turn SQLite's inline checkpoint off and move the WAL into the database file from a worker", async () => {
    const { store, file } = await open();
    const { rows } = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(
      store.db,
    );
    expect(rows[0]?.wal_autocheckpoint).toBe(0);
    await writeRows(store, 3000); // ~3 MB: only the WAL holds it until someone checkpoints
    const deadline = Date.now() + 10_000;
    while (statSync(file).size < 2_000_000 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(statSync(file).size).toBeGreaterThan(2_000_000);
  });

  it("leaves an empty WAL and every row on close", async () => {
    const { store, file } = await open();
    await writeRows(store, 500);
    await store.close();
    stores.splice(stores.indexOf(store), 1);
    expect(statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0).toBe(0);
    const reopened = await openStore({ databaseUrl: `sqlite:${file}`, dataDir: "." });
    stores.push(reopened);
    const { rows } = await sql<{ n: number }>`select count(*) as n from blobs`.execute(reopened.db);
    expect(rows[0]?.n).toBe(500);
  });
});

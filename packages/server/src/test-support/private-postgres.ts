import { execFile } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { freePort } from "./redis-server.js";

const run = promisify(execFile);

/** The directory of initdb/pg_ctl: PATH first, then the newest /usr/lib/postgresql/<v>/bin. */
function findBinDir(): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    if (dir && existsSync(join(dir, "initdb")) && existsSync(join(dir, "pg_ctl"))) return dir;
  }
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], "bin") : undefined;
}

const BIN_DIR = findBinDir();

/**
 * Whether a private PostgreSQL can be started here (initdb and pg_ctl installed). Locally a
 * missing one skips the tests that need it, loudly; under CI=true it fails the run.
 */
export function privatePostgresAvailable(): boolean {
  if (BIN_DIR) return true;
  const message =
    "initdb/pg_ctl not found (PATH or /usr/lib/postgresql/*/bin): the PostgreSQL fault tests";
  if (process.env.CI) throw new Error(`CI=true: ${message} cannot run`);
  console.warn(`\n⚠️  ${message} are SKIPPED\n`);
  return false;
}

/** PostgreSQL refuses to run as root: as root, its tools run as the `postgres` user. */
async function asOwner(
  command: string,
  args: string[],
): Promise<{ stdout: string; stderr: string }> {
  const path = join(BIN_DIR as string, command);
  if (process.getuid?.() === 0) return run("runuser", ["-u", "postgres", "--", path, ...args]);
  return run(path, args);
}

async function postgresIds(): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([
    run("id", ["-u", "postgres"]),
    run("id", ["-g", "postgres"]),
  ]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * A PostgreSQL cluster of its own (initdb in a temp dir, on a free port), for tests that stop,
 * restart or kill the database under a running server without touching the shared one. Always
 * `destroy()` it (afterAll), also when the test failed.
 */
export class PrivatePostgres {
  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(): Promise<PrivatePostgres> {
    if (!BIN_DIR) throw new Error("initdb/pg_ctl not found");
    const dir = mkdtempSync(join(tmpdir(), "switchboard-pg-"));
    if (process.getuid?.() === 0) {
      const { uid, gid } = await postgresIds();
      chownSync(dir, uid, gid);
    }
    const db = new PrivatePostgres(await freePort(), dir);
    try {
      await asOwner("initdb", [
        "-D",
        db.dataDir,
        "-A",
        "trust",
        "-U",
        "postgres",
        "-E",
        "UTF8",
        "--no-sync",
      ]);
      await db.up();
    } catch (error) {
      await db.destroy();
      throw error;
    }
    return db;
  }

  private get dataDir(): string {
    return join(this.dir, "data");
  }

  /** postgres://postgres@127.0.0.1:<port>/postgres (trust auth). */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** Starts (again) on the same port and data; resolves when it accepts connections. */
  async up(): Promise<void> {
    await asOwner("pg_ctl", [
      "-D",
      this.dataDir,
      "-l",
      join(this.dir, "log"),
      "-w",
      "-t",
      "30",
      "-o",
      `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100`,
      "start",
    ]);
    const deadline = Date.now() + 15_000;
    for (;;) {
      const client = new pg.Client({ connectionString: this.url });
      client.on("error", () => {});
      try {
        await client.connect();
        await client.query("select 1");
        await client.end();
        return;
      } catch {
        await client.end().catch(() => {});
        if (Date.now() > deadline)
          throw new Error(`private PostgreSQL did not start: ${this.log()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /**
   * Stops it: `fast` ends every session with 57P01 (what `pg_ctl stop -m fast` does in an
   * operator's restart), `immediate` is a crash.
   */
  async down(mode: "fast" | "immediate" = "fast"): Promise<void> {
    if (!existsSync(join(this.dataDir, "postmaster.pid"))) return;
    await asOwner("pg_ctl", ["-D", this.dataDir, "-m", mode, "-w", "-t", "30", "stop"]);
  }

  log(): string {
    try {
      return readFileSync(join(this.dir, "log"), "utf8").slice(-2000);
    } catch {
      return "";
    }
  }

  /** Stops it for good (killing the postmaster if pg_ctl cannot) and removes its files. */
  async destroy(): Promise<void> {
    try {
      await this.down("immediate");
    } catch {
      const pidFile = join(this.dataDir, "postmaster.pid");
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8").split("\n")[0]) : 0;
      if (pid > 0) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

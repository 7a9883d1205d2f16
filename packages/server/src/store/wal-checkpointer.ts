import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type { Logger } from "pino";

/** How often the worker copies the WAL back into the database file. */
const CHECKPOINT_EVERY_MS = 200;

// CommonJS on purpose: an eval'd worker cannot import, and it needs only better-sqlite3.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const SQLite = require(workerData.driver);
const db = new SQLite(workerData.path);
db.pragma("busy_timeout = 5000");
const checkpoint = (mode) => {
  try {
    db.pragma("wal_checkpoint(" + mode + ")");
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message || err) });
  }
};
const timer = setInterval(() => checkpoint("PASSIVE"), workerData.everyMs);
parentPort.on("message", (m) => {
  if (m !== "stop") return;
  clearInterval(timer);
  checkpoint("TRUNCATE");
  db.close();
  parentPort.close();
});
parentPort.postMessage({ ready: true });
`;

/**
 * SQLite's automatic checkpoint runs inside whichever commit crosses 1,000 WAL pages, on the
 * event loop: a few milliseconds of stall every few hundred commits, and about a third of the
 * write cost under a steady stream of chat messages. Here a worker thread with its own
 * connection checkpoints in the background instead (PASSIVE: it never blocks the writer), and
 * the server turns the automatic checkpoint off once the worker is running.
 */
export class WalCheckpointer {
  private stopping = false;

  private constructor(
    private readonly worker: Worker,
    private readonly exited: Promise<void>,
  ) {}

  /**
   * Starts the worker; resolves null (automatic checkpoints stay on) if it cannot start.
   * `onLost` runs if the worker stops on its own later.
   */
  static async start(
    path: string,
    logger: Logger | undefined,
    onLost: () => void,
  ): Promise<WalCheckpointer | null> {
    const driver = createRequire(import.meta.url).resolve("better-sqlite3");
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path, driver, everyMs: CHECKPOINT_EVERY_MS },
    });
    worker.unref();
    const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
    const started = await new Promise<boolean>((resolve) => {
      worker.once("message", (m: { ready?: boolean }) => resolve(m.ready === true));
      worker.once("error", (err) => {
        logger?.warn({ err }, "WAL checkpoint worker failed to start; SQLite checkpoints inline");
        resolve(false);
      });
    });
    if (!started) {
      await worker.terminate();
      return null;
    }
    worker.on("message", (m: { error?: string }) => {
      if (m.error) logger?.warn({ error: m.error }, "WAL checkpoint failed");
    });
    worker.on("error", (err) => logger?.error({ err }, "WAL checkpoint worker died"));
    const checkpointer = new WalCheckpointer(worker, exited);
    void exited.then(() => {
      if (!checkpointer.stopping) onLost();
    });
    return checkpointer;
  }

  /** Checkpoints what is left and truncates the WAL, then stops the worker. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.worker.postMessage("stop");
    const timeout = setTimeout(() => void this.worker.terminate(), 10_000);
    await this.exited;
    clearTimeout(timeout);
  }
}

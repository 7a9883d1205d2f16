import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ActionsResult, Progress } from "./actions.js";
import type { SimSummary } from "./summary.js";

/** What a worker is told to do (everything runActions needs but the functions). */
export interface WorkerStart {
  url: string;
  apiKey: string;
  wsUrl: string;
  rate: number;
  totalMs: number;
  seed: number;
  pool: string;
  maxInFlight: number;
  viewMs: readonly [number, number];
}
export type ToWorker =
  | { type: "start"; start: WorkerStart }
  | { type: "token"; sub: string; token: string };
export type ToParent =
  | { type: "token"; sub: string; role: "customer" | "agent" }
  | { type: "progress"; started: number; summary: SimSummary }
  | { type: "order"; id: string; at: number }
  | { type: "done"; result: ActionsResult }
  | { type: "error"; message: string };

export interface WorkersOptions {
  starts: WorkerStart[];
  token(sub: string, role: "customer" | "agent"): Promise<string>;
  /** Each worker's latest progress, by index. */
  onProgress?(index: number, p: Pick<Progress, "started" | "summary">): void;
  onOrder?(id: string, at: number): void;
  /** A worker still running this long after its share should have ended is killed. */
  graceMs: number;
}

// Run from source (tsx, vitest) the worker is a .ts file, which node loads through tsx.
const own = fileURLToPath(import.meta.url);
const fromSource = own.endsWith(".ts");
const WORKER = own.replace(/workers\.(ts|js)$/, `worker.${fromSource ? "ts" : "js"}`);
const EXEC_ARGV = fromSource
  ? ["--conditions=@switchboard/source", "--import", "tsx"]
  : process.execArgv.filter((a) => !a.startsWith("--inspect"));

/**
 * Runs each share in its own process (one Node process cannot start hundreds of actions a
 * second on a busy machine): forks, relays token requests to the parent's minting, forwards
 * progress and orders, and kills any worker still running after its time plus `graceMs`.
 */
export async function runWorkers(o: WorkersOptions): Promise<ActionsResult[]> {
  const children: ChildProcess[] = [];
  try {
    return await Promise.all(
      o.starts.map(
        (start, index) =>
          new Promise<ActionsResult>((resolve, reject) => {
            const child = fork(WORKER, [], {
              execArgv: EXEC_ARGV,
              stdio: ["ignore", "ignore", "inherit", "ipc"],
            });
            children.push(child);
            let result: ActionsResult | undefined;
            const timer = setTimeout(() => child.kill("SIGKILL"), start.totalMs + o.graceMs);
            child.on("message", (m: ToParent) => {
              if (m.type === "token")
                o.token(m.sub, m.role).then(
                  (token) => child.send({ type: "token", sub: m.sub, token } satisfies ToWorker),
                  (e: unknown) => child.kill("SIGKILL") && reject(e),
                );
              else if (m.type === "progress") o.onProgress?.(index, m);
              else if (m.type === "order") o.onOrder?.(m.id, m.at);
              else if (m.type === "done") result = m.result;
              else reject(new Error(`simulator worker ${index}: ${m.message}`));
            });
            child.on("error", reject);
            child.on("exit", (code, signal) => {
              clearTimeout(timer);
              if (result) resolve(result);
              else
                reject(
                  new Error(
                    `simulator worker ${index} ended without a summary (${signal ?? code})`,
                  ),
                );
            });
            child.send({ type: "start", start } satisfies ToWorker);
          }),
      ),
    );
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  }
}

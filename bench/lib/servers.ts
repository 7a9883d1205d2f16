/** The servers under test: Switchboard and the three anchors, each started as its own process. */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DialectName } from "../load/dialects.js";
import { freePort, stopChild, track, waitForPort } from "./proc.js";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const SWITCHBOARD_MAIN = join(ROOT, "packages/server/dist/main.js");

export type ServerName =
  | "switchboard"
  | "switchboard-pusher"
  | "switchboard-batched"
  | "uws"
  | "raw-ws"
  | "socketio";
export const ALL_SERVERS: ServerName[] = [
  "switchboard",
  "switchboard-pusher",
  "switchboard-batched",
  "uws",
  "raw-ws",
  "socketio",
];
/** The server variants that run only the fan-out scenario (the Pusher endpoint's cost). */
export const FANOUT_ONLY: ServerName[] = ["switchboard-pusher", "switchboard-batched"];

export const LABELS: Record<ServerName, string> = {
  switchboard: "Switchboard",
  "switchboard-pusher": "Switchboard, Pusher endpoint",
  "switchboard-batched": "Switchboard, 2 ms write batching",
  uws: "uWebSockets.js",
  "raw-ws": "raw ws (floor)",
  socketio: "Socket.IO 4",
};

export const DIALECT_OF: Record<ServerName, DialectName> = {
  switchboard: "switchboard",
  "switchboard-pusher": "pusher",
  "switchboard-batched": "switchboard",
  uws: "bench",
  "raw-ws": "bench",
  socketio: "socketio",
};

/** Secrets for the bench server only; fresh per run, never written anywhere. */
export const BENCH_SECRET = randomBytes(32).toString("hex");
export const BENCH_API_KEY = randomBytes(24).toString("hex");

/** The Pusher app the `switchboard-pusher` variant's subscribers connect to. */
export const PUSHER_BENCH_APP = "bench";
export const PUSHER_BENCH_KEY = "bench-key";

export interface RunningServer {
  name: ServerName;
  port: number;
  pid: number;
  child: ChildProcess;
  /** The last lines the server printed (for error reports). */
  tail: () => string;
  stop: () => Promise<void>;
}

export interface StartOptions {
  /** taskset -c cores for the server, or null for no pinning. */
  cores: string | null;
  /** Extra node flags (e.g. --cpu-prof). */
  nodeFlags?: string[];
}

function command(name: ServerName): { script: string; env: Record<string, string> } {
  switch (name) {
    case "raw-ws":
      return { script: join(ROOT, "bench/anchors/raw-ws.mjs"), env: {} };
    case "socketio":
      return { script: join(ROOT, "bench/anchors/socketio.mjs"), env: {} };
    case "uws":
      return { script: join(ROOT, "bench/anchors/uws.mjs"), env: {} };
    case "switchboard-batched": {
      // The same server with write coalescing on (SWITCHBOARD_WRITE_DELAY_MS, at its cap).
      const base = command("switchboard");
      return { ...base, env: { ...base.env, SWITCHBOARD_WRITE_DELAY_MS: "2" } };
    }
    case "switchboard":
    case "switchboard-pusher":
      return {
        script: SWITCHBOARD_MAIN,
        env: {
          // what a deployment runs: production skips development aids (the durable handlers' guard
          // costs promise hooks on every await)
          NODE_ENV: "production",
          LOG_LEVEL: "warn",
          SWITCHBOARD_JWT_SECRET: BENCH_SECRET,
          SWITCHBOARD_API_KEY: BENCH_API_KEY,
          // The bench publishes far above an end user's command rate and opens 10k sockets.
          SWITCHBOARD_RATE_PER_SECOND: "1000000",
          SWITCHBOARD_RATE_BURST: "1000000",
          SWITCHBOARD_MAX_SUBSCRIPTIONS: "100000",
          SWITCHBOARD_MAX_CONNECTIONS: "1000000",
          SWITCHBOARD_SLOW_CONSUMER_BYTES: String(64 * 1024 * 1024),
          // Every fallback client of the bench comes from 127.0.0.1.
          SWITCHBOARD_HTTP_FALLBACK_IP_RATE_PER_SECOND: "0",
          // The same server; the variant's subscribers come in through the Pusher endpoint.
          SWITCHBOARD_PUSHER_APPS: `${PUSHER_BENCH_APP}:${PUSHER_BENCH_KEY}:${BENCH_SECRET}`,
        },
      };
  }
}

export function available(name: ServerName): { ok: boolean; why?: string } {
  if (name.startsWith("switchboard") && !existsSync(SWITCHBOARD_MAIN)) {
    return { ok: false, why: "packages/server/dist/main.js not found (run `npm run build`)" };
  }
  return { ok: true };
}

export async function startServer(name: ServerName, opts: StartOptions): Promise<RunningServer> {
  const { script, env } = command(name);
  const port = await freePort();
  const dataDir = name.startsWith("switchboard")
    ? mkdtempSync(join(tmpdir(), "switchboard-bench-"))
    : null;
  const node = [process.execPath, ...(opts.nodeFlags ?? []), script];
  const argv = opts.cores ? ["taskset", "-c", opts.cores, ...node] : node;
  // Raise the open-files limit to the hard limit, then exec: the pid we hold is the server's.
  const child = track(
    spawn("sh", ["-c", 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', "sh", ...argv], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        ...env,
        PORT: String(port),
        HOST: "127.0.0.1",
        ...(dataDir && { SWITCHBOARD_DATA_DIR: dataDir }),
      },
    }),
  );
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const l of chunk.toString().split("\n")) if (l.trim()) lines.push(l);
    if (lines.length > 60) lines.splice(0, lines.length - 60);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const alive = () => child.exitCode === null && child.signalCode === null;
  const tail = () => lines.slice(-20).join("\n");
  try {
    // Generous: on a shared 2-core machine a Switchboard start (migrations, modules) can take 20 s.
    await waitForPort(port, 60_000, alive);
  } catch (err) {
    await stopChild(child, 1000);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`${name} did not start: ${(err as Error).message}\n${tail()}`);
  }
  return {
    name,
    port,
    pid: child.pid ?? 0,
    child,
    tail,
    stop: async () => {
      await stopChild(child, 8000);
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

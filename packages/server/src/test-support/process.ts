import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** Everything the process wrote so far. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
}

/** Runs the real server entry point (src/main.ts through tsx) as its own process. */
export function spawnServer(env: Record<string, string>, entry = MAIN): ChildProcess {
  return spawn(process.execPath, ["--conditions=@switchboard/source", "--import", "tsx", entry], {
    env: { PATH: process.env.PATH ?? "", HOST: "127.0.0.1", PORT: "0", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/**
 * Spawns the server and waits for its "listening" log line. The limit is generous: tsx compiles
 * the server in each child, and on a loaded 2-core machine several starting together take long.
 */
export async function startServerProcess(
  env: Record<string, string>,
  timeoutMs = 120_000,
  /** Another entry point (a test fixture's, with extra modules); default src/main.ts. */
  entry?: string,
): Promise<ServerProcess> {
  const child = spawnServer(env, entry);
  let out = "";
  child.stdout?.on("data", (d) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d) => {
    out += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL"); // never leave a half-started server behind
      reject(new Error(`server did not start:\n${out}`));
    }, timeoutMs);
    const check = () => {
      const m = /"msg":"switchboard listening"/.test(out)
        ? /"url":"(http:\/\/[^"]+)"/.exec(out)
        : null;
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout?.on("data", check);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`server exited before listening:\n${out}`));
    });
  });
  return {
    child,
    url,
    output: () => out,
    exited,
    kill: (signal = "SIGKILL") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

/** Process plumbing for the harness: pinning, free ports, /proc sampling, child cleanup. */
import { type ChildProcess, execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { cpus } from "node:os";

const CLK_TCK = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

export function hasTaskset(): boolean {
  try {
    execFileSync("taskset", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Pinning plan: server on core 0, load (and this orchestrator) on the others, when we can. */
export function pinning(): {
  enabled: boolean;
  serverCores: string;
  loadCores: string;
  why: string;
} {
  const n = cpus().length;
  if (n < 2) return { enabled: false, serverCores: "", loadCores: "", why: "one core only" };
  if (!hasTaskset())
    return { enabled: false, serverCores: "", loadCores: "", why: "taskset not found" };
  return { enabled: true, serverCores: "0", loadCores: n === 2 ? "1" : `1-${n - 1}`, why: "" };
}

/** Pins every thread of `pid` to `cores` (taskset -a -p -c). */
export function pin(pid: number, cores: string): void {
  execFileSync("taskset", ["-a", "-p", "-c", cores, String(pid)], { stdio: "ignore" });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Waits until a TCP connect to 127.0.0.1:port succeeds (bounded by timeoutMs). */
export async function waitForPort(
  port: number,
  timeoutMs: number,
  alive: () => boolean,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error("server exited before listening");
    const ok = await new Promise<boolean>((resolve) => {
      const s = createConnection({ host: "127.0.0.1", port });
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listening on 127.0.0.1:${port} after ${timeoutMs} ms`);
}

/** User + system CPU time of a process and all its threads, in microseconds (from /proc). */
export function procCpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  return ((utime + stime) * 1e6) / CLK_TCK;
}

/** User and system CPU time of a process and all its threads, in microseconds (from /proc). */
export function procCpuSplit(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return {
    user: (Number(rest[11]) * 1e6) / CLK_TCK,
    system: (Number(rest[12]) * 1e6) / CLK_TCK,
  };
}

/** Resident set size of a process, in bytes (VmRSS from /proc). */
export function procRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

/** Every child we start is registered here so that Ctrl-C, errors and normal exit all kill it. */
const children = new Set<ChildProcess>();
export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}
export function killAll(signal: NodeJS.Signals = "SIGKILL"): void {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) c.kill(signal);
  }
}

/** Sends SIGTERM, then SIGKILL after graceMs; resolves when the child has exited. */
export function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

let cleanupInstalled = false;
export function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on("exit", () => killAll());
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(sig, () => {
      killAll();
      process.stderr.write(`\nbench: ${sig}, children stopped\n`);
      process.exit(130);
    });
  }
}

/** Raises this process's soft open-files limit to `want` via prlimit, when allowed. */
export function openFilesLimit(): { soft: number; hard: number } {
  try {
    const out = execFileSync("sh", ["-c", "ulimit -Sn; ulimit -Hn"]).toString().trim().split("\n");
    const soft = out[0] === "unlimited" ? Number.POSITIVE_INFINITY : Number(out[0]);
    const hard = out[1] === "unlimited" ? Number.POSITIVE_INFINITY : Number(out[1]);
    return { soft, hard };
  } catch {
    return { soft: Number.NaN, hard: Number.NaN };
  }
}

/** CPU time spent by the whole machine (all cores, all processes), in microseconds, from /proc/stat. */
export function machineBusyMicros(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "";
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal guest guest_nice: busy = all but idle, iowait, guests
  const busy = (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0);
  return (busy * 1e6) / CLK_TCK;
}

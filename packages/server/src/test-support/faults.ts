import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ServerProcess, startServerProcess } from "./process.js";

/** Polls `check` until it holds; throws with `what` after `timeoutMs` (generous: 2 shared cores). */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface HttpResult {
  status: number;
  body: unknown;
  headers: Headers;
}

/** One REST call; a refused or reset connection is status 0 (the caller decides to retry). */
export async function call(
  url: string,
  init: { method?: string; token?: string; body?: unknown; key?: string } = {},
): Promise<HttpResult> {
  try {
    const res = await fetch(url, {
      method: init.method ?? (init.body === undefined ? "GET" : "POST"),
      headers: {
        ...(init.token && { authorization: `Bearer ${init.token}` }),
        ...(init.body !== undefined && { "content-type": "application/json" }),
        ...(init.key && { "idempotency-key": init.key }),
      },
      ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body, headers: res.headers };
  } catch {
    return { status: 0, body: undefined, headers: new Headers() };
  }
}

/**
 * Server processes of one cluster, started with the same secrets and data dir. Each node may get
 * its own environment on top (its own proxy in front of Redis or PostgreSQL). `close()` kills
 * every process it started, also the ones a test already killed or restarted.
 */
export class FaultCluster {
  readonly secret = randomBytes(32).toString("hex");
  readonly apiKey = `sb_fault_${randomBytes(16).toString("hex")}`;
  readonly dataDir = mkdtempSync(join(tmpdir(), "switchboard-faults-"));
  readonly nodes: ServerProcess[] = [];
  private readonly started: ServerProcess[] = [];

  constructor(private readonly env: Record<string, string>) {}

  /** Starts one more node; `env` adds to (or overrides) the cluster's environment. */
  async start(env: Record<string, string> = {}): Promise<ServerProcess> {
    const node = await startServerProcess({
      NODE_ENV: "production",
      SWITCHBOARD_JWT_SECRET: this.secret,
      SWITCHBOARD_API_KEY: this.apiKey,
      SWITCHBOARD_DATA_DIR: this.dataDir,
      SWITCHBOARD_CHAT_BOT: "off",
      ...this.env,
      ...env,
    });
    this.started.push(node);
    this.nodes.push(node);
    return node;
  }

  /** Whether the process is still running (a crash shows here). */
  static alive(node: ServerProcess): boolean {
    return node.child.exitCode === null && node.child.signalCode === null;
  }

  async close(): Promise<void> {
    for (const node of this.started) node.kill("SIGKILL");
    await Promise.all(this.started.map((n) => n.exited));
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

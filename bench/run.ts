/**
 * `npm run bench [-- options]`: Switchboard against its anchors (uWebSockets.js, a raw `ws`
 * server, Socket.IO 4), same scenarios, same run, same load generator.
 *
 *   --quick                 short version (< 2 minutes)
 *   --servers a,b           subset of switchboard,switchboard-pusher,switchboard-batched (fan-out with
 *                           SWITCHBOARD_WRITE_DELAY_MS=2),uws,raw-ws,socketio
 *   --scenarios a,b         subset of fanout,channels,connections,recovery,reservations,chat,
 *                           cluster (Switchboard on 1 vs 2 nodes on Redis; needs Redis),
 *                           pricing (quotes/s with 50 rules; a signal change → 1,000 product channels),
 *                           appointments (holds/s racing over 100 slots; slot search p99, a year booked),
 *                           transports (HTTP fallback vs WebSocket fan-out; permessage-deflate vs none),
 *                           events (durable domain events/s; SQLite, and PostgreSQL when reachable),
 *                           scaleout (Redis CPU per publication/presence change, node CPU per
 *                           delivery, and the 1–8 node model built from them; needs Redis),
 *                           notifications (in-app notifications/s end to end vs a plain publish; bulk send to 10,000),
 *                           metrics (event → dashboard:overview latency under the simulator; rollup cost)
 *   --load-procs N          load-generator processes (default 1; all share the load cores)
 *   --profile               run Switchboard with --cpu-prof and summarize its hot spots
 *   --out DIR               where results go (default bench/results)
 *
 * Every child process (servers, load workers) is killed on exit, on error and on Ctrl-C.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, release, totalmem, type } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type Ctx, type CurvePoint, FULL, type Plan, QUICK, type Row } from "./lib/context.js";
import { installCleanup, killAll, openFilesLimit, pin, pinning } from "./lib/proc.js";
import { hotspots, summarizeProfile } from "./lib/profile.js";
import { type Machine, markdown, type Results, svg, tables, targets } from "./lib/report.js";
import {
  ALL_SERVERS,
  available,
  FANOUT_ONLY,
  LABELS,
  ROOT,
  type ServerName,
} from "./lib/servers.js";
import { LoadPool } from "./load/pool.js";
import { appointments } from "./scenarios/appointments.js";
import { manyChannels } from "./scenarios/channels.js";
import { chat } from "./scenarios/chat.js";
import { cluster } from "./scenarios/cluster.js";
import { connections } from "./scenarios/connections.js";
import { durableEvents } from "./scenarios/events.js";
import { fanout } from "./scenarios/fanout.js";
import { metrics } from "./scenarios/metrics.js";
import { notifications } from "./scenarios/notifications.js";
import { pricing } from "./scenarios/pricing.js";
import { recovery } from "./scenarios/recovery.js";
import { reservations } from "./scenarios/reservations.js";
import { scaleout } from "./scenarios/scaleout.js";
import { transports } from "./scenarios/transports.js";

const SCENARIOS = {
  fanout,
  channels: manyChannels,
  connections,
  recovery,
  reservations,
  appointments,
  chat,
  cluster,
  pricing,
  transports,
  scaleout,
  events: durableEvents,
  metrics,
  notifications,
} as const;
type ScenarioName = keyof typeof SCENARIOS;

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    servers: { type: "string" },
    scenarios: { type: "string" },
    "load-procs": { type: "string", default: "1" },
    profile: { type: "boolean", default: false },
    out: { type: "string", default: join(ROOT, "bench/results") },
  },
  allowPositionals: false,
});

function list<T extends string>(arg: string | undefined, all: readonly T[], what: string): T[] {
  if (!arg) return [...all];
  const picked = arg.split(",").map((s) => s.trim()) as T[];
  for (const p of picked)
    if (!all.includes(p)) throw new Error(`unknown ${what} "${p}" (one of ${all.join(", ")})`);
  return picked;
}

function machine(pinDesc: string, loadProcs: number, files: string): Machine {
  let os = `${type()} ${release()}`;
  try {
    const pretty = /PRETTY_NAME="([^"]+)"/.exec(readFileSync("/etc/os-release", "utf8"));
    if (pretty) os = `${pretty[1]} (${type()} ${release()})`;
  } catch {
    // not Linux-like; keep os.type()
  }
  return {
    cpuModel: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memoryBytes: totalmem(),
    node: process.version,
    os,
    pinning: pinDesc,
    loadProcesses: loadProcs,
    openFiles: files,
  };
}

/** Builds packages/server (incremental tsc -b) so the bench measures the current code. */
function buildSwitchboard(): string | null {
  if (!existsSync(join(ROOT, "packages/server/src/main.ts"))) return null;
  process.stdout.write("bench: building packages/server (tsc -b) … ");
  try {
    execFileSync(join(ROOT, "node_modules/.bin/tsc"), ["-b", "packages/server"], {
      cwd: ROOT,
      stdio: "pipe",
    });
    console.log("ok");
    return null;
  } catch (err) {
    console.log("failed");
    const out = String((err as { stdout?: Buffer }).stdout ?? "").slice(0, 400);
    return `building packages/server failed; measuring the existing dist if any: ${out}`;
  }
}

async function main(): Promise<void> {
  installCleanup();
  const plan: Plan = structuredClone(values.quick ? QUICK : FULL);
  const servers = list<ServerName>(values.servers, ALL_SERVERS, "server");
  const scenarios = list<ScenarioName>(
    values.scenarios ?? (values.profile ? "fanout" : undefined),
    Object.keys(SCENARIOS) as ScenarioName[],
    "scenario",
  );
  const loadProcs = Math.max(1, Math.min(8, Number(values["load-procs"]) || 1));
  const notes: string[] = [];
  const started = new Date();
  const t0 = Date.now();
  const stamp = started.toISOString().replace(/[:.]/g, "-");
  const outDir = values.out ?? join(ROOT, "bench/results");
  mkdirSync(outDir, { recursive: true });

  const pins = pinning();
  let pinDesc = `none (${pins.why})`;
  if (pins.enabled) {
    pin(process.pid, pins.loadCores);
    pinDesc = `server on core ${pins.serverCores}, load generator and harness on core(s) ${pins.loadCores} (taskset)`;
  }
  const files = openFilesLimit();
  const need = plan.idle.connections + 200;
  if (files.hard < need) {
    notes.push(
      `open-files hard limit ${files.hard} < ${need}: idle/storm connections capped at ${files.hard - 200}`,
    );
    plan.idle.connections = Math.max(100, files.hard - 200);
  }
  const filesDesc = `soft ${files.soft}, hard ${files.hard} (children raise soft to hard)`;

  if (servers.some((s) => s.startsWith("switchboard"))) {
    const b = buildSwitchboard();
    if (b) notes.push(b);
  }
  const runnable = servers.filter((s) => {
    const a = available(s);
    if (!a.ok) notes.push(`${LABELS[s]} skipped: ${a.why}`);
    return a.ok;
  });
  const profileDir = join(outDir, `profile-${stamp}`);
  const rows: Row[] = [];
  const profileWindows = new Map<string, Array<[number, number]>>();
  const curves: Results["curves"] = {};
  const elapsed = () => {
    const s = Math.round((Date.now() - t0) / 1000);
    return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
  };
  console.log(
    `bench: ${values.quick ? "quick" : "full"} run; servers ${runnable.join(", ")}; scenarios ${scenarios.join(", ")}; ` +
      `${cpus().length} cores; pinning: ${pinDesc}; ${loadProcs} load process(es)`,
  );
  for (const n of notes) console.log(`bench: note: ${n}`);

  const pool = await LoadPool.start(loadProcs, pins.enabled ? pins.loadCores : null);
  const ctx: Ctx = {
    plan,
    pool,
    serverCores: pins.enabled ? pins.serverCores : null,
    nodeFlagsFor: (s) =>
      values.profile && s === "switchboard" ? ["--cpu-prof", "--cpu-prof-dir", profileDir] : [],
    add: (row) => rows.push(row),
    curve: (scenario: string, server: ServerName, point: CurvePoint) => {
      const byServer = curves[scenario] ?? {};
      curves[scenario] = byServer;
      const pts = byServer[server] ?? [];
      byServer[server] = pts;
      pts.push(point);
    },
    window: (server, label, a, b) => {
      if (server !== "switchboard") return;
      const list = profileWindows.get(label) ?? [];
      profileWindows.set(label, list);
      list.push([a, b]);
    },
    progress: (text) => console.log(`[${elapsed()}] ${text}`),
    note: (text) => {
      notes.push(text);
      console.log(`[${elapsed()}] note: ${text}`);
    },
  };
  try {
    for (const scenario of scenarios) {
      for (const server of runnable) {
        if (FANOUT_ONLY.includes(server) && scenario !== "fanout") continue;
        try {
          await SCENARIOS[scenario](ctx, server);
        } catch (err) {
          const msg = (err as Error).message;
          ctx.note(
            `${scenario} on ${LABELS[server]} failed: ${msg.split("\n").slice(0, 12).join(" ⏎ ")}`,
          );
        }
      }
    }
  } finally {
    await pool.stop();
  }

  const res: Results = {
    machine: machine(pinDesc, loadProcs, filesDesc),
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    mode: values.quick ? "quick" : "full",
    scenarios: rows,
    curves,
    notes,
  };
  if (values.profile) {
    try {
      const profiles = readdirSync(profileDir).filter((f) => f.endsWith(".cpuprofile"));
      for (const f of profiles) {
        const profile = JSON.parse(readFileSync(join(profileDir, f), "utf8"));
        const parts = [...profileWindows.entries()]
          .filter(([, windows]) => hotspots(profile, windows).total > 0)
          .map(([label, windows]) => `## ${label}\n${summarizeProfile(profile, 25, windows)}`);
        if (parts.length === 0) parts.push(summarizeProfile(profile, 25));
        const summary = parts.join("\n\n");
        writeFileSync(join(profileDir, `${f}.txt`), summary);
        console.log(
          `\nCPU profile of Switchboard (${join(profileDir, f)}), top self time:\n${summary}`,
        );
      }
      if (profiles.length === 0) notes.push(`no .cpuprofile written in ${profileDir}`);
    } catch (err) {
      notes.push(`profile summary failed: ${(err as Error).message}`);
    }
  }
  const base = join(outDir, stamp);
  writeFileSync(`${base}.json`, `${JSON.stringify(res, null, 2)}\n`);
  writeFileSync(`${base}.md`, `${markdown(res)}\n![throughput vs p99](${stamp}.svg)\n`);
  writeFileSync(
    `${base}.svg`,
    svg(
      curves.fanout ?? {},
      `Fan-out to ${plan.fanout.subscribers} subscribers: throughput vs p99 (${res.mode})`,
    ),
  );
  console.log(`\n${tables(rows)}`);
  if (rows.some((r) => r.server === "switchboard"))
    console.log(`\nTargets (issue 4):\n${targets(rows)}`);
  if (notes.length) console.log(`\nNotes:\n${notes.map((n) => `- ${n}`).join("\n")}`);
  console.log(`\nbench: done in ${elapsed()}; results in ${base}.{json,md,svg}`);
}

main().then(
  () => {
    killAll();
    process.exit(0);
  },
  (err) => {
    console.error(`bench failed: ${(err as Error).stack ?? err}`);
    killAll();
    process.exit(1);
  },
);

/** What every scenario gets: the plan, the load pool, the result sink and a progress printer. */
import type { LoadPool } from "../load/pool.js";
import type { ServerName } from "./servers.js";

export interface Plan {
  quick: boolean;
  fanout: {
    subscribers: number;
    steps: number[];
    warmupMs: number;
    durationMs: number;
    maxP99Ms: number;
  };
  channels: {
    clients: number;
    channels: number;
    steps: number[];
    warmupMs: number;
    durationMs: number;
  };
  /**
   * Connection storm and idle memory: `rounds` storms of `connections` each (the first one also
   * measures idle memory, on a cold JIT); the per-connection CPU is the median warm round, net of
   * the server's idle CPU.
   */
  idle: { connections: number; concurrency: number; settleMs: number; rounds: number };
  recovery: { rounds: number; messages: number };
}

export const FULL: Plan = {
  quick: false,
  fanout: {
    subscribers: 1000,
    steps: [
      10_000, 25_000, 50_000, 85_000, 110_000, 140_000, 170_000, 200_000, 250_000, 300_000, 350_000,
      400_000, 500_000,
    ],
    warmupMs: 1000,
    durationMs: 4000,
    maxP99Ms: 50,
  },
  channels: {
    clients: 5000,
    channels: 100,
    steps: [25_000, 50_000, 85_000],
    warmupMs: 1000,
    durationMs: 4000,
  },
  idle: { connections: 10_000, concurrency: 200, settleMs: 3000, rounds: 6 },
  recovery: { rounds: 20, messages: 1000 },
};

export const QUICK: Plan = {
  quick: true,
  fanout: {
    subscribers: 1000,
    // 350k: between 300k and 400k a 0.8× ratio to a server holding 400k is decided
    steps: [25_000, 85_000, 140_000, 200_000, 300_000, 350_000, 400_000, 500_000],
    warmupMs: 300,
    durationMs: 1000,
    maxP99Ms: 50,
  },
  channels: { clients: 2000, channels: 100, steps: [85_000], warmupMs: 300, durationMs: 1000 },
  idle: { connections: 2000, concurrency: 200, settleMs: 1000, rounds: 4 },
  recovery: { rounds: 5, messages: 1000 },
};

/** One row of the results (the JSON shape the issue asks for, plus scenario-specific extras). */
export interface Row {
  name: string;
  server: ServerName;
  deliveriesPerSec: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  cpuMicrosPerDelivery: number | null;
  rssBytes: number | null;
  rssBytesPerConn: number | null;
  connectsPerSec?: number | null;
  cpuMicrosPerConnect?: number | null;
  /** The same before the server's idle CPU (timers, background loops) is taken off. */
  cpuMicrosPerConnectGross?: number | null;
  /** The connection storm's first round, on a cold JIT (net of idle CPU). */
  cpuMicrosPerConnectCold?: number | null;
  /** Per-round figures behind a median (their spread is the noise). */
  rounds?: number[] | null;
  serverCpuPercent?: number | null;
  loadCpuPercent?: number | null;
  loadElu?: number | null;
  /** CPU other processes on the machine used during the window (% of one core): noise. */
  foreignCpuPercent?: number | null;
  targetPerSec?: number | null;
  /** What limited this figure, when we can tell (e.g. "load generator", "p99 > 50 ms"). */
  limitedBy?: string | null;
  note?: string | null;
}

export interface CurvePoint {
  targetPerSec: number;
  deliveriesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  serverCpuPercent: number;
  cpuMicrosPerDelivery: number;
  loadElu: number;
}

export interface Ctx {
  plan: Plan;
  pool: LoadPool;
  serverCores: string | null;
  nodeFlagsFor: (server: ServerName) => string[];
  add: (row: Row) => void;
  curve: (scenario: string, server: ServerName, point: CurvePoint) => void;
  /** A measurement window on `server` in CLOCK_MONOTONIC µs (the clock of V8 CPU profiles). */
  window: (server: ServerName, label: string, startUs: number, endUs: number) => void;
  progress: (text: string) => void;
  note: (text: string) => void;
}

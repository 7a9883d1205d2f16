/** The IPC contract between the orchestrator (bench/load/pool.ts) and a load worker. */
import type { HistogramSnapshot } from "../lib/histogram.js";
import type { DialectName } from "./dialects.js";

export interface OpenCommand {
  op: "open";
  dialect: DialectName;
  port: number;
  /** Connections to open; each subscribes channels[(offset + i) % channels.length]. */
  count: number;
  offset: number;
  channels: string[];
  /** One publisher connection (no subscription) instead of subscribers. */
  publisher?: boolean;
  concurrency: number;
  timeoutMs: number;
  /** Switchboard: tokens are minted here, before the clock starts. */
  auth?: { secret: string; role: "admin" | "customer"; subPrefix: string };
}

export type WorkerCommand =
  | OpenCommand
  | { op: "run"; warmupMs: number; durationMs: number; rate: number; channels: string[] }
  | { op: "counters" }
  | {
      op: "recover";
      port: number;
      rounds: number;
      messages: number;
      timeoutMs: number;
      auth: { secret: string };
    }
  | { op: "close" }
  | { op: "exit" };

export interface OpenResult {
  ok: number;
  failed: number;
  errors: string[];
  elapsedMs: number;
  /** Event-loop utilization and CPU (ms) of the load process while it was opening. */
  elu: number;
  cpuMs: number;
}

export interface WorkerRunResult {
  deliveries: number;
  histogram: HistogramSnapshot;
  min: number;
  max: number;
  published: number;
  publishedInWindow: number;
  windowMs: number;
  /** CPU this load process spent in the window (user + system), ms. */
  cpuMs: number;
  /** Event-loop utilization of this load process in the window (1 = saturated). */
  elu: number;
  unexpectedCloses: number;
  closeReasons: Array<[string, number]>;
  stray: number;
  straySample: string[];
}

export interface RecoverResult {
  times: number[];
  failures: string[];
}

export interface WorkerReply {
  seq: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

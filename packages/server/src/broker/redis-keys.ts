import type { Redis } from "ioredis";
import { SwitchboardError } from "../errors.js";

/**
 * Where everything lives in Redis. A channel's keys share its name in braces, so in Redis
 * Cluster they hash to one slot and its Lua scripts may touch them together.
 */
export class RedisKeys {
  constructor(private readonly prefix: string) {}

  channel(channel: string, part: string): string {
    return `${this.prefix}{${channel}}:${part}`;
  }
  pubsub(channel: string): string {
    return `${this.prefix}pub:${channel}`;
  }
  node(nodeId: string, part: string): string {
    return `${this.prefix}node:${nodeId}:${part}`;
  }
  get nodes(): string {
    return `${this.prefix}nodes`;
  }
}

/** The Lua scripts of redis-scripts.ts, as ioredis commands (`defineCommand`). */
export interface Scripts {
  sbPublish(...args: (string | number)[]): Promise<[string, number, number]>;
  /** [epoch ('' when none), offset, nowMs, oldest, ...entries] */
  sbReadStream(
    ...args: (string | number)[]
  ): Promise<[string, number, string, number, ...string[]]>;
  sbPresenceAdd(...args: (string | number)[]): Promise<number>;
  sbPresenceRemove(...args: (string | number)[]): Promise<[string, number] | null>;
}

export type ScriptedRedis = Redis & Scripts;

/** What a caller sees when Redis fails: retryable, never a silent loss. */
export function unavailable(error: unknown): SwitchboardError {
  if (error instanceof SwitchboardError) return error;
  return new SwitchboardError("unavailable", "broker (Redis) unavailable; retry", {
    details: { reason: error instanceof Error ? error.message : String(error) },
  });
}

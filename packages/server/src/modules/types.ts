import type { FastifyInstance } from "fastify";
import type { Kysely, Transaction } from "kysely";
import type { Logger } from "pino";
import type { z } from "zod";
import type { Broker } from "../broker/types.js";
import type { Config } from "../config.js";
import type { UpgradeHandler } from "../gateway/gateway.js";
import type { NamespaceDeclaration, Namespaces } from "../gateway/namespaces.js";
import type { RpcRegistry } from "../gateway/rpc.js";
import type { AuthHooks } from "../http/auth.js";
import type { JobRunner } from "../jobs/runner.js";
import type { ModuleEvents, ModuleScheduler } from "../platform/durable/types.js";
import type { ErrorDeclarations } from "../platform/error-codes.js";
import type { ModuleConfig } from "../platform/module-config.js";
import type { Dialect } from "../store/db.js";
import type { MigrationSet } from "../store/migrations.js";
import type { Outbox } from "../store/outbox.js";
import type { Database } from "../store/schema.js";

/** What the platform hands a module when it registers. */
export interface ModuleContext<Settings = unknown> {
  config: Config;
  logger: Logger;
  db: Kysely<Database>;
  dialect: Dialect;
  broker: Broker;
  namespaces: Namespaces;
  rpc: RpcRegistry;
  /**
   * Durable domain events (`emit` in the module's transaction, `on` for handlers of other
   * modules' events) and, as `events.local`, the in-process bus for live-only uses.
   */
  events: ModuleEvents;
  /** Tasks that run at a time, once, on one node, after restarts (upsert/cancel by key). */
  scheduler: ModuleScheduler;
  /** Runs `fn` in one database transaction (commit on return, roll back on throw). */
  transaction<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T>;
  http: FastifyInstance;
  auth: AuthHooks;
  jobs: JobRunner;
  /** Realtime messages written in the same transaction as the change they announce. */
  outbox: Outbox;
  /** Server-side publish with the namespace's history options (what services call). */
  publish(
    channel: string,
    event: string,
    data: unknown,
    key?: string,
  ): Promise<{ epoch: string; offset: number }>;
  /**
   * Serve WebSocket upgrades under a path prefix with a protocol of the module's own (the Pusher
   * endpoint). Its sockets hear the broker through `broker.onEvent`, which adds a listener.
   */
  routeUpgrades(prefix: string, handler: UpgradeHandler): void;
  /** This module's settings, parsed from its config section at start-up. */
  settings: Settings;
  /**
   * A test-only crash point: with `SWITCHBOARD_CRASH_POINTS` naming `point` (NODE_ENV=test only) the
   * process kills itself here, as a power cut would. Does nothing otherwise.
   */
  crashPoint(point: string): void;
}

/**
 * A business module: one folder under modules/, declared by its index.ts and registered by one
 * line in modules/index.ts. It declares what it owns — tables, error codes, namespaces, config
 * section, token claims — and wires its routes, rpc methods, policies, event handlers and jobs in
 * register(). Its wire contract (payload schemas, channel names, error codes) is its contract.ts,
 * which clients import. It never imports another module's files: it listens to domain events or
 * calls the other's index.ts surface.
 */
export interface SwitchboardModule<Settings = unknown> {
  /** Lower-case name: the `SWITCHBOARD_MODULES` entry and the prefix of its variables. */
  name: string;
  migrations: MigrationSet;
  /** Its error codes and their HTTP status (usually its contract's table). */
  errors?: ErrorDeclarations;
  /** The channel namespaces it owns, with their history, presence, signals and policy. */
  namespaces?: readonly NamespaceDeclaration[];
  /** Its config section: variables `SWITCHBOARD_<NAME>_…`, one zod schema, → `ctx.settings`. */
  config?: ModuleConfig<Settings>;
  /**
   * Token claims of its own that it reads (all optional): validated with every token, kept in
   * `identity.claims`, read with `claimsOf(schema, identity)`.
   */
  claims?: z.ZodObject;
  register(ctx: ModuleContext<Settings>): void | Promise<void>;
}

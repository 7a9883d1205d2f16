import type { FastifyInstance } from "fastify";
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Broker } from "../broker/types.js";
import type { Config } from "../config.js";
import type { EventBus } from "../events.js";
import type { Namespaces } from "../gateway/namespaces.js";
import type { RpcRegistry } from "../gateway/rpc.js";
import type { AuthHooks } from "../http/auth.js";
import type { JobRunner } from "../jobs/runner.js";
import type { Dialect } from "../store/db.js";
import type { MigrationSet } from "../store/migrations.js";
import type { Outbox } from "../store/outbox.js";
import type { Database } from "../store/schema.js";

/** What the platform hands a module when it registers. */
export interface ModuleContext {
  config: Config;
  logger: Logger;
  db: Kysely<Database>;
  dialect: Dialect;
  broker: Broker;
  namespaces: Namespaces;
  rpc: RpcRegistry;
  events: EventBus;
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
}

/**
 * A business module: one folder under modules/, declared by its index.ts. It brings its
 * migrations and, in register(), its routes, rpc methods, channel policies, event handlers and
 * background jobs. It never imports another module's files: it listens to domain events or calls
 * the other's index.ts surface.
 */
export interface SwitchboardModule {
  name: string;
  migrations: MigrationSet;
  register(ctx: ModuleContext): void | Promise<void>;
}

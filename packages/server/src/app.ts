import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { Redis } from "ioredis";
import type { Logger } from "pino";
import { resolveSecrets, type Secrets } from "./auth/dev-secrets.js";
import { createTokenVerifier, ownTokenClaims, type TokenVerifier } from "./auth/tokens.js";
import { createMemoryBroker } from "./broker/memory.js";
import { RedisBroker } from "./broker/redis.js";
import { ShardedBroker } from "./broker/sharded.js";
import { SharedBroker } from "./broker/shared.js";
import { type Broker, publisherKey } from "./broker/types.js";
import type { Config } from "./config.js";
import { Gateway } from "./gateway/gateway.js";
import { HttpFallback } from "./gateway/http_fallback.js";
import { registerHttpFallback } from "./gateway/http_fallback_routes.js";
import { Namespaces } from "./gateway/namespaces.js";
import { RpcRegistry } from "./gateway/rpc.js";
import { authHooks, createRequestAuthenticator } from "./http/auth.js";
import { purgeIdempotencyKeys, registerIdempotency } from "./http/idempotency.js";
import { registerChannelRoutes } from "./http/routes/channels.js";
import { registerDeadLetterRoutes } from "./http/routes/dead-letters.js";
import { registerDevTokenRoute } from "./http/routes/dev-token.js";
import { registerHealthRoutes } from "./http/routes/health.js";
import { DEFAULT_WEB_DIR, registerWebApp } from "./http/routes/web.js";
import { createHttpServer } from "./http/server.js";
import { ulid } from "./ids.js";
import { JobRunner } from "./jobs/runner.js";
import { createLogger } from "./logger.js";
import { Metrics } from "./metrics.js";
import { builtInModules } from "./modules/index.js";
import type { ModuleContext, SwitchboardModule } from "./modules/types.js";
import { assertPolicies, composeModules } from "./platform/compose.js";
import { createCrashPoints } from "./platform/crash-points.js";
import { DurableEvents } from "./platform/durable/events.js";
import { enableHandlerGuard } from "./platform/durable/handler-guard.js";
import { Scheduler } from "./platform/durable/scheduler.js";
import { coreMigrations } from "./store/core-migrations.js";
import { openStore, type Store, type StoreOptions } from "./store/db.js";
import { migrate } from "./store/migrations.js";
import { Outbox } from "./store/outbox.js";
import { VERSION } from "./version.js";

export interface AppOptions {
  /** Use this broker instead of the one the config names (tests: several nodes on one hub). */
  broker?: Broker;
  logger?: Logger;
  /**
   * The modules this server has; default: every built-in module. The config says which of them
   * run (SWITCHBOARD_MODULES) and holds their settings: load it with the same list.
   */
  modules?: SwitchboardModule[];
  store?: StoreOptions;
}

export interface App {
  config: Config;
  secrets: Secrets;
  logger: Logger;
  /** The modules running, in registration order. */
  modules: SwitchboardModule[];
  metrics: Metrics;
  broker: Broker;
  store: Store;
  /** Durable domain events; `events.local` is the in-process bus. */
  events: DurableEvents;
  /** Realtime publications written with a change (deliveries of the durable event table). */
  outbox: Outbox;
  scheduler: Scheduler;
  jobs: JobRunner;
  namespaces: Namespaces;
  rpc: RpcRegistry;
  gateway: Gateway;
  http: FastifyInstance;
  verifyToken: TokenVerifier;
  /** Listen on config.host:config.port; resolves with the bound address. */
  listen(): Promise<{ url: string; port: number }>;
  /**
   * Graceful stop: drain sockets (1012), stop jobs, let REST requests in flight finish, then close
   * the broker and the database. Idempotent.
   */
  close(): Promise<void>;
}

/** The memory broker for one node; Redis when REDIS_URL is set. */
async function createBroker(config: Config, logger: Logger): Promise<Broker> {
  if (!config.redisUrl) return createMemoryBroker();
  const urls = config.redisUrls ?? [config.redisUrl];
  if (urls.length > 1) {
    return ShardedBroker.connect(urls, {
      prefix: config.redisPrefix,
      nodeTtlMs: config.nodeTtlMs,
      logger,
    });
  }
  return RedisBroker.connect({
    url: config.redisUrl,
    prefix: config.redisPrefix,
    nodeTtlMs: config.nodeTtlMs,
    logger,
  });
}

function readyOrTimeout(redis: Redis, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    redis.once("ready", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The modules of `available` the config turns on, in order; a name it has not got is an error. */
export function runningModules(
  config: Config,
  available: SwitchboardModule[] = builtInModules(),
): SwitchboardModule[] {
  for (const name of config.modules)
    if (!available.some((m) => m.name === name))
      throw new Error(`the config runs module ${name}, which this server does not have`);
  return available.filter((m) => config.modules.includes(m.name));
}

/**
 * Opens the database and brings it to the latest schema (what start-up and `switchboard migrate`
 * do): the core tables and those of the modules that run.
 */
export async function openMigratedStore(
  config: Config,
  modules: SwitchboardModule[] = runningModules(config),
  options: StoreOptions = {},
): Promise<Store> {
  const store = await openStore(config, options);
  const sets = [coreMigrations, ...modules.map((m) => m.migrations)];
  // Nodes of a cluster start together: one migrates under Kysely's lock; another may trip over
  // the first creating the bookkeeping tables, and simply tries again.
  for (let attempt = 1; ; attempt++) {
    try {
      await migrate(store.db, sets, { postgres: store.dialect === "postgres" });
      return store;
    } catch (error) {
      if (attempt >= 5) {
        await store.close();
        throw error;
      }
      await new Promise((r) => setTimeout(r, 200 * attempt + Math.random() * 200));
    }
  }
}

/** Composes the server: HTTP + gateway + broker + store + modules. */
export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const logger = options.logger ?? createLogger(config);
  const secrets = resolveSecrets(config);
  const metrics = new Metrics();
  const modules = runningModules(config, options.modules);
  const namespaces = new Namespaces();
  const declared = composeModules(modules, namespaces);
  // Outside production a durable handler or task that uses `db` instead of its transaction
  // fails at once with a named error (on SQLite it would wait forever): handler-guard.ts.
  if (config.env !== "production") enableHandlerGuard();
  const store = await openMigratedStore(config, modules, { logger, ...options.store });
  // Shared: the gateway and modules with sockets of their own (Pusher) each listen to it.
  const broker = new SharedBroker(options.broker ?? (await createBroker(config, logger)));
  const rpc = new RpcRegistry();
  const processId = `${broker.nodeId}:${ulid()}`;
  const jobs = new JobRunner(store.db, processId, logger);
  const durable = {
    db: store.db,
    logger,
    nodeId: processId,
    registry: metrics.registry,
    ...config.durable,
  };
  const events = new DurableEvents({ ...durable, dialect: store.dialect });
  const scheduler = new Scheduler(durable);
  const verifyToken = createTokenVerifier({
    ...(secrets.jwtSecret && { secret: secrets.jwtSecret }),
    ...(config.jwksUrl && { jwksUrl: config.jwksUrl }),
    jwksCooldownMs: config.jwksCooldownMs,
    jwksMaxAgeMs: config.jwksMaxAgeMs,
    requireExp: config.env === "production",
    ...(declared.claims && { claims: declared.claims }),
    jwt: config.jwt,
  });
  const gateway = new Gateway({ config, broker, namespaces, rpc, verifyToken, metrics, logger });
  // REST rate limits count in Redis when there is one, so a limit holds across nodes. Commands
  // fail at once while Redis is away (no offline queue) and the limiter then lets requests pass.
  const rateLimitRedis =
    config.redisUrl && config.http.rateLimit > 0
      ? new Redis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })
      : undefined;
  rateLimitRedis?.on("error", (err) => logger.debug({ err }, "rate-limit redis"));
  // Counting starts with the first request, not when the link happens to come up; a Redis that is
  // down now does not hold up start-up (the limiter lets requests pass until it is back).
  if (rateLimitRedis) await readyOrTimeout(rateLimitRedis, 5000);
  let draining = false;
  const http = await createHttpServer({
    logger,
    metrics,
    version: VERSION,
    bodyLimit: Math.max(config.limits.maxFrameBytes, 1024 * 1024),
    spaIndexHtml: join(config.webDir ?? DEFAULT_WEB_DIR, "index.html"),
    statusOf: (code) => declared.errors.statusOf(code),
    isDraining: () => draining,
    edge: {
      ...config.http,
      ...(secrets.apiKey && { apiKey: secrets.apiKey }),
      ...(rateLimitRedis && { rateLimitRedis, redisPrefix: config.redisPrefix }),
    },
  });
  const auth = authHooks(
    createRequestAuthenticator({ verifyToken, ...(secrets.apiKey && { apiKey: secrets.apiKey }) }),
  );
  registerHealthRoutes(http, {
    metrics,
    checks: [
      { name: "broker", check: () => broker.ready() },
      { name: "database", check: () => store.ready() },
    ],
    isDraining: () => draining,
    metricsAccess: {
      enabled: config.http.metrics,
      ...(config.http.metricsToken && { token: config.http.metricsToken }),
    },
  });
  registerIdempotency(http, store.db, {
    nodeId: broker.nodeId,
    leaseMs: config.idempotencyLeaseMs,
    logger,
  });
  registerChannelRoutes(http, { broker, gateway, namespaces, auth });
  registerDeadLetterRoutes(http, { db: store.db, auth });
  if (config.transports.httpFallback)
    registerHttpFallback(
      http,
      new HttpFallback({ config, gateway, broker, logger }),
      config.transports.ipRate,
    );
  if (config.env !== "production" && secrets.jwtSecret)
    registerDevTokenRoute(http, secrets.jwtSecret, ownTokenClaims(config.jwt));

  const publishOf =
    (serializes: boolean) =>
    async (channel: string, event: string, data: unknown, key?: string) => {
      const { namespace } = namespaces.resolve(channel);
      const r = await broker.publish(channel, {
        event,
        data,
        history: namespace.options.history,
        ...(key && { key: publisherKey({ kind: "module" }, key) }),
        ...(serializes && { serializes }),
      });
      return { epoch: r.epoch, offset: r.offset };
    };
  const publish = publishOf(false);
  const crashPoint = createCrashPoints(config.crashPoints);
  // Publications are deliveries of the durable event table (handler realtime.publish): the
  // same dead letters, counters and claims; published right after the commit by this node.
  // the outbox's messages were serialized into their rows (or read back from them)
  const outbox = new Outbox(store.db, publishOf(true), logger, {
    dialect: store.dialect,
    nodeId: processId,
    leaseMs: config.durable.leaseMs,
    counters: events.counters,
    crashPoint,
    // the memory broker is one node's: no other process writes publications meanwhile
    exclusive: !options.broker && !config.redisUrl,
  });
  const context: Omit<ModuleContext, "settings"> = {
    config,
    logger,
    db: store.db,
    dialect: store.dialect,
    broker,
    namespaces,
    rpc,
    events,
    scheduler,
    transaction: (fn) => store.db.transaction().execute(fn),
    http,
    auth,
    jobs,
    outbox,
    publish,
    crashPoint,
    routeUpgrades: (prefix, handler) => gateway.routeUpgrades(prefix, handler),
  };
  for (const module of modules)
    await module.register({
      ...context,
      logger: logger.child({ module: module.name }),
      settings: config.moduleSettings[module.name],
    });
  assertPolicies(namespaces);
  jobs.add({
    name: "outbox-sweep",
    intervalMs: 2000,
    run: async () => void (await outbox.sweep()),
  });
  jobs.add({
    name: "idempotency-retention",
    intervalMs: 60 * 60 * 1000,
    run: async () => void (await purgeIdempotencyKeys(store.db)),
  });

  await registerWebApp(http, config.webDir ?? DEFAULT_WEB_DIR);
  http.server.on("upgrade", (req, socket, head) => gateway.handleUpgrade(req, socket, head));
  await http.ready();
  events.start();
  scheduler.start();

  let closing: Promise<void> | undefined;
  return {
    config,
    secrets,
    logger,
    modules,
    metrics,
    broker,
    store,
    events,
    outbox,
    scheduler,
    jobs,
    namespaces,
    rpc,
    gateway,
    http,
    verifyToken,
    async listen() {
      // a burst of connects (a page of shoppers, a reconnect storm) can pass Node's default 511
      // waiting connections; the kernel still caps it (net.core.somaxconn)
      await http.listen({ port: config.port, host: config.host, backlog: 4096 });
      const { port } = http.server.address() as AddressInfo;
      const host = config.host.includes(":") ? `[${config.host}]` : config.host;
      return { url: `http://${host}:${port}`, port };
    },
    close() {
      closing ??= (async () => {
        draining = true;
        await gateway.shutdown(config.drainTimeoutMs);
        await jobs.stop();
        // REST requests in flight finish before the database closes (new ones get 503); one
        // that still runs after the drain timeout is cut.
        const cut = setTimeout(() => http.server.closeAllConnections(), config.drainTimeoutMs);
        await http.close();
        clearTimeout(cut);
        rateLimitRedis?.disconnect();
        await scheduler.stop();
        await events.stop();
        await outbox.settled(); // published rows' merged delete, so a restart does not resend them
        await broker.close();
        await store.close();
      })();
      return closing;
    },
  };
}

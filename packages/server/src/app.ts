import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { resolveSecrets, type Secrets } from "./auth/dev-secrets.js";
import { createTokenVerifier, type TokenVerifier } from "./auth/tokens.js";
import { createMemoryBroker } from "./broker/memory.js";
import { RedisBroker } from "./broker/redis.js";
import type { Broker } from "./broker/types.js";
import type { Config } from "./config.js";
import { Gateway } from "./gateway/gateway.js";
import { Namespaces } from "./gateway/namespaces.js";
import { RpcRegistry } from "./gateway/rpc.js";
import { authHooks, createRequestAuthenticator } from "./http/auth.js";
import { registerChannelRoutes } from "./http/routes/channels.js";
import { registerHealthRoutes } from "./http/routes/health.js";
import { registerRootRoute } from "./http/routes/root.js";
import { createHttpServer } from "./http/server.js";
import { createLogger } from "./logger.js";
import { Metrics } from "./metrics.js";
import { VERSION } from "./version.js";

export interface AppOptions {
  /** Use this broker instead of the one the config names (tests: several nodes on one hub). */
  broker?: Broker;
  logger?: Logger;
}

export interface App {
  config: Config;
  secrets: Secrets;
  logger: Logger;
  metrics: Metrics;
  broker: Broker;
  namespaces: Namespaces;
  rpc: RpcRegistry;
  gateway: Gateway;
  http: FastifyInstance;
  verifyToken: TokenVerifier;
  /** Listen on config.host:config.port; resolves with the bound address. */
  listen(): Promise<{ url: string; port: number }>;
  /** Graceful stop: drain sockets (1012), close HTTP, release the broker. Idempotent. */
  close(): Promise<void>;
}

/** The memory broker for one node; Redis when REDIS_URL is set. */
async function createBroker(config: Config, logger: Logger): Promise<Broker> {
  if (!config.redisUrl) return createMemoryBroker();
  return RedisBroker.connect({
    url: config.redisUrl,
    prefix: config.redisPrefix,
    nodeTtlMs: config.nodeTtlMs,
    logger,
  });
}

/** Composes the server: HTTP + gateway + broker (+ modules, as they arrive). */
export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const logger = options.logger ?? createLogger(config);
  const secrets = resolveSecrets(config);
  const metrics = new Metrics();
  const broker = options.broker ?? (await createBroker(config, logger));
  const namespaces = new Namespaces();
  const rpc = new RpcRegistry();
  const verifyToken = createTokenVerifier({
    ...(secrets.jwtSecret && { secret: secrets.jwtSecret }),
    ...(config.jwksUrl && { jwksUrl: config.jwksUrl }),
    requireExp: config.env === "production",
  });
  const gateway = new Gateway({ config, broker, namespaces, rpc, verifyToken, metrics, logger });
  const http = await createHttpServer({
    logger,
    metrics,
    version: VERSION,
    bodyLimit: Math.max(config.limits.maxFrameBytes, 1024 * 1024),
  });
  const auth = authHooks(
    createRequestAuthenticator({ verifyToken, ...(secrets.apiKey && { apiKey: secrets.apiKey }) }),
  );
  let draining = false;
  registerHealthRoutes(http, {
    metrics,
    checks: [{ name: "broker", check: () => broker.ready() }],
    isDraining: () => draining,
  });
  registerChannelRoutes(http, { broker, gateway, namespaces, auth });
  registerRootRoute(http, { version: VERSION });
  http.server.on("upgrade", (req, socket, head) => gateway.handleUpgrade(req, socket, head));
  await http.ready();

  let closing: Promise<void> | undefined;
  return {
    config,
    secrets,
    logger,
    metrics,
    broker,
    namespaces,
    rpc,
    gateway,
    http,
    verifyToken,
    async listen() {
      await http.listen({ port: config.port, host: config.host });
      const { port } = http.server.address() as AddressInfo;
      const host = config.host.includes(":") ? `[${config.host}]` : config.host;
      return { url: `http://${host}:${port}`, port };
    },
    close() {
      closing ??= (async () => {
        draining = true;
        await gateway.shutdown(config.drainTimeoutMs);
        await http.close();
        await broker.close();
      })();
      return closing;
    },
  };
}

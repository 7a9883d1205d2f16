import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { type App, createApp } from "./app.js";
import { type MintOptions, mintToken, ownTokenClaims } from "./auth/tokens.js";
import { MemoryHub } from "./broker/memory.js";
import { RedisBroker } from "./broker/redis.js";
import { type ConfigOverrides, defaultConfig } from "./config.js";
import type { SwitchboardModule } from "./modules/types.js";
import { openStore } from "./store/db.js";
import { POSTGRES_URL } from "./test-support/services.js";

async function dropSchema(schema: string): Promise<void> {
  const store = await openStore({ databaseUrl: POSTGRES_URL, dataDir: "." });
  try {
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(store.db);
  } finally {
    await store.close();
  }
}

/**
 * A real server on an ephemeral loopback port, for tests of this repository (server, SDK, hooks,
 * web app). Its broker state lives in a hub that outlives stop()/restart(), so a client can
 * reconnect to the "same" server and recover.
 */
export interface TestServer {
  readonly url: string;
  readonly wsUrl: string;
  readonly apiKey: string;
  readonly secret: string;
  readonly port: number;
  /** The running app (changes after restart()). */
  readonly app: App;
  readonly hub: MemoryHub;
  /** The Redis the nodes share, when started with `redis`. */
  readonly redis: { url: string; prefix: string } | undefined;
  readonly dataDir: string;
  /** The PostgreSQL schema, when the database is PostgreSQL. */
  readonly schema: string | undefined;
  token(
    claims: Omit<MintOptions, "expiresInSeconds">,
    opts?: { expiresInSeconds?: number },
  ): Promise<string>;
  /** Server-side publish, as a module would (namespace history options apply). */
  publish(
    channel: string,
    event: string,
    data: unknown,
  ): Promise<{ epoch: string; offset: number }>;
  /** Graceful stop (clients get disconnect 1012); broker state and port are kept. */
  stop(): Promise<void>;
  /** Start again on the same port with the same broker state. */
  restart(): Promise<void>;
  /** Stop and free everything. */
  close(): Promise<void>;
}

export type { ConfigOverrides };

export interface TestServerOptions {
  /** sqlite (default): a file in a temp data dir; postgres: a private schema in the test database. */
  database?: "sqlite" | "postgres";
  pingIntervalSeconds?: number;
  config?: ConfigOverrides;
  /**
   * Environment variables read as at start-up: SWITCHBOARD_MODULES and the modules' own
   * (SWITCHBOARD_CHAT_BOT: "off"…). Core settings are simpler to give in `config`.
   */
  env?: Record<string, string>;
  /** The modules the server has (default: the built-in ones); `env` still says which run. */
  modules?: SwitchboardModule[];
  /** Share a hub to run several nodes of one cluster in one process. */
  hub?: MemoryHub;
  /**
   * Use a Redis broker instead of the memory hub (nodes on the same url and prefix form one
   * cluster, as across processes). `shareWith` a Redis node shares its Redis too.
   */
  redis?: { url: string; prefix: string };
  /**
   * Another node of the same cluster: same broker hub, same database (SQLite file or PostgreSQL
   * schema), same secrets. The first server owns (and on close removes) the shared parts: close
   * the sharing servers first.
   */
  shareWith?: TestServer;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const peer = options.shareWith;
  const hub = peer?.hub ?? options.hub ?? new MemoryHub();
  const ownsHub = !peer && !options.hub;
  const dataDir = peer?.dataDir ?? mkdtempSync(join(tmpdir(), "switchboard-test-"));
  const secret = peer?.secret ?? randomBytes(32).toString("hex");
  const apiKey = peer?.apiKey ?? `sb_test_${randomBytes(16).toString("hex")}`;
  const modules = options.modules ?? peer?.app.modules;
  const config = defaultConfig(
    {
      port: 0,
      host: "127.0.0.1",
      logLevel: "silent",
      dataDir,
      jwtSecret: secret,
      apiKey,
      drainTimeoutMs: 2000,
      ...(options.pingIntervalSeconds !== undefined && {
        pingIntervalSeconds: options.pingIntervalSeconds,
      }),
      ...options.config,
    },
    { ...(options.env && { env: options.env }), ...(modules && { modules }) },
  );
  const schema = peer
    ? peer.schema
    : options.database === "postgres"
      ? `t_${randomBytes(6).toString("hex")}`
      : undefined;
  if (schema) config.databaseUrl = POSTGRES_URL;
  const redis = options.redis ?? peer?.redis;
  const appOptions = async () => ({
    broker: redis
      ? await RedisBroker.connect({ url: redis.url, prefix: redis.prefix })
      : hub.node(),
    ...(schema && { store: { schema } }),
    ...(modules && { modules }),
  });
  let app = await createApp(config, await appOptions());
  const { port } = await app.listen();
  config.port = port;
  let stopping: Promise<void> | undefined;
  // One stop at a time: restart() and close() wait for a stop in flight to free the port.
  const stop = () => {
    stopping ??= app.close();
    return stopping;
  };
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    apiKey,
    secret,
    port,
    hub,
    redis,
    dataDir,
    schema,
    get app() {
      return app;
    },
    token: (claims, opts) =>
      mintToken(secret, { ...ownTokenClaims(config.jwt), ...claims, ...opts }),
    async publish(channel, event, data) {
      const { namespace } = app.namespaces.resolve(channel);
      const r = await app.broker.publish(channel, {
        event,
        data,
        history: namespace.options.history,
      });
      return { epoch: r.epoch, offset: r.offset };
    },
    stop,
    async restart() {
      await stop();
      app = await createApp(config, await appOptions());
      await app.listen();
      stopping = undefined;
    },
    async close() {
      await stop();
      if (ownsHub) hub.close();
      if (peer) return;
      if (schema) await dropSchema(schema);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

import { createApp } from "./app.js";
import { mintToken, ownTokenClaims } from "./auth/tokens.js";
import { ConfigError, loadConfig } from "./config.js";
import { VERSION } from "./version.js";

/** Process entry: config → app → listen; SIGTERM/SIGINT drain and exit. */
export async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`switchboard: ${error.message}\nSee docs/configuration.md.\n`);
      process.exit(1);
    }
    throw error;
  }
  const app = await createApp(config);
  const { url } = await app.listen();
  const wsUrl = `${url.replace(/^http/, "ws")}/ws`;
  app.logger.info({ url, ws: wsUrl, env: config.env, version: VERSION }, "switchboard listening");
  if (config.env !== "production") {
    const { secrets } = app;
    const sample = secrets.jwtSecret
      ? await mintToken(secrets.jwtSecret, {
          sub: "demo-admin",
          role: "admin",
          name: "Demo Admin",
          ...ownTokenClaims(config.jwt),
        })
      : undefined;
    process.stdout.write(
      [
        "",
        `  Switchboard is running (${config.env}) at ${url}`,
        `  WebSocket:   ${wsUrl}`,
        `  API docs:    ${url}/docs`,
        secrets.generated.jwtSecret
          ? `  JWT secret:  generated, kept in ${config.dataDir}/dev-jwt-secret`
          : "",
        secrets.generated.apiKey
          ? `  API key:     ${secrets.apiKey}  (kept in ${config.dataDir}/dev-api-key)`
          : "",
        sample ? `  Sample admin token (24 h): ${sample}` : "",
        "  More tokens: npx switchboard token --sub alice --role customer",
        "",
      ]
        .filter((line) => line !== "")
        .join("\n")
        .concat("\n\n"),
    );
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.logger.info({ signal }, "draining");
    const force = setTimeout(
      () => {
        app.logger.error("drain timed out; exiting");
        process.exit(1);
      },
      2 * config.drainTimeoutMs + 5000,
    ); // sockets drain, then REST requests in flight
    force.unref();
    app.close().then(
      () => {
        app.logger.info("stopped");
        process.exit(0);
      },
      (err: unknown) => {
        app.logger.error({ err }, "error while stopping");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

const invokedDirectly =
  process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (invokedDirectly) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `switchboard: failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  });
}

import { parseArgs } from "node:util";
import { ROLES } from "@switchboard/protocol";
import { z } from "zod";
import { openMigratedStore } from "./app.js";
import { resolveSecrets } from "./auth/dev-secrets.js";
import { mintToken, ownTokenClaims } from "./auth/tokens.js";
import { ConfigError, loadConfig } from "./config.js";
import { main as startServer } from "./main.js";
import { seedDemo } from "./seed.js";
import { simulateCommand } from "./simulate/command.js";

const USAGE = `Usage: switchboard <command> [options]

Commands:
  start                      Start the server (configuration from environment variables)
  seed                       Fill the running server with demo products and orders (uses the API key)
  migrate                    Bring the database (SQLite file or DATABASE_URL) to the latest schema
  simulate [--minutes 5] [--rate 20] [--seed 1] [--workers 1] [--url http://127.0.0.1:PORT]
                             Drive the running server as customers and agents would (REST and
                             sockets; --workers processes share the rate), with a progress bar;
                             prints a JSON summary of what it did
  token --sub <id> [--role customer|agent|admin] [--name <name>] [--ttl <seconds>]
                             Print a signed JWT for the configured secret (development and tests)
  help                       Show this help
`;

const tokenArgs = z.object({
  sub: z.string({ error: "--sub is required" }).min(1).max(255),
  role: z.enum(ROLES).default("customer"),
  name: z.string().max(255).optional(),
  ttl: z.coerce
    .number()
    .int()
    .positive()
    .max(365 * 24 * 3600)
    .default(24 * 3600),
});

async function token(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      sub: { type: "string" },
      role: { type: "string" },
      name: { type: "string" },
      ttl: { type: "string" },
    },
  });
  const parsed = tokenArgs.safeParse(values);
  if (!parsed.success) {
    process.stderr.write(
      `${parsed.error.issues.map((i) => `switchboard token: ${String(i.path[0] ?? "")} ${i.message}`).join("\n")}\n`,
    );
    return 2;
  }
  const config = loadConfig();
  const { jwtSecret } = resolveSecrets(config);
  if (!jwtSecret) {
    process.stderr.write(
      "switchboard token: no SWITCHBOARD_JWT_SECRET (tokens from a JWKS issuer are minted there)\n",
    );
    return 1;
  }
  const { sub, role, name, ttl } = parsed.data;
  process.stdout.write(
    `${await mintToken(jwtSecret, { sub, role, ...(name && { name }), expiresInSeconds: ttl, ...ownTokenClaims(config.jwt) })}\n`,
  );
  return 0;
}

async function migrateCommand(): Promise<number> {
  const config = loadConfig();
  const store = await openMigratedStore(config);
  process.stdout.write(
    `switchboard migrate: ${store.dialect} database at ${store.location} is up to date\n`,
  );
  await store.close();
  return 0;
}

async function seedCommand(): Promise<number> {
  const config = loadConfig();
  const { apiKey } = resolveSecrets(config);
  if (!apiKey) {
    process.stderr.write("switchboard seed: no SWITCHBOARD_API_KEY\n");
    return 1;
  }
  try {
    await seedDemo(config, apiKey, (line) => process.stdout.write(`  ${line}\n`));
  } catch (error) {
    process.stderr.write(
      `switchboard seed: ${error instanceof Error ? error.message : String(error)} (is the server running on port ${config.port}?)\n`,
    );
    return 1;
  }
  process.stdout.write("switchboard seed: done — sign in as alice (customer) and ann (agent)\n");
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "start":
        await startServer();
        return -1; // keeps running
      case "token":
        return await token(rest);
      case "migrate":
        return await migrateCommand();
      case "seed":
        return await seedCommand();
      case "simulate":
        return await simulateCommand(rest);
      case undefined:
      case "help":
      case "--help":
      case "-h":
        process.stdout.write(USAGE);
        return 0;
      default:
        process.stderr.write(`switchboard: unknown command "${command}"\n\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`switchboard: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

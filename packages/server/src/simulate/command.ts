import { parseArgs } from "node:util";
import { z } from "zod";
import { resolveSecrets } from "../auth/dev-secrets.js";
import { mintToken, ownTokenClaims } from "../auth/tokens.js";
import { loadConfig } from "../config.js";
import { MAX_WORKERS, simulate } from "./simulator.js";

const args = z.object({
  minutes: z.coerce
    .number()
    .positive()
    .max(24 * 60)
    .default(5),
  rate: z.coerce.number().positive().max(2000).default(20),
  seed: z.coerce
    .number()
    .int()
    .min(0)
    .max(2 ** 31)
    .default(1),
  workers: z.coerce.number().int().min(1).max(MAX_WORKERS).default(1),
  url: z.url({ protocol: /^https?$/ }).optional(),
});

/** `switchboard simulate`: a progress bar on stderr, the summary (JSON) on stdout. */
export async function simulateCommand(argv: string[]): Promise<number> {
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: {
        minutes: { type: "string" },
        rate: { type: "string" },
        seed: { type: "string" },
        workers: { type: "string" },
        url: { type: "string" },
      },
    }).values;
  } catch (e) {
    process.stderr.write(`switchboard simulate: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  const parsed = args.safeParse(values);
  if (!parsed.success) {
    process.stderr.write(
      `${parsed.error.issues.map((i) => `switchboard simulate: --${String(i.path[0] ?? "")} ${i.message}`).join("\n")}\n`,
    );
    return 2;
  }
  const config = loadConfig();
  const { apiKey, jwtSecret } = resolveSecrets(config);
  if (!apiKey || !jwtSecret) {
    process.stderr.write(
      "switchboard simulate: needs SWITCHBOARD_API_KEY and SWITCHBOARD_JWT_SECRET\n",
    );
    return 1;
  }
  const { minutes, rate, seed, workers } = parsed.data;
  const url = parsed.data.url ?? `http://127.0.0.1:${config.port}`;
  const bar = process.stderr.isTTY ? "\r" : "\n";
  let lastDraw = 0;
  try {
    const summary = await simulate({
      url,
      apiKey,
      minutes,
      rate,
      seed,
      workers,
      token: (sub, role) =>
        mintToken(jwtSecret, {
          sub,
          role,
          expiresInSeconds: 24 * 3600,
          ...ownTokenClaims(config.jwt),
        }),
      onProgress({ elapsedMs, totalMs, summary: s }) {
        const now = Date.now();
        if (now - lastDraw < (process.stderr.isTTY ? 200 : 5000) && elapsedMs < totalMs) return;
        lastDraw = now;
        const done = Math.min(1, elapsedMs / totalMs);
        const filled = Math.round(done * 30);
        process.stderr.write(
          `${bar}[${"#".repeat(filled)}${".".repeat(30 - filled)}] ${Math.round(done * 100)}% ${s.actions} actions, ${s.failed} refused, ${s.orders} orders, ${s.sales} sales, ${s.bookings} bookings, ${s.chats} chats`,
        );
      },
    });
    process.stderr.write("\n");
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(
      `\nswitchboard simulate: ${error instanceof Error ? error.message : String(error)} (is the server running at ${url}?)\n`,
    );
    return 1;
  }
}

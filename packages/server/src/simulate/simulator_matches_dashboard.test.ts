import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { overview, until } from "../modules/metrics/test-kit.js";
import { DIALECTS } from "../test-support/dialects.js";
import { startTestServer, type TestServer } from "../testing.js";
import { type SimSummary, simulate } from "./simulator.js";
import { mergeSummaries } from "./summary.js";

/**
 * No fake numbers: the simulator drives the real APIs, and the dashboard's overview must show
 * exactly what the simulator's own summary says it did.
 */
describe.each(DIALECTS)("the simulator's summary equals the overview's totals (%s)", (database) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      database,
      config: { durable: { pollMs: 50 } },
      env: { SWITCHBOARD_METRICS_VIEWERS_SAMPLE_MS: "200" },
    });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  it("counts every order, payment, sale, booking, chat and rating the simulator made, in one process and in two workers", async () => {
    const progress: number[] = [];
    const one = await simulate({
      url: server.url,
      apiKey: server.apiKey,
      token: (sub, role) => server.token({ sub, role }),
      minutes: 0.15,
      rate: 8,
      seed: 7,
      onProgress: (p) => progress.push(p.elapsedMs / p.totalMs),
    });
    expect(progress.at(-1)).toBe(1);
    expect(one.workers).toBe(1);
    expect(one.actions).toBeGreaterThan(30);
    // the same through two worker processes (their own customers, sockets and seeds)
    const orders: string[] = [];
    const two = await simulate({
      url: server.url,
      apiKey: server.apiKey,
      token: (sub, role) => server.token({ sub, role }),
      minutes: 0.15,
      rate: 8,
      seed: 8,
      workers: 2,
      onOrder: (id) => orders.push(id),
    });
    expect(two.workers).toBe(2);
    expect(two.actions).toBeGreaterThan(30);
    expect(orders.length).toBe(two.orders);
    const s = mergeSummaries(7, [
      { summary: one, customers: [], viewers: [] },
      { summary: two, customers: [], viewers: [] },
    ]);
    // the pools are disjoint (sim-c…, sim-w0-c…, sim-w1-c…): distinct counts add up
    const customers = one.customers + two.customers;
    const customersOrViewers = one.customersOrViewers + two.customersOrViewers;
    expect(s.orders + s.sales + s.bookings + s.chats).toBeGreaterThan(20);
    const o = await until(
      "the overview to catch up with the simulator",
      () => overview(server, "7d"),
      (v) =>
        v.orders.value === s.orders &&
        v.sales.value === s.sales &&
        v.reservations.value === s.reservations &&
        v.bookings.value === s.bookings &&
        v.chats.value === s.chats &&
        v.satisfaction.count === s.ratings &&
        v.ordersCompleted.value === s.ordersCompleted &&
        // active: every customer who acted, and those presence saw on a product page (sampled)
        (v.activeCustomers.value ?? 0) >= customers &&
        (v.activeCustomers.value ?? 0) <= customersOrViewers &&
        v.revenue.map((r) => r.value).join() ===
          Object.values(s.revenue)
            .filter((x) => x > 0)
            .join(),
      60_000,
    );
    expect(o.revenue.map((r) => [r.currency, r.value])).toEqual(
      Object.entries(s.revenue).filter(([, v]) => v > 0),
    );
    if (s.ratings) expect(o.satisfaction.value).toBeCloseTo(s.ratingSum / s.ratings, 6);
    // viewers are sampled from presence: never more than the simulator had on product pages
    expect(o.viewers.value).toBeLessThanOrEqual(one.viewers + two.viewers);
    if (one.viewers + two.viewers >= 3) expect(o.viewers.value).toBeGreaterThan(0);
  }, 240_000);
});

describe("npx switchboard simulate", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });
  const CLI = fileURLToPath(new URL("../cli.ts", import.meta.url));
  const cli = (args: string[]) => {
    const script = `import(${JSON.stringify(CLI)}).then(async (m) => { process.exitCode = await m.run(process.argv.slice(1)); })`;
    const child = spawn(
      process.execPath,
      ["--conditions=@switchboard/source", "--import", "tsx", "-e", script, ...args],
      {
        env: {
          PATH: process.env.PATH ?? "",
          SWITCHBOARD_API_KEY: server.apiKey,
          SWITCHBOARD_JWT_SECRET: server.secret,
          SWITCHBOARD_DATA_DIR: server.dataDir,
        },
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
      child.on("exit", (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      }),
    );
  };

  it("refuses bad options with exit code 2 and the option's name", async () => {
    for (const args of [
      ["--minutes", "0"],
      ["--rate", "fast"],
      ["--seed", "-1"],
      ["--url", "ftp://x"],
      ["--workers", "0"],
      ["--workers", "17"],
      ["--what"],
    ]) {
      const r = await cli(["simulate", ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/switchboard simulate: /);
    }
  }, 300_000);

  it("runs, draws progress, and prints its summary as JSON", async () => {
    const r = await cli([
      "simulate",
      "--minutes",
      "0.05",
      "--rate",
      "4",
      "--seed",
      "3",
      "--url",
      server.url,
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("100%");
    const summary = JSON.parse(r.stdout) as SimSummary;
    expect(summary.seed).toBe(3);
    expect(summary.actions).toBeGreaterThan(3);
  }, 180_000);
});

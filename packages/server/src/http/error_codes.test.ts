import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultConfig } from "../config.js";
import { type ErrorCode, SwitchboardError } from "../errors.js";
import { Metrics } from "../metrics.js";
import { createHttpServer } from "./server.js";

/** A Fastify error (not a SwitchboardError) with only a status, as its plugins throw them. */
const bare = (statusCode: number) => Object.assign(new Error(`bare ${statusCode}`), { statusCode });

describe("error codes over REST", () => {
  let app: Awaited<ReturnType<typeof createHttpServer>>;
  beforeAll(async () => {
    app = await createHttpServer({
      logger: pino({ level: "silent" }),
      metrics: new Metrics({ defaultMetrics: false }),
      version: "test",
      bodyLimit: 1024,
      statusOf: (code) => ({ conflict: 409, insufficient_stock: 409 })[code as "conflict"],
      edge: { ...defaultConfig().http, rateLimit: 0 },
    });
    app.get("/bare/:status", async (request) => {
      throw bare(Number((request.params as { status: string }).status));
    });
    app.get("/undeclared", async () => {
      // What a module throwing a code it never declared looks like (the types stop it at home).
      throw new SwitchboardError("made_up_code" as ErrorCode, "oops");
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
  });

  it.each([
    [409, "conflict"],
    [413, "too_large"],
    [404, "not_found"],
    [429, "rate_limited"],
    [415, "bad_request"],
  ])("gives a bare %i the transport's own code (%s), never a module's", async (status, code) => {
    const res = await app.inject({ method: "GET", url: `/bare/${status}` });
    expect(res.statusCode).toBe(status);
    expect(res.json()).toMatchObject({ code });
  });

  it("answers a code nobody declared as the bug it is: 500 internal", async () => {
    const res = await app.inject({ method: "GET", url: "/undeclared" });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ code: "internal", message: "internal error" });
  });
});

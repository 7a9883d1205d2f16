import helmetPlugin from "@fastify/helmet";
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { registerEdge } from "./edge.js";

/**
 * The edge's security headers are helmet's, built once instead of per request: every response
 * must carry exactly what @fastify/helmet with the former options sent, in the same order.
 */
const edge = {
  rateLimit: 0,
  rateWindowMs: 60_000,
  requestTimeoutMs: 30_000,
  trustProxy: false,
  corsOrigins: [],
  metrics: false,
  docs: false,
};

function sameHostSockets(host: string | undefined): string {
  if (!host || !/^[A-Za-z0-9.:[\]-]{1,300}$/.test(host)) return "'self'";
  return `ws://${host} wss://${host}`;
}

async function former(): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(helmetPlugin, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "script-src-attr": ["'none'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'", (req) => sameHostSockets(req.headers.host)],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
      },
    },
  });
  return app;
}

async function current(): Promise<FastifyInstance> {
  const app = Fastify();
  await registerEdge(app, edge);
  return app;
}

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

async function headersOf(app: FastifyInstance, host: string | undefined, path: string) {
  apps.push(app);
  app.get("/api/x", async () => ({ ok: true }));
  app.get("/page", async (_req, reply) =>
    reply.header("content-security-policy", "sandbox").send("x"),
  );
  const res = await app.inject({
    method: "GET",
    url: path,
    headers: host === undefined ? {} : { host },
  });
  const { date: _date, ...rest } = res.headers;
  return { status: res.statusCode, headers: Object.entries(rest) };
}

describe("security headers", () => {
  for (const [what, host, path] of [
    ["a route, a plain host", "shop.example.com:8080", "/api/x"],
    ["an IPv6 host", "[::1]:3000", "/api/x"],
    ["a host that is not one", "evil;script-src *", "/api/x"],
    ["no route (404)", "localhost", "/nowhere"],
    ["a route that sets its own policy", "localhost", "/page"],
  ] as const) {
    it(`are @fastify/helmet's for ${what}`, async () => {
      const before = await headersOf(await former(), host, path);
      const after = await headersOf(await current(), host, path);
      expect(after).toEqual(before);
      expect(after.headers.length).toBeGreaterThan(10);
    });
  }

  it("keep each host's own connect-src while many hosts come and go", async () => {
    const app = await current();
    apps.push(app);
    app.get("/api/x", async () => ({ ok: true }));
    for (let i = 0; i < 600; i += 37) {
      const res = await app.inject({ method: "GET", url: "/api/x", headers: { host: `h${i}` } });
      expect(res.headers["content-security-policy"]).toContain(
        `connect-src 'self' ws://h${i} wss://h${i};`,
      );
    }
  });
});

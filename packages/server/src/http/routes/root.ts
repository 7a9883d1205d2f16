import type { FastifyInstance } from "fastify";

/** What `/` answers until the web app is built into the server. */
export function registerRootRoute(app: FastifyInstance, deps: { version: string }): void {
  app.get("/", { schema: { hide: true } }, async () => ({
    name: "Switchboard",
    version: deps.version,
    websocket: "/ws",
    docs: "/docs",
    health: "/health",
  }));
}

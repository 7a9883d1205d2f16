import { existsSync } from "node:fs";
import { join } from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";
import { fromModule } from "../../paths.js";

/** Where `npm run build` puts the web app (packages/web/dist), from src/ or dist/ alike. */
export const DEFAULT_WEB_DIR = fromModule("../../../../web/dist", import.meta.url);

const NOT_BUILT = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Switchboard</title>
<body style="font-family:system-ui;max-width:40rem;margin:4rem auto;line-height:1.5">
<h1>Switchboard is running</h1>
<p>The web app is not built yet. Run <code>npm run build</code> in the repository (or <code>npm start</code>, which builds it) and reload.</p>
<p>Meanwhile: <a href="/docs">API documentation</a> · WebSocket at <code>/ws</code> · <a href="/health">/health</a></p>
</body></html>`;

/** Serves the built web app at `/` (hashed assets cached for a year, pages never). */
export async function registerWebApp(app: FastifyInstance, dir: string): Promise<void> {
  if (!existsSync(join(dir, "index.html"))) {
    app.get("/", { schema: { hide: true } }, async (_request, reply) =>
      reply.type("text/html; charset=utf-8").send(NOT_BUILT),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: "/",
    index: ["index.html"],
    setHeaders(reply, path) {
      reply.header(
        "cache-control",
        path.includes("/assets/") ? "public, max-age=31536000, immutable" : "no-cache",
      );
    },
  });
}

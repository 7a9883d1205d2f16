import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, request } from "node:http";
import { type AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { TestServer } from "../../../server/src/testing.js";

/**
 * A plain web server on loopback for pages that use the SDK without a bundler: it serves one
 * HTML page, the script-tag build, a token endpoint (as an application's backend would), and
 * passes `/ws` through to the Switchboard server, so the page talks to its own origin.
 *
 * The pass-through can play a network that dies without telling anyone (`blackhole`): nothing
 * flows either way and no connection is closed, as for a laptop that slept or a NAT that forgot
 * the mapping. Connections from before the blackhole stay dead after it is lifted: nothing more
 * from the server, and the first byte the page sends resets them (the server's RST for a
 * connection it no longer knows).
 */
export interface PageServer {
  url: string;
  blackhole(on: boolean): void;
  /** Connections currently passed through to the server (zombies excluded). */
  readonly liveConnections: number;
  close(): Promise<void>;
}

interface Pipe {
  client: Duplex;
  upstream: Socket;
  zombie: boolean;
}

export async function startPageServer(
  server: TestServer,
  files: { html: string; bundle: string },
): Promise<PageServer> {
  const pipes = new Set<Pipe>();
  let blackholed = false;
  const http = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://page");
    if (url.pathname === "/") {
      res.writeHead(200, {
        "content-type": "text/html; charset=utf-8",
        "cache-control": "no-store",
      });
      res.end(readFileSync(files.html));
    } else if (url.pathname === "/switchboard.min.js") {
      res.writeHead(200, { "content-type": "text/javascript", "cache-control": "no-store" });
      res.end(readFileSync(files.bundle));
    } else if (url.pathname === "/token") {
      const sub = url.searchParams.get("sub") ?? "page";
      server.token({ sub, role: "agent", name: sub }).then(
        (token) => res.writeHead(200, { "content-type": "text/plain" }).end(token),
        () => res.writeHead(500).end(),
      );
    } else if (url.pathname.startsWith("/ws/")) {
      // The SDK's HTTP fallback (event stream and POSTs), passed through like the WebSocket.
      const upstream = request(
        {
          host: "127.0.0.1",
          port: server.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (reply) => {
          res.writeHead(reply.statusCode ?? 502, reply.headers);
          reply.pipe(res);
        },
      );
      upstream.on("error", () => res.destroy());
      res.on("close", () => upstream.destroy());
      req.pipe(upstream);
    } else res.writeHead(404).end();
  });
  http.on("upgrade", (req: IncomingMessage, client: Duplex, head: Buffer) => {
    if (!req.url?.startsWith("/ws")) {
      client.destroy();
      return;
    }
    const upstream = new Socket();
    const pipe: Pipe = { client, upstream, zombie: blackholed };
    pipes.add(pipe);
    // Opened during the blackhole: the request never gets anywhere.
    if (!pipe.zombie)
      upstream.connect(server.port, "127.0.0.1", () => {
        // The upgrade request as the page sent it (Host and Origin included), then whatever
        // followed it.
        const lines = [`${req.method} ${req.url} HTTP/1.1`];
        for (let i = 0; i < req.rawHeaders.length; i += 2) {
          lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
        }
        upstream.write(`${lines.join("\r\n")}\r\n\r\n`);
        if (head.length > 0) upstream.write(head);
      });
    client.on("data", (chunk: Buffer) => {
      if (pipe.zombie && !blackholed) end(pipe, true);
      else if (!pipe.zombie) upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      if (!pipe.zombie) client.write(chunk);
    });
    client.on("close", () => end(pipe, true));
    client.on("error", () => end(pipe, true));
    upstream.on("error", () => end(pipe, false));
    // The server gave up on a zombie: the page must not hear about it.
    upstream.on("close", () => end(pipe, false));
  });
  const end = (pipe: Pipe, clientSide: boolean) => {
    pipe.upstream.destroy();
    if (clientSide || !pipe.zombie) {
      pipe.client.destroy();
      pipes.delete(pipe);
    }
  };
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    blackhole(on) {
      blackholed = on;
      if (on) for (const pipe of pipes) pipe.zombie = true;
    },
    get liveConnections() {
      return [...pipes].filter((p) => !p.zombie).length;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const pipe of pipes) {
          pipe.client.destroy();
          pipe.upstream.destroy();
        }
        pipes.clear();
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

import { createServer, request, type Server } from "node:http";
import type { Socket } from "node:net";

/**
 * An HTTP reverse proxy on loopback, like the corporate proxies the HTTP fallback is for: it
 * passes plain requests on (streaming responses unbuffered, or, with `buffer`, each response
 * held back whole until it ends, as antivirus and "corporate" proxies do) and refuses WebSocket
 * upgrades (403) while told to. With several targets it sends each request to the next one in
 * turn: a load balancer without sticky sessions.
 */
export interface HttpProxy {
  readonly url: string;
  /** ws:// URL of `/ws` through the proxy. */
  readonly wsUrl: string;
  /** Refuse upgrades (true, the default) or pass them on. */
  blockUpgrades(on: boolean): void;
  /** Requests passed on, by target index. */
  readonly forwarded: number[];
  /** Upgrades refused so far. */
  readonly refused: number;
  /** Destroy every open connection (a network drop). */
  cut(): void;
  close(): Promise<void>;
}

export async function startHttpProxy(
  targets: string[],
  options: { buffer?: boolean } = {},
): Promise<HttpProxy> {
  let blocking = true;
  let refused = 0;
  let turn = 0;
  const forwarded = targets.map(() => 0);
  const sockets = new Set<Socket>();
  const pick = () => {
    const i = turn++ % targets.length;
    forwarded[i] = (forwarded[i] ?? 0) + 1;
    return new URL(targets[i] as string);
  };
  const server: Server = createServer((req, res) => {
    const target = pick();
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
      },
      (reply) => {
        if (!options.buffer) {
          res.writeHead(reply.statusCode ?? 502, reply.headers);
          reply.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        reply.on("data", (chunk: Buffer) => chunks.push(chunk));
        reply.on("end", () => {
          const body = Buffer.concat(chunks);
          const { "transfer-encoding": _chunked, ...headers } = reply.headers;
          res.writeHead(reply.statusCode ?? 502, { ...headers, "content-length": body.length });
          res.end(body);
        });
      },
    );
    upstream.on("error", () => res.destroy());
    res.on("close", () => upstream.destroy());
    req.pipe(upstream);
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("upgrade", (req, socket: Socket, head: Buffer) => {
    if (blocking) {
      refused++;
      socket.end("HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    const target = pick();
    const upstream = request({
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: target.host },
    });
    upstream.on("upgrade", (reply, upSocket: Socket, upHead: Buffer) => {
      const lines = [`HTTP/1.1 101 Switching Protocols`];
      for (let i = 0; i < reply.rawHeaders.length; i += 2) {
        lines.push(`${reply.rawHeaders[i]}: ${reply.rawHeaders[i + 1]}`);
      }
      socket.write(`${lines.join("\r\n")}\r\n\r\n`);
      if (upHead.length) socket.write(upHead);
      if (head.length) upSocket.write(head);
      upSocket.pipe(socket).pipe(upSocket);
      const end = () => {
        socket.destroy();
        upSocket.destroy();
      };
      upSocket.on("error", end);
      socket.on("error", end);
      upSocket.on("close", end);
      socket.on("close", end);
    });
    upstream.on("response", () => socket.destroy());
    upstream.on("error", () => socket.destroy());
    upstream.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    blockUpgrades: (on) => {
      blocking = on;
    },
    forwarded,
    get refused() {
      return refused;
    },
    cut: () => {
      for (const s of sockets) s.destroy();
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

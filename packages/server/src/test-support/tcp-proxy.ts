import { createServer, type Server, Socket } from "node:net";

/**
 * A TCP proxy between one node and one dependency (Redis, PostgreSQL), for the network faults a
 * test cannot otherwise produce on loopback: a slow link, replies that never arrive (the command
 * ran, the answer is lost), a link cut without a goodbye, and an outage during which new
 * connections are refused. Give each node its own proxy to cut one node off while the others
 * keep talking to the same server.
 */
export interface TcpProxy {
  readonly port: number;
  /** `url` with its host:port replaced by the proxy's (e.g. redis://127.0.0.1:6379 → the proxy). */
  via(url: string): string;
  /** Hold every chunk, both ways, this long before passing it on (0: no delay). Order is kept. */
  delay(ms: number): void;
  /** Drop what the server sends back (the requests still arrive and run) while true. */
  swallowReplies(on: boolean): void;
  /** Refuse new connections while true (existing ones are left alone; `cut` ends them). */
  refuse(on: boolean): void;
  /** Destroy every open connection at once, as a broken network would. */
  cut(): void;
  /** Cut, refuse new connections for `ms`, then accept again. */
  outage(ms: number): Promise<void>;
  /** Open connections right now. */
  readonly connections: number;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
}

export async function startTcpProxy(target: { host?: string; port: number }): Promise<TcpProxy> {
  const host = target.host ?? "127.0.0.1";
  const pairs = new Set<Pair>();
  let delayMs = 0;
  let swallowing = false;
  let refusing = false;

  /** Writes `chunk` to `to` after the current delay, never overtaking an earlier chunk. */
  const forwarder = (to: Socket) => {
    let lastDue = 0;
    return (chunk: Buffer) => {
      if (delayMs <= 0 && lastDue <= Date.now()) {
        to.write(chunk);
        return;
      }
      const due = Math.max(Date.now() + delayMs, lastDue);
      lastDue = due;
      setTimeout(() => {
        if (!to.destroyed) to.write(chunk);
      }, due - Date.now());
    };
  };

  const server: Server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = new Socket();
    const pair: Pair = { client, upstream };
    pairs.add(pair);
    const toUpstream = forwarder(upstream);
    const toClient = forwarder(client);
    client.on("data", (chunk: Buffer) => toUpstream(chunk));
    upstream.on("data", (chunk: Buffer) => {
      if (!swallowing) toClient(chunk);
    });
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.on("close", end);
      socket.on("error", end);
    }
    upstream.connect(target.port, host);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };

  const cut = () => {
    for (const { client, upstream } of pairs) {
      client.destroy();
      upstream.destroy();
    }
    pairs.clear();
  };

  return {
    port,
    via(url: string) {
      const u = new URL(url);
      u.hostname = "127.0.0.1";
      u.port = String(port);
      return u.toString();
    },
    delay(ms) {
      delayMs = ms;
    },
    swallowReplies(on) {
      swallowing = on;
    },
    refuse(on) {
      refusing = on;
    },
    cut,
    async outage(ms) {
      refusing = true;
      cut();
      await new Promise((r) => setTimeout(r, ms));
      refusing = false;
    },
    get connections() {
      return pairs.size;
    },
    close: () =>
      new Promise<void>((resolve) => {
        cut();
        server.close(() => resolve());
      }),
  };
}

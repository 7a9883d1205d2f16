import { createServer, Socket } from "node:net";

/**
 * A TCP proxy in front of a real server, for the network failures a test cannot otherwise
 * produce on loopback: replies that never arrive, and connections cut without a close frame.
 */
export interface FlakyNetwork {
  /** WebSocket URL through the proxy. */
  url: string;
  /** Stop (or resume) forwarding server → client bytes; they are discarded meanwhile. */
  muteReplies(muted: boolean): void;
  /** Refuse (or accept again) new connections. */
  refuse(refusing: boolean): void;
  /** Destroy every connection, as a dropped network would. */
  cut(): void;
  close(): Promise<void>;
}

export async function flakyNetwork(targetPort: number): Promise<FlakyNetwork> {
  const pairs = new Set<[Socket, Socket]>();
  let muted = false;
  let refusing = false;
  const server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = new Socket();
    upstream.connect(targetPort, "127.0.0.1");
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    client.on("data", (chunk) => upstream.write(chunk));
    upstream.on("data", (chunk) => {
      if (!muted) client.write(chunk);
    });
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of pair) {
      socket.on("close", end);
      socket.on("error", end);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${port}/ws`,
    muteReplies: (value) => {
      muted = value;
    },
    refuse: (value) => {
      refusing = value;
    },
    cut: () => {
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const [client, upstream] of pairs) {
          client.destroy();
          upstream.destroy();
        }
        server.close(() => resolve());
      }),
  };
}

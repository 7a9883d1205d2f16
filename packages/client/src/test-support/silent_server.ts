import { type ConnectedFrame, DEFAULT_LIMITS, PROTOCOL_NAME } from "@switchboard/protocol";
import { type WebSocket, WebSocketServer } from "ws";

export interface SilentServer {
  url: string;
  connections: WebSocket[];
  /** The frames each connection sent, by connection index. */
  received: { type: string }[][];
  /** How each connection was closed by the client, by connection index. */
  closes: { code: number; reason: string }[];
}

/**
 * A server that accepts `connect`, answers `connected` announcing 1 s pings, and then never
 * sends another frame: the zombie connection a sleeping laptop or a stale NAT leaves behind.
 */
export async function silentServer(fx: {
  defer(cleanup: () => unknown): void;
}): Promise<SilentServer> {
  const wss = new WebSocketServer({
    port: 0,
    host: "127.0.0.1",
    handleProtocols: (protocols) => (protocols.has(PROTOCOL_NAME) ? PROTOCOL_NAME : false),
  });
  await new Promise<void>((resolve) => wss.once("listening", resolve));
  const connections: WebSocket[] = [];
  const received: { type: string }[][] = [];
  const closes: { code: number; reason: string }[] = [];
  wss.on("connection", (socket) => {
    const index = connections.push(socket) - 1;
    const frames: { type: string }[] = [];
    received[index] = frames;
    socket.on("message", (raw) => frames.push(JSON.parse(String(raw)) as { type: string }));
    socket.on("close", (code, reason) => {
      closes[index] = { code, reason: String(reason) };
    });
    socket.once("message", (raw) => {
      const connect = JSON.parse(String(raw)) as { id: number };
      const reply: ConnectedFrame = {
        type: "connected",
        id: connect.id,
        session: `s${connections.length}`,
        user: { id: "alice" },
        role: "agent",
        ping: 1,
        limits: DEFAULT_LIMITS,
      };
      socket.send(JSON.stringify(reply));
    });
  });
  fx.defer(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of wss.clients) socket.terminate();
        wss.close(() => resolve());
      }),
  );
  const { port } = wss.address() as { port: number };
  return { url: `ws://127.0.0.1:${port}/ws`, connections, received, closes };
}

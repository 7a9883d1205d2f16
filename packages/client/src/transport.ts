/**
 * The slice of the WebSocket API the SDK uses; satisfied by the browser's WebSocket, Node 22's
 * global one and the `ws` package. Handlers take `never` so that each implementation's own event
 * type is accepted; the SDK reads only `data`, `code` and `reason`.
 */
export interface SocketLike {
  readonly readyState: number;
  readonly protocol: string;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: never) => void) | null;
  onmessage: ((event: never) => void) | null;
  onclose: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
}

export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => SocketLike;

export const OPEN = 1;

/**
 * The global WebSocket where there is one (browsers, Node ≥ 22), else `ws`, imported lazily so
 * browser bundles never pull it in.
 */
export async function resolveWebSocket(
  custom?: WebSocketConstructor,
): Promise<WebSocketConstructor> {
  if (custom) return custom;
  const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (global) return global;
  // A module name in a variable: browser bundlers (Vite, webpack) leave this import alone.
  const wsModule = "ws";
  const mod = (await import(wsModule)) as { WebSocket?: unknown; default?: unknown };
  return (mod.WebSocket ?? mod.default) as WebSocketConstructor;
}

/**
 * Whether a WebSocket can be had here: one given, a global one, or (outside browsers) `ws`.
 * A browser without WebSocket (removed by policy, or an old embedded one) cannot load `ws`.
 */
export function webSocketAvailable(custom?: WebSocketConstructor): boolean {
  if (custom) return true;
  if ((globalThis as { WebSocket?: unknown }).WebSocket) return true;
  return typeof (globalThis as { document?: unknown }).document === "undefined";
}

/**
 * Detaches our handlers and closes. Not graceful means without the closing handshake (ws's
 * terminate), which on a dead link would otherwise keep the socket around for half a minute.
 */
export function abandonSocket(
  socket: SocketLike,
  code: number,
  reason: string,
  graceful: boolean,
): void {
  socket.onopen = null;
  socket.onmessage = null;
  socket.onclose = null;
  // Keep an error handler: ws emits 'error' on a socket closed while connecting, and an
  // unhandled 'error' would crash a Node process.
  socket.onerror = () => {};
  const terminate = (socket as { terminate?: () => void }).terminate;
  try {
    if (!graceful && typeof terminate === "function") terminate.call(socket);
    else socket.close(code, reason);
  } catch {
    // Closing a socket that never opened may throw in some implementations; it is gone anyway.
  }
}

/**
 * Closes with a close frame and resolves once the socket has closed (the peer answered the close
 * frame), or after `waitMs`, when it is dropped without waiting any longer.
 */
export function closeSocket(
  socket: SocketLike,
  code: number,
  reason: string,
  waitMs: number,
): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      abandonSocket(socket, code, reason, false);
      resolve();
    }, waitMs);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    socket.onopen = null;
    socket.onmessage = null;
    socket.onerror = () => {};
    socket.onclose = done;
    try {
      socket.close(code, reason);
    } catch {
      abandonSocket(socket, code, reason, false);
      done();
    }
  });
}

/** Writes one JSON frame; a failed send is reported, and the close event that follows reconnects. */
export function sendJson(socket: SocketLike, frame: object, onError: (error: Error) => void): void {
  try {
    socket.send(JSON.stringify(frame));
  } catch (error) {
    onError(error instanceof Error ? error : new Error(String(error)));
  }
}

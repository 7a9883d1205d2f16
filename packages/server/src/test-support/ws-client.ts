import { PROTOCOL_NAME, type ServerFrame } from "@switchboard/protocol";
import WebSocket from "ws";

type Frame = ServerFrame & Record<string, unknown>;

/**
 * A bare protocol client for gateway tests: raw frames in, raw frames out, nothing hidden.
 * (The SDK has its own tests; these prove the server's side of the protocol.)
 */
export class RawClient {
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private nextId = 1;
  private waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  /** Answer server pings automatically (turn off to test ping timeouts). */
  autoPong = true;

  private constructor(readonly socket: WebSocket) {
    this.closed = new Promise((resolve) => {
      socket.on("close", (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    socket.on("message", (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
      if (frame.type === "ping" && this.autoPong) this.send({ type: "pong" });
      this.frames.push(frame);
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(frame)) return true;
        w.resolve(frame);
        return false;
      });
    });
    socket.on("error", () => {});
  }

  static async open(url: string, protocols: string[] = [PROTOCOL_NAME]): Promise<RawClient> {
    const socket = new WebSocket(url, protocols);
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    return new RawClient(socket);
  }

  /** Opens a socket and sends `connect`; resolves with the `connected` reply (throws on error). */
  static async connect(url: string, token: string): Promise<RawClient> {
    const client = await RawClient.open(url);
    const reply = await client.request({ type: "connect", token });
    if (reply.type !== "connected") throw new Error(`connect failed: ${JSON.stringify(reply)}`);
    return client;
  }

  id(): number {
    return this.nextId++;
  }

  send(frame: Record<string, unknown> | string): void {
    this.socket.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** Sends a command with a fresh id and resolves with the reply carrying that id. */
  request(frame: Record<string, unknown>, timeoutMs = 5000): Promise<Frame> {
    const id = (frame.id as number | undefined) ?? this.id();
    const reply = this.next((f) => (f as { id?: number }).id === id, timeoutMs);
    this.send({ ...frame, id });
    return reply;
  }

  /** The next frame (already received or future) that matches. */
  next(match: (f: Frame) => boolean, timeoutMs = 5000): Promise<Frame> {
    const seen = this.frames.find(match);
    if (seen) {
      this.frames.splice(this.frames.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no matching frame within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.push({
        match,
        resolve: (f) => {
          clearTimeout(timer);
          this.frames.splice(this.frames.indexOf(f), 1);
          resolve(f);
        },
      });
    });
  }

  /** Waits until `count` frames match, returning them in arrival order (consumed). */
  async collect(match: (f: Frame) => boolean, count: number, timeoutMs = 5000): Promise<Frame[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.filter(match).length < count) {
      if (Date.now() > deadline) {
        throw new Error(
          `got ${this.frames.filter(match).length} of ${count} frames in ${timeoutMs} ms`,
        );
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    const picked = this.frames.filter(match).slice(0, count);
    for (const f of picked) this.frames.splice(this.frames.indexOf(f), 1);
    return picked;
  }

  messages(channel: string): Frame[] {
    return this.frames.filter((f) => f.type === "message" && f.channel === channel);
  }

  async subscribe(channel: string, extra: Record<string, unknown> = {}): Promise<Frame> {
    const reply = await this.request({ type: "subscribe", channel, ...extra });
    if (reply.type !== "subscribed") throw new Error(`subscribe failed: ${JSON.stringify(reply)}`);
    return reply;
  }

  close(): void {
    if (
      this.socket.readyState === WebSocket.OPEN ||
      this.socket.readyState === WebSocket.CONNECTING
    ) {
      this.socket.terminate();
    }
  }
}

/** Closes every client in the list (afterEach helper). */
export function closeAll(clients: RawClient[]): void {
  for (const c of clients.splice(0)) c.close();
}

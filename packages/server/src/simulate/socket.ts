import { PROTOCOL_NAME } from "@switchboard/protocol";
import WebSocket from "ws";

/**
 * The least socket client the simulator needs: connect with a token, answer pings, subscribe
 * (presence counts a viewer), unsubscribe, close. Agents keep one open so routing sees them
 * connected; a browsing customer keeps one for the visit, as the web app does.
 */
export class SimSocket {
  private nextId = 1;
  private readonly waiting = new Map<number, (f: Record<string, unknown> | Error) => void>();

  private constructor(private readonly ws: WebSocket) {
    ws.on("message", (raw) => {
      const f = JSON.parse(raw.toString()) as Record<string, unknown>;
      if (f.type === "ping") ws.send(JSON.stringify({ type: "pong" }));
      const done = typeof f.id === "number" ? this.waiting.get(f.id) : undefined;
      if (done) {
        this.waiting.delete(f.id as number);
        done(f);
      }
    });
    ws.on("error", () => {});
    // A closed socket answers nothing: fail what waits now rather than after its timeout.
    ws.on("close", () => {
      for (const done of this.waiting.values()) done(new Error("socket closed"));
      this.waiting.clear();
    });
  }

  static async connect(wsUrl: string, token: string): Promise<SimSocket> {
    const ws = new WebSocket(wsUrl, [PROTOCOL_NAME]);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    const s = new SimSocket(ws);
    const reply = await s.request({ type: "connect", token });
    if (reply.type !== "connected")
      throw new Error(`socket connect refused: ${JSON.stringify(reply)}`);
    return s;
  }

  /** False once closing or closed (by either side): such a socket is replaced, never reused. */
  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  request(frame: Record<string, unknown>, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    // ws drops a frame sent on a closing socket without a word: it would wait out the timeout
    if (!this.open) return Promise.reject(new Error("socket closed"));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`no reply to ${String(frame.type)} in ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, (f) => {
        clearTimeout(timer);
        if (f instanceof Error) reject(f);
        else resolve(f);
      });
      this.ws.send(JSON.stringify({ ...frame, id }));
    });
  }

  async subscribe(channel: string): Promise<void> {
    const reply = await this.request({ type: "subscribe", channel });
    if (reply.type !== "subscribed")
      throw new Error(`subscribe ${channel}: ${JSON.stringify(reply)}`);
  }

  /** The protocol answers an unsubscribe with `ok` (docs/protocol.md). */
  async unsubscribe(channel: string): Promise<void> {
    const reply = await this.request({ type: "unsubscribe", channel });
    if (reply.type !== "ok") throw new Error(`unsubscribe ${channel}: ${JSON.stringify(reply)}`);
  }

  close(): void {
    this.ws.close();
  }
}

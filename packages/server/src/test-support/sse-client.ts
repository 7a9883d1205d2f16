import type { ServerFrame } from "@switchboard/protocol";

type Frame = ServerFrame & Record<string, unknown>;

/**
 * A bare client of the HTTP fallback for gateway tests: reads the event stream, POSTs frames
 * with its own sequence numbers (so tests can send them out of order or twice).
 */
export class SseClient {
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  stream = "";
  key = "";
  seq = 0;
  autoPong = true;
  private nextId = 1;
  private readonly abort = new AbortController();
  private resolveClosed!: (v: { code: number; reason: string }) => void;

  private constructor(
    readonly base: string,
    private sendBase: string,
  ) {
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
  }

  /** Opens a stream on `base` (http://host:port); POSTs go to `sendTo` (default: the same node). */
  static async open(base: string, sendTo = base): Promise<SseClient> {
    const client = new SseClient(base, sendTo);
    const res = await fetch(`${base}/ws/stream`, {
      headers: { accept: "text/event-stream" },
      signal: client.abort.signal,
    });
    if (res.status !== 200 || !res.body) throw new Error(`stream refused: ${res.status}`);
    const opened = new Promise<void>((resolve) => {
      void client.read(res.body as ReadableStream<Uint8Array>, resolve);
    });
    await opened;
    return client;
  }

  /** Sends to another node from now on (a cluster without sticky sessions). */
  sendVia(base: string): void {
    this.sendBase = base;
  }

  private async read(body: ReadableStream<Uint8Array>, opened: () => void): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = "";
    let closedWith = { code: 1006, reason: "stream ended without a close event" };
    const reader = body.getReader();
    try {
      for (;;) {
        const { done, value: chunk } = await reader.read();
        if (done) break;
        buffer += decoder.decode(chunk, { stream: true });
        for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = "message";
          let data = "";
          for (const line of block.split("\n")) {
            if (line.startsWith("event: ")) event = line.slice(7);
            else if (line.startsWith("data: ")) data += line.slice(6);
          }
          if (!data) continue;
          const value = JSON.parse(data) as Record<string, unknown>;
          if (event === "open") {
            this.stream = value.stream as string;
            this.key = value.key as string;
            opened();
          } else if (event === "close") {
            closedWith = value as { code: number; reason: string };
          } else this.onFrame(value as Frame);
        }
      }
    } catch {
      // aborted or cut
    }
    this.resolveClosed(closedWith);
  }

  private waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];

  private onFrame(frame: Frame): void {
    if (frame.type === "ping" && this.autoPong) void this.post([{ type: "pong" }]);
    this.frames.push(frame);
    this.waiters = this.waiters.filter((w) => {
      if (!w.match(frame)) return true;
      w.resolve(frame);
      return false;
    });
  }

  /** POSTs frames (objects or raw lines) with the next sequence number, or the one given. */
  async post(
    frames: (Record<string, unknown> | string)[],
    options: { seq?: number; head?: string } = {},
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const seq = options.seq ?? ++this.seq;
    const head = options.head ?? JSON.stringify({ stream: this.stream, key: this.key, seq });
    const lines = frames.map((f) => (typeof f === "string" ? f : JSON.stringify(f)));
    const res = await fetch(`${this.sendBase}/ws/send`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: [head, ...lines].join("\n"),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  async request(frame: Record<string, unknown>, timeoutMs = 10_000): Promise<Frame> {
    const id = (frame.id as number | undefined) ?? this.nextId++;
    const reply = this.next((f) => (f as { id?: number }).id === id, timeoutMs);
    const posted = await this.post([{ ...frame, id }]);
    if (posted.status !== 202) throw new Error(`POST refused: ${JSON.stringify(posted)}`);
    return reply;
  }

  next(match: (f: Frame) => boolean, timeoutMs = 10_000): Promise<Frame> {
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

  async connect(token: string): Promise<Frame> {
    const reply = await this.request({ type: "connect", token });
    if (reply.type !== "connected") throw new Error(`connect failed: ${JSON.stringify(reply)}`);
    return reply;
  }

  async subscribe(channel: string, extra: Record<string, unknown> = {}): Promise<Frame> {
    const reply = await this.request({ type: "subscribe", channel, ...extra });
    if (reply.type !== "subscribed") throw new Error(`subscribe failed: ${JSON.stringify(reply)}`);
    return reply;
  }

  close(): void {
    this.abort.abort();
  }
}

/**
 * A lean HTTP/1.1 client for benches that send thousands of small JSON requests a second: one
 * keep-alive socket per request in flight, each request written as one string, the answer read
 * by its Content-Length. node:http's client (ClientRequest, IncomingMessage, header objects,
 * streams) cost the bench process about as much CPU per request as the server spent on a plain
 * publish, so the load side, not the server, set the pace. The server sees ordinary requests.
 */
import { connect, type Socket } from "node:net";

export interface Reply {
  status: number;
  body: string;
}

const HEAD_END = "\r\n\r\n";

class Connection {
  private socket: Socket | undefined;
  private buffer = "";
  private waiting:
    | {
        resolve: (r: Reply) => void;
        reject: (e: Error) => void;
        head?: { status: number; length: number; at: number };
      }
    | undefined;
  private closeAfter = false;

  constructor(
    private readonly port: number,
    private readonly host: string,
  ) {}

  private open(): Socket {
    const socket = connect({ port: this.port, host: this.host, noDelay: true });
    // latin1: one character per byte, so Content-Length counts characters here
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => this.data(chunk));
    const fail = (err?: Error) => {
      if (this.socket === socket) this.socket = undefined;
      const w = this.waiting;
      this.waiting = undefined;
      this.buffer = "";
      w?.reject(err ?? new Error("connection closed before the answer"));
    };
    socket.on("error", fail);
    socket.on("close", () => fail());
    this.socket = socket;
    this.closeAfter = false;
    return socket;
  }

  request(raw: string): Promise<Reply> {
    if (this.waiting) return Promise.reject(new Error("one request at a time per connection"));
    const socket = this.socket ?? this.open();
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      socket.write(raw, "latin1");
    });
  }

  private data(chunk: string): void {
    this.buffer += chunk;
    const w = this.waiting;
    if (!w) return;
    if (!w.head) {
      const end = this.buffer.indexOf(HEAD_END);
      if (end < 0) return;
      const head = this.buffer.slice(0, end);
      const status = Number(head.slice(9, 12));
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      if (/\r\ntransfer-encoding:/i.test(head) || !length) {
        this.waiting = undefined;
        w.reject(new Error("answer without Content-Length (not supported by this client)"));
        this.socket?.destroy();
        return;
      }
      this.closeAfter = /\r\nconnection:\s*close/i.test(head);
      w.head = { status, length: Number(length[1]), at: end + HEAD_END.length };
    }
    const { status, length, at } = w.head;
    if (this.buffer.length < at + length) return;
    const body = Buffer.from(this.buffer.slice(at, at + length), "latin1").toString("utf8");
    this.buffer = this.buffer.slice(at + length);
    this.waiting = undefined;
    if (this.closeAfter) {
      this.socket?.end();
      this.socket = undefined;
    }
    w.resolve({ status, body });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }
}

/** `size` keep-alive connections; `send` takes a free one (callers keep at most `size` in flight). */
export class KeepAliveClient {
  private readonly free: Connection[] = [];
  private readonly all: Connection[] = [];

  constructor(
    private readonly port: number,
    private readonly authorization: string,
    size: number,
    host = "127.0.0.1",
  ) {
    for (let i = 0; i < size; i++) {
      const c = new Connection(port, host);
      this.all.push(c);
      this.free.push(c);
    }
  }

  async send(method: string, path: string, body?: unknown): Promise<Reply> {
    const c = this.free.pop();
    if (!c) throw new Error("more requests in flight than connections");
    const payload = body === undefined ? "" : JSON.stringify(body);
    const bytes = Buffer.byteLength(payload);
    const raw =
      `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${this.port}\r\nAuthorization: ${this.authorization}\r\n` +
      (payload ? `Content-Type: application/json\r\nContent-Length: ${bytes}\r\n\r\n` : "\r\n") +
      // the body as UTF-8 bytes, written through the latin1 socket encoding unchanged
      (bytes === payload.length ? payload : Buffer.from(payload, "utf8").toString("latin1"));
    try {
      return await c.request(raw);
    } finally {
      this.free.push(c);
    }
  }

  close(): void {
    for (const c of this.all) c.close();
  }
}

/**
 * A deliberately small WebSocket client (RFC 6455) on a raw TCP socket, for the load generator.
 *
 * Why not `ws` or socket.io-client: the load generator must cost far less per delivery than the
 * servers it measures, and it must cost the same for every server. This client never copies a
 * received payload, never decodes JSON on the hot path (the caller scans the bytes for the
 * timestamp) and masks with a zero key (allowed by the RFC; it makes masking a no-op).
 * No extensions are offered, so frames are never compressed. Text and binary are both accepted.
 * Reads use `onread` with one buffer shared by every socket of the process: no stream machinery,
 * no allocation per read; only a partial frame left at the end of a read is copied.
 */
import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";

export interface WsClientOptions {
  host: string;
  port: number;
  path: string;
  protocol?: string;
  /** Called for every complete data frame; [start, end) of `buf` is the payload (do not keep it). */
  onMessage: (buf: Buffer, start: number, end: number) => void;
  onOpen: () => void;
  onClose: (reason: string) => void;
}

/** Shared by every socket: onread callbacks run one at a time and we never keep a view of it. */
const READ_BUFFER = Buffer.allocUnsafe(1024 * 1024);

/**
 * When the read being parsed came in (performance.now(), ms). Every frame of one read arrived
 * at the same moment, so latency is taken against this instead of one clock read per frame: at
 * several hundred thousand deliveries a second the clock was a measurable share of the load
 * generator's own cost.
 */
export let readAt = 0;

const OP_CONT = 0x0;
const OP_TEXT = 0x1;
const OP_BIN = 0x2;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;

export class WsClient {
  readonly socket: Socket;
  open = false;
  closed = false;
  /** A partial frame (or handshake) carried over from the previous read; always a copy. */
  private rest: Buffer | null = null;
  private handshakeDone = false;
  private fragments: Buffer[] = [];

  constructor(private readonly opts: WsClientOptions) {
    const key = randomBytes(16).toString("base64");
    this.socket = connect({
      host: opts.host,
      port: opts.port,
      noDelay: true,
      onread: {
        buffer: READ_BUFFER,
        callback: (nread: number, buf: Uint8Array) => {
          readAt = performance.now();
          this.onData(Buffer.from(buf.buffer, buf.byteOffset, nread));
          return true;
        },
      },
    });
    this.socket.on("connect", () => {
      const lines = [
        `GET ${opts.path} HTTP/1.1`,
        `Host: ${opts.host}:${opts.port}`,
        "Upgrade: websocket",
        "Connection: Upgrade",
        `Sec-WebSocket-Key: ${key}`,
        "Sec-WebSocket-Version: 13",
      ];
      if (opts.protocol) lines.push(`Sec-WebSocket-Protocol: ${opts.protocol}`);
      this.socket.write(`${lines.join("\r\n")}\r\n\r\n`);
    });
    this.socket.on("error", (err) => this.finish(`socket error: ${err.message}`));
    this.socket.on("close", () => this.finish("socket closed"));
  }

  /** Sends one masked text frame (zero mask key). */
  send(text: string): void {
    if (!this.open) return;
    const payload = Buffer.from(text);
    this.writeFrame(OP_TEXT, payload);
  }

  close(): void {
    if (this.closed) return;
    if (this.open) this.writeFrame(OP_CLOSE, Buffer.from([0x03, 0xe8]));
    this.socket.end();
    this.socket.destroySoon();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private finish(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.open = false;
    this.opts.onClose(reason);
  }

  private writeFrame(opcode: number, payload: Buffer): void {
    const len = payload.length;
    let header: Buffer;
    if (len < 126) {
      header = Buffer.alloc(6);
      header[1] = 0x80 | len;
    } else if (len < 65536) {
      header = Buffer.alloc(8);
      header[1] = 0x80 | 126;
      header.writeUInt16BE(len, 2);
    } else {
      header = Buffer.alloc(14);
      header[1] = 0x80 | 127;
      header.writeUInt32BE(0, 2);
      header.writeUInt32BE(len, 6);
    }
    header[0] = 0x80 | opcode;
    // The last four header bytes are the (zero) masking key, so the payload goes out as is.
    this.socket.write(Buffer.concat([header, payload]));
  }

  private onData(chunk: Buffer): void {
    let buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    this.rest = null;
    if (!this.handshakeDone) {
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) {
        if (buf.length > 16384) this.fail("handshake too long");
        else this.rest = Buffer.from(buf);
        return;
      }
      const head = buf.toString("latin1", 0, end);
      if (!/^HTTP\/1\.1 101/.test(head)) {
        this.fail(`handshake refused: ${head.split("\r\n")[0]}`);
        return;
      }
      this.handshakeDone = true;
      this.open = true;
      buf = buf.subarray(end + 4);
      this.opts.onOpen();
    }
    const pos = this.parseFrames(buf);
    if (pos < buf.length && !this.closed) this.rest = Buffer.from(buf.subarray(pos));
  }

  private fail(reason: string): void {
    this.finish(reason);
    this.socket.destroy();
  }

  /** Handles every complete frame in `buf`; returns where the first incomplete one starts. */
  private parseFrames(buf: Buffer): number {
    let pos = 0;
    // Bounded: every iteration consumes at least two bytes of a finite buffer.
    while (buf.length - pos >= 2) {
      const b0 = buf[pos]!;
      const b1 = buf[pos + 1]!;
      let len = b1 & 0x7f;
      let head = 2;
      if (len === 126) {
        if (buf.length - pos < 4) break;
        len = buf.readUInt16BE(pos + 2);
        head = 4;
      } else if (len === 127) {
        if (buf.length - pos < 10) break;
        len = buf.readUInt32BE(pos + 2) * 2 ** 32 + buf.readUInt32BE(pos + 6);
        head = 10;
      }
      if (b1 & 0x80) {
        this.fail("server sent a masked frame");
        return buf.length;
      }
      if (buf.length - pos < head + len) break;
      const start = pos + head;
      const end = start + len;
      const fin = (b0 & 0x80) !== 0;
      const opcode = b0 & 0x0f;
      pos = end;
      if (opcode === OP_TEXT || opcode === OP_BIN) {
        if (fin) this.opts.onMessage(buf, start, end);
        else this.fragments = [Buffer.from(buf.subarray(start, end))];
      } else if (opcode === OP_CONT) {
        this.fragments.push(Buffer.from(buf.subarray(start, end)));
        if (fin) {
          const whole = Buffer.concat(this.fragments);
          this.fragments = [];
          this.opts.onMessage(whole, 0, whole.length);
        }
      } else if (opcode === OP_PING) {
        this.writeFrame(0xa, Buffer.from(buf.subarray(start, end)));
      } else if (opcode === OP_CLOSE) {
        const code = len >= 2 ? buf.readUInt16BE(start) : 1005;
        const reason = buf.toString("utf8", start + 2, end);
        this.finish(`closed by server: ${code} ${reason}`);
        this.socket.destroy();
        return buf.length;
      }
      if (this.closed) return buf.length;
    }
    return pos;
  }
}

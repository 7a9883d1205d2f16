import { constants, deflateRawSync } from "node:zlib";

/**
 * A complete unmasked WebSocket text frame (RFC 6455 §5.2) around a payload. Server frames are
 * never masked, so one frame serves every subscriber of a publication: built once, written to
 * each socket as is.
 */
export function textFrame(payload: Buffer, compressed = false): Buffer {
  const length = payload.length;
  const header = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = compressed ? 0xc1 : 0x81; // FIN + (RSV1: permessage-deflate, RFC 7692 §6) + text
  if (header === 2) {
    frame[1] = length;
  } else if (header === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  payload.copy(frame, header);
  return frame;
}

/** How server frames are compressed (permessage-deflate, RFC 7692), the same for every socket. */
export interface CompressionSettings {
  /** Payloads smaller than this go uncompressed (deflate costs more than it saves on them). */
  thresholdBytes: number;
  /** zlib level, 1 (fast) to 9 (small). */
  level: number;
}

/** The empty stored block a sync flush ends with; RFC 7692 §7.2.1 says to strip it. */
const SYNC_TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/**
 * Deflates one message on its own, with no context shared with earlier messages: what
 * `server_no_context_takeover` allows, and what lets one compressed frame serve every socket.
 */
export function deflateMessage(payload: Buffer, level: number): Buffer {
  const out = deflateRawSync(payload, { level, finishFlush: constants.Z_SYNC_FLUSH });
  return out.length >= 4 && out.subarray(out.length - 4).equals(SYNC_TAIL)
    ? out.subarray(0, out.length - 4)
    : out;
}

/**
 * One server message, serialized once and framed on demand: as a plain WebSocket frame, as a
 * compressed one (built at most once, whatever the number of sockets that negotiated
 * compression), or as the bare JSON for the HTTP fallback. Fan-out writes the same object to
 * every subscriber.
 */
export class OutFrame {
  private plain: Buffer | undefined = undefined;
  /** null: compression was tried and did not pay (or the payload is under the threshold). */
  private deflated: Buffer | null | undefined = undefined;

  constructor(readonly payload: Buffer) {}

  static json(value: unknown): OutFrame {
    return new OutFrame(Buffer.from(JSON.stringify(value)));
  }

  /** The uncompressed WebSocket frame. */
  get ws(): Buffer {
    if (this.plain === undefined) this.plain = textFrame(this.payload);
    return this.plain;
  }

  /** The compressed WebSocket frame, or the plain one when compressing would not pay. */
  wsCompressed(settings: CompressionSettings): Buffer {
    if (this.deflated === undefined) {
      this.deflated = null;
      if (this.payload.length >= settings.thresholdBytes) {
        const body = deflateMessage(this.payload, settings.level);
        if (body.length < this.payload.length) this.deflated = textFrame(body, true);
      }
    }
    return this.deflated ?? this.ws;
  }
}

/** What the batcher writes to: a TCP socket (WebSocket) or an HTTP response (the fallback). */
export interface Sink {
  readonly destroyed: boolean;
  readonly writable: boolean;
  write(chunk: Buffer): boolean;
}

/**
 * Writes of one event-loop turn are gathered per socket and sent as one write when the turn
 * ends: a socket that gets ten messages in a burst costs one system call, not ten.
 *
 * With a delay (Centrifugo's write batching, bounded): when the last flush was less than
 * `delayMs` ago, the next one waits until `delayMs` after it, so at high rates each socket gets
 * its messages in fewer, larger writes (fewer system calls on both ends). Nothing waits longer
 * than `delayMs`, and a quiet server (no flush within `delayMs`) flushes at the end of the turn
 * as without a delay. Order per socket is kept: chunks are written in the order queued, and
 * `flush(socket)` (before a close frame) still writes at once.
 */
export class WriteBatcher {
  private readonly dirty: { socket: Sink; chunks: Buffer[]; bytes: number }[] = [];
  private readonly pending = new Map<Sink, { socket: Sink; chunks: Buffer[]; bytes: number }>();
  private scheduled = false;
  private lastFlushAt = Number.NEGATIVE_INFINITY;
  private readonly flushNow = () => this.flushAll();

  constructor(private readonly delayMs = 0) {}

  queue(socket: Sink, frame: Buffer): void {
    let entry = this.pending.get(socket);
    if (!entry) {
      entry = { socket, chunks: [], bytes: 0 };
      this.pending.set(socket, entry);
      this.dirty.push(entry);
    }
    entry.chunks.push(frame);
    entry.bytes += frame.length;
    if (!this.scheduled) {
      this.scheduled = true;
      const wait = this.delayMs > 0 ? this.lastFlushAt + this.delayMs - performance.now() : 0;
      if (wait >= 0.5) setTimeout(this.flushNow, wait);
      else setImmediate(this.flushNow);
    }
  }

  /** Bytes queued for a socket in this turn's batch, not yet handed to it. */
  queued(socket: Sink): number {
    return this.pending.get(socket)?.bytes ?? 0;
  }

  /** Sends what is queued for one socket now (before a close frame, so order holds). */
  flush(socket: Sink): void {
    const entry = this.pending.get(socket);
    if (!entry) return;
    this.pending.delete(socket);
    entry.bytes = -1; // marks it sent for flushAll
    write(entry.socket, entry.chunks);
  }

  private flushAll(): void {
    this.scheduled = false;
    if (this.delayMs > 0) this.lastFlushAt = performance.now();
    const entries = this.dirty.splice(0);
    for (const entry of entries) {
      if (entry.bytes < 0) continue;
      this.pending.delete(entry.socket);
      write(entry.socket, entry.chunks);
    }
  }
}

function write(socket: Sink, chunks: Buffer[]): void {
  if (socket.destroyed || !socket.writable) return;
  socket.write(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
}

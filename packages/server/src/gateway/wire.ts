import type { Socket } from "node:net";

/**
 * A complete unmasked WebSocket text frame (RFC 6455 §5.2) around a payload. Server frames are
 * never masked, so one frame serves every subscriber of a publication: built once, written to
 * each socket as is.
 */
export function textFrame(payload: Buffer): Buffer {
  const length = payload.length;
  const header = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = 0x81; // FIN + text
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

/**
 * Writes of one event-loop turn are gathered per socket and sent as one write when the turn
 * ends: a socket that gets ten messages in a burst costs one system call, not ten.
 */
export class WriteBatcher {
  private readonly dirty: { socket: Socket; chunks: Buffer[]; bytes: number }[] = [];
  private readonly pending = new Map<Socket, { socket: Socket; chunks: Buffer[]; bytes: number }>();
  private scheduled = false;

  queue(socket: Socket, frame: Buffer): void {
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
      setImmediate(() => this.flushAll());
    }
  }

  /** Bytes queued for a socket in this turn's batch, not yet handed to it. */
  queued(socket: Socket): number {
    return this.pending.get(socket)?.bytes ?? 0;
  }

  /** Sends what is queued for one socket now (before a close frame, so order holds). */
  flush(socket: Socket): void {
    const entry = this.pending.get(socket);
    if (!entry) return;
    this.pending.delete(socket);
    entry.bytes = -1; // marks it sent for flushAll
    write(entry.socket, entry.chunks);
  }

  private flushAll(): void {
    this.scheduled = false;
    const entries = this.dirty.splice(0);
    for (const entry of entries) {
      if (entry.bytes < 0) continue;
      this.pending.delete(entry.socket);
      write(entry.socket, entry.chunks);
    }
  }
}

function write(socket: Socket, chunks: Buffer[]): void {
  if (socket.destroyed || !socket.writable) return;
  socket.write(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
}

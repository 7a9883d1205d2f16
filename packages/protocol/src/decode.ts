import type { z } from "zod";
import type { TransportErrorCode } from "./codes.js";
import { CLIENT_FRAME_TYPES, type ClientFrame, clientFrameSchema } from "./frames.js";

export type DecodeResult =
  | { ok: true; frame: ClientFrame }
  | {
      ok: false;
      /** The command id, when one could be read from the bad frame (so the error can answer it). */
      id?: number;
      code: TransportErrorCode;
      message: string;
      details?: unknown;
    };

const ID_PREFIX = /"id"\s*:\s*(\d{1,15})\b/;

/** Reads a command id from the start or end of a frame too large to parse, so the error can answer it. */
export function peekCommandId(text: string): number | undefined {
  const m = ID_PREFIX.exec(text.slice(0, 256)) ?? ID_PREFIX.exec(text.slice(-256));
  if (!m?.[1]) return undefined;
  const id = Number(m[1]);
  return id > 0 ? id : undefined;
}

/** UTF-8 byte length of a string, without Buffer or TextEncoder (works in every runtime). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

function readId(value: unknown): number | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const id = (value as { id?: unknown }).id;
  return typeof id === "number" && Number.isSafeInteger(id) && id > 0 ? id : undefined;
}

function issues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.slice(0, 10).map((i) => ({ path: i.path.join("."), message: i.message }));
}

/**
 * Turns one text frame into a validated command, or says exactly why not.
 * Pure and total: never throws, whatever the input.
 */
export function decodeClientFrame(
  text: string,
  maxBytes: number,
  byteLength: number = utf8Length(text),
): DecodeResult {
  if (byteLength > maxBytes) {
    const id = peekCommandId(text);
    return {
      ok: false,
      ...(id !== undefined && { id }),
      code: "too_large",
      message: `frame exceeds ${maxBytes} bytes`,
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, code: "bad_request", message: "frame is not valid JSON" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, code: "bad_request", message: "frame must be a JSON object" };
  }
  const id = readId(value);
  const type = (value as { type?: unknown }).type;
  if (typeof type !== "string" || !(CLIENT_FRAME_TYPES as readonly string[]).includes(type)) {
    return {
      ok: false,
      ...(id !== undefined && { id }),
      code: "bad_request",
      message: `unknown frame type${typeof type === "string" ? ` "${type.slice(0, 32)}"` : ""}`,
      details: { allowed: CLIENT_FRAME_TYPES },
    };
  }
  const parsed = clientFrameSchema.safeParse(value);
  if (!parsed.success) {
    return {
      ok: false,
      ...(id !== undefined && { id }),
      code: "bad_request",
      message: `invalid ${type} frame`,
      details: issues(parsed.error),
    };
  }
  return { ok: true, frame: parsed.data };
}

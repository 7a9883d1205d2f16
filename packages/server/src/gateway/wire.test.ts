import { describe, expect, it } from "vitest";
import { textFrame } from "./wire.js";

/** Reads back what RFC 6455 §5.2 says a server text frame holds. */
function parse(frame: Buffer): { fin: boolean; opcode: number; masked: boolean; payload: string } {
  const second = frame[1] as number;
  let length = second & 0x7f;
  let offset = 2;
  if (length === 126) {
    length = frame.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    length = Number(frame.readBigUInt64BE(2));
    offset = 10;
  }
  expect(frame.length).toBe(offset + length);
  return {
    fin: ((frame[0] as number) & 0x80) !== 0,
    opcode: (frame[0] as number) & 0x0f,
    masked: (second & 0x80) !== 0,
    payload: frame.subarray(offset).toString(),
  };
}

describe("textFrame", () => {
  it.each([0, 1, 125, 126, 65535, 65536, 200_000])(
    "frames a %i-byte payload as one unmasked final text frame",
    (size) => {
      const payload = "x".repeat(size);
      expect(parse(textFrame(Buffer.from(payload)))).toEqual({
        fin: true,
        opcode: 1,
        masked: false,
        payload,
      });
    },
  );
});

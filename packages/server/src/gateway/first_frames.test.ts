import { decodeClientFrame } from "@switchboard/protocol";
import { describe, expect, it } from "vitest";
import { decodeFirstFrame } from "./first_frames.js";

const MAX = 64 * 1024;

/** Frames around every bound and shape the two schemas have (valid and not). */
function crafted(): string[] {
  const ids: unknown[] = [1, 7, 0, -1, 1.5, Number.MAX_SAFE_INTEGER, 2 ** 53, "1", null];
  const tokens: unknown[] = ["t", "a.b.c", "", "x".repeat(8192), "x".repeat(8193), 5, null];
  const clients: unknown[] = [
    undefined,
    { name: "sdk", version: "1" },
    { name: "", version: "" },
    { name: "n".repeat(64), version: "v".repeat(32) },
    { name: "n".repeat(65), version: "1" },
    { name: "sdk", version: "v".repeat(33) },
    { name: "sdk" },
    { name: "sdk", version: "1", extra: true },
    { name: 1, version: "1" },
    [],
    null,
    "sdk",
  ];
  const sessions: unknown[] = [undefined, "s", "s".repeat(64), "s".repeat(65), "", 3];
  const channels: unknown[] = [
    "product:a",
    "staff:floor",
    "a:b:c",
    "nocolon",
    ":x",
    "x:",
    "bad space:x",
    `p:${"x".repeat(253)}`,
    `p:${"x".repeat(254)}`,
    "é:x",
    3,
    null,
  ];
  const recovers: unknown[] = [
    undefined,
    { epoch: "e", offset: 0 },
    { epoch: "e".repeat(64), offset: 12 },
    { epoch: "e".repeat(65), offset: 1 },
    { epoch: "", offset: 1 },
    { epoch: "e", offset: -1 },
    { epoch: "e", offset: 1.5 },
    { epoch: "e" },
    { epoch: "e", offset: 1, more: 1 },
    null,
    [],
  ];
  const presences: unknown[] = [undefined, true, false, "true", null];
  const out: string[] = [];
  const frame = (o: Record<string, unknown>) => JSON.stringify(o);
  for (const id of ids) for (const token of tokens) out.push(frame({ type: "connect", id, token }));
  for (const client of clients)
    for (const session of sessions)
      out.push(frame({ type: "connect", id: 3, token: "a.b.c", client, session }));
  for (const id of ids)
    for (const channel of channels) out.push(frame({ type: "subscribe", id, channel }));
  for (const recover of recovers)
    for (const presence of presences)
      out.push(frame({ type: "subscribe", id: 2, channel: "product:a", recover, presence }));
  out.push(
    '{"type":"connect","id":1,"token":"t","extra":1}',
    '{"type":"connect","id":1,"token":"t","type":"subscribe"}',
    '{"type":"connect","id":1,"token":"t","__proto__":{"x":1}}',
    '{"type":"connect","id":1,"token":"t"',
    '{"type":"connect"}',
    '{"type":"connect","id":1e0,"token":"t"}',
    '{"type":"subscribe","id":1,"channel":"a:b","constructor":1}',
    '{"type":"subscribe","id":1,"channel":"a:b","presence":true,"presence":1}',
    '{"type":"subscribe"}',
    '{"type":"subscribe","id":1,"channel":"a:b"} ',
    '{"type":"connectx","id":1,"token":"t"}',
    '{"type":"subscribed","id":1,"channel":"a:b"}',
    '{"type":"publish","id":1,"channel":"a:b","event":"e"}',
    '{"id":1,"type":"connect","token":"t"}',
  );
  return out;
}

/** Random mangling of valid frames: flipped, dropped and inserted characters. */
function mangled(seed: string[], count: number): string[] {
  let x = 42;
  const rand = (n: number) => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x % n;
  };
  const alphabet = '{}[]":,0123456789-.eE abcdefghijklmnopqrstuvwxyz\\';
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    let s = seed[rand(seed.length)] ?? "";
    for (let k = 1 + rand(3); k > 0; k--) {
      const at = 17 + rand(Math.max(1, s.length - 17));
      const c = alphabet[rand(alphabet.length)] ?? "x";
      const op = rand(3);
      s =
        op === 0
          ? s.slice(0, at) + c + s.slice(at + 1)
          : op === 1
            ? s.slice(0, at) + s.slice(at + 1)
            : s.slice(0, at) + c + s.slice(at);
    }
    out.push(s);
  }
  return out;
}

describe("the zod-free check of connect and subscribe frames", () => {
  it("accepts only what the protocol's schemas accept, and builds the same frame", () => {
    const inputs = crafted();
    const valid = inputs.filter((t) => decodeClientFrame(t, MAX).ok);
    let fast = 0;
    for (const text of [...inputs, ...mangled(valid, 3000)]) {
      const mine = decodeFirstFrame(text);
      if (mine === undefined) continue;
      fast++;
      const zod = decodeClientFrame(text, MAX);
      expect(zod, text).toMatchObject({ ok: true });
      if (zod.ok) expect(mine, text).toStrictEqual(zod.frame);
    }
    // and it does take the frames clients send
    expect(fast).toBeGreaterThan(200);
  });

  it("takes the frames the SDK and the bench send", () => {
    for (const text of [
      '{"type":"connect","token":"a.b.c","client":{"name":"@switchboard/client","version":"0.1.0"},"id":1}',
      '{"type":"connect","id":1,"token":"a.b.c","client":{"name":"bench","version":"1"}}',
      '{"type":"subscribe","channel":"product:sku-1","id":2}',
      '{"type":"subscribe","channel":"staff:floor","recover":{"epoch":"e1","offset":4},"presence":true,"id":3}',
      '{"type":"connect","token":"a.b.c","session":"0b6f7c52-3e9b-4e5d-9a57-2c1d7b3f4a10","id":1}',
    ]) {
      const mine = decodeFirstFrame(text);
      expect(mine, text).toBeDefined();
      const zod = decodeClientFrame(text, MAX);
      expect(zod.ok && zod.frame).toStrictEqual(mine);
    }
  });

  it("leaves every other frame to the schemas without parsing it", () => {
    expect(decodeFirstFrame('{"type":"publish","id":1,"channel":"a:b","event":"e"}')).toBe(
      undefined,
    );
    expect(decodeFirstFrame("not json")).toBe(undefined);
  });
});

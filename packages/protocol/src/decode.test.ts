import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeClientFrame, utf8Length } from "./decode.js";

const MAX = 64 * 1024;
const FUZZ_RUNS = process.env.CI ? 10_000 : 2_000;

describe("decodeClientFrame", () => {
  it("accepts every valid command type", () => {
    const frames = [
      { type: "connect", id: 1, token: "t" },
      { type: "subscribe", id: 2, channel: "product:1", recover: { epoch: "e", offset: 3 } },
      { type: "unsubscribe", id: 3, channel: "product:1" },
      { type: "publish", id: 4, channel: "staff:x", event: "e", data: { a: 1 }, key: "k" },
      { type: "signal", id: 5, channel: "conversation:1", event: "typing", data: null },
      { type: "presence", id: 6, channel: "product:1" },
      { type: "history", id: 7, channel: "product:1", limit: 10 },
      { type: "rpc", id: 8, method: "orders.get", params: { id: "1" } },
      { type: "refresh", id: 9, token: "t" },
      { type: "pong" },
    ];
    for (const f of frames) {
      const r = decodeClientFrame(JSON.stringify(f), MAX);
      expect(r.ok, JSON.stringify(r)).toBe(true);
    }
  });

  it("defaults absent publish data to null", () => {
    const r = decodeClientFrame('{"type":"publish","id":1,"channel":"a:b","event":"e"}', MAX);
    expect(r.ok && r.frame.type === "publish" && r.frame.data).toBeNull();
  });

  it.each([
    ["not JSON", "{nope", undefined, "bad_request"],
    ["a JSON array", "[1,2]", undefined, "bad_request"],
    ["a JSON string", '"hello"', undefined, "bad_request"],
    ["null", "null", undefined, "bad_request"],
    ["no type", '{"id":4}', 4, "bad_request"],
    ["unknown type", '{"type":"explode","id":5}', 5, "bad_request"],
    ["missing id", '{"type":"subscribe","channel":"a:b"}', undefined, "bad_request"],
    ["negative id", '{"type":"subscribe","id":-1,"channel":"a:b"}', undefined, "bad_request"],
    ["bad channel", '{"type":"subscribe","id":6,"channel":"no namespace"}', 6, "bad_request"],
    [
      "channel too long",
      `{"type":"subscribe","id":7,"channel":"a:${"x".repeat(300)}"}`,
      7,
      "bad_request",
    ],
    [
      "history limit too high",
      '{"type":"history","id":8,"channel":"a:b","limit":5000}',
      8,
      "bad_request",
    ],
    ["wrong field type", '{"type":"publish","id":9,"channel":"a:b","event":42}', 9, "bad_request"],
  ])("rejects %s with a code", (_name, text, id, code) => {
    const r = decodeClientFrame(text, MAX);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe(code);
      expect(r.id).toBe(id);
      expect(r.message.length).toBeGreaterThan(0);
    }
  });

  it("rejects an oversize frame as too_large and still finds its id", () => {
    const text = `{"id":12,"type":"publish","channel":"a:b","event":"e","data":"${"x".repeat(MAX)}"}`;
    const r = decodeClientFrame(text, MAX);
    expect(r).toMatchObject({ ok: false, code: "too_large", id: 12 });
  });

  it("counts UTF-8 bytes, not UTF-16 units", () => {
    expect(utf8Length("aé€😀")).toBe(1 + 2 + 3 + 4);
    const text = JSON.stringify({
      type: "publish",
      id: 1,
      channel: "a:b",
      event: "e",
      data: "€".repeat(30_000),
    });
    expect(text.length).toBeLessThan(MAX);
    expect(decodeClientFrame(text, MAX)).toMatchObject({ ok: false, code: "too_large" });
  });

  it(`never throws on arbitrary input (${FUZZ_RUNS} cases)`, () => {
    const anyFrame = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.json({ maxDepth: 4 }),
      fc
        .record({
          type: fc.constantFrom("connect", "subscribe", "publish", "history", "rpc", "pong", "x"),
          id: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(null)),
          channel: fc.oneof(fc.string({ maxLength: 40 }), fc.constant("product:1")),
          data: fc.jsonValue({ maxDepth: 3 }),
          since: fc.anything({ maxDepth: 2 }),
        })
        .map((o) => JSON.stringify(o)),
    );
    fc.assert(
      fc.property(anyFrame, (text) => {
        const r = decodeClientFrame(text, MAX);
        if (r.ok) return typeof r.frame.type === "string";
        return r.code.length > 0 && r.message.length > 0;
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});

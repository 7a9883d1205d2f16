import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { tokenClaimsSchema } from "./claims.js";
import { TRANSPORT_ERROR_CODES } from "./codes.js";
import { decodeClientFrame } from "./decode.js";
import { CLIENT_FRAME_TYPES, clientFrameSchema, serverFrameSchema, withinDepth } from "./frames.js";

const MAX = 64 * 1024;
const codes = new Set<string>(TRANSPORT_ERROR_CODES);

/** Values of every shape, nested and large ones included. */
const value = fc.oneof(
  fc.anything({ maxDepth: 3, maxKeys: 4, withBoxedValues: false }),
  fc.json({ maxDepth: 4 }).map((s) => JSON.parse(s) as unknown),
  fc.integer({ min: 1, max: 200 }).map((n) => JSON.parse(`${"[".repeat(n)}${"]".repeat(n)}`)),
  fc.string({ maxLength: 2000 }),
);

/** Frames that look like commands: a known type, plausible and implausible fields. */
const frameLike = fc.record(
  {
    type: fc.oneof(fc.constantFrom(...CLIENT_FRAME_TYPES), fc.string({ maxLength: 12 })),
    id: fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 5 }), fc.constant(null)),
    channel: fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom("product:1", "user:x", "staff:a", "conversation:z", ":", "a:"),
    ),
    event: fc.string({ maxLength: 140 }),
    data: value,
    params: value,
    token: fc.string({ maxLength: 50 }),
    limit: fc.oneof(fc.integer(), fc.double()),
    before: fc.oneof(fc.integer(), fc.string({ maxLength: 3 })),
    since: fc.oneof(
      fc.record({ epoch: fc.string({ maxLength: 70 }), offset: fc.integer() }),
      value,
    ),
    method: fc.string({ maxLength: 140 }),
  },
  { requiredKeys: [] },
);

function checkDecode(text: string): void {
  const r = decodeClientFrame(text, MAX);
  if (!r.ok) expect(codes.has(r.code)).toBe(true);
}

describe("fuzzing the pure decoders and validators (fast-check)", () => {
  it("decodeClientFrame never throws: 100,000 texts, frames and values", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => checkDecode(s)),
      { numRuns: 60_000 },
    );
    fc.assert(
      fc.property(frameLike, (f) => checkDecode(JSON.stringify(f))),
      { numRuns: 30_000 },
    );
    fc.assert(
      fc.property(value, (v) => checkDecode(JSON.stringify(v) ?? "null")),
      { numRuns: 10_000 },
    );
  }, 120_000);

  it("the zod schemas never throw and the depth check holds: 2,000 values", () => {
    fc.assert(
      fc.property(value, frameLike, (v, f) => {
        expect(() => clientFrameSchema.safeParse(f)).not.toThrow();
        expect(() => serverFrameSchema.safeParse(v)).not.toThrow();
        expect(() => tokenClaimsSchema.safeParse(v)).not.toThrow();
        expect(typeof withinDepth(v)).toBe("boolean");
      }),
      { numRuns: 2_000 },
    );
  }, 120_000);

  it("refuses data nested deeper than the limit, whatever its size", () => {
    const deep = `{"type":"publish","id":1,"channel":"a:b","event":"e","data":${"[".repeat(50_000)}${"]".repeat(50_000)}}`;
    const r = decodeClientFrame(deep, 1024 * 1024);
    expect(r).toMatchObject({ ok: false, code: "bad_request" });
  });
});

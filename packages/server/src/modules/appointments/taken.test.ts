import { describe, expect, it } from "vitest";
import { RecentlyTaken } from "./taken.js";

const span = (resource_id: string, claim_from: number, session = "cut@10") => ({
  resource_id,
  claim_from,
  claim_to: claim_from + 6,
  session,
});

describe("recently taken times", () => {
  it("remembers a taken time for its ttl, per resource and sitting, and forgets a freed resource", () => {
    const taken = new RecentlyTaken(500);
    taken.remember(span("chair-1", 100), 1000);
    expect(taken.has(span("chair-1", 100), 1200)).toBe(true);
    expect(taken.has(span("chair-1", 100), 1500)).toBe(false); // ran out
    expect(taken.has(span("chair-2", 100), 1200)).toBe(false);
    expect(taken.has(span("chair-1", 100, "class@10"), 1200)).toBe(false);
    expect(taken.has(span("chair-1", 101), 1200)).toBe(false);
    taken.remember(span("chair-2", 100), 1000);
    taken.forget("chair-1");
    expect(taken.has(span("chair-1", 100), 1200)).toBe(false);
    expect(taken.has(span("chair-2", 100), 1200)).toBe(true);
  });

  it("is off at 0 and bounded in size", () => {
    const off = new RecentlyTaken(0);
    off.remember(span("chair-1", 100), 1000);
    expect(off.has(span("chair-1", 100), 1000)).toBe(false);
    const small = new RecentlyTaken(500, 2);
    small.remember(span("a", 1), 1000);
    small.remember(span("b", 1), 1000);
    small.remember(span("c", 1), 1000); // full: starts over
    expect(small.has(span("a", 1), 1001)).toBe(false);
    expect(small.has(span("c", 1), 1001)).toBe(true);
  });
});

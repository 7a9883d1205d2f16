import { describe, expect, it } from "vitest";
import { ulid } from "./ids.js";

describe("ulid", () => {
  it("is 26 Crockford base32 characters starting with the time", () => {
    const id = ulid(1_700_000_000_000);
    expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(id.slice(0, 10)).toBe("01HF7YAT00"); // what the reference ulid encoder gives for that time
  });

  it("sorts in creation order, also within one millisecond, and never repeats", () => {
    const ids = Array.from({ length: 10_000 }, () => ulid(1_800_000_000_000));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    const later = ulid(1_800_000_000_001);
    expect(later > (ids.at(-1) as string)).toBe(true);
  });
});

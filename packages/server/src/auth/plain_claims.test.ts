import { tokenClaimsSchema } from "@switchboard/protocol";
import { describe, expect, it } from "vitest";
import { plainClaims } from "./plain-claims.js";

describe("plain token claims without zod", () => {
  it("returns what tokenClaimsSchema returns, or leaves the payload to it", () => {
    const subs: unknown[] = ["u", "bench-42", "x".repeat(255), "x".repeat(256), "", 7, null];
    subs.push("a\uD800", "\uDC00b", "ok\uD83D\uDE00", "é");
    const roles: unknown[] = [undefined, "customer", "agent", "admin", "root", "", 1, null];
    const exps: unknown[] = [undefined, 1, 2_000_000_000, 0, -5, 1.5, "9", null, 2 ** 53];
    const extras: Record<string, unknown>[] = [
      {},
      { iat: 1 },
      { iat: 1, nbf: 1, iss: "i", aud: ["a"], jti: "j" },
      { name: "Alice" },
      { caps: { "a:*": ["subscribe"] } },
      { vip: true },
      { typ: "x" },
    ];
    let fast = 0;
    for (const sub of subs)
      for (const role of roles)
        for (const exp of exps)
          for (const extra of extras) {
            const payload: Record<string, unknown> = { ...extra, sub };
            if (role !== undefined) payload.role = role;
            if (exp !== undefined) payload.exp = exp;
            const mine = plainClaims(payload);
            if (mine === undefined) continue;
            fast++;
            const zod = tokenClaimsSchema.safeParse(payload);
            expect(zod.success, JSON.stringify(payload)).toBe(true);
            expect(mine, JSON.stringify(payload)).toStrictEqual(zod.data);
          }
    expect(fast).toBeGreaterThan(100);
  });

  it("takes the claims our own tokens carry", () => {
    const payload = { role: "customer", sub: "bench-1", iat: 1_700_000_000, exp: 1_800_000_000 };
    expect(plainClaims(payload)).toStrictEqual(tokenClaimsSchema.parse(payload));
  });
});

import { createHmac, createSecretKey } from "node:crypto";
import fc from "fast-check";
import { jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { SwitchboardError } from "../errors.js";
import { verifyHs256 } from "./hs256.js";

const SECRET = "s".repeat(40);
const key = createSecretKey(Buffer.from(SECRET));
const now = Math.floor(Date.now() / 1000);

const b64 = (value: unknown) =>
  Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

/** A token from raw parts: any header, any payload, signed with `secret` (or a given signature). */
function token(
  header: unknown,
  payload: unknown,
  { secret = SECRET, signature }: { secret?: string; signature?: string } = {},
): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const sig = signature ?? createHmac("sha256", secret).update(input).digest("base64url");
  return `${input}.${sig}`;
}

type Verdict = "ok" | "rejected";

async function jose(t: string, checks: { audience?: string[]; issuer?: string[] }) {
  try {
    await jwtVerify(t, key, { algorithms: ["HS256"], ...checks });
    return "ok" as Verdict;
  } catch {
    return "rejected" as Verdict;
  }
}

function ours(t: string, checks: { audience?: string[]; issuer?: string[] }): Verdict {
  try {
    verifyHs256(t, key, checks);
    return "ok";
  } catch (error) {
    expect(error).toBeInstanceOf(SwitchboardError);
    expect((error as SwitchboardError).code).toBe("unauthorized");
    return "rejected";
  }
}

const HS = { alg: "HS256", typ: "JWT" };
const good = { sub: "ann", role: "agent", iat: now, exp: now + 60 };

describe("HS256 verification on node:crypto (agrees with jose)", () => {
  const cases: [string, string, { audience?: string[]; issuer?: string[] }?][] = [
    ["valid", token(HS, good)],
    ["no exp", token(HS, { sub: "ann" })],
    ["expired", token(HS, { ...good, exp: now - 1 })],
    ["exp now", token(HS, { ...good, exp: now })],
    ["exp a string", token(HS, { ...good, exp: String(now + 60) })],
    ["nbf in the future", token(HS, { ...good, nbf: now + 120 })],
    ["nbf past", token(HS, { ...good, nbf: now - 5 })],
    ["iat a string", token(HS, { ...good, iat: "yesterday" })],
    ["wrong secret", token(HS, good, { secret: "t".repeat(40) })],
    ["signature cut short", token(HS, good).slice(0, -3)],
    ["signature with a bad character", `${token(HS, good).slice(0, -1)}*`],
    ["empty signature", token(HS, good, { signature: "" })],
    ["alg none", token({ alg: "none" }, good, { signature: "" })],
    ["alg HS512", token({ alg: "HS512" }, good)],
    ["alg missing", token({ typ: "JWT" }, good)],
    ["crit header", token({ ...HS, crit: ["exp"] }, good)],
    ["b64 false", token({ ...HS, b64: false, crit: ["b64"] }, good)],
    ["payload an array", token(HS, [1, 2])],
    ["payload a number", token(HS, 5)],
    ["payload not JSON", token(HS, "not json")],
    ["header not JSON", `${b64("nope")}.${b64(good)}.abc`],
    ["two parts", `${b64(HS)}.${b64(good)}`],
    ["four parts", `${token(HS, good)}.x`],
    ["payload with padding", token(HS, good).replace(/\.([^.]+)\./, ".$1=.")],
    ["audience ok", token(HS, { ...good, aud: "app" }), { audience: ["app"] }],
    ["audience in a list", token(HS, { ...good, aud: ["x", "app"] }), { audience: ["app"] }],
    ["audience wrong", token(HS, { ...good, aud: "other" }), { audience: ["app"] }],
    ["audience missing", token(HS, good), { audience: ["app"] }],
    ["issuer ok", token(HS, { ...good, iss: "idp" }), { issuer: ["idp"] }],
    ["issuer wrong", token(HS, { ...good, iss: "evil" }), { issuer: ["idp"] }],
    ["issuer missing", token(HS, good), { issuer: ["idp"] }],
  ];

  it.each(cases)("%s", async (_name, t, checks = {}) => {
    expect(ours(t, checks)).toBe(await jose(t, checks));
  });

  it("says why, in jose's words", () => {
    const reason = (t: string, checks = {}) => {
      try {
        verifyHs256(t, key, checks);
        return "ok";
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(reason(token(HS, { ...good, exp: now - 1 }))).toBe("token expired");
    expect(reason(token(HS, good, { secret: "t".repeat(40) }))).toBe("token signature is invalid");
    expect(reason(token(HS, { ...good, aud: "x" }), { audience: ["app"] })).toBe(
      "token rejected: aud check_failed",
    );
    expect(reason(token(HS, good), { issuer: ["idp"] })).toBe("token rejected: iss missing");
  });

  it("agrees with jose on mangled tokens (fuzz)", async () => {
    const base = token(HS, good);
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: base.length - 1 }),
        fc.constantFrom(..."ABab01-_.=*+/ "),
        async (at, ch) => {
          const t = base.slice(0, at) + ch + base.slice(at + 1);
          expect(ours(t, {})).toBe(await jose(t, {}));
        },
      ),
      { numRuns: 500 },
    );
  });
});

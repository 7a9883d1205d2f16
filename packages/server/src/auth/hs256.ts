import { createHmac, type KeyObject, timingSafeEqual } from "node:crypto";
import { SwitchboardError } from "../errors.js";

/**
 * HS256 verification of a compact JWT, synchronously on node:crypto. jose verifies through
 * WebCrypto, whose every call builds a CryptoKey wrapper and goes through a promise job: in a
 * connect storm that was a fifth of the server's CPU per connection (bench `connections
 * --profile`). The checks are jose's for this one algorithm (same error wording, so clients and
 * logs see no difference): a well-formed JWS with `alg: HS256` and no `crit`, a signature of
 * the right length compared in constant time, a JSON object as claims, numeric `exp`/`nbf`/`iat`,
 * `exp` in the future, `nbf` not in the future, and `iss`/`aud` when required. Asymmetric tokens
 * (JWKS) still go through jose.
 */
export interface Hs256Checks {
  audience?: string[];
  issuer?: string[];
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;
const UTF8 = new TextDecoder("utf-8", { fatal: true });

function rejected(code: string): SwitchboardError {
  return new SwitchboardError("unauthorized", `token rejected: ${code}`);
}

function claimFailed(claim: string, reason: "check_failed" | "missing" | "invalid") {
  return new SwitchboardError("unauthorized", `token rejected: ${claim} ${reason}`);
}

function part(text: string): Buffer {
  if (!BASE64URL.test(text)) throw rejected("ERR_JWS_INVALID");
  return Buffer.from(text, "base64url");
}

function jsonObject(bytes: Buffer, code: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(UTF8.decode(bytes));
  } catch {
    throw rejected(code);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw rejected(code);
  return value as Record<string, unknown>;
}

function numericDate(claims: Record<string, unknown>, claim: string): number | undefined {
  const value = claims[claim];
  if (value === undefined) return undefined;
  if (typeof value !== "number") throw claimFailed(claim, "invalid");
  return value;
}

/** A compact JWS split into its parts, with its protected header read. */
export interface Jws {
  readonly token: string;
  readonly header: Record<string, unknown>;
  /** Where the header's and the payload's dots are. */
  readonly dots: readonly [number, number];
}

/** Splits a compact JWS and reads its header, or throws (not three base64url parts, no JSON header). */
export function splitJws(token: string): Jws {
  const first = token.indexOf(".");
  const second = token.indexOf(".", first + 1);
  if (first < 0 || second < 0 || token.indexOf(".", second + 1) >= 0) {
    throw rejected("ERR_JWS_INVALID");
  }
  const header = jsonObject(part(token.slice(0, first)), "ERR_JWS_INVALID");
  return { token, header, dots: [first, second] };
}

/** Returns the claims of a valid HS256 token, or throws `unauthorized` saying why. */
export function verifyHs256(
  jws: Jws | string,
  key: KeyObject,
  checks: Hs256Checks,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): Record<string, unknown> {
  const { token, header, dots } = typeof jws === "string" ? splitJws(jws) : jws;
  const [first, second] = dots;
  if (header.alg !== "HS256") throw rejected("ERR_JOSE_ALG_NOT_ALLOWED");
  // No extension is understood here, so none may be critical (RFC 7515 §4.1.11), b64 included.
  if (header.crit !== undefined || header.b64 !== undefined) throw rejected("ERR_JWS_INVALID");
  const payloadBytes = part(token.slice(first + 1, second));
  const signature = part(token.slice(second + 1));
  const expected = createHmac("sha256", key).update(token.slice(0, second)).digest();
  if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
    throw new SwitchboardError("unauthorized", "token signature is invalid");
  }
  const claims = jsonObject(payloadBytes, "ERR_JWT_INVALID");
  if (checks.audience && !Object.hasOwn(claims, "aud")) throw claimFailed("aud", "missing");
  if (checks.issuer && !Object.hasOwn(claims, "iss")) throw claimFailed("iss", "missing");
  if (checks.issuer && !checks.issuer.includes(claims.iss as string)) {
    throw claimFailed("iss", "check_failed");
  }
  if (checks.audience) {
    const aud = claims.aud;
    const ok =
      typeof aud === "string"
        ? checks.audience.includes(aud)
        : Array.isArray(aud) && checks.audience.some((a) => aud.includes(a));
    if (!ok) throw claimFailed("aud", "check_failed");
  }
  numericDate(claims, "iat");
  const nbf = numericDate(claims, "nbf");
  if (nbf !== undefined && nbf > nowSeconds) throw claimFailed("nbf", "check_failed");
  const exp = numericDate(claims, "exp");
  if (exp !== undefined && exp <= nowSeconds) {
    throw new SwitchboardError("unauthorized", "token expired");
  }
  return claims;
}

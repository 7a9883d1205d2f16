import { createSecretKey } from "node:crypto";
import { type TokenClaims, tokenClaimsSchema } from "@switchboard/protocol";
import { createRemoteJWKSet, customFetch, errors, type JWTPayload, jwtVerify, SignJWT } from "jose";
import type { z } from "zod";
import { DEFAULT_JWKS_COOLDOWN_MS, DEFAULT_JWKS_MAX_AGE_MS } from "../config.js";
import type { JwtConfig } from "../config-security.js";
import { SwitchboardError } from "../errors.js";
import { mapClaims } from "./claim-mapping.js";
import { type Jws, splitJws, verifyHs256 } from "./hs256.js";
import type { Identity } from "./identity.js";
import { plainClaims } from "./plain-claims.js";
import { TOKEN_CACHE_MAX_AGE_S, TokenCache } from "./token-cache.js";

export interface TokenVerifierOptions {
  /** HS256 shared secret. */
  secret?: string;
  /** RS256/ES256 keys from a JWKS endpoint. */
  jwksUrl?: string;
  /** JWKS: after a fetch, a token with an unknown key id waits this long for the next fetch. */
  jwksCooldownMs?: number;
  /** JWKS: a fetched key set is used this long, then fetched again (a withdrawn key stops working). */
  jwksMaxAgeMs?: number;
  /** Whether tokens must carry `exp` (production). */
  requireExp: boolean;
  /** The claims modules declared, merged: validated with every token, kept in identity.claims. */
  claims?: z.ZodObject;
  /** Audience and issuer checks, and how the provider's claims map to ours. */
  jwt?: Partial<JwtConfig>;
  /** How many verified tokens to remember (each for at most a minute); 0 turns the cache off. */
  cacheSize?: number;
}

const DEFAULT_TOKEN_CACHE_SIZE = 10_000;

/**
 * The identity provider's key set, fetched and cached by jose, with the time of the last fetch
 * (jose keeps it to itself) so a refusal during the cooldown can say when to retry.
 */
function remoteKeySet(url: string, cooldownMs: number, maxAgeMs: number) {
  let fetchedAt = 0;
  const set = createRemoteJWKSet(new URL(url), {
    cooldownDuration: cooldownMs,
    cacheMaxAge: maxAgeMs,
    [customFetch]: async (input: string | URL | Request, init?: RequestInit) => {
      const response = await fetch(input, init);
      if (response.ok) fetchedAt = Date.now();
      return response;
    },
  });
  return { set, cooldownLeftMs: () => Math.max(0, fetchedAt + cooldownMs - Date.now()) };
}

export type TokenVerifier = (token: string) => Promise<Identity>;

const ASYMMETRIC = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"];

/** Turns a JWT into an Identity, or throws `unauthorized` saying why (never echoing the token). */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  // A KeyObject, imported once: jose would otherwise re-import a raw secret on every verify.
  const secret = options.secret ? createSecretKey(Buffer.from(options.secret)) : undefined;
  const jwks = options.jwksUrl
    ? remoteKeySet(
        options.jwksUrl,
        options.jwksCooldownMs ?? DEFAULT_JWKS_COOLDOWN_MS,
        options.jwksMaxAgeMs ?? DEFAULT_JWKS_MAX_AGE_MS,
      )
    : undefined;
  const { audience, issuer, roleClaim = "role", roleMap, nameClaim = "name" } = options.jwt ?? {};
  // Checked on every token, whoever signed it: a token issued for another app is refused.
  const checks = { ...(audience && { audience }), ...(issuer && { issuer }) };

  // Module claims are optional fields of a plain object: a token naming none of them parses the
  // same as an empty object, which is parsed once here instead of with every token.
  const claimNames = Object.keys(options.claims?.shape ?? {});
  const noModuleClaims = options.claims?.safeParse({});

  // With a JWKS, an entry lives no longer than a fetched key set does: a withdrawn key stops
  // working within the same time with or without the cache.
  const cacheAgeS = Math.min(
    TOKEN_CACHE_MAX_AGE_S,
    jwks ? (options.jwksMaxAgeMs ?? DEFAULT_JWKS_MAX_AGE_MS) / 1000 : TOKEN_CACHE_MAX_AGE_S,
  );
  const cache = new TokenCache(options.cacheSize ?? DEFAULT_TOKEN_CACHE_SIZE, cacheAgeS);

  const verify = async (token: string): Promise<Identity> => {
    let jws: Jws;
    try {
      jws = splitJws(token);
    } catch {
      throw new SwitchboardError("unauthorized", "token is not a JWT");
    }
    const alg = typeof jws.header.alg === "string" ? jws.header.alg : undefined;
    let payload: JWTPayload;
    try {
      if (alg === "HS256" && secret) {
        payload = verifyHs256(jws, secret, checks);
      } else if (alg && ASYMMETRIC.includes(alg) && jwks) {
        // During the cooldown jose does not fetch the set again: a key id it does not know may
        // be a key the provider published since. That is "retry shortly", not "invalid token"
        // (a client told 4401 would give up). After the cooldown a refetch decides for good.
        const coolingDown = jwks.set.coolingDown;
        try {
          ({ payload } = await jwtVerify(token, jwks.set, { algorithms: ASYMMETRIC, ...checks }));
        } catch (error) {
          if (error instanceof errors.JWKSNoMatchingKey && coolingDown) {
            throw new SwitchboardError(
              "unavailable",
              "token signed by a key not in the key set yet; it is fetched again shortly, retry",
              { retryAfterMs: jwks.cooldownLeftMs() + 250 },
            );
          }
          throw error;
        }
      } else {
        throw new SwitchboardError(
          "unauthorized",
          `token algorithm ${alg ?? "none"} is not accepted`,
        );
      }
    } catch (error) {
      if (error instanceof SwitchboardError) throw error;
      if (error instanceof errors.JWTExpired)
        throw new SwitchboardError("unauthorized", "token expired");
      if (error instanceof errors.JWSSignatureVerificationFailed) {
        throw new SwitchboardError("unauthorized", "token signature is invalid");
      }
      if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) {
        // the provider's endpoint failed us, not the token
        throw new SwitchboardError("unavailable", "could not verify token (key set unreachable)");
      }
      if (error instanceof errors.JWTClaimValidationFailed) {
        throw new SwitchboardError(
          "unauthorized",
          `token rejected: ${error.claim} ${error.reason}`,
        );
      }
      if (error instanceof errors.JOSEError) {
        throw new SwitchboardError("unauthorized", `token rejected: ${error.code}`);
      }
      throw new SwitchboardError("unavailable", "could not verify token (key set unreachable)");
    }
    const mapped = mapClaims(payload, { roleClaim, roleMap, nameClaim });
    // A plain token (sub, role, exp and JWT's own claims: no module claim among them) is read
    // without zod; any other goes through the schema.
    const plain = plainClaims(mapped);
    const claims = plain
      ? { success: true as const, data: plain }
      : tokenClaimsSchema.safeParse(mapped);
    const extra = claimNames.some((name) => Object.hasOwn(mapped, name))
      ? options.claims?.safeParse(mapped)
      : noModuleClaims;
    const failed = !claims.success ? claims.error : extra?.success === false ? extra.error : null;
    if (failed || !claims.success) {
      throw new SwitchboardError("unauthorized", "token claims are invalid", {
        details: failed?.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
      });
    }
    const declared = Object.entries(extra?.data ?? {}).filter(([, v]) => v !== undefined);
    if (options.requireExp && claims.data.exp === undefined) {
      throw new SwitchboardError("unauthorized", "token has no exp (required in production)");
    }
    const c: TokenClaims = claims.data;
    return {
      user: c.sub,
      role: c.role,
      ...(c.name !== undefined && { name: c.name }),
      ...(c.exp !== undefined && { exp: c.exp }),
      ...(c.caps !== undefined && { caps: c.caps }),
      ...(declared.length > 0 && { claims: Object.fromEntries(declared) }),
    };
  };

  return async (token) => {
    const nowS = Date.now() / 1000;
    const known = cache.get(token, nowS);
    if (known) return known;
    const identity = await verify(token);
    cache.set(token, identity, nowS);
    return { ...identity };
  };
}

export interface MintOptions {
  sub: string;
  role?: "customer" | "agent" | "admin";
  name?: string;
  caps?: Record<string, ("subscribe" | "publish" | "presence" | "history")[]>;
  /** Claims modules declare (chat's `vip`, `value`…), signed into the token as they are. */
  claims?: Record<string, unknown>;
  /** Seconds from now; default one day. 0 or less: already expired (for tests). */
  expiresInSeconds?: number;
  /** `aud` and `iss`, so the token passes a server that checks them (SWITCHBOARD_JWT_AUDIENCE/ISSUER). */
  audience?: string;
  issuer?: string;
}

/** Signs an HS256 token (dev tokens, tests, the CLI). */
export async function mintToken(secret: string, options: MintOptions): Promise<string> {
  const { sub, role = "customer", name, caps, claims, expiresInSeconds = 24 * 3600 } = options;
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({
    ...claims,
    role,
    ...(name && { name }),
    ...(caps && { caps }),
  })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(sub)
    .setIssuedAt(now)
    .setExpirationTime(now + expiresInSeconds);
  if (options.audience) jwt.setAudience(options.audience);
  if (options.issuer) jwt.setIssuer(options.issuer);
  return jwt.sign(new TextEncoder().encode(secret));
}

/** The `aud`/`iss` our own tokens (dev route, CLI, tests) carry so that this server accepts them. */
export function ownTokenClaims(jwt: Partial<JwtConfig>): Pick<MintOptions, "audience" | "issuer"> {
  const audience = jwt.audience?.[0];
  const issuer = jwt.issuer?.[0];
  return { ...(audience && { audience }), ...(issuer && { issuer }) };
}

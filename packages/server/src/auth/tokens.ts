import { createSecretKey } from "node:crypto";
import { tokenClaimsSchema } from "@switchboard/protocol";
import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from "jose";
import type { JwtConfig } from "../config-security.js";
import { SwitchboardError } from "../errors.js";
import { mapClaims } from "./claim-mapping.js";
import type { Identity } from "./identity.js";

export interface TokenVerifierOptions {
  /** HS256 shared secret. */
  secret?: string;
  /** RS256/ES256 keys from a JWKS endpoint. */
  jwksUrl?: string;
  /** Whether tokens must carry `exp` (production). */
  requireExp: boolean;
  /** Audience and issuer checks, and how the provider's claims map to ours. */
  jwt?: Partial<JwtConfig>;
}

export type TokenVerifier = (token: string) => Promise<Identity>;

const ASYMMETRIC = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"];

/** Turns a JWT into an Identity, or throws `unauthorized` saying why (never echoing the token). */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  // A KeyObject, imported once: jose would otherwise re-import a raw secret on every verify.
  const secret = options.secret ? createSecretKey(Buffer.from(options.secret)) : undefined;
  const jwks = options.jwksUrl ? createRemoteJWKSet(new URL(options.jwksUrl)) : undefined;
  const { audience, issuer, roleClaim = "role", roleMap, nameClaim = "name" } = options.jwt ?? {};
  // Checked on every token, whoever signed it: a token issued for another app is refused.
  const checks = { ...(audience && { audience }), ...(issuer && { issuer }) };

  return async (token) => {
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw new SwitchboardError("unauthorized", "token is not a JWT");
    }
    let payload: JWTPayload;
    try {
      if (alg === "HS256" && secret) {
        ({ payload } = await jwtVerify(token, secret, { algorithms: ["HS256"], ...checks }));
      } else if (alg && ASYMMETRIC.includes(alg) && jwks) {
        ({ payload } = await jwtVerify(token, jwks, { algorithms: ASYMMETRIC, ...checks }));
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
    const claims = tokenClaimsSchema.safeParse(
      mapClaims(payload, { roleClaim, roleMap, nameClaim }),
    );
    if (!claims.success) {
      throw new SwitchboardError("unauthorized", "token claims are invalid", {
        details: claims.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
      });
    }
    if (options.requireExp && claims.data.exp === undefined) {
      throw new SwitchboardError("unauthorized", "token has no exp (required in production)");
    }
    const c = claims.data;
    return {
      user: c.sub,
      role: c.role,
      ...(c.name !== undefined && { name: c.name }),
      ...(c.exp !== undefined && { exp: c.exp }),
      ...(c.caps !== undefined && { caps: c.caps }),
      ...(c.vip !== undefined && { vip: c.vip }),
      ...(c.value !== undefined && { value: c.value }),
    };
  };
}

export interface MintOptions {
  sub: string;
  role?: "customer" | "agent" | "admin";
  name?: string;
  caps?: Record<string, ("subscribe" | "publish" | "presence" | "history")[]>;
  vip?: boolean;
  value?: number;
  /** Seconds from now; default one day. 0 or less: already expired (for tests). */
  expiresInSeconds?: number;
  /** `aud` and `iss`, so the token passes a server that checks them (SWITCHBOARD_JWT_AUDIENCE/ISSUER). */
  audience?: string;
  issuer?: string;
}

/** Signs an HS256 token (dev tokens, tests, the CLI). */
export async function mintToken(secret: string, options: MintOptions): Promise<string> {
  const { sub, role = "customer", name, caps, vip, value, expiresInSeconds = 24 * 3600 } = options;
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({
    role,
    ...(name && { name }),
    ...(caps && { caps }),
    ...(vip !== undefined && { vip }),
    ...(value !== undefined && { value }),
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

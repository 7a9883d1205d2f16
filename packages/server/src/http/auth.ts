import { timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { type Identity, SERVER_IDENTITY } from "../auth/identity.js";
import type { TokenVerifier } from "../auth/tokens.js";
import { SwitchboardError } from "../errors.js";

declare module "fastify" {
  interface FastifyRequest {
    identity?: Identity;
  }
}

export interface HttpAuthOptions {
  apiKey?: string;
  verifyToken: TokenVerifier;
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Whether the request presents the API key (without verifying anything else). */
export function presentsApiKey(request: FastifyRequest, apiKey: string | undefined): boolean {
  if (!apiKey) return false;
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? "");
  return match?.[1] !== undefined && sameSecret(match[1], apiKey);
}

/** Reads `Authorization: Bearer <api key | JWT>` into an Identity, or throws `unauthorized`. */
export function createRequestAuthenticator(options: HttpAuthOptions) {
  // the key's bytes once, not per request
  const apiKey = options.apiKey ? Buffer.from(options.apiKey) : undefined;
  return async function authenticate(request: FastifyRequest): Promise<Identity> {
    const header = request.headers.authorization;
    if (!header) throw new SwitchboardError("unauthorized", "missing Authorization: Bearer header");
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1])
      throw new SwitchboardError("unauthorized", "Authorization must be 'Bearer <token>'");
    const credential = match[1];
    if (apiKey) {
      const given = Buffer.from(credential);
      if (given.length === apiKey.length && timingSafeEqual(given, apiKey)) return SERVER_IDENTITY;
    }
    return options.verifyToken(credential);
  };
}

export type RequestAuthenticator = ReturnType<typeof createRequestAuthenticator>;

/**
 * onRequest hooks (they run before body validation, so missing credentials answer 401, not 400).
 * `server` routes take the API key or an admin JWT (which then acts
 * with server rights); `user` routes take any valid token.
 */
export function authHooks(authenticate: RequestAuthenticator) {
  return {
    server: async (request: FastifyRequest, _reply: FastifyReply) => {
      const identity = await authenticate(request);
      if (!identity.server && identity.role !== "admin") {
        throw new SwitchboardError("forbidden", "this route needs the API key or an admin token");
      }
      request.identity = { ...identity, server: true };
    },
    /** Agents, admins, or the API key. */
    staff: async (request: FastifyRequest, _reply: FastifyReply) => {
      const identity = await authenticate(request);
      if (!identity.server && identity.role === "customer") {
        throw new SwitchboardError(
          "forbidden",
          "this route is for staff (agent or admin) or the API key",
        );
      }
      request.identity = identity;
    },
    /** No credentials: anonymous; credentials: they must be valid (the route shows more to some). */
    optional: async (request: FastifyRequest, _reply: FastifyReply) => {
      if (request.headers.authorization === undefined) return;
      request.identity = await authenticate(request);
    },
    /** Any valid token or the API key; the service decides what this caller may see. */
    user: async (request: FastifyRequest, _reply: FastifyReply) => {
      request.identity = await authenticate(request);
    },
  };
}

export type AuthHooks = ReturnType<typeof authHooks>;

import { createHash } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import { SwitchboardError } from "../errors.js";
import type { InTransaction } from "../store/in-transaction.js";
import type { Database } from "../store/schema.js";
import { type Claim, IdempotencyClaims } from "./idempotency-claims.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /**
     * false: the route handles idempotency itself (POST /api/publish). "in-handler": the body
     * is read by the handler (multipart), which calls `request.claimIdempotency(digest)` with a
     * digest of what it read, so that a different file is a different request.
     */
    idempotency?: boolean | "in-handler";
  }
  interface FastifyRequest {
    idempotency?: { claim: Claim; claims: IdempotencyClaims };
    /** On "in-handler" routes with an Idempotency-Key: claims it; true when a replay was sent. */
    claimIdempotency?: (bodyDigest: string) => Promise<boolean>;
  }
}

const KEY = /^[\x21-\x7e]{1,255}$/;
const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);
export const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;

function requestHash(request: FastifyRequest, bodyDigest?: string): string {
  return createHash("sha256")
    .update(request.method)
    .update("\n")
    .update(request.url)
    .update("\n")
    .update(bodyDigest ?? JSON.stringify(request.body ?? null))
    .digest("hex");
}

/**
 * Keys are per caller: two users never collide, and one cannot replay another's response. The
 * API key has a scope no token can name (an admin token acting on a server route, or a token
 * whose sub is "server", is still its own user).
 */
function scopeOf(request: FastifyRequest): string {
  const identity = request.identity;
  if (identity?.apiKey) return "api-key";
  return identity ? `user:${identity.user}` : "anonymous";
}

export interface IdempotencyOptions {
  /** This node (recorded with each claim). */
  nodeId: string;
  /** A claim not renewed for this long may be taken over by a retry. */
  leaseMs: number;
  logger?: Logger;
}

/**
 * `Idempotency-Key` on any REST write: the first request runs and its response is kept for 24 h;
 * a retry with the same key (same caller) gets that response back and changes nothing. The key is
 * claimed with an insert on a primary key, so two racing retries cannot both run; a claim whose
 * node died (or lost the database) goes stale after the lease and a retry takes it over. Routes
 * that pass `keepResponse(request, status)` to their service store the response in the write's
 * own transaction (see idempotency-claims.ts).
 */
export function registerIdempotency(
  app: FastifyInstance,
  db: Kysely<Database>,
  options: IdempotencyOptions,
): void {
  const claims = new IdempotencyClaims(db, {
    ...options,
    retentionMs: IDEMPOTENCY_RETENTION_MS,
  });
  app.addHook("onClose", async () => claims.stop());

  // A callback hook whose common case (no key) answers at once, without a promise per request.
  app.addHook("preHandler", (request: FastifyRequest, reply: FastifyReply, done) => {
    const key = request.headers["idempotency-key"];
    if (typeof key !== "string" || !WRITE_METHODS.has(request.method)) return done();
    if (request.routeOptions.config.idempotency === false) return done();
    withKey(request, reply, key).then(() => done(), done);
  });

  async function withKey(
    request: FastifyRequest,
    reply: FastifyReply,
    key: string,
  ): Promise<FastifyReply | undefined> {
    const mode = request.routeOptions.config.idempotency;
    if (!KEY.test(key))
      throw new SwitchboardError(
        "bad_request",
        "Idempotency-Key must be 1-255 printable ASCII characters",
      );
    const scope = scopeOf(request);
    if (mode === "in-handler") {
      request.claimIdempotency = async (bodyDigest) => {
        await claim(request, reply, scope, key, requestHash(request, bodyDigest));
        return reply.sent;
      };
      return;
    }
    return claim(request, reply, scope, key, requestHash(request));
  }

  /** Claims the key for this request, or answers with the kept response (or a conflict). */
  async function claim(
    request: FastifyRequest,
    reply: FastifyReply,
    scope: string,
    key: string,
    hash: string,
  ): Promise<FastifyReply | undefined> {
    const outcome = await claims.claim(scope, key, hash);
    switch (outcome.kind) {
      case "claimed":
        request.idempotency = { claim: outcome.claim, claims };
        return;
      case "mismatch":
        throw new SwitchboardError(
          "conflict",
          "Idempotency-Key was already used for a different request",
        );
      case "busy":
        throw new SwitchboardError(
          "conflict",
          "a request with this Idempotency-Key is still in progress; retry shortly",
          { retryAfterMs: outcome.retryAfterMs },
        );
      case "answered":
        reply.header("idempotent-replayed", "true");
        reply.header("content-type", "application/json; charset=utf-8");
        return reply.status(outcome.status).send(outcome.body);
    }
  }

  app.addHook("onSend", (request, reply, payload, done) => {
    if (!request.idempotency) return done(null, payload);
    settle(request, reply, payload).then(
      () => done(null, payload),
      (err: Error) => done(err),
    );
  });

  async function settle(request: FastifyRequest, reply: FastifyReply, payload: unknown) {
    const held = request.idempotency;
    if (!held) return;
    request.idempotency = undefined;
    try {
      // A server failure is not a result: free the key so the client's retry runs for real
      // (unless the write committed with its answer: then the retry gets that answer).
      if (reply.statusCode >= 500) await held.claims.release(held.claim);
      else
        await held.claims.answer(
          held.claim,
          reply.statusCode,
          typeof payload === "string" ? payload : JSON.stringify(payload ?? null),
        );
    } catch (error) {
      // The database went away after the handler ran. The client still gets this answer; a retry
      // finds the stored answer, or takes the claim over once it is stale.
      request.log.warn({ err: error }, "could not record the Idempotency-Key outcome");
    }
  }
}

/**
 * For a route whose service takes an `InTransaction` step: keeps the response (`status` and the
 * service's result as JSON) in the write's own transaction, under this request's claim. Undefined
 * when the request has no Idempotency-Key.
 */
export function keepResponse<T>(
  request: FastifyRequest,
  status: number,
): InTransaction<T> | undefined {
  const held = request.idempotency;
  if (!held) return undefined;
  return (trx, result) =>
    held.claims.keepInTransaction(trx, held.claim, status, JSON.stringify(result));
}

/** Deletes keys past retention (a background job). */
export async function purgeIdempotencyKeys(db: Kysely<Database>): Promise<number> {
  const cutoff = new Date(Date.now() - IDEMPOTENCY_RETENTION_MS).toISOString();
  const r = await db
    .deleteFrom("idempotency_keys")
    .where("created_at", "<", cutoff)
    .executeTakeFirst();
  return Number(r.numDeletedRows ?? 0);
}
